# lib.sh - shell functions the bench scripts share (sourced, POSIX sh).
#
# The caller sets BENCH_NAME (for messages) and, before quiet(), OUT (the
# results file) and may set BENCH_WAIT.

die() {
	echo "${BENCH_NAME:-bench}: $*" >&2
	exit 1
}

# Makes the run's temp dir $TMP (/tmp/PREFIX.XXXXXX) and, on exit, stops
# the processes in $PIDS (TERM, then KILL) and removes it.
bench_tmp() {	# prefix
	TMP=$(mktemp -d "/tmp/$1.XXXXXX") || die "cannot make a temp dir"
	PIDS=""
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}
bench_cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	sleep 0.3
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}

# Installs a Debian package (as root; otherwise says what to run).
apt_install() {	# package
	echo "${BENCH_NAME:-bench}: installing $1" >&2
	[ "$(id -u)" = 0 ] || die "run: sudo apt-get install -y $1"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >/dev/null ||
	    { apt-get update -q >/dev/null &&
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" \
	    >/dev/null; } || die "cannot install $1"
}
# Installs a package only when its command is missing.
need() {	# command package
	command -v "$1" >/dev/null 2>&1 || apt_install "$2"
}

# Postfix's smtp-sink and smtp-source (the postfix daemon is not used).
need_postfix() {
	[ -x /usr/sbin/smtp-sink ] && [ -x /usr/sbin/smtp-source ] ||
	    apt_install postfix
}
# Starts smtp-sink on 127.0.0.1:PORT (1000 sessions at most), as nobody
# when run as root, with extra arguments (e.g. -d TEMPLATE to keep each
# message in a file); its pid in SINK_PID.
sink_start() {	# port [smtp-sink args...]
	sp=$1
	shift
	set -- "$@" 127.0.0.1:"$sp" 1000
	[ "$(id -u)" != 0 ] || set -- -u nobody "$@"
	/usr/sbin/smtp-sink "$@" >/dev/null 2>&1 &
	SINK_PID=$!
	sleep 0.3
	kill -0 "$SINK_PID" 2>/dev/null || die "smtp-sink did not start"
}

# The machine may be shared: before a measurement, flush dirty pages, wait
# (at most 60 s at a time, BENCH_WAIT=240 s in all) until the CPUs are 85%
# idle over a second, and record how idle they were in OUT.
WAIT_LEFT=${BENCH_WAIT:-240}
idle_pct() {
	a=$(head -n 1 /proc/stat)
	sleep 1
	b=$(head -n 1 /proc/stat)
	echo "$a
$b" | awk '{ t = 0; for (i = 2; i <= NF; i++) t += $i;
	    idle[NR] = $5 + $6; tot[NR] = t }
	    END { printf "%.0f\n", 100 * (idle[2] - idle[1]) / (tot[2] - tot[1]) }'
}
quiet() {
	sync	# no writeback of earlier logs or fills during the run
	waited=0
	while :; do
		idle=$(idle_pct)
		[ "$idle" -ge 85 ] && break
		[ $waited -ge 60 ] || [ $WAIT_LEFT -le 0 ] && break
		waited=$((waited + 1))
		WAIT_LEFT=$((WAIT_LEFT - 1))
	done
	echo "idle before run: ${idle}% (waited ${waited} s)" >>"$OUT"
}
