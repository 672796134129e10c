#!/bin/sh
# checks.sh - the cost of the fraud checks on an honest signature: a loop
# over holos's own code (bench/checks_cost.c), then signing throughput with
# the checks on (limits set high enough never to refuse, proof of work at a
# trivial difficulty so wrk's requests stay unflagged is not possible, so the
# proof is measured by the loop) and off, side by side. Run from the root.
set -eu
ROOT=$(pwd)
SECS=${SECS:-10}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hbench-checks.XXXXXX")
PORT=28280
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
make all >/dev/null
PKGS="libmicrohttpd sqlite3 libsodium icu-uc icu-i18n libcmark jansson libcurl libpq"
cc -std=c17 -D_GNU_SOURCE -O2 -Isrc $(pkg-config --cflags $PKGS) \
    -o "$TMP/checks_cost" bench/checks_cost.c $(ls build/obj/*.o | grep -v main.o) \
    $(pkg-config --libs $PKGS) -lstemmer -lstdc++ -lpthread -lm
echo "== cost of the checks per signature, in a loop (bench/checks_cost)"
"$TMP/checks_cost"
cp build/holos "$TMP/server"
sign() {	# $1: label, rest: serve flags
	label=$1; shift
	"$TMP/server" serve --listen 127.0.0.1:$PORT --data "$TMP/d-$label" \
	    --seed seed/petition.md --count-on-sign --per-ip-limit 0 --per-net-limit 0 \
	    --max-connections 20000 --pow-bits 0 "$@" >/dev/null 2>"$TMP/$label.log" &
	pid=$!
	for i in 1 2 3 4 5 6 7 8 9 10; do
		curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break
		sleep 0.5
	done
	token=$(curl -fs "http://127.0.0.1:$PORT/p/kremlin-prisoners-covid19" |
	    sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
	sleep 1	# so the form is older than --min-form-seconds 1
	HOLOS_CSRF=$token HOLOS_RUN=$label$$ wrk -t2 -c256 -d"${SECS}s" \
	    -s bench/sign.lua "http://127.0.0.1:$PORT" | grep -E "Requests/sec|Non-2xx"
	count=$(curl -fs "http://127.0.0.1:$PORT/p/kremlin-prisoners-covid19.json" |
	    sed -n 's/.*"count":\([0-9]*\).*/\1/p')
	echo "$label: $count signatures counted in ${SECS}s ($((count / SECS))/s)"
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}
echo "== signing with the checks off (--rate-limit off --min-form-seconds 0)"
sign off --rate-limit off --min-form-seconds 0
echo "== signing with the checks on (limits high enough never to refuse)"
sign on --rate-ip 1000000000/1 --rate-net 1000000000/1 \
    --rate-petition 1000000000/1 --rate-site 1000000000/1 --min-form-seconds 1
