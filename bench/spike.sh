#!/bin/sh
# spike.sh - a viral spike in a real site's configuration.
#
# holos serve as a site runs it: behind a trusted proxy, mail to an SMTP
# server (Postfix's smtp-sink), email confirmation on (no --count-on-sign),
# bot checks and rate limits at their defaults (--pow-bits 12,
# --min-form-seconds 3, --rate-ip 10/60, --rate-net 60/60). The load comes
# as browsers send it: bench/spikeprep.c fetches the petition page for each
# signer from the signer's own address (X-Forwarded-For, a /24 network of
# its own), takes the form token from the form, fetches the proof-of-work
# challenge the form asks for when touched (/p/SLUG/pow) and solves it as
# static/pow.js does; the script then waits out
# --min-form-seconds, and wrk (bench/spike.lua) or bench/rateload -f
# replays the POSTs, each with a unique email.
#
#   1. signing: wrk -t2 -c64, acknowledged (303) signatures/s, beside
#      bench/sqlite_ceiling -m confirm (the same rows: pending signature
#      with its sealed data, token, outbox row of the same sizes) in
#      batches of 1,000 with synchronous=FULL, run in between.
#   2. mail latency: signing at 2,000/s for 60 s (bench/rateload -f, open
#      loop); smtp-sink keeps each message in a file (-d), whose mtime is
#      when the sink took it; latency = that minus the time of the
#      signature's 303, matched by the unique recipient.
#   3. confirmations: the confirmation links of the mail caught in 2,
#      POSTed (wrk -t2 -c64), each from its signer's address, with the form
#      token of the confirmation page.
#   4. peak RSS (VmHWM) of holos serve over the runs.
#
#   sh bench/spike.sh     (make bench-spike; BENCH_QUICK=1 for a smoke run)
#
# Knobs: BENCH_SECONDS (10, per wrk run), SPIKE_N (requests prepared for a
# wrk signing run, 90000), SPIKE_RATE (2000), SPIKE_LAT_SECONDS (60),
# BENCH_PORT (28280; the sink on PORT+25), BENCH_WAIT (as run.sh),
# SPIKE_MAIL_PAUSED (0; 1 stops the sink while signing is measured),
# SPIKE_PERF (a file: perf profiles the machine during the signing run),
# SPIKE_SIGN_ONLY (0; 1 stops after the signing run and its ceiling),
# SPIKE_LAT_ONLY (0; 1 runs the mail latency part alone),
# SPIKE_SERVE_FLAGS (holos serve's further options, for a tuned run).
# Writes bench/results/DATE-spike.txt and prints a summary.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_NAME=spike.sh
. "$ROOT/bench/lib.sh"

SLUG=kremlin-prisoners-covid19
SECS=${BENCH_SECONDS:-10}
N=${SPIKE_N:-90000}
RATE=${SPIKE_RATE:-2000}
LSECS=${SPIKE_LAT_SECONDS:-60}
SERVE_FLAGS=${SPIKE_SERVE_FLAGS:-}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	SECS=3 N=${SPIKE_N:-20000} LSECS=${SPIKE_LAT_SECONDS:-5}
fi
PORT=${BENCH_PORT:-28280}
SINK=$((PORT + 25))
HOST=127.0.0.1
URL=http://$HOST:$PORT
FORM_WAIT=4	# --min-form-seconds (3) and a second
CC=${CC:-cc}
CFLAGS="-std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -O2"

need wrk wrk
need curl curl
need sqlite3 sqlite3
need perl perl
need "$CC" gcc
need pkg-config pkg-config
need_postfix
pkg-config --exists sqlite3 2>/dev/null || apt_install libsqlite3-dev
pkg-config --exists libcrypto 2>/dev/null || apt_install libssl-dev
[ -x "$ROOT/build/holos" ] || make -C "$ROOT" all >/dev/null ||
    die "cannot build holos (make failed)"

bench_tmp hspike
chmod 755 "$TMP"	# smtp-sink runs as nobody and writes in $TMP/mail

# One copy of the server throughout (others may rebuild build/holos), under
# a name without "holos" (see run.sh).
cp "$ROOT/build/holos" "$TMP/hspike-server" || die "cannot copy build/holos"
HOLOS=$TMP/hspike-server
mkdir -p "$TMP/bin"
$CC $CFLAGS $(pkg-config --cflags sqlite3) -o "$TMP/bin/sqlite_ceiling" \
    "$ROOT/bench/sqlite_ceiling.c" $(pkg-config --libs sqlite3) ||
    die "cannot build bench/sqlite_ceiling.c"
$CC $CFLAGS -o "$TMP/bin/rateload" "$ROOT/bench/rateload.c" -lm ||
    die "cannot build bench/rateload.c"
$CC $CFLAGS -pthread -o "$TMP/bin/spikeprep" "$ROOT/bench/spikeprep.c" \
    $(pkg-config --libs libcrypto) || die "cannot build bench/spikeprep.c"

for p in $PORT $SINK; do
	if curl -s -o /dev/null --max-time 1 "http://$HOST:$p/"; then
		die "something already listens on $HOST:$p (set BENCH_PORT)"
	fi
done

mkdir -p "$ROOT/bench/results"
STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
OUT=$ROOT/bench/results/$STAMP-spike.txt
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
to_ms() {	# durations like 812.00us, 1.20ms, 2.01s on stdin -> ms
	awk '{ v = $1 + 0; u = $1; sub(/^[0-9.]+/, "", u); m = 1;
	    if (u == "us") m = 0.001; else if (u == "s") m = 1000;
	    else if (u == "m") m = 60000; printf "%.2f\n", v * m }'
}
wrk_pct() {	# wrk --latency output, percentile -> ms
	awk -v p="$2%" '$1 == p { print $2 }' "$1" | to_ms
}
wrk_took() {	# wrk output -> seconds the run took
	sed -n 's/.* requests in \([0-9.]*[a-z]*\),.*/\1/p' "$1" | to_ms |
	    awk '{ print $1 / 1000 }'
}
wrk_status() {	# wrk output of spike.lua, status -> count
	sed -n "s/^statuses:.* $2=\([0-9]*\).*/\1/p" "$1" | awk '{ print $1 + 0 }
	    END { if (NR == 0) print 0 }' | head -n 1
}
kv() {	# key=value output, key -> value
	tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | head -n 1
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f\n", a / b;
	    else print "nan" }'
}
q() {	# datadir sql
	sqlite3 "$1/holos.db" "$2"
}

# The writer's side of a run of $1 seconds, from /metrics: batches, their
# sizes, and the time spent committing them (busy = commit seconds over
# the run's). Counts from the server's start.
writer_of() {
	curl -s "$URL/metrics" >"$TMP/metrics"
	grep -E '^holos_(batch_size|commit_seconds)_(sum|count) ' "$TMP/metrics" >>"$OUT"
	awk -v t="$1" '
	    $1 == "holos_batch_size_count" { b = $2 }
	    $1 == "holos_batch_size_sum" { s = $2 }
	    $1 == "holos_commit_seconds_sum" { c = $2 }
	    END { if (b > 0 && t > 0) printf "%d batches of %.1f on average, %.0f%% of the run committing", b, s / b, 100 * c / t }' "$TMP/metrics"
}

# The holds of the mail for a saturated writer (--mail-yield) in the log
# of data folder $1: their starts and ends (UTC).
holds_of() {
	grep -E 'module=outbox event=(held|hold_ended)' "$1.log" |
	    sed 's/^ts=[^T]*T\([^ ]*\) .*event=\([a-z_]*\).*/\2 \1/' |
	    tr '\n' ' '
}

HOLOS_PID=""
PEAK_KB=0
holos_start() {	# datadir
	d=$1
	set -- serve --listen "$HOST:$PORT" --data "$d" --share "$ROOT" \
	    --seed "$ROOT/seed/petition.md" --trusted-proxy 127.0.0.1/32 \
	    --smtp "smtp://127.0.0.1:$SINK" $SERVE_FLAGS
	echo "\$ $HOLOS $*" >>"$OUT"
	"$HOLOS" "$@" 2>>"$d.log" &
	HOLOS_PID=$!
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
alive() {
	kill -0 "$HOLOS_PID" 2>/dev/null || {
		tail -n 30 "$d.log" >>"$OUT"
		die "holos died during the run; see $OUT"
	}
}
HWM_KB=0
holos_stop() {
	alive
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
# Each thread of pid: "comm cpu_ns runqueue_ns" (/proc/PID/task/*/schedstat).
threads_of() {	# pid
	for t in /proc/"$1"/task/*; do
		printf '%s %s\n' "$(tr ' ' '_' <"$t/comm")" \
		    "$(cut -d' ' -f1-2 "$t/schedstat")"
	done 2>/dev/null
}
# By thread name, between two threads_of: seconds on a CPU, waiting for
# one (runnable), and the rest of the run's wall time each thread spent
# off the CPU (sleeping: a lock, the disk, the network, no work), summed.
threads_spent() {	# before after run_seconds
	awk -v t="$3" 'FNR == NR { c0[$1] += $2; w0[$1] += $3; next }
	    { c1[$1] += $2; w1[$1] += $3; k[$1]++ }
	    END { for (n in k) { c = (c1[n] - c0[n]) / 1e9
		    w = (w1[n] - w0[n]) / 1e9
		    printf "  %-16s %7d %8.2f %9.2f %8.2f\n", n, k[n], c, w,
			k[n] * t - c - w } }' "$1" "$2" | sort -k3 -n -r
}
threads_head() {
	printf "  %-16s %7s %8s %9s %8s\n" threads n "on CPU" runnable "off CPU"
}
# The bot checks' verdicts on a run's signatures: "flags=count ...".
flags_of() {	# datadir
	q "$1" "SELECT flags || '=' || COUNT(*) FROM signatures GROUP BY flags" |
	    tr '\n' ' '
}
# Waits until the outbox has nothing queued or sending (at most s seconds).
drain() {	# datadir seconds
	i=0
	while [ "$(q "$1" "SELECT COUNT(*) FROM outbox WHERE state IN
	    ('queued', 'sending')")" -gt 0 ] && [ $i -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

log "holos spike benchmark (a real site's configuration), $STAMP"
log "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo |
    head -n 1), $(awk '/MemTotal/ { printf "%.1f GB RAM", $2 / 1048576 }' \
    /proc/meminfo); load average $(cut -d' ' -f1-3 /proc/loadavg)"
log "holos $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)$(cd \
    "$ROOT" && git diff --quiet HEAD -- src 2>/dev/null ||
    echo '+uncommitted src'); seconds=$SECS prepared=$N rate=$RATE/s" \
    "for $LSECS s"
log "holos serve --trusted-proxy 127.0.0.1/32 --smtp smtp://127.0.0.1:$SINK" \
    "(smtp-sink)${SERVE_FLAGS:+ $SERVE_FLAGS}; everything else at its default"
log ""

# SPIKE_LAT_ONLY=1: the mail latency part alone (2), then stop.
if [ "${SPIKE_LAT_ONLY:-0}" = 1 ]; then
	sink_start "$SINK"
	PIDS="$PIDS $SINK_PID"
else
# --- 1. signing vs the SQLite ceiling of the same rows -----------------------

log "== 1. signing: wrk -t2 -c64 -d${SECS}s, bench/spike.lua replaying" \
    "bench/spikeprep requests"
sink_start "$SINK"
PIDS="$PIDS $SINK_PID"
d=$TMP/sign
holos_start "$d"
"$TMP/bin/spikeprep" -a "$HOST:$PORT" -s "$SLUG" -n "$N" -t "s$STAMP" \
    -x 20 -j 4 >"$TMP/sign.req" 2>"$TMP/prep.txt" ||
    die "spikeprep failed: $(cat "$TMP/prep.txt")"
log "prepared: $(cat "$TMP/prep.txt")"
sleep $FORM_WAIT
quiet
export HOLOS_REQS="$TMP/sign.req" HOLOS_THREADS=2
# SPIKE_MAIL_PAUSED=1: the mail server stands still (SIGSTOP) while the
# signing run lasts, so holos's senders wait on it and spend nothing: what
# signing costs without mail going out on the same two cores.
if [ "${SPIKE_MAIL_PAUSED:-0}" = 1 ]; then
	log "SPIKE_MAIL_PAUSED=1: smtp-sink stopped during the signing run"
	kill -STOP "$SINK_PID"
fi
# SPIKE_PERF=FILE: the whole machine profiled (perf, cpu-clock, call
# graphs) while the signing run lasts, into FILE.
PERF_PID=""
threads_of "$HOLOS_PID" >"$TMP/threads.0"
if [ -n "${SPIKE_PERF:-}" ]; then
	perf record -a -e cpu-clock -F 499 -g -o "$SPIKE_PERF" -- \
	    sleep "$SECS" >/dev/null 2>&1 &
	PERF_PID=$!
fi
record wrk -t2 -c64 -d${SECS}s --latency -s "$ROOT/bench/spike.lua" "$URL"
threads_of "$HOLOS_PID" >"$TMP/threads.1"
[ -n "$PERF_PID" ] && wait "$PERF_PID"
[ "${SPIKE_MAIL_PAUSED:-0}" = 1 ] && kill -CONT "$SINK_PID"
alive
cp "$LAST" "$TMP/sign.out"
# The outbox as the run ends, and the holds for the saturated writer
# (--mail-yield): their starts and ends, from the log.
OUTBOX_END=$(q "$d" "SELECT state || '=' || COUNT(*) FROM outbox GROUP BY state" |
    tr '\n' ' ')
HOLDS=$(holds_of "$d")
# The writer's side of the run: batches, their sizes, and the time spent
# committing them (busy = commit seconds over the run's).
WRITER=$(writer_of "$(wrk_took "$TMP/sign.out")")
# The sizes the ceiling writes, measured now: a mail's sealed copy is
# erased once sent.
PII=$(q "$d" "SELECT CAST(AVG(LENGTH(pii)) AS INTEGER) FROM signatures")
MAILB=$(q "$d" "SELECT CAST(AVG(LENGTH(sealed)) AS INTEGER) FROM outbox
    WHERE sealed IS NOT NULL")
[ -n "$MAILB" ] || MAILB="1500 (assumed: all sent already)"
n303=$(wrk_status "$TMP/sign.out" 303)
SIGN_RPS=$(awk -v n="$n303" -v t="$(wrk_took "$TMP/sign.out")" \
    'BEGIN { printf "%.0f", n / t }')
SIGN_P50=$(wrk_pct "$TMP/sign.out" 50)
SIGN_P99=$(wrk_pct "$TMP/sign.out" 99)
SIGN_EXH=$(sed -n 's/^exhausted: //p' "$TMP/sign.out")
SIGN_OTHER=$(sed -n 's/^statuses://p' "$TMP/sign.out" | tr ' ' '\n' |
    grep -v '^303=' | grep . | tr '\n' ',')
sleep 1
SIGN_FLAGS=$(flags_of "$d")
log "signing: $n303 acknowledged (303) = $SIGN_RPS/s, p50 $SIGN_P50 ms," \
    "p99 $SIGN_P99 ms; other replies: ${SIGN_OTHER:-none};" \
    "unsent for want of prepared requests: ${SIGN_EXH:-?}"
log "bot checks' flags on the stored signatures (0 = passed): $SIGN_FLAGS"
log "outbox as the run ended: ${OUTBOX_END:-empty}; mail held for the writer: ${HOLDS:-never}"
log "writer: ${WRITER:-no /metrics}"
log "row sizes: pii $PII bytes, sealed mail $MAILB bytes"
log "where holos's threads spent the run (seconds; from schedstat):"
threads_head | tee -a "$OUT"
threads_spent "$TMP/threads.0" "$TMP/threads.1" "$(wrk_took "$TMP/sign.out")" |
    tee -a "$OUT"
holos_stop
SIGN_HWM=$HWM_KB
rm -rf "$d" "$TMP/sign.req"

"$HOLOS" migrate --data "$TMP/ceil" --share "$ROOT" \
    >/dev/null 2>&1 && "$HOLOS" import --data "$TMP/ceil" --share "$ROOT" \
    "$ROOT/seed/petition.md" >/dev/null 2>&1 ||
    die "cannot make a database for the ceiling"
quiet
record "$TMP/bin/sqlite_ceiling" -m confirm -s "$SECS" -b 1000 -p "$PII" \
    -o "${MAILB%% *}" "$TMP/ceil/holos.db" "$SLUG" || die "sqlite_ceiling failed"
CEIL=$(kv "$LAST" rows_per_s)
log "ceiling: $CEIL signatures/s (each with its token and outbox row)"
rm -rf "$TMP/ceil"
log ""
if [ "${SPIKE_SIGN_ONLY:-0}" = 1 ]; then
	log "SPIKE_SIGN_ONLY=1: signing $SIGN_RPS/s, ceiling $CEIL/s, ratio" \
	    "$(ratio "$SIGN_RPS" "$CEIL")"
	exit 0
fi
fi

# --- 2. mail latency at a fixed signing rate --------------------------------

log "== 2. mail latency: $RATE signatures/s for $LSECS s (bench/rateload -f," \
    "-c 100), smtp-sink -d keeping each message"
kill "$SINK_PID" 2>/dev/null
wait "$SINK_PID" 2>/dev/null
mkdir -p "$TMP/mail"
chmod 777 "$TMP/mail"
sink_start "$SINK" -d "$TMP/mail/m."
PIDS="$PIDS $SINK_PID"
d=$TMP/lat
holos_start "$d"
LN=$((RATE * LSECS))
"$TMP/bin/spikeprep" -a "$HOST:$PORT" -s "$SLUG" -n "$LN" -t "l$STAMP" \
    -x 60 -j 4 >"$TMP/lat.req" 2>"$TMP/prep.txt" ||
    die "spikeprep failed: $(cat "$TMP/prep.txt")"
log "prepared: $(cat "$TMP/prep.txt")"
sleep $FORM_WAIT
quiet
record "$TMP/bin/rateload" -a "$HOST:$PORT" -r "$RATE" -d "$LSECS" -c 100 \
    -f "$TMP/lat.req" -l "$TMP/lat.log"
alive
cp "$LAST" "$TMP/lat.out"
log "writer: $(writer_of "$LSECS"); mail held for the writer: $(holds_of "$d")"
t0=$(date +%s)
drain "$d" 180
log "outbox drained $(($(date +%s) - t0)) s after the last signature:" \
    "$(q "$d" "SELECT state || '=' || COUNT(*) FROM outbox GROUP BY state" |
    tr '\n' ' ')"
LAT_FLAGS=$(flags_of "$d")
# Each caught message: its file's mtime (when the sink took it) and its
# recipient spike-TAG-N@example.org, N being the request's line; the
# confirmation link from its quoted-printable text.
find "$TMP/mail" -type f | perl -e '
	use Time::HiRes qw(stat);
	while (my $f = <STDIN>) {
		chomp $f;
		my $t = (stat($f))[9];
		open(my $h, "<", $f) or next;
		local $/;
		my $m = <$h>;
		close($h);
		my ($n) = $m =~ /^X-Rcpt-Args: <?spike-\S*-(\d+)\@/m;
		$m =~ s/=\r?\n//g;
		my ($tok) = $m =~ m{/c/([A-Za-z0-9_-]+)};
		printf "%d %.6f %s\n", defined $n ? $n : -1, $t,
		    defined $tok ? $tok : "-";
	}' >"$TMP/caught"	# line mtime token
MAILS=$(wc -l <"$TMP/caught")
awk 'NR == FNR { if ($3 == 303) t[$1] = $2; next }
    ($1 in t) { printf "%.3f\n", $2 - t[$1] / 1e9 }' "$TMP/lat.log" \
    "$TMP/caught" | sort -g >"$TMP/lat.s"
LAT_303=$(awk '$3 == 303' "$TMP/lat.log" | wc -l)
LAT_MATCHED=$(wc -l <"$TMP/lat.s")
# Percentiles over every acknowledged signature, a mail never caught
# counting as infinitely late.
lat_pct() {
	awk -v p="$1" -v n="$LAT_303" '{ v[NR] = $1 } END {
	    r = int(p / 100 * n + 0.999999); if (r < 1) r = 1;
	    if (r > NR) print "inf"; else print v[r] }' "$TMP/lat.s"
}
LAT_P50=$(lat_pct 50)
LAT_P99=$(lat_pct 99)
LAT_MAX=$(tail -n 1 "$TMP/lat.s")
log "signing at $RATE/s: p50 $(kv "$TMP/lat.out" p50_ms) ms, p99" \
    "$(kv "$TMP/lat.out" p99_ms) ms; 303s $LAT_303 of" \
    "$(kv "$TMP/lat.out" requests); bot checks' flags: $LAT_FLAGS"
log "mail: $MAILS caught, $LAT_MATCHED matched to a 303; 303 to sink:" \
    "p50 $LAT_P50 s, p99 $LAT_P99 s, max $LAT_MAX s"
log ""

if [ "${SPIKE_LAT_ONLY:-0}" = 1 ]; then
	log "SPIKE_LAT_ONLY=1: mail latency only; 303 to sink p50 $LAT_P50 s, p99 $LAT_P99 s"
	exit 0
fi

# --- 3. confirmations -----------------------------------------------------------

log "== 3. confirmations: wrk -t2 -c64 -d${SECS}s POSTing the links caught" \
    "in 2"
tok1=$(awk '$3 != "-" { print $3; exit }' "$TMP/caught")
[ -n "$tok1" ] || die "no confirmation link in the caught mail"
CCSRF=$(curl -s "$URL/c/$tok1?lang=en" |
    sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
[ -n "$CCSRF" ] || die "no form token on the confirmation page"
# Each from its signer's address (spikeprep's: -x 60).
awk -v c="$CCSRF" '$3 != "-" && $1 >= 0 { i = $1;
    printf "/c/%s?lang=en\t%d.%d.%d.%d\tcsrf=%s\n", $3,
    60 + int(i / 65536), int(i / 256) % 256, i % 256, 1 + i % 250, c }' \
    "$TMP/caught" >"$TMP/confirm.req"
CN=$(wc -l <"$TMP/confirm.req")
before=$(q "$d" "SELECT COUNT(*) FROM signatures WHERE state = 'confirmed'")
quiet
export HOLOS_REQS="$TMP/confirm.req"
record wrk -t2 -c64 -d${SECS}s --latency -s "$ROOT/bench/spike.lua" "$URL"
alive
cp "$LAST" "$TMP/conf.out"
c303=$(wrk_status "$TMP/conf.out" 303)
CONF_RPS=$(awk -v n="$c303" -v t="$(wrk_took "$TMP/conf.out")" \
    'BEGIN { printf "%.0f", n / t }')
CONF_P99=$(wrk_pct "$TMP/conf.out" 99)
CONF_EXH=$(sed -n 's/^exhausted: //p' "$TMP/conf.out")
CONF_OTHER=$(sed -n 's/^statuses://p' "$TMP/conf.out" | tr ' ' '\n' |
    grep -v '^303=' | grep . | tr '\n' ',')
sleep 1
after=$(q "$d" "SELECT COUNT(*) FROM signatures WHERE state = 'confirmed'")
log "confirmations: $c303 confirmed (303) = $CONF_RPS/s, p99 $CONF_P99 ms;" \
    "other replies: ${CONF_OTHER:-none}; links available $CN, unsent for" \
    "want of links: ${CONF_EXH:-?}; confirmed in the store $before -> $after"
holos_stop
LAT_HWM=$HWM_KB
log ""

# --- summary ------------------------------------------------------------------------

{
echo "== summary (one run of each; the machine may be shared: CPU idle" \
    "before each run below)"
echo "1. signing: $SIGN_RPS acknowledged durable signatures/s (p99" \
    "$SIGN_P99 ms); ceiling $CEIL/s; ratio $(ratio "$SIGN_RPS" "$CEIL")"
echo "2. confirmations: $CONF_RPS/s (p99 $CONF_P99 ms); reference: the" \
    "target 6000/s"
echo "3. mail latency at $RATE/s for $LSECS s: 303 to sink p50 $LAT_P50 s," \
    "p99 $LAT_P99 s; $LAT_303 signatures acknowledged of" \
    "$(kv "$TMP/lat.out" requests) offered, $LAT_MATCHED of their mails caught"
echo "4. peak RSS of holos serve: signing $SIGN_HWM kB, latency and" \
    "confirmations $LAT_HWM kB; max $PEAK_KB kB ($((PEAK_KB / 1024)) MB)"
echo "CPU idle before runs: $(sed -n 's/^idle before run: \([0-9]*\)%.*/\1/p' \
    "$OUT" | tr '\n' ' ')(%)"
echo ""
echo "targets:"
t() { awk -v v="$1" -v lim="$2" -v op="$3" 'BEGIN {
    if (v == "inf" || v == "nan" || v == "") { print "MISSED"; exit }
    ok = op == ">=" ? v + 0 >= lim : v + 0 <= lim;
    print ok ? "met" : "MISSED" }'; }
echo "  signing >= 6000/s: $(t "$SIGN_RPS" 6000 '>=')"
echo "  signing >= 50% of the ceiling: $(t "$(ratio "$SIGN_RPS" "$CEIL")" \
    0.5 '>=')"
echo "  confirmations >= 6000/s: $(t "$CONF_RPS" 6000 '>=')"
echo "  mail p99 <= 5 s at $RATE/s: $(t "$LAT_P99" 5 '<=')"
echo "  RSS <= 150 MB: $(t "$PEAK_KB" 153600 '<=')"
echo ""
echo "raw results: $OUT"
} | tee -a "$OUT"
