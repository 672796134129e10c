#!/bin/sh
# events.sh - the live count on one node: EVENTS_N (10000) event streams of
# /p/SLUG/events open at once, the server's memory for them, the time a
# count change takes to reach every one, and the petition page's requests
# per second with the streams open beside the figure without them.
#
#   sh bench/events.sh          (make bench-events)
#
# Writes bench/results/DATE-events.txt and prints it. Installs wrk and curl
# when missing.
set -eu

N=${EVENTS_N:-10000}
BIN=${HOLOS:-build/holos}
PORT=${BENCH_PORT:-28280}
SLUG=kremlin-prisoners-covid19
URL="http://127.0.0.1:$PORT"
mkdir -p bench/results
OUT=bench/results/$(date -u +%Y-%m-%dT%H%M%SZ)-events.txt
TMP=$(mktemp -d "${TMPDIR:-/tmp}/holos-events.XXXXXX")
PID=""

die() {
	echo "events.sh: $*" >&2
	exit 1
}
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

apt_install() {
	[ "$(id -u)" = 0 ] || die "run: sudo apt-get install -y $1"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >/dev/null ||
	    die "cannot install $1"
}
command -v wrk >/dev/null 2>&1 || apt_install wrk
command -v curl >/dev/null 2>&1 || apt_install curl
[ -x "$BIN" ] || die "$BIN is missing: run make first"
${CC:-cc} -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror \
    -o "$TMP/events_bench" bench/events_bench.c

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
HOLOS_POW_BITS=0 HOLOS_MIN_FORM_SECONDS=0 "$BIN" serve \
    --listen "127.0.0.1:$PORT" --data "$TMP/data" --seed seed/petition.md \
    --count-on-sign --rate-limit off >"$TMP/holos.log" 2>&1 &
PID=$!
i=0
until curl -fs "$URL/healthz" >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 200 ] || die "holos did not start: $(tail -5 "$TMP/holos.log")"
	sleep 0.1
done

{
	echo "holos live-count streams, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores"
	echo "idle server RSS             $(awk '/^VmRSS:/ {print $2, $3}' /proc/$PID/status)"
	echo "page req/s without streams  $(wrk -t2 -c64 -d5s "$URL/p/$SLUG" |
	    sed -n 's/^Requests\/sec: *//p')"
	"$TMP/events_bench" "$PORT" "$PID" "$SLUG" "$N"
} 2>&1 | tee "$OUT"
