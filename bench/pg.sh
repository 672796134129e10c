#!/bin/sh
# pg.sh - the signing benchmark on PostgreSQL: holos on a fresh PostgreSQL
# cluster (scripts/pg.sh) signing unique emails under wrk (bench/sign.lua,
# count on signing, checks off), beside the raw ceiling of the same cluster
# (bench/pg_ceiling: COPY of 1,000 rows per transaction). Loopback only;
# stops everything it started. Run from the repository root.
set -eu
ROOT=$(pwd)
SECS=${SECS:-10}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hbench-pg.XXXXXX")
# The cluster's folder must be reachable by the postgres user.
PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/hbench-pgdata.XXXXXX")
PORT=28180
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	sh "$ROOT/scripts/pg.sh" stop "$PGDIR" >/dev/null 2>&1 || true
	rm -rf "$TMP" "$PGDIR"
}
trap cleanup EXIT INT TERM
[ -x build/holos ] || make all >/dev/null
cp build/holos "$TMP/hbench-pg-server"
cc -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror $(pkg-config --cflags libpq) \
    -o "$TMP/pg_ceiling" bench/pg_ceiling.c $(pkg-config --libs libpq)
dsn=$(sh scripts/pg.sh start "$PGDIR")
base=${dsn%/postgres}
psql -q "$dsn" -c "CREATE DATABASE holos_bench" -c "CREATE DATABASE holos_ceiling"
for db in holos_bench holos_ceiling; do
	"$TMP/hbench-pg-server" import --data "$TMP/data-$db" --db "$base/$db" \
	    seed/petition.md >/dev/null
done
HOLOS_RATE_LIMIT=off "$TMP/hbench-pg-server" serve --listen 127.0.0.1:$PORT \
    --data "$TMP/data-holos_bench" --db "$base/holos_bench" --count-on-sign \
    --per-ip-limit 0 --per-net-limit 0 --max-connections 20000 --pow-bits 0 --min-form-seconds 0 \
    >/dev/null 2>"$TMP/holos.log" &
pid=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
	curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break
	sleep 0.5
done
token=$(curl -fs "http://127.0.0.1:$PORT/p/kremlin-prisoners-covid19" |
    sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
echo "== signing on PostgreSQL: wrk -t2 -c256 -d${SECS}s -s bench/sign.lua"
HOLOS_CSRF=$token HOLOS_RUN=pg$$ wrk -t2 -c256 -d"${SECS}s" --latency \
    -s bench/sign.lua "http://127.0.0.1:$PORT" | tee "$TMP/wrk.out"
count=$(curl -fs "http://127.0.0.1:$PORT/p/kremlin-prisoners-covid19.json" |
    sed -n 's/.*"count":\([0-9]*\).*/\1/p')
echo "holos signatures committed: $count in ${SECS}s ($((count / SECS))/s)"
grep VmHWM "/proc/$pid/status" | sed 's/^/holos /'
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
echo "== raw ceiling: bench/pg_ceiling (COPY, 1,000 rows per transaction)"
pid_id=$(psql -tA "$base/holos_ceiling" -c "SELECT id FROM petitions LIMIT 1")
"$TMP/pg_ceiling" "$base/holos_ceiling" "$SECS" "$pid_id"
