#!/bin/sh
# deps.sh - install the Debian packages holos needs to build, run and test.
# Quick when everything is present: one dpkg-query, no network.
set -eu

PKGS="build-essential pkg-config libmicrohttpd-dev libsqlite3-dev libsodium-dev
libicu-dev libstemmer-dev libcmark-dev libjansson-dev libcurl4-openssl-dev libcmocka-dev
sqlite3 curl ca-certificates python3-aiosmtpd openssl libpq-dev postgresql
haproxy libcairo2-dev libpango1.0-dev libfontconfig-dev libqrencode-dev
fonts-dejavu-core poppler-utils zbar-tools
libidn2-dev libvips-dev libwebp-dev libopendkim-dev zlib1g-dev python3-dkim
libimage-exiftool-perl libxml2-utils liboath-dev clang-format"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
