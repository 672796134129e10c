#!/bin/sh
# run.sh - builds every fuzz/fuzz_*.c with libFuzzer, ASan and UBSan (clang)
# and runs each for FUZZ_SECONDS (default 60) on its corpus in
# fuzz/corpus/NAME/, which keeps what the fuzzer found new. Not part of
# `make test`.
set -eu
cd "$(dirname "$0")/.."
command -v clang >/dev/null || {
	echo "fuzz: installing clang" >&2
	apt-get install -y -qq clang >/dev/null
}
secs=${FUZZ_SECONDS:-60}
pkgs="libmicrohttpd sqlite3 libsodium icu-uc icu-i18n libcmark jansson libcurl libpq libidn2 vips libwebp"
cflags="-std=c17 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined $(pkg-config --cflags $pkgs)"
libs="$(pkg-config --libs $pkgs) -lstdc++ -lpthread -lm"
mkdir -p build/fuzz
for f in fuzz/fuzz_*.c; do
	name=$(basename "$f" .c)
	short=${name#fuzz_}
	case $short in
	form) srcs="src/form.c src/email.c src/arena.c src/buf.c src/log.c" ;;
	import) srcs="src/import.c src/form.c src/petition.c src/arena.c src/buf.c src/log.c src/store.c src/store_sqlite.c src/store_pg.c" ;;
	tmpl) srcs="src/tmpl.c src/buf.c src/arena.c src/log.c" ;;
	email) srcs="src/email.c src/form.c src/arena.c src/buf.c src/log.c" ;;
	image) srcs="src/image.c src/arena.c src/log.c" ;;
	url) srcs="src/form.c src/log.c src/arena.c src/buf.c src/petition.c src/crypto.c" ;;
	cookie) srcs="src/crypto.c src/form.c src/log.c src/arena.c src/buf.c" ;;
	*) echo "fuzz: no sources listed for $name" >&2; exit 1 ;;
	esac
	# shellcheck disable=SC2086
	clang $cflags -o "build/fuzz/$name" "$f" $srcs $libs
	mkdir -p "fuzz/corpus/$short"
	echo "fuzz: $name for ${secs}s"
	"build/fuzz/$name" -max_total_time="$secs" -max_len=65536 \
	    "fuzz/corpus/$short" 2>&1 | tail -3
done
