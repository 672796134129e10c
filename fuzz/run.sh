#!/bin/sh
# run.sh - runs every fuzz target that `make fuzzers` built in build/fuzz/
# (libFuzzer, ASan and UBSan, clang) on its corpus in fuzz/corpus/NAME/,
# which keeps what the fuzzer found new. Not part of `make test` (which
# replays the corpora). Each target runs until FUZZ_SECONDS (default 60)
# have passed or, when FUZZ_RUNS is set, until it has run that many
# inputs; FUZZ_TARGETS (default: all) names the ones to run, e.g.
# "url cookie"; FUZZ_JOBS (default 1) runs that many fuzzing processes
# on one shared corpus (libFuzzer's -fork), for the slow targets. A finding stops the run with the fuzzer's report and its
# crash file, and a non-zero exit.
set -eu
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-$(ls fuzz/fuzz_*.c | sed 's|fuzz/fuzz_\(.*\)\.c|\1|')}
mkdir -p build/fuzz/findings
for short in $targets; do
	bin=build/fuzz/fuzz_$short
	[ -x "$bin" ] || {
		echo "fuzz: $bin is missing (make fuzzers builds it)" >&2
		exit 1
	}
	mkdir -p "fuzz/corpus/$short"
	if [ -n "${FUZZ_RUNS:-}" ]; then
		limit="-runs=$FUZZ_RUNS"
		echo "fuzz: fuzz_$short for $FUZZ_RUNS inputs"
	else
		limit="-max_total_time=$secs"
		echo "fuzz: fuzz_$short for ${secs}s"
	fi
	jobs=
	[ "${FUZZ_JOBS:-1}" -gt 1 ] && jobs="-fork=$FUZZ_JOBS"
	log=build/fuzz/fuzz_$short.log
	t0=$(date +%s)
	if ! "$bin" $jobs "$limit" -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/findings/ "fuzz/corpus/$short" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		echo "fuzz: fuzz_$short found a problem (build/fuzz/findings/)" >&2
		exit 1
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	# -fork prints no final stats: its last "#N:" line counts them all.
	[ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$log" | tail -n 1)
	echo "fuzz: fuzz_$short ran ${runs:-?} inputs in $(($(date +%s) - t0)) s, no finding"
done
