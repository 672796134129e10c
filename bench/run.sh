#!/bin/sh
# run.sh - holos benchmarks on loopback, each beside a reference.

# Page vs nginx, signing vs a raw SQLite ceiling, signing latency at a fixed
# rate under page load, latency vs signature count, RSS. Raw output goes to
# bench/results/DATE.txt; a summary is printed at the end.
#
# Knobs (environment): BENCH_QUICK=1 (short smoke run), BENCH_ROUNDS (3),
# BENCH_SECONDS (10, per wrk run), BENCH_PORT (28080; PORT+10 for nginx),
# BENCH_BIG (10000000 signatures for the last scaling step), BENCH_WAIT
# (240: seconds in all to wait for an idle machine before runs),
# BENCH_ONLY=mixed or page (part 3 or part 1 alone, with its own summary),
# BENCH_HOLOS (the binary to measure; build/holos, built when missing).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SLUG=kremlin-prisoners-covid19
ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-10}
BIG=${BENCH_BIG:-10000000}
MID=1000000
MIX_SECS=15		# one mixed run
MIX_RATE=2000		# signatures per second offered in the mixed run
SIGN_CONNS=1000		# wrk connections signing
SCALE_SECS=10		# fixed-rate latency runs in the scaling test
SCALE_RATE=2000
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	ROUNDS=1 SECS=3 BIG=${BENCH_BIG:-200000} MID=100000 MIX_SECS=5
	SCALE_SECS=3
fi
PORT=${BENCH_PORT:-28080}
NPORT=$((PORT + 10))
PPORT=$((PORT + 1))	# holos's --listen-post in the mixed run
HOST=127.0.0.1
URL=http://$HOST:$PORT
NURL=http://$HOST:$NPORT
CC=${CC:-cc}
CFLAGS="-std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -O2"

BENCH_NAME=bench
. "$ROOT/bench/lib.sh"

need wrk wrk
need nginx nginx-light
need curl curl
need pkg-config pkg-config
need "$CC" gcc
pkg-config --exists sqlite3 2>/dev/null || apt_install libsqlite3-dev

[ -x "$ROOT/build/holos" ] || make -C "$ROOT" all >/dev/null ||
    die "cannot build holos (make failed)"

bench_tmp hbench
# nginx's workers run as nobody and must read the page.
chmod 755 "$TMP"

# Others may rebuild build/holos while this runs: use one copy throughout.
# Its name lacks "holos", so that a clean-up by name elsewhere on a shared
# machine does not end the server mid-run (it happened).
ONLY=${BENCH_ONLY:-}
case $ONLY in
'' | mixed | page) ;;
*) die "BENCH_ONLY: expected mixed or page" ;;
esac
SERVER=${BENCH_HOLOS:-$ROOT/build/holos}
cp "$SERVER" "$TMP/hbench-server" || die "cannot copy $SERVER"
HOLOS=$TMP/hbench-server
mkdir -p "$TMP/bin"
for t in sqlite_ceiling fill; do
	$CC $CFLAGS $(pkg-config --cflags sqlite3) -o "$TMP/bin/$t" \
	    "$ROOT/bench/$t.c" $(pkg-config --libs sqlite3) ||
	    die "cannot build bench/$t.c"
done
$CC $CFLAGS -o "$TMP/bin/rateload" "$ROOT/bench/rateload.c" -lm ||
    die "cannot build bench/rateload.c"

for p in $PORT $NPORT $PPORT; do
	if curl -s -o /dev/null --max-time 1 "http://$HOST:$p/"; then
		die "something already listens on $HOST:$p (set BENCH_PORT)"
	fi
done

mkdir -p "$ROOT/bench/results"
STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
OUT=$ROOT/bench/results/$STAMP.txt
: >"$OUT" || die "cannot write $OUT"

log() {
	echo "$*" | tee -a "$OUT"
}

# Runs a command, its output appended to the results (and kept in $LAST).
LAST=$TMP/last.txt
record() {
	echo "\$ $*" >>"$OUT"
	"$@" >"$LAST" 2>&1
	rc=$?
	cat "$LAST" >>"$OUT"
	return $rc
}

# --- parsing -----------------------------------------------------------------

median() {	# numbers on stdin -> their median
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan";
	    else if (NR % 2) print v[(NR + 1) / 2];
	    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
wrk_rps() {	# wrk output file -> requests per second
	awk '/^Requests\/sec:/ { print $2 }' "$1"
}
wrk_pct() {	# wrk --latency output, percentile (50, 99) -> milliseconds
	awk -v p="$2%" '$1 == p { print $2 }' "$1" | to_ms
}
to_ms() {	# durations like 812.00us, 1.20ms, 2.01s on stdin -> ms
	awk '{ v = $1 + 0; u = $1; sub(/^[0-9.]+/, "", u); m = 1;
	    if (u == "us") m = 0.001; else if (u == "s") m = 1000;
	    else if (u == "m") m = 60000; printf "%.2f\n", v * m }'
}
wrk_errors() {	# wrk output -> "ok" or what went wrong
	e=$(grep -E "Socket errors|Non-2xx" "$1" | tr -s ' ' | tr '\n' ';')
	echo "${e:-ok}"
}
kv() {	# key=value output, key -> value
	tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | head -n 1
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f\n", a / b;
	    else print "nan" }'
}

# --- processes ---------------------------------------------------------------

HOLOS_PID=""
PEAK_KB=0
# Starts holos on a data dir (made if need be) and waits until it answers.
holos_start() {	# datadir [extra flags]
	d=$1
	shift
	"$HOLOS" serve --listen "$HOST:$PORT" --data "$d" --share "$ROOT" \
	    --seed "$ROOT/seed/petition.md" --per-ip-limit 0 --per-net-limit 0 \
	    --max-connections 20000 $SERVE_FLAGS "$@" 2>>"$d.log" &
	HOLOS_PID=$!
	HOLOS_LOG=$d.log
	echo "\$ $HOLOS serve --listen $HOST:$PORT --data $d --share $ROOT" \
	    "--seed $ROOT/seed/petition.md --per-ip-limit 0 --per-net-limit 0" \
	    "--max-connections 20000$SERVE_FLAGS $*" >>"$OUT"
	PIDS="$PIDS $HOLOS_PID"
	i=0
	until curl -s -o /dev/null --max-time 1 "$URL/healthz"; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$HOLOS_PID" 2>/dev/null; then
			tail -n 20 "$d.log" >&2
			die "holos did not start (log above)"
		fi
		sleep 0.1
	done
}
# Says how holos ended, with the end of its log, and stops the run.
holos_died() {
	wait "$HOLOS_PID" 2>/dev/null
	st=$?
	log "holos (pid $HOLOS_PID) ended during the run with status $st" \
	    "($( [ $st -gt 128 ] && echo "signal $((st - 128))" || echo exit))"
	echo "--- end of its log ($HOLOS_LOG)" >>"$OUT"
	grep -v ' module=http \| module=sign ' "$HOLOS_LOG" | tail -n 30 \
	    >>"$OUT"
	die "holos died; see $OUT"
}
# Records the server's peak RSS, then stops it and waits for it to exit.
HWM_KB=0
holos_stop() {
	[ -n "$HOLOS_PID" ] || return 0
	kill -0 "$HOLOS_PID" 2>/dev/null || holos_died
	HWM_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$HOLOS_PID/status")
	[ "$HWM_KB" -gt "$PEAK_KB" ] && PEAK_KB=$HWM_KB
	echo "holos VmHWM=${HWM_KB} kB" >>"$OUT"
	kill "$HOLOS_PID"
	i=0
	while kill -0 "$HOLOS_PID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$HOLOS_PID" 2>/dev/null
	wait "$HOLOS_PID" 2>/dev/null
	HOLOS_PID=""
}
alive() {
	kill -0 "$HOLOS_PID" 2>/dev/null || holos_died
}
# quiet() (bench/lib.sh) waits for an idle machine before each run.
# CPU time (user + system) of processes, in microseconds.
TCK=$(getconf CLK_TCK)
cpu_us() {	# pid...
	for p in "$@"; do
		cat "/proc/$p/stat" 2>/dev/null
	done | awk -v t="$TCK" '{ sub(/^.*\) /, ""); s += $12 + $13 }
	    END { printf "%.0f\n", s * 1000000 / t }'
}
wrk_count() {	# wrk output -> requests completed
	sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$1"
}
# A form token from the page: valid 12 h and bound to no cookie.
token() {
	curl -s "$URL/p/$SLUG" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' |
	    head -n 1
}
metric() {	# name -> value from /metrics
	curl -s "$URL/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}

# --- the machine ----------------------------------------------------------------

ROOTDEV=$(df -P "$TMP" | awk 'NR == 2 { print $1 }')
log "holos benchmarks, $STAMP"
log "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo |
    head -n 1), $(awk '/MemTotal/ { printf "%.1f GB RAM", $2 / 1048576 }' \
    /proc/meminfo), kernel $(uname -r)"
log "disk: $TMP on $ROOTDEV ($(df -PT "$TMP" | awk 'NR == 2 { print $2 }'))," \
    "rotational=$(cat /sys/block/$(basename "$ROOTDEV")/queue/rotational \
    2>/dev/null || echo '?')"
log "tools: $(wrk -v 2>&1 | head -n 1 | cut -c1-40); $(nginx -v 2>&1);" \
    "sqlite $(pkg-config --modversion sqlite3); holos $(cd "$ROOT" &&
    git rev-parse --short HEAD 2>/dev/null)$(cd "$ROOT" &&
    git diff --quiet HEAD -- src 2>/dev/null || echo '+uncommitted src')"
log "rounds=$ROUNDS seconds=$SECS${BENCH_HOLOS:+ binary=$SERVER}${ONLY:+ only=$ONLY}"
log ""

# All load comes from 127.0.0.1: the per-address rate limits would refuse
# it, so they are off (page views are never limited). Signers are no
# browser: they solve no proof of work and post at once, which holos would
# flag, so signing runs turn those checks off, and count at once
# (--count-on-sign) so that holos writes the rows the ceiling writes; the
# default, email confirmation, gets one run of its own. Flags this holos
# lacks are left out.
HELP=$("$HOLOS" serve --help 2>&1)
has() { echo "$HELP" | grep -q -- "$1"; }
SERVE_FLAGS=""
has --rate-limit && SERVE_FLAGS=" --rate-limit off"
BOT_FLAGS=""
has --pow-bits && BOT_FLAGS="$BOT_FLAGS --pow-bits 0"
has --min-form-seconds && BOT_FLAGS="$BOT_FLAGS --min-form-seconds 0"
COUNT_FLAG=""
has --count-on-sign && COUNT_FLAG=--count-on-sign
SIGN_FLAGS="$BOT_FLAGS $COUNT_FLAG"
log "holos serve flags: --per-ip-limit 0 --per-net-limit 0 --max-connections 20000$SERVE_FLAGS"
log ""

m() { cat "$TMP/m.$1.$2.$3"; }	# who conns field -> median of part 1
t() { awk -v v="$1" -v lim="$2" -v op="$3" 'BEGIN {
    ok = op == ">=" ? v >= lim : v <= lim; print ok ? "met" : "MISSED" }'; }
page_summary() {	# part 1's table
	echo "1. GET page ($PAGE_BYTES bytes), req/s"
	printf '%-6s %10s %10s %6s %16s %16s %14s\n' conns holos nginx ratio \
	    "holos p50/p99" "nginx p50/p99" "CPU us/req h/n"
	for c in 64 1000; do
		printf '%-6s %10.0f %10.0f %6s %16s %16s %14s\n' $c \
		    "$(m holos $c 3)" "$(m nginx $c 3)" \
		    "$(ratio "$(m holos $c 3)" "$(m nginx $c 3)")" \
		    "$(m holos $c 4)/$(m holos $c 5)ms" \
		    "$(m nginx $c 4)/$(m nginx $c 5)ms" \
		    "$(m holos $c 7)/$(m nginx $c 7)"
	done
	errs=$(awk '$6 != "ok" { printf "%s@%s: %s; ", $1, $2, $6 }' \
	    "$TMP/page.tsv")
	echo "wrk errors: ${errs:-none}"
}
page_targets() {	# part 1's targets: 1.2x nginx at 64 connections, 1.0x at 1,000
	echo "  page >= 1.2x nginx at 64: $(t "$(ratio "$(m holos 64 3)" \
	    "$(m nginx 64 3)")" 1.2 '>=')"
	echo "  page >= 1.0x nginx at 1000: $(t "$(ratio "$(m holos 1000 3)" \
	    "$(m nginx 1000 3)")" 1.0 '>=')"
}

if [ "$ONLY" != mixed ]; then
# --- 1. the petition page vs nginx serving the same bytes ----------------------

log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
log "== 1. GET /p/$SLUG: holos vs nginx static (wrk -t2, keep-alive)"
holos_start "$TMP/page"
mkdir -p "$TMP/www/p" "$TMP/ngx"
curl -s -o "$TMP/www/p/$SLUG" "$URL/p/$SLUG" || die "cannot fetch the page"
chmod -R a+rX "$TMP/www"
PAGE_BYTES=$(wc -c <"$TMP/www/p/$SLUG")
cat >"$TMP/ngx/nginx.conf" <<EOF
# Generated by bench/run.sh: the holos page as a static file.
worker_processes 2;
daemon off;
pid $TMP/ngx/nginx.pid;
error_log $TMP/ngx/error.log warn;
events { worker_connections 8192; }
http {
	access_log $TMP/ngx/access.log;
	client_body_temp_path $TMP/ngx/tmp;
	proxy_temp_path $TMP/ngx/tmp;
	fastcgi_temp_path $TMP/ngx/tmp;
	uwsgi_temp_path $TMP/ngx/tmp;
	scgi_temp_path $TMP/ngx/tmp;
	default_type "text/html; charset=utf-8";
	sendfile on;
	tcp_nopush on;
	keepalive_timeout 15s;
	server {
		listen $HOST:$NPORT;
		root $TMP/www;
	}
}
EOF
nginx -c "$TMP/ngx/nginx.conf" -e "$TMP/ngx/error.log" 2>>"$TMP/ngx/error.log" &
NGINX_PID=$!
PIDS="$PIDS $NGINX_PID"
i=0
until curl -s -o /dev/null --max-time 1 "$NURL/p/$SLUG"; do
	i=$((i + 1))
	[ $i -gt 50 ] && die "nginx did not start: $(cat "$TMP/ngx/error.log")"
	sleep 0.1
done
curl -s "$NURL/p/$SLUG" | cmp -s - "$TMP/www/p/$SLUG" ||
    die "nginx does not serve the saved page"
log "page: $PAGE_BYTES bytes; nginx.conf: 2 workers, sendfile, access log on"
echo "--- nginx.conf" >>"$OUT"
cat "$TMP/ngx/nginx.conf" >>"$OUT"
# Warm both up (page cache, connections, CPU frequency).
wrk -t2 -c64 -d2s "$URL/p/$SLUG" >/dev/null 2>&1
wrk -t2 -c64 -d2s "$NURL/p/$SLUG" >/dev/null 2>&1
: >"$TMP/page.tsv"
r=1
while [ $r -le "$ROUNDS" ]; do
	for c in 64 1000; do
		# Alternate who goes first, so drift does not favour one.
		if [ $((r % 2)) = 1 ]; then order="holos nginx";
		else order="nginx holos"; fi
		for who in $order; do
			u=$URL
			pids=$HOLOS_PID
			if [ $who = nginx ]; then
				u=$NURL
				pids=$(ps -o pid= --ppid "$NGINX_PID")
			fi
			quiet
			c0=$(cpu_us $pids)
			record wrk -t2 -c$c -d${SECS}s --latency "$u/p/$SLUG"
			c1=$(cpu_us $pids)
			us=$(awk -v a="$c0" -v b="$c1" -v n="$(wrk_count "$LAST")" \
			    'BEGIN { printf "%.1f", (n > 0 ? (b - a) / n : 0) }')
			echo "server CPU: $us us/request" >>"$OUT"
			echo "$who $c $(wrk_rps "$LAST") $(wrk_pct "$LAST" 50)" \
			    "$(wrk_pct "$LAST" 99) $(wrk_errors "$LAST" |
			    tr ' ' '_') $us" >>"$TMP/page.tsv"
			alive
		done
	done
	r=$((r + 1))
done
holos_stop
PAGE_HWM=$HWM_KB
kill "$NGINX_PID" 2>/dev/null
wait "$NGINX_PID" 2>/dev/null
cat "$TMP/page.tsv" >>"$OUT"
for c in 64 1000; do
	for who in holos nginx; do
		for f in 3 4 5 7; do
			awk -v w=$who -v c=$c -v f=$f '$1 == w && $2 == c {
			    print $f }' "$TMP/page.tsv" | median \
			    >"$TMP/m.$who.$c.$f"
		done
	done
done
log ""
if [ "$ONLY" = page ]; then
	{
	echo "== summary (medians of $ROUNDS runs; ratio = holos / nginx)"
	page_summary
	echo "targets:"
	page_targets
	echo "raw results: $OUT"
	} | tee -a "$OUT"
	exit 0
fi

# --- 2. signing vs the SQLite ceiling ------------------------------------------

log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
log "== 2. signing, unique emails (wrk -t2 -c$SIGN_CONNS, bench/sign.lua)" \
    "vs bench/sqlite_ceiling (1,000 rows per transaction)"
log "signing adds:$SIGN_FLAGS"
: >"$TMP/sign.tsv"
r=1
while [ $r -le "$ROUNDS" ]; do
	d=$TMP/ceil$r
	"$HOLOS" migrate --data "$d" --share "$ROOT" >/dev/null 2>&1 &&
	    "$HOLOS" import --data "$d" --share "$ROOT" \
	    "$ROOT/seed/petition.md" >/dev/null 2>&1 ||
	    die "cannot make a database for the ceiling"
	# 105 bytes: the mean length of the pii holos seals for these rows.
	quiet
	record "$TMP/bin/sqlite_ceiling" -s "$SECS" -b 1000 -p 105 \
	    "$d/holos.db" "$SLUG" || die "sqlite_ceiling failed"
	ceil=$(kv "$LAST" rows_per_s)
	cp "$LAST" "$TMP/ceil.out"
	rm -rf "$d"

	d=$TMP/sign$r
	holos_start "$d" $SIGN_FLAGS
	tok=$(token)
	[ -n "$tok" ] || die "no form token in the page"
	before=$(metric holos_signatures_committed_total)
	export HOLOS_CSRF="$tok" HOLOS_RUN="w$r"
	quiet
	c0=$(cpu_us "$HOLOS_PID")
	record wrk -t2 -c$SIGN_CONNS \
	    -d${SECS}s --latency -s "$ROOT/bench/sign.lua" "$URL"
	alive
	c1=$(cpu_us "$HOLOS_PID")
	n303=$(sed -n 's/^statuses:.* 303=\([0-9]*\).*/\1/p' "$LAST")
	n303=${n303:-0}
	took=$(sed -n 's/.* requests in \([0-9.]*[a-z]*\),.*/\1/p' \
	    "$LAST" | to_ms | awk '{ print $1 / 1000 }')
	sleep 1	# let the writer finish what was in flight
	after=$(metric holos_signatures_committed_total)
	count=$(curl -s "$URL/p/$SLUG.json" |
	    sed -n 's/.*"count":\([0-9]*\).*/\1/p')
	echo "committed: $before -> $after; page count $count" >>"$OUT"
	holos_stop
	rps=$(awk -v n="$n303" -v t="$took" 'BEGIN { printf "%.0f", n / t }')
	sus=$(awk -v a="$c0" -v b="$c1" -v n="$n303" \
	    'BEGIN { printf "%.1f", (n > 0 ? (b - a) / n : 0) }')
	echo "server CPU: $sus us/signature" >>"$OUT"
	others=$(sed -n 's/^statuses://p' "$LAST" | tr ' ' '\n' |
	    grep -v '^303=' | grep . | tr '\n' ',')
	echo "$rps $ceil $(wrk_pct "$LAST" 50) $(wrk_pct "$LAST" 99)" \
	    "$HWM_KB ${others:-none} $count $sus $(kv "$TMP/ceil.out" \
	    cpu_us_per_row)" >>"$TMP/sign.tsv"
	rm -rf "$d"
	r=$((r + 1))
done
# The same load on the default configuration, where a signature waits for
# email confirmation: each also writes a token and a mail to the outbox,
# and the mail thread (no --smtp: files in DATA/outbox/) runs meanwhile.
CONFIRM_RPS=""
CONFIRM_HWM=-
if [ -n "$COUNT_FLAG" ]; then
	d=$TMP/confirm
	holos_start "$d" $BOT_FLAGS
	export HOLOS_CSRF="$(token)" HOLOS_RUN=c1
	quiet
	record wrk -t2 -c$SIGN_CONNS -d${SECS}s --latency \
	    -s "$ROOT/bench/sign.lua" "$URL"
	alive
	n303=$(sed -n 's/^statuses:.* 303=\([0-9]*\).*/\1/p' "$LAST")
	took=$(sed -n 's/.* requests in \([0-9.]*[a-z]*\),.*/\1/p' \
	    "$LAST" | to_ms | awk '{ print $1 / 1000 }')
	CONFIRM_RPS=$(awk -v n="${n303:-0}" -v t="$took" \
	    'BEGIN { printf "%.0f", n / t }')
	CONFIRM_P99=$(wrk_pct "$LAST" 99)
	holos_stop
	CONFIRM_HWM=$HWM_KB
	echo "default (confirmation) mode: $CONFIRM_RPS/s, VmHWM $HWM_KB kB" \
	    >>"$OUT"
	rm -rf "$d"
fi
cat "$TMP/sign.tsv" >>"$OUT"
SIGN_RPS=$(awk '{ print $1 }' "$TMP/sign.tsv" | median)
CEIL_RPS=$(awk '{ print $2 }' "$TMP/sign.tsv" | median)
SIGN_P50=$(awk '{ print $3 }' "$TMP/sign.tsv" | median)
SIGN_P99=$(awk '{ print $4 }' "$TMP/sign.tsv" | median)
SIGN_HWM=$(awk '{ print $5 }' "$TMP/sign.tsv" | sort -n | tail -n 1)
SIGN_OTHER=$(awk '{ print $6 }' "$TMP/sign.tsv" | tr '\n' ' ')
SIGN_CPU=$(awk '{ print $8 }' "$TMP/sign.tsv" | median)
CEIL_CPU=$(awk '{ print $9 }' "$TMP/sign.tsv" | median)
log ""

fi	# BENCH_ONLY
# --- 3. signing at a fixed rate while 1,000 connections read the page ------------

log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
log "== 3. signing at $MIX_RATE/s (bench/rateload) while wrk -t2 -c1000" \
    "reads the page"
# Rounds of signing at MIX_RATE (to port $2) under the page readers, one line
# of results each appended to $1.
mix_rounds() {	# tsv port
	: >"$1"
	r=1
	while [ $r -le "$ROUNDS" ]; do
		quiet
		wrk -t2 -c1000 -d$((MIX_SECS + 4))s "$URL/p/$SLUG" \
		    >"$TMP/mixwrk" 2>&1 &
		WRK_PID=$!
		PIDS="$PIDS $WRK_PID"
		sleep 2
		export HOLOS_CSRF="$tok" HOLOS_RUN="m$r$2"
		record "$TMP/bin/rateload" \
		    -a "$HOST:$2" -r $MIX_RATE -d $MIX_SECS -c 256 -s "$SLUG"
		cp "$LAST" "$TMP/mixrl"
		wait "$WRK_PID"
		echo "\$ wrk -t2 -c1000 -d$((MIX_SECS + 4))s $URL/p/$SLUG" >>"$OUT"
		cat "$TMP/mixwrk" >>"$OUT"
		alive
		echo "$(kv "$TMP/mixrl" p50_ms) $(kv "$TMP/mixrl" p99_ms)" \
		    "$(kv "$TMP/mixrl" max_ms) $(kv "$TMP/mixrl" status_303)" \
		    "$(kv "$TMP/mixrl" requests) $(wrk_rps "$TMP/mixwrk")" \
		    >>"$1"
		r=$((r + 1))
	done
	cat "$1" >>"$OUT"
}
mix_p() {	# tsv column -> median
	awk -v c="$2" '{ print $c }' "$1" | median
}
mix_max() {	# tsv -> the largest maximum
	awk '{ print $3 }' "$1" | sort -g | tail -n 1
}
mix_ok() {	# tsv -> 303s/requests
	awk '{ ok += $4; n += $5 } END { printf "%d/%d", ok, n }' "$1"
}
d=$TMP/mixed
holos_start "$d" $SIGN_FLAGS
tok=$(token)
mix_rounds "$TMP/mix.tsv" "$PORT"
# Two references for reading the mixed run: the same signing with no page
# load, and a GET of the JSON (one pass through the server, no writer) at
# the same rate under the same page load.
quiet
export HOLOS_RUN=solo
record "$TMP/bin/rateload" -a "$HOST:$PORT" -r $MIX_RATE -d $MIX_SECS -c 256 \
    -s "$SLUG"
SOLO="$(kv "$LAST" p50_ms)/$(kv "$LAST" p99_ms)"
quiet
wrk -t2 -c1000 -d$((MIX_SECS + 4))s "$URL/p/$SLUG" >"$TMP/mixwrk" 2>&1 &
WRK_PID=$!
PIDS="$PIDS $WRK_PID"
sleep 2
record "$TMP/bin/rateload" -a "$HOST:$PORT" -r $MIX_RATE -d $MIX_SECS -c 256 \
    -g "/p/$SLUG.json"
JSONMIX="$(kv "$LAST" p50_ms)/$(kv "$LAST" p99_ms)"
wait "$WRK_PID"
alive
holos_stop
MIX_HWM=$HWM_KB
# Tuned as a site behind a proxy that routes POSTs to a second listener
# with a thread of its own (--listen-post, docs/deploy.md): the signing
# goes there, the readers to the first. On a new database, as the first
# rounds began: signing slows as the tables grow.
rm -rf "$d"
holos_start "$d" $SIGN_FLAGS --listen-post "$HOST:$PPORT"
tok=$(token)
mix_rounds "$TMP/mixpost.tsv" "$PPORT"
holos_stop
[ "$HWM_KB" -gt "$MIX_HWM" ] && MIX_HWM=$HWM_KB
rm -rf "$d"
MIX_P50=$(mix_p "$TMP/mix.tsv" 1)
MIX_P99=$(mix_p "$TMP/mix.tsv" 2)
MIX_MAX=$(mix_max "$TMP/mix.tsv")
MIX_OK=$(mix_ok "$TMP/mix.tsv")
MIX_PAGE=$(mix_p "$TMP/mix.tsv" 6)
POST_P50=$(mix_p "$TMP/mixpost.tsv" 1)
POST_P99=$(mix_p "$TMP/mixpost.tsv" 2)
POST_MAX=$(mix_max "$TMP/mixpost.tsv")
POST_OK=$(mix_ok "$TMP/mixpost.tsv")
POST_PAGE=$(mix_p "$TMP/mixpost.tsv" 6)
log ""
# Part 3's lines of a summary.
mix_summary() {
	echo "3. mixed: signing at $MIX_RATE/s under 1000 page readers: p50" \
	    "$MIX_P50 ms, p99 $MIX_P99 ms, max $MIX_MAX ms; 303s $MIX_OK;" \
	    "page $MIX_PAGE req/s meanwhile"
	echo "   with --listen-post (the signing on a listener of its own):" \
	    "p50 $POST_P50 ms, p99 $POST_P99 ms, max $POST_MAX ms; 303s" \
	    "$POST_OK; page $POST_PAGE req/s meanwhile"
	echo "   references: the same signing without page load p50/p99" \
	    "$SOLO ms; GET of the JSON at $MIX_RATE/s under the same page load" \
	    "$JSONMIX ms"
}

if [ "$ONLY" = mixed ]; then
	{
	echo "== summary (medians of $ROUNDS runs)"
	mix_summary
	echo "raw results: $OUT"
	} | tee -a "$OUT"
	exit 0
fi
# --- 4. page and JSON latency with 0, 1M and 10M signatures ----------------------

log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
log "== 4. latency vs signatures in the store (bench/fill, then" \
    "bench/rateload at $SCALE_RATE/s and wrk -t2 -c64)"
: >"$TMP/scale.tsv"
d=$TMP/scale
holos_start "$d"
holos_stop	# made the database and the petition
for n in 0 $MID $BIG; do
	if [ "$n" != 0 ]; then
		quiet
		record "$TMP/bin/fill" "$d/holos.db" "$SLUG" "$n" ||
		    die "fill failed"
		cat "$LAST"
		# fill writes signatures without their log, like a site
		# from before the log: holos migrate builds and indexes it,
		# as the upgrade does, so holos serves a site in its steady
		# state, not one catching up its log index.
		record "$HOLOS" migrate --data "$d" --share "$ROOT" ||
		    die "holos migrate after fill failed"
	fi
	echo "database: $(du -sh "$d" | cut -f1)" >>"$OUT"
	holos_start "$d"
	cold=$(curl -s -o /dev/null -w '%{time_total}' "$URL/p/$SLUG")
	for path in "/p/$SLUG" "/p/$SLUG.json"; do
		quiet
		record "$TMP/bin/rateload" -a "$HOST:$PORT" -r $SCALE_RATE \
		    -d $SCALE_SECS -c 64 -g "$path"
		cp "$LAST" "$TMP/rl"
		record wrk -t2 -c64 -d${SECS}s --latency "$URL$path"
		echo "$n $path $(kv "$TMP/rl" p50_ms) $(kv "$TMP/rl" p99_ms)" \
		    "$(wrk_rps "$LAST") $(wrk_pct "$LAST" 99)" \
		    "$(kv "$TMP/rl" status_200)/$(kv "$TMP/rl" requests)" \
		    "$cold" >>"$TMP/scale.tsv"
	done
	alive
	count=$(curl -s "$URL/p/$SLUG.json" |
	    sed -n 's/.*"count":\([0-9]*\).*/\1/p')
	echo "count shown: $count" >>"$OUT"
	[ "$count" = "$n" ] || log "warning: count shown $count, expected $n"
	holos_stop
	echo "$n $HWM_KB" >>"$TMP/scale_hwm"
done
DB_SIZE=$(du -sh "$d" | cut -f1)
rm -rf "$d"
cat "$TMP/scale.tsv" >>"$OUT"
log ""

# --- summary ---------------------------------------------------------------------

log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
{
echo "== summary (medians of $ROUNDS runs; ratio = holos / reference)"
echo ""
page_summary
echo ""
echo "2. signing: $SIGN_RPS durable signatures/s (303s; p50 ${SIGN_P50} ms," \
    "p99 ${SIGN_P99} ms); SQLite ceiling $CEIL_RPS rows/s;" \
    "ratio $(ratio "$SIGN_RPS" "$CEIL_RPS"); other replies: $SIGN_OTHER"
echo "   CPU per signature: holos server $SIGN_CPU us, ceiling $CEIL_CPU us"
if [ -n "$CONFIRM_RPS" ]; then
	echo "   default mode (email confirmation, no --count-on-sign):" \
	    "$CONFIRM_RPS signatures/s (p99 $CONFIRM_P99 ms), one run"
fi
echo ""
mix_summary
echo ""
echo "4. latency vs signatures (fixed $SCALE_RATE/s: p50/p99 ms;" \
    "wrk -c64: req/s, p99 ms; cold = first request after start, s)"
printf '%-9s %-6s %16s %10s %9s %8s\n' signatures what "fixed p50/p99" \
    "wrk req/s" "wrk p99" "cold"
awk '{ what = $2 ~ /json$/ ? "json" : "page";
    printf "%-9s %-6s %16s %10.0f %9s %8s\n", $1, what, $3 "/" $4, $5, $6,
    $8 }' "$TMP/scale.tsv"
echo "database at $BIG signatures: $DB_SIZE"
echo ""
echo "5. peak RSS (VmHWM) of holos serve: page run $PAGE_HWM kB, signing" \
    "$SIGN_HWM kB, confirmation $CONFIRM_HWM kB, mixed $MIX_HWM kB, scaling" \
    "$(awk '{ printf "%s:%s ", $1, $2 }' "$TMP/scale_hwm")kB;" \
    "max $PEAK_KB kB ($((PEAK_KB / 1024)) MB)"
echo ""
echo "CPU idle in the second before each run (others share this machine):" \
    "median $(sed -n 's/^idle before run: \([0-9]*\)%.*/\1/p' "$OUT" |
    median)%, lowest $(sed -n 's/^idle before run: \([0-9]*\)%.*/\1/p' \
    "$OUT" | sort -n | head -n 1)%"
echo ""
echo "targets:"
page_targets
echo "  signing >= 10000/s: $(t "$SIGN_RPS" 10000 '>=')"
echo "  signing >= 50% of ceiling: $(t "$(ratio "$SIGN_RPS" "$CEIL_RPS")" \
    0.5 '>=')"
echo "  mixed p99 <= 50 ms: $(t "$MIX_P99" 50 '<=') (one listener)," \
    "$(t "$POST_P99" 50 '<=') (--listen-post)"
echo "  RSS <= 150 MB: $(t "$PEAK_KB" 153600 '<=')"
# Flat: p99 at the fixed rate with the most signatures is within twice
# (plus half a millisecond) what it is with none.
for what in page json; do
	flat=$(awk -v w=$what -v big="$BIG" '{ k = $2 ~ /json$/ ? "json" : "page" }
	    k == w && $1 == 0 { a = $4 } k == w && $1 == big { b = $4 }
	    END { print (b <= 2 * a + 0.5) ? "met" : "MISSED" }' "$TMP/scale.tsv")
	echo "  $what latency flat from 0 to $BIG signatures: $flat"
done
echo ""
echo "raw results: $OUT"
} | tee -a "$OUT"
