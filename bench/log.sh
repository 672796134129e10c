#!/bin/sh
# log.sh - what the verifiable log costs (docs/transparency.md), each
# figure beside its reference in the same run:
#
#   A. signing throughput with the log against the same holos without it
#      (HOLOS_BENCH_NO_LOG=1 on a data folder marked bench-no-log), the
#      same wrk load (bench/sign.lua), rounds alternating which goes
#      first; the ratio of the medians against the 90% target;
#   B. proofs on a petition with BENCH_LOG_LEAVES (10,000,000) signatures
#      and log leaves: bench/fill.c writes the signatures and
#      build/bench/log_fill the log through merkle.c and translog.c; wrk
#      (bench/log_proof.lua) asks get-proof-by-hash for random leaves and
#      get-sth-consistency from random sizes; p99 against 5 ms. First, a
#      smaller log made the same way must pass `holos audit`.
#
# Knobs (environment): BENCH_LOG_PARTS ("A B": which parts), BENCH_ROUNDS (3), BENCH_SECONDS (10 per wrk run),
# BENCH_LOG_LEAVES (10000000), BENCH_LOG_AUDIT (100000: the audited
# size), BENCH_LOG_CONNS (64: signing connections), BENCH_PROOF_CONNS
# ("1 16": proof runs), BENCH_PORT (28180), BENCH_LOG_DB (unset: a
# folder to keep part B's big database in and reuse when it already
# holds BENCH_LOG_LEAVES leaves; a 10 M fill takes about 20 minutes, and
# proofs do not change what is stored). Raw output goes to
# bench/results/DATE-log.txt; a summary is printed at the end. Run from
# the checkout after `make all build/bench/log_fill` (make bench-log).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SLUG=kremlin-prisoners-covid19
ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-10}
LEAVES=${BENCH_LOG_LEAVES:-10000000}
AUDIT_N=${BENCH_LOG_AUDIT:-100000}
CONNS=${BENCH_LOG_CONNS:-64}
PCONNS=${BENCH_PROOF_CONNS:-1 16}
PORT=${BENCH_PORT:-28180}
PARTS=${BENCH_LOG_PARTS:-A B}
KEEP=${BENCH_LOG_DB:-}
HOST=127.0.0.1
URL=http://$HOST:$PORT
CC=${CC:-cc}

BENCH_NAME=bench-log
. "$ROOT/bench/lib.sh"

for t in wrk curl pkg-config; do
	command -v $t >/dev/null 2>&1 ||
	    die "$t is missing: sudo apt-get install -y $t"
done
pkg-config --exists sqlite3 ||
    die "sqlite3's headers are missing: sudo apt-get install -y libsqlite3-dev"
[ -x "$ROOT/build/holos" ] && [ -x "$ROOT/build/bench/log_fill" ] ||
    die "run make all build/bench/log_fill first (or make bench-log)"
if curl -s -o /dev/null --max-time 1 "$URL/"; then
	die "something already listens on $HOST:$PORT (set BENCH_PORT)"
fi

bench_tmp hbench-log

# One copy of each binary throughout, named without "holos" (a clean-up
# by name elsewhere must not end the server mid-run).
cp "$ROOT/build/holos" "$TMP/hbench-server" || die "cannot copy build/holos"
cp "$ROOT/build/bench/log_fill" "$TMP/log_fill" || die "cannot copy log_fill"
HOLOS=$TMP/hbench-server
$CC -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 \
    $(pkg-config --cflags sqlite3) -o "$TMP/fill" "$ROOT/bench/fill.c" \
    $(pkg-config --libs sqlite3) || die "cannot build bench/fill.c"

mkdir -p "$ROOT/bench/results"
STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
OUT=$ROOT/bench/results/$STAMP-log.txt
: >"$OUT" || die "cannot write $OUT"
log() {
	echo "$*" | tee -a "$OUT"
}
LAST=$TMP/last.txt
record() {
	echo "\$ $*" >>"$OUT"
	"$@" >"$LAST" 2>&1
	rc=$?
	cat "$LAST" >>"$OUT"
	return $rc
}
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan";
	    else if (NR % 2) print v[(NR + 1) / 2];
	    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
to_ms() {	# 812.00us, 1.20ms, 2.01s on stdin -> ms
	awk '{ v = $1 + 0; u = $1; sub(/^[0-9.]+/, "", u); m = 1;
	    if (u == "us") m = 0.001; else if (u == "s") m = 1000;
	    printf "%.3f\n", v * m }'
}
wrk_pct() {	# wrk --latency output, percentile -> ms
	awk -v p="$2%" '$1 == p { print $2 }' "$1" | to_ms
}

# Starts holos on data folder $1 (more flags after it) and waits for it.
HOLOS_PID=""
holos_start() {
	d=$1
	dlog=$TMP/$(basename "$d").log	# in $TMP even for a kept folder
	shift
	echo "\$ ${ENVS:-}$HOLOS serve --listen $HOST:$PORT --data $d" \
	    "--share $ROOT --seed $ROOT/seed/petition.md --per-ip-limit 0 --per-net-limit 0" \
	    "--max-connections 20000 --rate-limit off $*" >>"$OUT"
	env ${ENVS:-} "$HOLOS" serve --listen "$HOST:$PORT" --data "$d" \
	    --share "$ROOT" --seed "$ROOT/seed/petition.md" --per-ip-limit 0 --per-net-limit 0 \
	    --max-connections 20000 --rate-limit off "$@" 2>>"$dlog" &
	HOLOS_PID=$!
	PIDS="$PIDS $HOLOS_PID"
	i=0
	until curl -s -o /dev/null --max-time 1 "$URL/healthz"; do
		i=$((i + 1))
		if [ $i -gt 6000 ] || ! kill -0 "$HOLOS_PID" 2>/dev/null; then
			tail -n 20 "$dlog" >&2
			die "holos did not start (log above)"
		fi
		sleep 0.1
	done
}
holos_stop() {
	kill "$HOLOS_PID" 2>/dev/null
	i=0
	while kill -0 "$HOLOS_PID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$HOLOS_PID" 2>/dev/null
	wait "$HOLOS_PID" 2>/dev/null
}
TCK=$(getconf CLK_TCK)
cpu_us() {	# pid -> its CPU time (user + system) in microseconds
	awk -v t="$TCK" '{ sub(/^.*\) /, ""); printf "%.0f\n",
	    ($12 + $13) * 1000000 / t }' "/proc/$1/stat"
}
json_num() {	# path key
	curl -s "$URL$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}

log "holos log benchmarks, $STAMP"
log "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' \
    /proc/cpuinfo | head -n 1); load average $(cut -d' ' -f1-3 \
    /proc/loadavg) at the start (the machine may be shared)"
log "holos $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)"
log ""

# --- A. signing with and without the log -----------------------------------

SIGN="--pow-bits 0 --min-form-seconds 0 --count-on-sign"
RATIO=- WITH=- WITHOUT=- SIGN_OK="not run" CPU_WITH=- CPU_WITHOUT=- CPU_RATIO=-
case " $PARTS " in *" A "*) ;; *) ROUNDS=0 ;; esac
log "== A. signing, wrk -t2 -c$CONNS -d${SECS}s bench/sign.lua, $ROUNDS" \
    "rounds; holos serve $SIGN; without the log: HOLOS_BENCH_NO_LOG=1"
: >"$TMP/with" && : >"$TMP/without"
: >"$TMP/with.cpu" && : >"$TMP/without.cpu"
sign_run() {	# mode round
	d=$TMP/sign-$1-$2
	mkdir -p "$d"
	ENVS=""
	if [ "$1" = without ]; then
		: >"$d/bench-no-log"
		ENVS="HOLOS_BENCH_NO_LOG=1 "
	fi
	holos_start "$d" $SIGN
	tok=$(curl -s "$URL/p/$SLUG" |
	    sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
	[ -n "$tok" ] || die "no form token in the page"
	export HOLOS_CSRF="$tok" HOLOS_RUN="$1$2-$$"
	c0=$(cpu_us "$HOLOS_PID")
	record wrk -t2 -c"$CONNS" \
	    -d"${SECS}s" --latency -s "$ROOT/bench/sign.lua" "$URL"
	n303=$(sed -n 's/^statuses:.* 303=\([0-9]*\).*/\1/p' "$LAST")
	took=$(sed -n 's/.* requests in \([0-9.]*[a-z]*\),.*/\1/p' "$LAST" |
	    to_ms)
	sleep 1	# the writer commits what was in flight
	c1=$(cpu_us "$HOLOS_PID")
	count=$(json_num "/p/$SLUG.json" count)
	size=$(json_num "/p/$SLUG.json" log_size)
	echo "page: count $count, log_size $size" >>"$OUT"
	if [ "$1" = with ] && [ "$count" != "$size" ]; then
		die "with the log, count $count but log_size $size"
	fi
	if [ "$1" = without ] && [ "${size:-0}" != 0 ]; then
		die "without the log, log_size is $size"
	fi
	holos_stop
	awk -v n="${n303:-0}" -v t="$took" \
	    'BEGIN { printf "%.0f\n", n / (t / 1000) }' >>"$TMP/$1"
	# Server CPU per signature: steadier than throughput when others
	# share the machine (count: every signature it committed).
	awk -v a="$c0" -v b="$c1" -v n="${count:-0}" \
	    'BEGIN { printf "%.1f\n", (n > 0 ? (b - a) / n : 0) }' >>"$TMP/$1.cpu"
	log "round $2, $1 the log: $(tail -n 1 "$TMP/$1") signatures/s" \
	    "(p99 $(wrk_pct "$LAST" 99) ms), server CPU" \
	    "$(tail -n 1 "$TMP/$1.cpu") us/signature"
	rm -rf "$d" "$TMP/$(basename "$d").log"
}
r=1
while [ $r -le "$ROUNDS" ]; do
	if [ $((r % 2)) = 1 ]; then
		sign_run with $r && sign_run without $r
	else
		sign_run without $r && sign_run with $r
	fi
	r=$((r + 1))
done
if [ "$ROUNDS" -gt 0 ]; then
	WITH=$(median <"$TMP/with")
	WITHOUT=$(median <"$TMP/without")
	RATIO=$(awk -v a="$WITH" -v b="$WITHOUT" \
	    'BEGIN { if (b > 0) printf "%.1f", 100 * a / b; else print "nan" }')
	SIGN_OK=$(awk -v r="$RATIO" 'BEGIN { print (r + 0 >= 90 ? "met" : "missed") }')
	CPU_WITH=$(median <"$TMP/with.cpu")
	CPU_WITHOUT=$(median <"$TMP/without.cpu")
	CPU_RATIO=$(awk -v a="$CPU_WITH" -v b="$CPU_WITHOUT" \
	    'BEGIN { if (a > 0) printf "%.1f", 100 * b / a; else print "nan" }')
	log "median: with the log $WITH/s, without $WITHOUT/s: $RATIO% ($SIGN_OK;" \
	    "the target is at least 90%)"
	log "median server CPU: $CPU_WITH us/signature with the log, $CPU_WITHOUT" \
	    "without: the log's throughput where CPU is the limit, $CPU_RATIO%"
fi
log ""

# --- B. proofs on a big log --------------------------------------------------

# A database with N signatures and an N-leaf log for the seed petition.
big_db() {	# folder N sample-file
	"$HOLOS" migrate --data "$1" --share "$ROOT" >/dev/null 2>&1 &&
	    "$HOLOS" import --data "$1" --share "$ROOT" \
	    "$ROOT/seed/petition.md" >/dev/null 2>&1 ||
	    die "cannot make a database in $1"
	record "$TMP/fill" "$1/holos.db" "$SLUG" "$2" || die "fill failed"
	log "$(tail -n 1 "$LAST")"
	record "$TMP/log_fill" "$1/holos.db" "$SLUG" "$2" "$3" ||
	    die "log_fill failed"
	log "$(tail -n 1 "$LAST")"
}
# Waits (up to 60 s) until the signed head covers the whole log.
wait_head() {	# size
	i=0
	while [ "$(json_num "/p/$SLUG/log/get-sth" tree_size)" != "$1" ]; do
		i=$((i + 1))
		[ $i -lt 600 ] || die "no head of $1 leaves within 60 s"
		sleep 0.1
	done
}

case " $PARTS " in *" B "*) ;; *) : >"$TMP/proof.tsv"; LEAVES=0 ;; esac
if [ "$LEAVES" -gt 0 ]; then
	log "== B. proofs; first, a log of $AUDIT_N made the same way passes" \
	    "holos audit"
	d=$TMP/audit
	big_db "$d" "$AUDIT_N" "$TMP/audit-sample.txt"
	ENVS=""
	holos_start "$d"
	wait_head "$AUDIT_N"
	record "$HOLOS" audit "$URL" "$SLUG" || die "holos audit failed on a" \
	    "log_fill log (see $OUT)"
	log "holos audit: $(grep -c '' "$LAST") lines, exit 0"
	holos_stop
	rm -rf "$d" "$TMP/$(basename "$d").log"

	log "a petition with $LEAVES signatures and log leaves"
	d=${KEEP:-$TMP/big}
	if [ -n "$KEEP" ] && [ -f "$d/holos.db" ] && [ -f "$d/sample.txt" ] &&
	    [ "$(cat "$d/leaves" 2>/dev/null)" = "$LEAVES" ]; then
		log "reusing $d (made by an earlier run; database" \
		    "$(du -sh "$d" | cut -f1))"
	else
		rm -rf "$d" && mkdir -p "$d" || die "cannot make $d"
		t0=$(date +%s)
		big_db "$d" "$LEAVES" "$d/sample.txt"
		echo "$LEAVES" >"$d/leaves"
		log "made in $(($(date +%s) - t0)) s; database" \
		    "$(du -sh "$d" | cut -f1)"
	fi
	holos_start "$d"
	wait_head "$LEAVES"
	: >"$TMP/proof.tsv"
	for c in $PCONNS; do
		for mode in proof consistency; do
			export LOG_MODE=$mode LOG_SIZE=$LEAVES LOG_SAMPLE=$d/sample.txt
			record wrk -t"$([ "$c" -ge 2 ] && echo 2 || echo 1)" \
			    -c"$c" -d"${SECS}s" --latency \
			    -s "$ROOT/bench/log_proof.lua" "$URL"
			bad=$(sed -n 's/^not 200: //p' "$LAST")
			[ -n "$bad" ] || die "$mode: wrk did not finish (see $OUT)"
			p50=$(wrk_pct "$LAST" 50)
			p99=$(wrk_pct "$LAST" 99)
			rps=$(awk '/^Requests\/sec:/ { print $2 }' "$LAST")
			ok=$(awk -v p="$p99" 'BEGIN { print (p + 0 < 5 ? "met" : "missed") }')
			log "$mode, $c connections: p50 $p50 ms, p99 $p99 ms ($ok;" \
			    "the target is under 5 ms), $rps requests/s; not 200: $bad"
			echo "$mode $c $p50 $p99 $rps $ok" >>"$TMP/proof.tsv"
		done
	done
	holos_stop

fi
log ""
log "== summary"
log "signing with the log: $RATIO% of without ($WITH/s vs $WITHOUT/s): $SIGN_OK"
log "server CPU per signature: $CPU_WITH us with the log, $CPU_WITHOUT us without ($CPU_RATIO%)"
while read -r mode c p50 p99 rps ok; do
	log "$mode at $LEAVES leaves, $c connections: p99 $p99 ms: $ok"
done <"$TMP/proof.tsv"
log "raw output: $OUT"
