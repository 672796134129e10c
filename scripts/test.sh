#!/bin/sh
# test.sh - runs every test binary: unit tests in both builds (optimised and
# ASan+UBSan), end-to-end tests against the sanitised server, on SQLite and
# then again on PostgreSQL (a throwaway cluster from scripts/pg.sh, each
# server in a database of its own). Fails on any failed test or sanitizer
# report; then the browser tests (tests/browser/, node --test). Run from the
# repository root. HOLOS_TEST_NO_PG=1 skips the PostgreSQL pass,
# HOLOS_TEST_NO_BROWSER=1 the browser tests.
set -u

export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export HOLOS_BIN="${HOLOS_BIN:-build/asan/holos}"
export CMOCKA_MESSAGE_OUTPUT=stdout

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
	if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' "$log"; then
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

for t in build/unit/test_*; do
	[ -x "$t" ] && run "unit/${t##*/}" "$t"
done
for t in build/asan/unit/test_*; do
	[ -x "$t" ] && run "asan/unit/${t##*/}" "$t"
done
for t in build/e2e/*; do
	[ -x "$t" ] && run "e2e/${t##*/}" "$t"
done

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
			[ -x "$t" ] && run "pg/e2e/${t##*/}" env HOLOS_TEST_PG="$dsn" \
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
		node --test --test-reporter=tap --test-concurrency=1 --test-timeout=120000 \
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
