#!/bin/sh
# test.sh - runs every test binary: unit tests in both builds (optimised and
# ASan+UBSan), end-to-end tests against the sanitised server on SQLite, the
# ThreadSanitizer pass (below), the end-to-end tests again on PostgreSQL (a
# throwaway cluster from scripts/pg.sh, each server in a database of its
# own), and the browser tests (tests/browser/, node --test) beside them.
# Fails on any failed test or sanitizer report. Run from the repository root.
# HOLOS_TEST_NO_PG=1 skips the PostgreSQL pass, HOLOS_TEST_NO_TSAN=1 the
# ThreadSanitizer pass, HOLOS_TEST_NO_BROWSER=1 the browser tests. A job
# still running after HOLOS_TEST_JOB_LIMIT seconds (default 1200) is
# stopped and fails.
#
# `sh scripts/test.sh tsan E2E...` runs only the ThreadSanitizer pass: the
# named end-to-end tests (ASan-built clients) against build/tsan/holos, so
# a data race in the server fails them (`make tsan`).
set -u

# handle_abort: an abort() (a library's panic, a failed assertion) prints
# its stack, as a crash does.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1:handle_abort=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Every report is written (halt_on_error=0), and any makes the server exit
# 66: the harness fails a test on either. history_size=4 keeps both stacks
# of a race that spans a long request.
export TSAN_OPTIONS="halt_on_error=0:exitcode=66:second_deadlock_stack=1:history_size=4"
export HOLOS_BIN="${HOLOS_BIN:-build/asan/holos}"
export CMOCKA_MESSAGE_OUTPUT=stdout

mode=all
# `sh scripts/test.sh --job NAME` is one job of a parallel run (run_jobs).
if [ "${1:-}" = tsan ]; then
	mode=tsan
	shift
fi
# The end-to-end tests of the ThreadSanitizer pass (the Makefile's
# TSAN_E2ES names them for `make test` and `make tsan` alike).
tsan_tests=${*:-${HOLOS_TSAN_E2ES:-}}

passed=0
failed=0
bad=""
if [ "${1:-}" = --job ]; then
	out=$HOLOS_TEST_OUT
else
	out=$(mktemp -d "${TMPDIR:-/tmp}/holos-test.XXXXXX")
fi
pgdir=""
cleanup() {
	if [ -n "$pgdir" ]; then
		sh scripts/pg.sh stop "$pgdir" >/dev/null 2>&1
		rm -rf "$pgdir"
	fi
	rm -rf "$out"
}

# A job's name says what it runs: [pg/|tsan/]e2e/NAME, [pg/][asan/]unit/
# NAME, deps-cycle, format, browser. job_run NAME runs it with its output in $out;
# the caller reads the verdict with tally.
# The longest one job may take (seconds).
job_limit=${HOLOS_TEST_JOB_LIMIT:-1200}
job_file() {
	printf '%s/%s' "$out" "$(printf '%s' "$1" | tr / _)"
}
job_run() {
	name=$1
	f=$(job_file "$name")
	case $name in
	deps-cycle) set -- sh scripts/deps-cycle.sh build/obj ;;
	format) set -- sh scripts/format-check.sh ;;
	browser) set -- sh scripts/test.sh --browser ;;
	tsan/e2e/*) set -- env HOLOS_BIN=build/tsan/holos "build/e2e/${name##*/}" ;;
	pg/e2e/*) set -- env HOLOS_TEST_PG="$HOLOS_TEST_DSN" \
	    HOLOS_TEST_PG_DIR="$HOLOS_TEST_PGDIR" "build/e2e/${name##*/}" ;;
	pg/asan/unit/*) set -- env HOLOS_TEST_PG="$HOLOS_TEST_DSN" \
	    "build/asan/unit/${name##*/}" ;;
	asan/fuzz/*) set -- "build/$name" "fuzz/corpus/${name##*/fuzz_}" ;;
	*) set -- "build/$name" ;;
	esac
	t0=$(date +%s)
	if [ -x "$1" ] || [ "$1" = sh ] || [ "$1" = env ]; then
		# A job that hangs (a server that never answers, a browser
		# left open by a failed hook) is stopped and counted as failed,
		# rather than holding the whole run.
		timeout -k 10 "$job_limit" "$@" >"$f.log" 2>&1
		rc=$?
		[ $rc -eq 124 ] &&
		    echo "$name: stopped after $job_limit s (HOLOS_TEST_JOB_LIMIT)" >>"$f.log"
		echo $rc >"$f.rc"
	else
		echo "$1 is missing" >"$f.log"
		echo 127 >"$f.rc"
	fi
	echo $(($(date +%s) - t0)) >"$f.s"
	echo "  .. $name ($(cat "$f.s") s)"
}

# Reads a finished job's verdict into the totals; prints its line, and
# its log when it failed.
tally() {
	name=$1
	f=$(job_file "$name")
	rc=$(cat "$f.rc" 2>/dev/null || echo 1)
	if [ "$name" = browser ]; then
		# node --test's TAP summary
		p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$f.log" | tail -n 1)
		n=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$f.log" | tail -n 1)
		p=${p:-0}
		n=${n:-0}
	else
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$f.log" | awk '{s+=$1} END {print s+0}')
		n=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$f.log" | awk '{s+=$1} END {print s+0}')
	fi
	if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
	    -e 'runtime error:' -e 'WARNING: ThreadSanitizer' "$f.log"; then
		echo "$name: sanitizer report" >&2
		rc=1
	fi
	if [ "$rc" -ne 0 ] && [ "$n" -eq 0 ]; then
		n=1
	fi
	passed=$((passed + p))
	failed=$((failed + n))
	if [ "$rc" -ne 0 ]; then
		bad="$bad $name"
		echo "FAIL $name" >&2
		cat "$f.log" >&2
	else
		echo "ok   $name ($p tests, $(cat "$f.s") s)"
	fi
}

# Runs the named jobs, up to $jobs at once, then tallies them in order.
run_jobs() {
	[ $# -gt 0 ] || return 0
	printf '%s\n' "$@" | xargs -P "$jobs" -n 1 sh scripts/test.sh --job
	for j in "$@"; do
		tally "$j"
	done
}

# `sh scripts/test.sh --job NAME`: one job of a parallel run (run_jobs).
if [ "${1:-}" = --job ]; then
	job_run "$2"
	exit 0
fi
# `sh scripts/test.sh --browser`: the browser tests, Playwright driving
# Debian's Chromium against the sanitised server (tests/browser/README.md);
# browser-deps.sh installs Chromium and the pinned npm packages first, quick
# when present. One file at a time: they time what a phone would see.
if [ "${1:-}" = --browser ]; then
	if ! sh scripts/browser-deps.sh; then
		echo "cannot install the browser test dependencies"
		exit 1
	fi
	exec node --test --test-reporter=tap --test-concurrency=1 \
	    --test-timeout=600000 --test-force-exit tests/browser/*.test.js
fi
trap cleanup EXIT
trap 'exit 130' INT TERM
export HOLOS_TEST_OUT="$out"

# End-to-end files, and the browser tests as one more, run HOLOS_TEST_JOBS
# at a time (default 4: most of an e2e test's time is spent waiting on its
# server, its mail or its deadlines). Each has its own folder, port and database. The ones that
# measure how fast the server answers under a load of their own run alone
# afterwards, so that the others' load does not skew them.
jobs=${HOLOS_TEST_JOBS:-4}
alone="e2e_flood e2e_slow e2e_events e2e_cluster"
# Files whose servers never reach the database in a way that differs
# between SQLite and PostgreSQL (slowloris and the connection caps).
pg_same="e2e_slow"

# The ThreadSanitizer pass: the server under test is build/tsan/holos.
tsan_jobs() {
	for n in $tsan_tests; do
		echo "tsan/e2e/$n"
	done
}
tsan_check() {
	if [ -z "$tsan_tests" ]; then
		if [ "$mode" = tsan ]; then
			echo "FAIL no tests named for the ThreadSanitizer pass" >&2
			failed=$((failed + 1))
			bad="$bad tsan"
		fi
		return 1
	fi
	if [ ! -x build/tsan/holos ]; then
		echo "FAIL build/tsan/holos is missing (make tsan builds it)" >&2
		failed=$((failed + 1))
		bad="$bad tsan"
		return 1
	fi
	return 0
}

if [ "$mode" = tsan ]; then
	if tsan_check; then
		run_jobs $(tsan_jobs)
	fi
	echo
	echo "$passed passed, $failed failed"
	[ -z "$bad" ] || {
		echo "failing:$bad" >&2
		exit 1
	}
	exit 0
fi

# No two modules call each other by name (docs/architecture.md); the
# sources are as make format leaves them; the unit tests in both builds and
# each fuzz target over its corpus (ASan, without libFuzzer), two at a time
# (they are quick and CPU-bound).
units=""
for t in build/unit/test_* build/asan/unit/test_* build/asan/fuzz/fuzz_*; do
	[ -f "$t" ] && [ -x "$t" ] && units="$units ${t#build/}"
done
jobs_saved=$jobs
jobs=2
run_jobs deps-cycle format $units
jobs=$jobs_saved

e2e_many=""
e2e_alone=""
for t in build/e2e/*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	case " $alone " in
	*" ${t##*/} "*) e2e_alone="$e2e_alone ${t##*/}" ;;
	*) e2e_many="$e2e_many ${t##*/}" ;;
	esac
done
pg_many=""
pg_alone=""
if [ -z "${HOLOS_TEST_NO_PG:-}" ]; then
	pgdir=$(mktemp -d "${TMPDIR:-/tmp}/holos-pg.XXXXXX")
	if dsn=$(sh scripts/pg.sh start "$pgdir"); then
		echo "PostgreSQL: $dsn"
		# Servers wait longer for a connection than their default 2 s:
		# several files share the two cores.
		export HOLOS_TEST_DSN="$dsn?connect_timeout=15" HOLOS_TEST_PGDIR="$pgdir"
		# The storage contract's cases and search's statements, again
		# on PostgreSQL (the SQLite ones ran with the unit tests).
		for t in test_store test_search_pg; do
			[ -x "build/asan/unit/$t" ] && pg_many="$pg_many pg/asan/unit/$t"
		done
		# Every file again on PostgreSQL but those that test only
		# what comes before the database: they would run the same
		# code twice.
		for n in $e2e_many; do
			case " $pg_same " in
			*" $n "*) ;;
			*) pg_many="$pg_many pg/e2e/$n" ;;
			esac
		done
		for n in $e2e_alone; do
			case " $pg_same " in
			*" $n "*) ;;
			*) pg_alone="$pg_alone pg/e2e/$n" ;;
			esac
		done
	else
		echo "FAIL cannot start PostgreSQL for the e2e tests" >&2
		failed=$((failed + 1))
		bad="$bad pg"
	fi
fi
many=""
for n in $e2e_many; do
	many="$many e2e/$n"
done
if [ -z "${HOLOS_TEST_NO_TSAN:-}" ] && tsan_check; then
	many="$many $(tsan_jobs)"
fi
# The longest first, so that the pool does not end on one long file.
first=""
rest=""
for j in $many $pg_many; do
	case $j in
	*e2e_startup | *e2e_lifecycle | *e2e_me | *e2e_mail | *e2e_account | \
	    *e2e_smtp | *e2e_deliver | *e2e_export | *e2e_crash)
		first="$first $j" ;;
	*) rest="$rest $j" ;;
	esac
done
# The browser tests are one job of the pool, the longest, started first.
# HOLOS_TEST_NO_BROWSER=1 skips them.
browser=""
[ -n "${HOLOS_TEST_NO_BROWSER:-}" ] || browser=browser
run_jobs $browser $first $rest
jobs=1
loners=""
for n in $e2e_alone; do
	loners="$loners e2e/$n"
done
run_jobs $loners $pg_alone
jobs=$jobs_saved

# What failed, once more at the very end, where a long log's reader looks:
# each failing job's harness and test verdict lines, and the last lines of
# every server log it printed.
digest() {
	for j in $bad; do
		f=$(job_file "$j")
		[ -f "$f.log" ] || continue
		echo "---- $j"
		awk '/^---- .* ----$/ && !/end of log/ { n = 0; inlog = 1; next }
		    /^---- end of log/ { for (i = n - 12; i < n; i++) if (i >= 0) print "  | " l[i % 12]; inlog = 0; print; next }
		    inlog { l[n % 12] = $0; n++; next }
		    /^harness:|^\[  (FAILED|ERROR) |^\[  ERROR|[Ff]ailure!|error:/ { print }' "$f.log" | tail -n 60
	done
}

echo
echo "$passed passed, $failed failed"
if [ -n "$bad" ]; then
	digest >&2
	echo "failing:$bad" >&2
	exit 1
fi
exit 0
