#!/usr/bin/env bash
# The card holder's PIN life through the module (issue 4, R18 R21 R22):
# OpenSC's pkcs11-tool against pcscd + vpcd + akis-vcard, for every profile.
# At each step: the CK_RV pkcs11-tool prints, the token flags of `-L`, the
# card's persisted tries (card.conf), and the APDUs the card received.
#   - tries come from the card without spending one (R18)
#   - malformed PINs (length, charset) and a locked PIN: no APDU with a PIN
#   - wrong PIN 3→0 with COUNT_LOW / FINAL_TRY / LOCKED, then CKR_PIN_LOCKED
#   - unblock: C_Login(CKU_SO, PUK) + C_InitPIN (R21)
#   - C_SetPIN: user PIN in a user session, PUK in an SO session (R21)
#   - wrong PUK 3→0: SO flags, card dead (life cycle AA)
#   - no PIN value in the card's APDU log nor in the module's trace (R22)
#   AKIS_PROFILES="akis-2" bash tests/integration/p11_pinlife.sh
#   AKIS_BUILD=build-x: module and virtual card from that build directory.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

BUILD_DIR=${AKIS_BUILD:-$here/../../build}
MOD=$BUILD_DIR/akis-pkcs11.so
export AKIS_VCARD=${AKIS_VCARD:-$BUILD_DIR/akis-vcard}
T=$(mktemp -d /tmp/akis-p11pin.XXXXXX)
export XDG_CACHE_HOME=$T/cache # a private R44 cache: runs are reproducible
export AKIS_DEBUG=all          # the module's trace, checked for PIN values at the end
export AKIS_LOG=$T/module.log
OUT=$T/out  # pkcs11-tool output of the last run
CMDS=$T/cmds # command APDUs the card received during the last run
LOG=
DIR=

# p11 ARGS... : run pkcs11-tool, keep its output and the card's new commands
p11() {
	local before
	before=$(wc -l <"$LOG")
	pkcs11-tool --module "$MOD" "$@" >"$OUT" 2>&1
	local rc=$?
	tail -n +"$((before + 1))" "$LOG" | grep '^C ' >"$CMDS"
	return $rc
}
rv() { grep -o 'CKR_[A-Z_]*' "$OUT" | head -1; }                  # CK_RV of the last run
failed() { grep -o 'function C_[A-Za-z]*' "$OUT" | head -1 | cut -d' ' -f2; } # which call
flags() { p11 -L && sed -n 's/^ *token flags *: //p' "$OUT" | head -1; }
tries() { awk -v r="pin.$1" '$1 == r { print $4 }' "$DIR/card.conf"; } # persisted counter
pin_value() { awk -v r="pin.$1" '$1 == r { print $3 }' "$DIR/card.conf"; }
life_cycle() { awk '$1 == "life_cycle" { print $3 }' "$DIR/card.conf"; }
# commands of the last run with INS ins for reference ref that carry data
with_data() { grep -ciE "^C 00$1..$2[0-9a-f]{2}" "$CMDS"; } # INS, P2
status_queries() { grep -ciE "^C 002000$1\$" "$CMDS"; }     # VERIFY without data

has_flag() { [[ $1 == *"$2"* ]]; }
# t_flags NAME FLAGS WANT... ; a WANT starting with ! must be absent
t_flags() {
	local name=$1 f=$2 w bad=""
	shift 2
	for w in "$@"; do
		if [[ $w == !* ]]; then has_flag "$f" "${w#!}" && bad+=" has '${w#!}'"
		else has_flag "$f" "$w" || bad+=" lacks '$w'"; fi
	done
	if [ -z "$bad" ]; then t_ok "$name"; else t_fail "$name" "flags '$f':$bad"; fi
}
# t_rv NAME WANT : CK_RV of the last run ("" = success)
t_rv() { t_eq "$1" "$2" "$(rv)"; }
# t_same_cmds NAME BASELINE : the last run sent exactly the baseline's APDUs
t_same_cmds() {
	if cmp -s "$2" "$CMDS"; then t_ok "$1"; else
		t_fail "$1" "$(diff "$2" "$CMDS" | grep '^[<>]' | head -3 | tr '\n' ' ')"
	fi
}

# ------------------------------------------------------------------ steps

step_status() { # R18: tries from the card, no try spent
	local tag=$1 f
	f=$(flags)
	t_flags "$tag: fresh token: no PIN warning" "$f" "PIN initialized" "!count low" \
		"!final" "!locked"
	t_eq "$tag: -L queries both counters without data (VERIFY 81/82, no PIN)" "1 1" \
		"$(status_queries 81) $(status_queries 82)"
	t_eq "$tag: -L sends no PIN" "0 0" "$(with_data 20 81) $(with_data 20 82)"
	t_eq "$tag: tries unchanged by -L (persisted 3/3)" "3 3" "$(tries 81) $(tries 82)"
}

step_malformed() { # R18: CKR_PIN_LEN_RANGE / CKR_PIN_INVALID, no APDU at all
	local tag=$1 pin want
	p11 -O
	cp "$CMDS" "$T/base"
	for pin in 123:CKR_PIN_LEN_RANGE 123456789:CKR_PIN_LEN_RANGE 12a45:CKR_PIN_INVALID \
		1234567890123456789012345:CKR_PIN_LEN_RANGE; do
		want=${pin#*:}
		pin=${pin%%:*}
		p11 --login --pin "$pin" -O
		t_rv "$tag: login with '$pin' → $want" "$want"
		t_same_cmds "$tag: login with '$pin': no APDU beyond opening the token" "$T/base"
	done
	t_eq "$tag: malformed PINs spent no try" 3 "$(tries 81)"
}

step_wrong_pin() { # R18: 3 → 2 → 1 → 0 with the flags following the card
	local tag=$1 i f
	local -a want=("" "user PIN count low|!final|!user PIN locked"
		"user PIN count low|final user PIN try|!user PIN locked"
		"user PIN locked|!final user PIN try")
	for i in 1 2 3; do
		p11 --login --pin 11111 -O
		t_rv "$tag: wrong PIN #$i → CKR_PIN_INCORRECT" CKR_PIN_INCORRECT
		t_eq "$tag: wrong PIN #$i: one VERIFY 81 with data" 1 "$(with_data 20 81)"
		t_eq "$tag: wrong PIN #$i: card counter" $((3 - i)) "$(tries 81)"
		f=$(flags)
		IFS='|' read -r -a w <<<"${want[$i]}"
		t_flags "$tag: flags after wrong PIN #$i" "$f" "${w[@]}"
	done
	p11 --login --pin 12345 -O
	t_rv "$tag: 4th login (right PIN) → CKR_PIN_LOCKED" CKR_PIN_LOCKED
	t_eq "$tag: 4th login sent no VERIFY with a PIN" 0 "$(with_data 20 81)"
	p11 --change-pin --pin 12345 --new-pin 54321
	t_rv "$tag: C_SetPIN on the locked PIN → CKR_PIN_LOCKED" CKR_PIN_LOCKED
	t_eq "$tag: ... and no CHANGE REFERENCE DATA" 0 "$(grep -ciE '^C 0024' "$CMDS")"
	# pkcs11-tool --unlock-pin without --login is C_SetPIN(PUK, new) in a public
	# session: an OpenSC convention, not PKCS#11. Refused here, PUK not spent (R21).
	p11 --unlock-pin --puk 123456 --new-pin 54321
	t_rv "$tag: --unlock-pin (C_SetPIN in a public session) → CKR_PIN_LOCKED" CKR_PIN_LOCKED
	t_eq "$tag: --unlock-pin spent no PUK try, sent no PIN" "3 0 0" \
		"$(tries 82) $(with_data 20 82) $(with_data 20 81)"
}

step_unblock() { # R21: C_Login(CKU_SO, PUK) + C_InitPIN(new)
	local tag=$1 f
	p11 --login --login-type so --so-pin 123456 --init-pin --new-pin 123
	t_rv "$tag: C_InitPIN with a 3-digit PIN → CKR_PIN_LEN_RANGE" CKR_PIN_LEN_RANGE
	t_eq "$tag: ... no RESET RETRY COUNTER sent" 0 "$(grep -ciE '^C 002C' "$CMDS")"
	p11 --login --login-type so --so-pin 123456 --init-pin --new-pin 5432a
	t_rv "$tag: C_InitPIN with a letter → CKR_PIN_INVALID" CKR_PIN_INVALID
	t_eq "$tag: ... no RESET RETRY COUNTER sent" 0 "$(grep -ciE '^C 002C' "$CMDS")"
	p11 --login --login-type so --so-pin 123456 --init-pin --new-pin 54321
	t_check "$tag: --login-type so --init-pin succeeds" grep -q 'User PIN successfully initialized' "$OUT"
	t_eq "$tag: unblock = VERIFY 82 + RESET RETRY COUNTER 02 81" "1 1" \
		"$(with_data 20 82) $(grep -ciE '^C 002C0281' "$CMDS")"
	t_eq "$tag: card: new PIN set, 3 tries, PUK 3 tries" "54321 3 3" \
		"$(pin_value 81) $(tries 81) $(tries 82)"
	f=$(flags)
	t_flags "$tag: flags cleared after unblock" "$f" "!locked" "!count low" "!final"
	p11 --login --pin 54321 -O
	t_check "$tag: login with the new PIN lists private keys" grep -q 'Private Key Object' "$OUT"
}

step_change_pin() { # R21: C_SetPIN in a user session (pkcs11-tool logs in with --pin first)
	local tag=$1 p want
	for p in 12:CKR_PIN_LEN_RANGE 123456789:CKR_PIN_LEN_RANGE 12x45:CKR_PIN_INVALID; do
		want=${p#*:}
		p=${p%%:*}
		p11 --change-pin --pin 54321 --new-pin "$p"
		t_eq "$tag: change PIN to '$p' → C_SetPIN $want" "C_SetPIN $want" "$(failed) $(rv)"
		t_eq "$tag: change PIN to '$p': only the login's VERIFY, no CHANGE" "1 0" \
			"$(with_data 20 81) $(grep -ciE '^C 0024' "$CMDS")"
	done
	t_eq "$tag: card: PIN unchanged, 3 tries" "54321 3" "$(pin_value 81) $(tries 81)"
	p11 --change-pin --pin 54321 --new-pin 11223
	t_check "$tag: --change-pin succeeds" grep -q 'PIN successfully changed' "$OUT"
	t_eq "$tag: one CHANGE REFERENCE DATA" 1 "$(grep -ciE '^C 0024' "$CMDS")"
	t_eq "$tag: card: PIN changed, counter 3" "11223 3" "$(pin_value 81) $(tries 81)"
	p11 --change-pin --pin 99999 --new-pin 12345
	t_eq "$tag: change with a wrong PIN → CKR_PIN_INCORRECT" CKR_PIN_INCORRECT "$(rv)"
	t_eq "$tag: ... the card counted it, nothing changed" "2 11223" "$(tries 81) $(pin_value 81)"
	t_flags "$tag: ... flags say count low" "$(flags)" "user PIN count low" "!final"
	p11 --login --pin 11223 -O
	t_check "$tag: login with the changed PIN" grep -q 'Private Key Object' "$OUT"
	t_flags "$tag: a good login clears the warning" "$(flags)" "!count low" "!locked"
}

step_change_puk() { # R21: C_SetPIN in an SO session changes the PUK
	local tag=$1
	p11 --login --login-type so --so-pin 123456 --change-pin --new-pin 12
	t_rv "$tag: change PUK to '12' → CKR_PIN_LEN_RANGE" CKR_PIN_LEN_RANGE
	t_eq "$tag: ... no CHANGE REFERENCE DATA" 0 "$(grep -ciE '^C 0024' "$CMDS")"
	p11 --login --login-type so --so-pin 123456 --change-pin --new-pin 654321
	t_check "$tag: --login-type so --change-pin succeeds" grep -q 'PIN successfully changed' "$OUT"
	t_eq "$tag: card: PUK changed, user PIN untouched" "654321 11223" \
		"$(pin_value 82) $(pin_value 81)"
	p11 --login --login-type so --so-pin 654321 --init-pin --new-pin 12345
	t_check "$tag: the new PUK unblocks (init-pin)" grep -q 'User PIN successfully initialized' "$OUT"
	t_eq "$tag: card: PIN back to 12345" 12345 "$(pin_value 81)"
	p11 --login --pin 12345 -O
	t_check "$tag: login with 12345" grep -q 'Private Key Object' "$OUT"
}

step_dead() { # R18 SO flags, docs/card.md §4: PUK exhausted → life cycle AA
	local tag=$1 i f
	local -a want=("" "SO PIN count low|!final SO PIN try|!SO PIN locked"
		"SO PIN count low|final SO PIN try|!SO PIN locked" "SO PIN locked")
	for i in 1 2 3; do
		p11 --login --login-type so --so-pin 987654 --init-pin --new-pin 12345
		t_rv "$tag: wrong PUK #$i → CKR_PIN_INCORRECT" CKR_PIN_INCORRECT
		t_eq "$tag: wrong PUK #$i: card counter" $((3 - i)) "$(tries 82)"
		f=$(flags)
		IFS='|' read -r -a w <<<"${want[$i]}"
		t_flags "$tag: flags after wrong PUK #$i" "$f" "${w[@]}"
	done
	t_eq "$tag: card dead (life cycle AA)" AA "$(life_cycle)"
	p11 -L
	t_check "$tag: dead card: token still listed" grep -q 'token label *: AKIS_' "$OUT"
	f=$(sed -n 's/^ *token flags *: //p' "$OUT" | head -1)
	t_flags "$tag: dead card: PIN and PUK locked" "$f" "user PIN locked" "SO PIN locked"
	p11 --login --pin 12345 -O
	t_rv "$tag: dead card: login → CKR_PIN_LOCKED" CKR_PIN_LOCKED
	t_eq "$tag: dead card: no VERIFY with a PIN" 0 "$(with_data 20 81)"
	p11 --login --login-type so --so-pin 123456 --init-pin --new-pin 12345
	t_rv "$tag: dead card: SO login → CKR_PIN_LOCKED" CKR_PIN_LOCKED
	t_eq "$tag: dead card: no VERIFY of the PUK" 0 "$(with_data 20 82)"
	p11 -O
	t_check "$tag: dead card: certificates still readable" grep -q 'Certificate Object' "$OUT"
}

# hex forms of a PIN as the card would receive it: ASCII, one digit a byte (1.0)
pin_hex() {
	local p=$1 a="" h="" i
	for ((i = 0; i < ${#p}; i++)); do
		a+=$(printf '3%s' "${p:i:1}")
		h+=$(printf '0%s' "${p:i:1}")
	done
	echo "$a $h"
}

step_secrets() { # R22: no PIN value in the card's log nor in the module's trace
	local tag=$1 p x leaks=0 spaced
	for p in 12345 54321 11223 99999 11111 123456 654321 987654; do
		for x in $(pin_hex "$p"); do # in commands: where a PIN would travel
			grep '^C ' "$LOG" | grep -qi "$x" && { leaks=1; echo "# $p ($x) in the card's log"; }
			spaced=$(sed 's/../& /g; s/ $//' <<<"$x")
			grep ' > ' "$AKIS_LOG" | grep -qiE "$x|$spaced" &&
				{ leaks=1; echo "# $p ($x) in the module trace"; }
		done
		# in clear anywhere in a trace message (the time and akis[pid:tid] prefix cut off)
		sed 's/^[^]]*\] //' "$AKIS_LOG" | grep -qE "(^|[^0-9A-Fa-f])$p([^0-9A-Fa-f]|\$)" &&
			{ leaks=1; echo "# $p in clear in the module trace"; }
	done
	t_eq "$tag: no PIN/PUK value in the card's log or the module trace" 0 "$leaks"
	t_eq "$tag: every VERIFY/CHANGE/RESET with data is redacted in the card's log" 0 \
		"$(grep -iE '^C 00(20|24|2C)' "$LOG" | awk 'length($2) > 8' | grep -vc 'redacted')"
	t_eq "$tag: the module trace redacts them too" 0 \
		"$(grep -E ' > [0-9A-F]{2} (20|24|2C) [0-9A-F]{2} [0-9A-F]{2} [0-9A-F]{2}' "$AKIS_LOG" | grep -vc '\*\*$')"
	t_check "$tag: the module trace has redacted PIN commands (it was on)" \
		grep -qE ' > 00 20 00 81 \*\*$' "$AKIS_LOG"
}

one_profile() {
	local prof=$1
	: >"$AKIS_LOG"
	bench_up --profile "$prof" || { t_fail "$prof: bench up"; return; }
	LOG=$AKIS_CARD_LOG_1
	DIR=$AKIS_CARD_DIR_1
	step_status "$prof"
	step_malformed "$prof"
	step_wrong_pin "$prof"
	step_unblock "$prof"
	step_change_pin "$prof"
	step_change_puk "$prof"
	step_dead "$prof"
	step_secrets "$prof"
	bench_down
}

command -v pkcs11-tool >/dev/null || { echo "pkcs11-tool missing (opensc)"; exit 1; }
[ -f "$MOD" ] || { echo "$MOD not built"; exit 1; }
for p in ${AKIS_PROFILES:-akis-1.0 akis-1.2 akis-2}; do
	one_profile "$p"
done
rm -rf "$T"
t_summary
