#!/bin/sh
# format-check.sh - the tree as `make format` leaves it: clang-format, with
# the project's .clang-format, would change nothing in the files it formats.
set -u

files=$(ls src/*.c src/*.h src/*.cc tests/unit/*.c tests/e2e/*.c \
    tests/e2e/*.h bench/*.c fuzz/*.c)
# shellcheck disable=SC2086
if clang-format --dry-run --Werror $files; then
	echo "format: $(echo "$files" | wc -l) files as make format leaves them"
	exit 0
fi
echo "format: the files above differ from what make format writes"
exit 1
