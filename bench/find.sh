#!/bin/sh
# find.sh - listing, search and API latency with many petitions and many
# signatures (make bench-find).
#
# Three databases made by build/bench/find_gen (bench/find_gen.c): SMALL,
# 100 petitions and 100,000 signatures; EMPTY, 10,000 petitions and no
# signature; BIG, the same 10,000 petitions and 10,000,000 signatures. For
# each: the start-up time of `holos serve` (until /healthz answers), then
# wrk on /, /petitions (bench/find/list.lua), /search (search.lua) and
# /api/v1/petitions (api.lua): p50, p99 and requests a second; and the
# server's RSS. Raw output and commands go to bench/results/DATE-find.txt,
# a summary is printed at the end.
#
# Knobs: BENCH_FIND_PETITIONS (10000), BENCH_FIND_SIGNATURES (10000000),
# BENCH_SECONDS (10 per wrk run), BENCH_FIND_CONNS (16), BENCH_PORT (28180),
# BENCH_FIND_DATA (where the databases are made; kept between runs when
# set, so a second run skips the generation), BENCH_QUICK=1 (1,000
# petitions, 200,000 signatures, 3-second runs).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NPET=${BENCH_FIND_PETITIONS:-10000}
NSIG=${BENCH_FIND_SIGNATURES:-10000000}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_FIND_CONNS:-16}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	NPET=${BENCH_FIND_PETITIONS:-1000} NSIG=${BENCH_FIND_SIGNATURES:-200000}
	SECS=3
fi
SMALL_PET=100
SMALL_SIG=$((NSIG / NPET * SMALL_PET))
PORT=${BENCH_PORT:-28180}
URL=http://127.0.0.1:$PORT
GEN=$ROOT/build/bench/find_gen

die() {
	echo "bench-find: $*" >&2
	exit 1
}

command -v wrk >/dev/null 2>&1 || {
	[ "$(id -u)" = 0 ] || die "run: sudo apt-get install -y wrk"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null ||
	    die "cannot install wrk"
}
command -v curl >/dev/null 2>&1 || die "curl is missing"
[ -x "$ROOT/build/holos" ] && [ -x "$GEN" ] ||
    make -C "$ROOT" build/holos build/bench/find_gen >/dev/null ||
    die "cannot build holos and find_gen"

TMP=$(mktemp -d /tmp/hbench-find.XXXXXX) || die "cannot make a temp dir"
if [ -n "${BENCH_FIND_DATA:-}" ]; then
	DATA=$BENCH_FIND_DATA
	KEEP=1
else
	DATA=$TMP/data
	KEEP=0
fi
mkdir -p "$DATA" "$ROOT/bench/results"
OUT=$ROOT/bench/results/$(date -u +%Y-%m-%dT%H%M%SZ)-find.txt
SUMMARY=$TMP/summary
SERVER=""
cleanup() {
	[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null
	[ -n "$SERVER" ] && wait "$SERVER" 2>/dev/null
	[ "$KEEP" = 1 ] || rm -rf "$DATA"
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
# A copy: a rebuild of build/ during the run does not change what is
# measured.
cp "$ROOT/build/holos" "$TMP/hbench-find-server"

log() {
	echo "$*" | tee -a "$OUT"
}

# Runs a command, its output into the results.
run() {
	echo "\$ $*" >>"$OUT"
	"$@" >>"$OUT" 2>&1
}

log "bench-find $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n):" \
    "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
log "holos $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)," \
    "$NPET petitions, $NSIG signatures, wrk -t2 -c$CONNS -d${SECS}s"

# --- the databases ---------------------------------------------------------

# gen NAME PETITIONS SIGNATURES [FROM]: DATA/NAME/holos.db, FROM's copy
# first when given.
gen() {
	mkdir -p "$DATA/$1"
	if [ -n "${4:-}" ] && [ ! -f "$DATA/$1/holos.db" ]; then
		cp "$DATA/$4/holos.db" "$DATA/$1/holos.db"
	fi
	t0=$(date +%s)
	run "$GEN" "$DATA/$1/holos.db" "$ROOT" "$2" "$3" ||
	    die "find_gen $1 failed (see $OUT)"
	log "database $1: $2 petitions, $3 signatures," \
	    "$(du -m "$DATA/$1/holos.db" | cut -f1) MB, made in" \
	    "$(($(date +%s) - t0)) s"
}
gen small $SMALL_PET $SMALL_SIG
gen empty "$NPET" 0
gen big "$NPET" "$NSIG" empty

# --- the runs --------------------------------------------------------------

# serve NAME: starts holos on DATA/NAME and waits for /healthz; records the
# start-up time.
serve() {
	t0=$(date +%s%N)
	"$TMP/hbench-find-server" serve --listen "127.0.0.1:$PORT" \
	    --data "$DATA/$1" --share "$ROOT" --rate-limit off \
	    >>"$TMP/server-$1.log" 2>&1 &
	SERVER=$!
	i=0
	until curl -fs -o /dev/null "$URL/healthz"; do
		i=$((i + 1))
		[ $i -lt 6000 ] || die "holos did not start on $1"
		kill -0 "$SERVER" 2>/dev/null ||
		    die "holos exited on $1: $(tail -5 "$TMP/server-$1.log")"
		sleep 0.01
	done
	ms=$((($(date +%s%N) - t0) / 1000000))
	log "$1: holos serve answered /healthz $ms ms after its start"
	echo "$1 startup $ms" >>"$SUMMARY"
}

stop() {
	rss=$(awk '/VmHWM/ { print $2 }' "/proc/$SERVER/status")
	log "$1: peak RSS $((rss / 1024)) MB"
	echo "$1 rss $((rss / 1024))" >>"$SUMMARY"
	kill "$SERVER"
	wait "$SERVER" 2>/dev/null
	SERVER=""
}

# bench NAME WHAT [SCRIPT] PATH: one wrk run, p50/p99/rps into the summary.
bench() {
	name=$1 what=$2
	shift 2
	if [ $# = 2 ]; then
		set -- -s "$ROOT/bench/find/$1" "$URL$2"
	else
		set -- "$URL$1"
	fi
	echo "\$ wrk -t2 -c$CONNS -d${SECS}s --latency $*" >>"$OUT"
	wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$@" >"$TMP/wrk" 2>&1
	cat "$TMP/wrk" >>"$OUT"
	p50=$(awk '$1 == "50%" { print $2 }' "$TMP/wrk")
	p99=$(awk '$1 == "99%" { print $2 }' "$TMP/wrk")
	rps=$(awk '/^Requests\/sec/ { printf "%d", $2 }' "$TMP/wrk")
	non2xx=$(awk '/Non-2xx/ { print $NF }' "$TMP/wrk")
	echo "$name $what $p50 $p99 $rps ${non2xx:-0}" >>"$SUMMARY"
}

for db in small empty big; do
	serve $db
	# The pages once, so the first wrk run does not pay for the first
	# parse of each template.
	for p in / "/petitions?sort=signatures" "/search?q=prisoners" \
	    /api/v1/petitions; do
		curl -fs -o /dev/null "$URL$p" || die "$p failed on $db"
	done
	bench $db "/" /
	bench $db "/petitions" list.lua /
	bench $db "/search" search.lua /
	bench $db "/api/v1/petitions" api.lua /
	stop $db
done

# --- summary ---------------------------------------------------------------

{
	echo
	echo "| database | what | p50 | p99 | req/s | non-2xx |"
	echo "|---|---|---|---|---|---|"
	awk '$2 != "startup" && $2 != "rss" {
		printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6
	}' "$SUMMARY"
	echo
	awk '$2 == "startup" { printf "%s: start-up %s ms; ", $1, $3 }
	    $2 == "rss" { printf "peak RSS %s MB\n", $3 }' "$SUMMARY"
	echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$OUT"
echo "raw output: $OUT"
