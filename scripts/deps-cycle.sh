#!/bin/sh
# deps-cycle.sh - checks that no object file's undefined symbols close a
# cycle: module A calls B by name, B (perhaps through others) calls A. A
# lower module reaches an upper one through a function pointer it was given
# (the server's on_request, the metrics' route namer), never by name.
#
# usage: scripts/deps-cycle.sh [OBJDIR]   (default build/obj; run `make`
# first). Reads `nm` of OBJDIR/X.o for every src/X.c and src/X.cc, prints
# each cycle it finds and exits 1 when any cycle has a member outside
# ALLOWED; 0 otherwise. Run from the repository root.
#
# Allowed: the storage layer's objects (store.o and every store_*.o: the
# dispatch, its backends and what they share) call each other by name; they
# are one layer, so a cycle among them alone is no layering fault.
set -u

objdir=${1:-build/obj}

list=""
for src in src/*.c src/*.cc; do
	name=${src##*/}
	name=${name%.*}
	[ "$name" = main ] && continue
	if [ ! -f "$objdir/$name.o" ]; then
		echo "deps-cycle: $objdir/$name.o is missing (run make first)" >&2
		exit 2
	fi
	list="$list $name"
done
[ -f "$objdir/main.o" ] && list="$list main"

# One line per symbol: "D object symbol" for a definition, "U object
# symbol" for a use.
for name in $list; do
	nm -P "$objdir/$name.o" | awk -v o="$name" '
		$2 == "U" { print "U", o, $1; next }
		$2 ~ /^[A-TV-Z]$/ { print "D", o, $1 }'
done | awk '
	$1 == "D" { def[$3] = $2; next }
	{ use[NR] = $2 " " $3 }
	END {
		# edges: a calls b by name
		for (i in use) {
			split(use[i], p, " ")
			if ((p[2] in def) && def[p[2]] != p[1]) {
				e = p[1] SUBSEP def[p[2]]
				if (!(e in edge)) {
					edge[e] = p[2]
					nout[p[1]]++
					out[p[1], nout[p[1]]] = def[p[2]]
				}
				node[p[1]] = 1
				node[def[p[2]]] = 1
			}
		}
		# reach[a, b]: b reachable from a (a walk over the edges)
		for (a in node) {
			n = 0
			stack[++n] = a
			while (n > 0) {
				x = stack[n--]
				for (k = 1; k <= nout[x]; k++) {
					y = out[x, k]
					if (!((a, y) in reach)) {
						reach[a, y] = 1
						stack[++n] = y
					}
				}
			}
		}
		bad = 0
		for (a in node) {
			if (!((a, a) in reach) || (a in done))
				continue
			# a lies on a cycle: its strongly connected part
			members = ""
			faulty = 0
			for (b in node)
				if (((a, b) in reach) && ((b, a) in reach)) {
					done[b] = 1
					members = members " " b ".o"
					if (b != "store" && b !~ /^store_/)
						faulty = 1
				}
			printf "deps-cycle: %s:%s\n",
			    faulty ? "cycle" : "allowed cycle", members
			# one edge of the part per member, to show the calls
			for (b in node) {
				if (!(((a, b) in reach) && ((b, a) in reach)))
					continue
				for (k = 1; k <= nout[b]; k++) {
					c = out[b, k]
					if (((a, c) in reach) && ((c, a) in reach))
						printf "  %s.o -> %s.o (%s)\n", b, c,
						    edge[b, c]
				}
			}
			bad += faulty
		}
		if (bad) {
			print "deps-cycle: modules that call each other by name; " \
			    "pass a function pointer instead (docs/architecture.md)"
			exit 1
		}
		print "deps-cycle: no cycle between modules"
	}'
