#!/bin/bash
# R34: two processes signing side by side on one card never mix their APDUs,
# no transaction is held between calls, a third application selecting the MF
# meanwhile changes nothing, and one process's LOGOUT is followed by the
# other (see tests/integration/p11_sharing.c, which does the work). Here:
# build it and run it on akis-1.2 (two RSA keys) and akis-2
# (the RSA authentication key next to the P-384 NES key with its PIN per
# signature), with 2 ms of card latency per APDU so that the two processes'
# operations really interleave at the reader.
# Usage: bash tests/integration/p11_sharing.sh   (AKIS_BUILD defaults to build)
set -u
. "$(dirname "$0")/lib.sh"
B=${AKIS_BUILD:-build}
[[ $B == /* ]] || B=$T_ROOT/$B
MOD=$B/akis-pkcs11.so
ROUNDS=${P11_SHARING_ROUNDS:-15}
WORK=$(mktemp -d /tmp/akis-sharing.XXXXXX)
PROG=$WORK/p11_sharing

[ -f "$MOD" ] || { echo "missing $MOD (make)" >&2; exit 1; }
# shellcheck disable=SC2046
if ! cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g -I"$T_ROOT" \
	$(pkg-config --cflags p11-kit-1 libpcsclite) "$T_ROOT/tests/integration/p11_sharing.c" \
	-o "$PROG" -ldl -lpthread $(pkg-config --libs libcrypto libpcsclite); then
	t_fail "build p11_sharing.c"; t_summary; exit 1
fi

for profile in akis-1.2 akis-2; do
	echo "# $profile"
	bench_up --profile "$profile" || { t_fail "$profile: bench up"; continue; }
	"$T_VCARDCTL" latency 1 2000
	before=$(log_count "$AKIS_CARD_LOG_1")
	out=$(timeout 300 "$PROG" "$MOD" "$AKIS_READER_1" 12345 "$ROUNDS" 2>&1)
	echo "$out" | grep -v ' passed, .* failed$' | sed "s/^\(ok  \|FAIL\) - /\1 - $profile: /"
	p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' <<<"$out" | tail -1)
	f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' <<<"$out" | tail -1)
	[ -n "$p" ] || { p=0; f=1; echo "FAIL - $profile: p11_sharing printed no summary"; }
	T_PASS=$((T_PASS + p)) T_FAIL=$((T_FAIL + f))
	after=$(log_count "$AKIS_CARD_LOG_1")
	# each signature needs at least MSE + PSO on the card
	if [ $((after - before)) -ge $((4 * ROUNDS)) ]; then
		t_ok "$profile: the card received $((after - before)) commands"
	else
		t_fail "$profile: the card received $((after - before)) commands (< $((4 * ROUNDS)))"
	fi
	bench_down
done
rm -rf "$WORK"
t_summary
