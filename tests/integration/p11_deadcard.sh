#!/usr/bin/env bash
# A dead card (life cycle AA: PUK exhausted, docs/card.md §4) through the
# module: the token still appears with its certificates, its flags carry
# CKF_USER_PIN_LOCKED | CKF_SO_PIN_LOCKED, and every C_Login answers
# CKR_PIN_LOCKED without an APDU. The PUK is exhausted the way a user would
# do it: pkcs11-tool --login --login-type so with a wrong PUK, three times.
#   tests/integration/p11_deadcard.sh [BUILD_DIR]
# Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
BUILD_DIR=${1:-build}
B=${AKIS_BUILD:-$TOP/$BUILD_DIR}
M=$B/akis-pkcs11.so
export AKIS_VCARD=${AKIS_VCARD:-$B/akis-vcard} AKIS_CONF=/dev/null
. tests/integration/lib.sh
[[ -f $M && -x $AKIS_VCARD ]] || { t_fail "need $M and $AKIS_VCARD"; t_summary; exit 1; }
tests/bench/build.sh "$B" || { t_fail "build p11op"; t_summary; exit 1; }
P11OP=$B/bench/p11op
WORK=$(mktemp -d /tmp/akis-deadcard.XXXXXX)
export XDG_CACHE_HOME=$WORK/cache
trap 'bench_down; rm -rf "$WORK"' EXIT

CKF_USER_PIN_LOCKED=$((0x40000))
CKF_SO_PIN_LOCKED=$((0x400000))
CKR_PIN_LOCKED=0xa4

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }
op_line() { grep "^op=$1 " "$2" | head -1; }

dead_card() { # PROFILE CERTS
	local prof=$1 certs=$2 i out info flags lc
	bench_up --profile "$prof" >/dev/null || { t_fail "$prof: bench up"; return; }
	# before: a live token, PINs not locked
	timeout 60 "$P11OP" -m "$M" -l "$AKIS_CARD_LOG_1" bind info >"$WORK/before" 2>&1
	info=$(op_line info "$WORK/before")
	flags=$(field flags "$info")
	t_check "$prof: live card, user PIN not locked (flags $flags)" test $(( ${flags:-0} & CKF_USER_PIN_LOCKED )) -eq 0
	for i in 1 2 3; do
		out=$(timeout 60 pkcs11-tool --module "$M" --session-rw --login --login-type so --so-pin 000000 -O 2>&1)
		t_check "$prof: wrong PUK $i refused" grep -qE 'CKR_PIN_INCORRECT|CKR_PIN_LOCKED' <<<"$out"
	done
	lc=$(sed -n 's/^life_cycle = //p' "$AKIS_CARD_DIR_1/card.conf")
	t_eq "$prof: card life cycle after 3 wrong PUKs (card.conf)" AA "$lc"
	# a fresh insertion: the module binds the dead card from scratch
	tests/vcardctl remove 1 >/dev/null && tests/vcardctl insert 1 >/dev/null
	out=$(timeout 60 pkcs11-tool --module "$M" -L 2>&1)
	t_check "$prof: pkcs11-tool -L lists the dead token" grep -q 'token label *: *AKIS_' <<<"$out"
	t_check "$prof: pkcs11-tool -L shows the user PIN locked" grep -qi 'user PIN locked' <<<"$out"
	out=$(timeout 60 pkcs11-tool --module "$M" -O --type cert 2>&1)
	t_eq "$prof: certificates readable (pkcs11-tool -O --type cert)" "$certs" "$(grep -c 'Certificate Object' <<<"$out")"
	timeout 60 "$P11OP" -m "$M" -l "$AKIS_CARD_LOG_1" bind info login login-so >"$WORK/after" 2>&1
	info=$(op_line info "$WORK/after")
	flags=$(field flags "$info")
	t_check "$prof: CKF_USER_PIN_LOCKED set (flags $flags)" test $(( ${flags:-0} & CKF_USER_PIN_LOCKED )) -ne 0
	t_check "$prof: CKF_SO_PIN_LOCKED set (flags $flags)" test $(( ${flags:-0} & CKF_SO_PIN_LOCKED )) -ne 0
	t_eq "$prof: certificate objects (C_FindObjects)" "$certs" "$(field certs "$info")"
	for i in login login-so; do
		out=$(op_line "$i" "$WORK/after")
		t_eq "$prof: C_Login ($i) with the right secret → CKR_PIN_LOCKED" "$CKR_PIN_LOCKED" "$(field rv "$out")"
		t_eq "$prof: C_Login ($i) sent no APDU" 0 "$(field apdus "$out")"
	done
	bench_down
}

dead_card akis-1.2 2
dead_card akis-2 2
t_summary
