#!/bin/sh
# pg.sh - a throwaway PostgreSQL cluster for tests and trials, on loopback.
#
#   pg.sh start DIR     initdb in DIR/data (DIR empty or missing), listen on
#                       127.0.0.1 on a free port (unix sockets in DIR, the log in
#                       DIR/server.log), start; prints the DSN
#                       postgres://postgres@127.0.0.1:PORT/postgres
#   pg.sh restart DIR   pg_ctl restart -m fast (same port)
#   pg.sh stop DIR      pg_ctl stop -m fast
#
# Trust authentication for the postgres user: loopback only, never for a
# real deployment. As root the cluster belongs to the postgres user.
# PG_BIN overrides the binaries' folder (default /usr/lib/postgresql/15/bin).
set -eu

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

usage() {
	echo "usage: pg.sh start|restart|stop DIR" >&2
	exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2

# Runs a PostgreSQL binary as the cluster's owner.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

random_port() {
	n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	echo $((20000 + n % 40000))
}

case $cmd in
start)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres:postgres "$dir"
		chmod 0700 "$dir"
	fi
	as_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
	    --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		exit 1
	}
	tries=0
	while :; do
		port=$(random_port)
		# Written last in the file, so these win over the defaults.
		as_owner sh -c "cat >>'$dir/data/postgresql.conf'" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
log_min_messages = warning
EOF
		if as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
		    -t 30 start >/dev/null 2>&1; then
			break
		fi
		tries=$((tries + 1))
		if [ $tries -ge 5 ]; then
			echo "pg.sh: cannot start PostgreSQL in $dir:" >&2
			tail -n 20 "$dir/server.log" >&2
			exit 1
		fi
	done
	echo "postgres://postgres@127.0.0.1:$port/postgres"
	;;
restart)
	as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
	    -t 30 -m fast restart >/dev/null
	;;
stop)
	[ -f "$dir/data/postmaster.pid" ] || exit 0
	as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -w -t 30 -m fast stop >/dev/null
	;;
*)
	usage
	;;
esac
