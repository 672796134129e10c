#!/bin/sh
# mail.sh - does confirmation mail keep up? An outbox of queued confirmations
# drains into Postfix's smtp-sink, beside Postfix's own smtp-source sending
# the same number of messages of the same size to the same sink over four
# sessions (-s 4), in the same run.
#
# The outbox is filled the way a spike fills it while the mail server is
# down: holos signs with --smtp pointing at a closed port and
# --mail-attempts 1, so every confirmation goes dead at once; then holos
# starts again with --smtp to the sink, `holos outbox retry dead` queues them
# all, and the time from the first message a sender takes until none is
# queued or sending is measured.
#
#   sh bench/mail.sh            (make bench-mail; MAIL_N messages, default
#                                10000; MAIL_ROUNDS rounds, default 3)
#
# Writes bench/results/DATE-mail.txt and prints the summary. Installs postfix
# (for smtp-sink and smtp-source; its daemon is not used), wrk, curl and
# sqlite3 when missing.
set -eu

N=${MAIL_N:-10000}
ROUNDS=${MAIL_ROUNDS:-3}
BIN=${HOLOS:-build/holos}
PORT=${BENCH_PORT:-28180}
SINK=${BENCH_SINK_PORT:-28125}
DEAD=${BENCH_DEAD_PORT:-28126}
SLUG=kremlin-prisoners-covid19
URL="http://127.0.0.1:$PORT"
mkdir -p bench/results
OUT=bench/results/$(date -u +%Y-%m-%dT%H%M%SZ)-mail.txt
TMP=$(mktemp -d "${TMPDIR:-/tmp}/holos-mail.XXXXXX")
PIDS=""

BENCH_NAME=mail.sh
. bench/lib.sh
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

need_postfix
command -v wrk >/dev/null 2>&1 || apt_install wrk
command -v curl >/dev/null 2>&1 || apt_install curl
command -v sqlite3 >/dev/null 2>&1 || apt_install sqlite3
[ -x "$BIN" ] || die "$BIN is missing: run make first"
cp "$BIN" "$TMP/holos"

log() { echo "$*" | tee -a "$OUT"; }
now_ms() { date +%s%3N; }

# The sink: accepts everything, keeps nothing; 1000 sessions at most.
sink_start "$SINK"
PIDS="$PIDS $SINK_PID"

serve() {	# smtp-port extra-args...
	p=$1
	shift
	"$TMP/holos" serve --data "$TMP/data" --listen 127.0.0.1:$PORT \
	    --seed seed/petition.md --smtp smtp://127.0.0.1:$p \
	    --rate-limit off --pow-bits 0 --min-form-seconds 0 "$@" \
	    >>"$TMP/holos.log" 2>&1 &
	HPID=$!
	PIDS="$PIDS $HPID"
	i=0
	until curl -sf "$URL/healthz" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 200 ] || die "holos did not start: $(tail -5 "$TMP/holos.log")"
		sleep 0.05
	done
}
stop() {
	kill "$HPID" && wait "$HPID" 2>/dev/null || true
}
q() { sqlite3 "$TMP/data/holos.db" "$1"; }

log "# mail.sh $(date -u +%Y-%m-%dT%H:%M:%SZ), $N messages, $(nproc) cores"
log "# holos $(git rev-parse --short HEAD 2>/dev/null || echo '?')"

# 1. Fill the outbox: signatures while the mail server is down.
serve $DEAD --mail-attempts 1
tok=$(curl -s "$URL/p/$SLUG" |
    sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
[ -n "$tok" ] || die "no form token on the page"
export HOLOS_CSRF="$tok" HOLOS_RUN="mail$$"
while [ "$(q "SELECT COUNT(*) FROM outbox")" -lt "$N" ]; do
	wrk -t2 -c64 -d2s -s bench/sign.lua "$URL" >/dev/null 2>&1
done
i=0
while [ "$(q "SELECT COUNT(*) FROM outbox WHERE state <> 'dead'")" -gt 0 ]; do
	i=$((i + 1))
	[ $i -lt 600 ] || die "the outbox did not settle"
	sleep 0.1
done
stop
cp -a "$TMP/data" "$TMP/full"
total=$(q "SELECT COUNT(*) FROM outbox")
sealed=$(q "SELECT CAST(AVG(LENGTH(sealed)) AS INTEGER) FROM outbox")
# The size of the messages as sent (a confirmation is composed at send
# time from its sealed fields): a copy of the outbox written out as files.
cp -a "$TMP/full" "$TMP/files"
"$TMP/holos" outbox --data "$TMP/files" retry dead >/dev/null 2>&1
"$TMP/holos" outbox --data "$TMP/files" send >/dev/null 2>&1 ||
    die "holos outbox send failed"
size=$(find "$TMP/files/outbox" -name '*.eml' -printf '%s\n' |
    awk '{ s += $1; n++ } END { if (n) print int(s / n) }')
[ -n "$size" ] || die "no message written"
rm -rf "$TMP/files"
log "queued: $total confirmations (sealed about $sealed bytes each, sent as about $size)"

# 2. Rounds, each the reference then holos: smtp-source with the same count
# and size over four sessions, and holos draining its outbox into the same
# sink (default settings, then tuned). The reference alone has swung by a
# factor of two between runs minutes apart, so each side is run MAIL_ROUNDS
# times, interleaved, and the verdict compares medians.
reference() {
	t0=$(now_ms)
	/usr/sbin/smtp-source -s 4 -m "$total" -l "$size" -f bench@holos.example \
	    -t sink@example.org 127.0.0.1:$SINK
	t1=$(now_ms)
	rate=$(( total * 1000 / (t1 - t0 + 1) ))
	echo "$rate" >>"$TMP/rate.ref"
	log "round $r: smtp-source -s 4: $total messages in $((t1 - t0)) ms = $rate msg/s"
}
drain() {	# senders
	rm -rf "$TMP/data"
	cp -a "$TMP/full" "$TMP/data"
	serve $SINK --mail-senders "$1"
	tr=$(now_ms)
	"$TMP/holos" outbox --data "$TMP/data" retry dead >/dev/null 2>&1
	# The senders look for due mail when kicked or once a second: a
	# retry made by another process waits up to that second. The drain
	# is timed from the first message a sender takes; the wait before it
	# is shown beside.
	i=0
	until [ "$(q "SELECT EXISTS (SELECT 1 FROM outbox WHERE state IN ('sending', 'sent'))")" = 1 ]; do
		i=$((i + 1))
		[ $i -lt 1000 ] || die "the outbox did not start"
		sleep 0.01
	done
	t0=$(now_ms)
	i=0
	while [ "$(q "SELECT COUNT(*) FROM outbox WHERE state IN ('queued', 'sending')")" -gt 0 ]; do
		i=$((i + 1))
		[ $i -lt 6000 ] || die "the outbox did not drain"
		sleep 0.05
	done
	t1=$(now_ms)
	sent=$(q "SELECT COUNT(*) FROM outbox WHERE state = 'sent'")
	stop
	[ "$sent" = "$total" ] || die "sent $sent of $total"
	rate=$(( sent * 1000 / (t1 - t0 + 1) ))
	echo "$rate" >>"$TMP/rate.$1"
	log "round $r: holos outbox, --mail-senders $1: $sent sent in $((t1 - t0)) ms = $rate msg/s (the first taken $((t0 - tr)) ms after the retry)"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
r=1
while [ $r -le "$ROUNDS" ]; do
	reference
	drain 4
	drain 8
	r=$((r + 1))
done
ref=$(median <"$TMP/rate.ref")
log "smtp-source -s 4: median $ref msg/s ($(sort -n "$TMP/rate.ref" | tr '\n' ' ')msg/s)"
for senders in 4 8; do
	rate=$(median <"$TMP/rate.$senders")
	pct=$(( rate * 100 / (ref + 1) ))
	what=default
	[ "$senders" = 4 ] || what=tuned
	log "holos outbox, --mail-senders $senders ($what): median $rate msg/s ($(sort -n "$TMP/rate.$senders" | tr '\n' ' ')msg/s) = $pct% of smtp-source (target 80%: $([ $pct -ge 80 ] && echo met || echo missed))"
done
echo "written to $OUT"
