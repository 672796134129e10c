#!/bin/sh
# browser-deps.sh - installs what the browser tests need: Debian's Chromium
# (and a font with Cyrillic), Node.js, and the npm packages pinned in
# tests/browser/package-lock.json. Quick when everything is present: one
# dpkg-query and a checksum, no network. Run from anywhere.
set -eu

cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=""
for p in chromium fonts-dejavu-core; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
	echo "browser-deps: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
	echo "browser-deps: playwright-core needs Node.js 20 or newer; this is $(node --version)" >&2
	exit 1
fi

# npm ci when node_modules is missing or was installed from another lock file.
dir=tests/browser
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
have=$(cat "$dir/node_modules/.lock-sha256" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
	echo "browser-deps: npm ci in $dir" >&2
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	echo "$want" >"$dir/node_modules/.lock-sha256"
fi
