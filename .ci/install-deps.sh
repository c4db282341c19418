#!/bin/sh
# Install the Debian packages promsight needs to build, test and benchmark.
# Idempotent: does nothing when every package is already installed.
# Called by the Makefile before `demo`, `check`, `bench` and `fuzz`.
set -eu
PKGS="build-essential pkg-config libarchive-dev libzstd-dev libsnappy-dev libjansson-dev
libgsl-dev libcmocka-dev libyaml-dev libpcre2-dev clang libclang-rt-14-dev zstd xz-utils zip unzip
prometheus valgrind python3 python3-jsonschema chromium"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
