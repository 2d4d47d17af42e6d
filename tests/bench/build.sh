#!/usr/bin/env bash
# Build the bench programs into BUILD_DIR/bench/ (default build).
#   tests/bench/build.sh [BUILD_DIR]
set -eu
cd "$(dirname "$0")/../.."
B=${1:-build}/bench
mkdir -p "$B"
CF="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wvla -Wshadow -O2 -g -I."
# shellcheck disable=SC2046
cc $CF $(pkg-config --cflags p11-kit-1) tests/bench/p11op.c -o "$B/p11op" -ldl -lpthread
# shellcheck disable=SC2046
cc $CF $(pkg-config --cflags libpcsclite) tests/bench/pcsc_floor.c -o "$B/pcsc_floor" \
	$(pkg-config --libs libpcsclite)
# shellcheck disable=SC2046
cc $CF $(pkg-config --cflags p11-kit-1) tests/integration/p11_memwait.c -o "$B/p11_memwait" -ldl -lpthread
