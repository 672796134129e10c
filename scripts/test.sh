#!/bin/sh
# test.sh - runs every test binary: unit tests in both builds (optimised and
# ASan+UBSan), end-to-end tests against the sanitised server on SQLite, the
# ThreadSanitizer pass (below), the end-to-end tests again on PostgreSQL (a
# throwaway cluster from scripts/pg.sh, each server in a database of its
# own). Fails on any failed test or sanitizer report; then the browser tests
# (tests/browser/, node --test). Run from the repository root.
# HOLOS_TEST_NO_PG=1 skips the PostgreSQL pass, HOLOS_TEST_NO_TSAN=1 the
# ThreadSanitizer pass, HOLOS_TEST_NO_BROWSER=1 the browser tests.
#
# `sh scripts/test.sh tsan E2E...` runs only the ThreadSanitizer pass: the
# named end-to-end tests (ASan-built clients) against build/tsan/holos, so
# a data race in the server fails them (`make tsan`).
set -u

export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Every report is written (halt_on_error=0), and any makes the server exit
# 66: the harness fails a test on either. history_size=4 keeps both stacks
# of a race that spans a long request.
export TSAN_OPTIONS="halt_on_error=0:exitcode=66:second_deadlock_stack=1:history_size=4"
export HOLOS_BIN="${HOLOS_BIN:-build/asan/holos}"
export CMOCKA_MESSAGE_OUTPUT=stdout

mode=all
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
log=$(mktemp)
pgdir=""
cleanup() {
	if [ -n "$pgdir" ]; then
		sh scripts/pg.sh stop "$pgdir" >/dev/null 2>&1
		rm -rf "$pgdir"
	fi
	rm -f "$log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run() {
	name=$1
	shift
	"$@" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
	    -e 'runtime error:' -e 'WARNING: ThreadSanitizer' "$log"; then
		echo "$name: sanitizer report" >&2
		rc=1
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ]; then
		bad="$bad $name"
		echo "FAIL $name" >&2
		cat "$log" >&2
	else
		echo "ok   $name ($p tests)"
	fi
}

# The ThreadSanitizer pass: the server under test is build/tsan/holos.
tsan_pass() {
	if [ -z "$tsan_tests" ]; then
		if [ "$mode" = tsan ]; then
			echo "FAIL no tests named for the ThreadSanitizer pass" >&2
			failed=$((failed + 1))
			bad="$bad tsan"
		fi
		return
	fi
	if [ ! -x build/tsan/holos ]; then
		echo "FAIL build/tsan/holos is missing (make tsan builds it)" >&2
		failed=$((failed + 1))
		bad="$bad tsan"
		return
	fi
	for n in $tsan_tests; do
		t=build/e2e/$n
		if [ ! -x "$t" ]; then
			echo "FAIL $t is missing" >&2
			failed=$((failed + 1))
			bad="$bad tsan/$n"
			continue
		fi
		run "tsan/e2e/$n" env HOLOS_BIN=build/tsan/holos "$t"
	done
}

if [ "$mode" = tsan ]; then
	tsan_pass
	echo
	echo "$passed passed, $failed failed"
	[ -z "$bad" ] || {
		echo "failing:$bad" >&2
		exit 1
	}
	exit 0
fi

# No two modules call each other by name (docs/architecture.md).
run "deps-cycle" sh scripts/deps-cycle.sh build/obj

for t in build/unit/test_*; do
	[ -f "$t" ] && [ -x "$t" ] && run "unit/${t##*/}" "$t"
done
for t in build/asan/unit/test_*; do
	[ -f "$t" ] && [ -x "$t" ] && run "asan/unit/${t##*/}" "$t"
done
for t in build/e2e/*; do
	[ -f "$t" ] && [ -x "$t" ] && run "e2e/${t##*/}" "$t"
done
if [ -z "${HOLOS_TEST_NO_TSAN:-}" ]; then
	tsan_pass
fi

if [ -z "${HOLOS_TEST_NO_PG:-}" ]; then
	pgdir=$(mktemp -d "${TMPDIR:-/tmp}/holos-pg.XXXXXX")
	if dsn=$(sh scripts/pg.sh start "$pgdir"); then
		echo "PostgreSQL: $dsn"
		# The storage contract's cases and search's statements, again
		# on PostgreSQL (the SQLite ones run once more with them).
		for t in build/asan/unit/test_store build/asan/unit/test_search_pg; do
			[ -x "$t" ] && run "pg/asan/unit/${t##*/}" \
			    env HOLOS_TEST_PG="$dsn" "$t"
		done
		for t in build/e2e/*; do
			[ -f "$t" ] && [ -x "$t" ] && run "pg/e2e/${t##*/}" env HOLOS_TEST_PG="$dsn" \
			    HOLOS_TEST_PG_DIR="$pgdir" "$t"
		done
	else
		echo "FAIL cannot start PostgreSQL for the e2e tests" >&2
		failed=$((failed + 1))
		bad="$bad pg"
	fi
fi

# Browser tests: Playwright driving Debian's Chromium against the sanitised
# server (tests/browser/README.md); browser-deps.sh installs Chromium and the
# pinned npm packages first, quick when present. HOLOS_TEST_NO_BROWSER=1
# skips them.
if [ -z "${HOLOS_TEST_NO_BROWSER:-}" ]; then
	if sh scripts/browser-deps.sh >"$log" 2>&1; then
		node --test --test-reporter=tap --test-concurrency=1 --test-timeout=600000 \
		    tests/browser/*.test.js >"$log" 2>&1
		rc=$?
		p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -n 1)
		f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -n 1)
		p=${p:-0}
		f=${f:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1
		fi
		passed=$((passed + p))
		failed=$((failed + f))
		if [ "$rc" -ne 0 ]; then
			bad="$bad browser"
			echo "FAIL browser" >&2
			cat "$log" >&2
		else
			echo "ok   browser ($p tests)"
		fi
		grep -E '^# (tests|pass|fail|duration_ms) ' "$log"
	else
		echo "FAIL cannot install the browser test dependencies" >&2
		cat "$log" >&2
		failed=$((failed + 1))
		bad="$bad browser-deps"
	fi
fi

echo
echo "$passed passed, $failed failed"
if [ -n "$bad" ]; then
	echo "failing:$bad" >&2
	exit 1
fi
exit 0
