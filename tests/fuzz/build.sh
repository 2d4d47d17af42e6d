#!/usr/bin/env bash
# Build the libFuzzer targets with clang (ASan + UBSan) into BUILD_DIR
# (default build-fuzz), plus the seed recorder fuzz_module_record.
#   tests/fuzz/build.sh [BUILD_DIR]
# Needs clang (Debian 12: clang-14 carries libFuzzer, -fsanitize=fuzzer).
set -eu
cd "$(dirname "$0")/../.."
B=${1:-build-fuzz}
CC=${FUZZ_CC:-clang}
command -v "$CC" >/dev/null || { echo "fuzz: $CC not found (apt-get install clang)" >&2; exit 1; }
# shellcheck disable=SC2207
PKGF=($(pkg-config --cflags p11-kit-1 libcrypto))
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
CFLAGS=(-std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -Wvla -Wshadow -I. "${PKGF[@]}" "${SAN[@]}")
LIBS=(-lcrypto -lpthread)

# The module's card-side sources without the PC/SC transport (fuzz_module
# provides apdu/pcsc.h itself) and without the unit tests' scripted one.
# akis/reader.c is the module's way to PC/SC: it goes with pkcs11/.
APDU=(apdu/apdu.c log/log.c apdu/tlv.c)
mapfile -t AKIS < <(ls akis/*.c | grep -v '^akis/reader\.c$')
P11=(akis/reader.c pkcs11/*.c)

mkdir -p "$B/obj"
compile() { # SRC [EXTRA FLAGS]: object path on stdout
	local src=$1 o
	shift
	o=$B/obj/$(echo "${src%.c}$*" | tr '/ =-' '____').o
	if [[ ! -f $o || $src -nt $o ]] || find "$(dirname "$src")" -name '*.h' -newer "$o" | grep -q .; then
		"$CC" "${CFLAGS[@]}" -fsanitize=fuzzer-no-link "$@" -c "$src" -o "$o" >&2
	fi
	echo "$o"
}
objs() { local s; for s in "$@"; do compile "$s"; done; }

mapfile -t CORE < <(objs "${APDU[@]}" "${AKIS[@]}")
mapfile -t MOD < <(objs "${P11[@]}")

link() { # NAME MAIN_SRC OBJS...
	local name=$1 main=$2
	shift 2
	"$CC" "${CFLAGS[@]}" -fsanitize=fuzzer "$main" "$@" "${LIBS[@]}" -o "$B/$name"
}
link fuzz_pkcs15 tests/fuzz/fuzz_pkcs15.c "${CORE[@]}"
link fuzz_apdu tests/fuzz/fuzz_apdu.c "${CORE[@]}"
link fuzz_card tests/fuzz/fuzz_card.c "${CORE[@]}"
# fuzz_cache includes akis/cache.c itself
mapfile -t NOCACHE < <(printf '%s\n' "${CORE[@]}" | grep -v '/akis_cache\.o$')
link fuzz_cache tests/fuzz/fuzz_cache.c "${NOCACHE[@]}"
link fuzz_module tests/fuzz/fuzz_module.c "${CORE[@]}" "${MOD[@]}"
# the recorder: same call sequence, a real card over the vpcd wire, no libFuzzer
"$CC" "${CFLAGS[@]}" -fsanitize=fuzzer-no-link -DFUZZ_RECORD tests/fuzz/fuzz_module.c \
	"${CORE[@]}" "${MOD[@]}" "${LIBS[@]}" -o "$B/fuzz_module_record"
echo "fuzz: built $B/fuzz_pkcs15 $B/fuzz_apdu $B/fuzz_card $B/fuzz_cache $B/fuzz_module"
