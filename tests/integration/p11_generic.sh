#!/bin/bash
# The reference layer (docs/design.md "Tests"): tests/integration/p11_generic.c,
# generic PKCS#11 behaviour (argument checks R39, output buffers R30, session
# and login states R17, operation states), first against SoftHSM2 — a mature
# software token, the reference — then against our module on akis-1.0,
# akis-1.2 and akis-2 virtual cards. The program never enters a wrong PIN;
# here we also check that it cost the card no try and that no PUK was
# ever sent (its SO logins must be refused before any APDU).
# Usage: bash tests/integration/p11_generic.sh   (AKIS_BUILD defaults to build)
set -u
. "$(dirname "$0")/lib.sh"
B=${AKIS_BUILD:-build}
[[ $B == /* ]] || B=$T_ROOT/$B
MOD=$B/akis-pkcs11.so
SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
WORK=$(mktemp -d /tmp/akis-generic.XXXXXX)
PROG=$WORK/p11_generic
trap 'rm -rf "$WORK"; bench_down' EXIT

[ -f "$MOD" ] || { echo "missing $MOD (make)" >&2; exit 1; }
# shellcheck disable=SC2046
if ! cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g -I"$T_ROOT" \
	$(pkg-config --cflags p11-kit-1) "$T_ROOT/tests/integration/p11_generic.c" -o "$PROG" -ldl; then
	t_fail "build p11_generic.c"; t_summary; exit 1
fi

# Adds a program's "N passed, N failed" to ours, echoes its other lines.
run_prog() {
	local out p f
	out=$("$@" 2>&1)
	echo "$out" | grep -v ' passed, .* failed$'
	p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' <<<"$out" | tail -1)
	f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' <<<"$out" | tail -1)
	[ -n "$p" ] || { p=0; f=1; echo "FAIL - $*: no summary"; }
	T_PASS=$((T_PASS + p)) T_FAIL=$((T_FAIL + f))
}

# --- SoftHSM2: a private token directory, one RSA-2048 key pair
if [ -f "$SOFTHSM" ]; then
	export SOFTHSM2_CONF=$WORK/softhsm2.conf
	mkdir -p "$WORK/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$WORK/tokens" >"$SOFTHSM2_CONF"
	if softhsm2-util --init-token --free --label reference --pin 12345 --so-pin 123456 >/dev/null &&
		pkcs11-tool --module "$SOFTHSM" --login --pin 12345 --keypairgen --key-type rsa:2048 \
			--id 01 --label reference >/dev/null 2>&1; then
		run_prog timeout 120 "$PROG" "$SOFTHSM" 12345 softhsm2
	else
		t_fail "SoftHSM2 token with an RSA key"
	fi
	unset SOFTHSM2_CONF
else
	t_fail "SoftHSM2 installed ($SOFTHSM)"
fi

# --- our module, each profile
for profile in akis-1.0 akis-1.2 akis-2; do
	bench_up --profile "$profile" || { t_fail "$profile: bench up"; continue; }
	run_prog timeout 300 "$PROG" "$MOD" 12345 "$profile"
	# VERIFY with data for the PUK (ref 82): none; the PIN's counter is full
	puk=$(grep -cE '^C 00200082[0-9A-F]{2}' "$AKIS_CARD_LOG_1") || true
	t_eq "$profile: no PUK sent to the card (SO logins refused before any APDU)" 0 "${puk:-0}"
	# SELECT DF 3D00 by path, then the status form of VERIFY (no try spent);
	# 63C3 also says the module's LOGOUT left the PIN unverified (R22)
	tries=$(apdu "$AKIS_READER_1" 00A40800023D00 00200081 | tail -1)
	t_eq "$profile: the PIN has 3 tries and is not verified after the program (status VERIFY)" \
		63C3 "$(sw "$tries")"
	bench_down
done
t_summary
