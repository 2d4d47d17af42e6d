#!/usr/bin/env bash
# The signature without a SELECT, and every signature proved before it
# leaves the module (issue 14; docs/design.md "The signature without a
# SELECT"; R26, R29). Per profile, through the real module (tests/bench/p11op,
# which also verifies each signature with C_Verify and the public key):
#   - plain: C_Sign is MSE + PSO (+ GET RESPONSE for RSA-2048), no SELECT;
#   - another program leaves EF.DIR selected (the MF current) right before
#     C_Sign: the MSE in the MF is refused (6A88), the module selects the
#     application DF and signs; the signature verifies;
#   - another program selects the MF itself: on akis-2 that logs the card
#     out (docs/card.md §3), so C_Sign says CKR_USER_NOT_LOGGED_IN; on 1.x
#     the module signs as above;
#   - the card computes one signature wrongly (vcard fault "flip"): the
#     module notices, selects and signs again, and returns the good one;
#     two wrong ones in a row: CKR_DEVICE_ERROR, nothing returned; the NES
#     key (a PIN per signature, akis-2) whose permission the wrong PSO used:
#     CKR_DEVICE_ERROR, and the next signature with a new context login works;
#   - no VERIFY is sent that the program did not ask for.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
BUILD=$(cd "${AKIS_BUILD:-build}" && pwd) # absolute: run-all passes one
M=$BUILD/akis-pkcs11.so
export AKIS_CONF=/dev/null BUILD AKIS_VCARD=$BUILD/akis-vcard
tests/bench/build.sh "$BUILD" >/dev/null || { t_fail "build the bench programs"; t_summary; exit 1; }
P11OP=$BUILD/bench/p11op
W=$(mktemp -d /tmp/akis-signcheck.XXXXXX)
trap 'bench_down; rm -rf "$W"' EXIT
export XDG_CACHE_HOME=$W/cache

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# sign OP [-x CMD]: one process (bind, login, OP); the op= line
sign() {
	local op=$1
	shift
	timeout 60 "$P11OP" -m "$M" -l "$AKIS_CARD_LOG_1" "$@" bind login "$op" 2>&1 | grep "^op=$op"
}

# the command APDUs the card saw since line $1 of its log
since() { tail -n +$(($1 + 1)) "$AKIS_CARD_LOG_1" | grep -E '^C '; }
lines() { wc -l <"$AKIS_CARD_LOG_1"; }
# the card's answer to the first MSE since line $1 is an error (not 9000)
first_mse_refused() {
	local r
	r=$(tail -n +$(($1 + 1)) "$AKIS_CARD_LOG_1" | grep -E '^(C|R) ' | grep -A1 -m1 -E '^C 0022' | sed -n 2p)
	[[ $r == R* && $r != "R 9000" ]]
}
pin_verifies() { grep -cE '^C 0020008105' || true; }

profile() {
	local prof=$1 ops=sign-rsa plain line n cmds
	bench_up --profile "$prof" >/dev/null || { t_fail "$prof: bench up"; return; }
	[[ $prof == akis-2 ]] && ops="sign-rsa sign-ec"
	local dir_sel="$T_PCSC_APDU send '$AKIS_READER_1' 00A4080C022F00 >/dev/null"
	local mf_sel="$T_PCSC_APDU send '$AKIS_READER_1' 00A4000C023F00 >/dev/null"
	for op in $ops; do
		# plain: MSE + PSO (+ GET RESPONSE), no SELECT
		n=$(lines)
		line=$(sign "$op")
		t_eq "$prof $op: signs, the signature verifies" 0x0 "$(field rv "$line")"
		plain=$(field apdus "$line")
		if [[ $op == sign-rsa ]]; then want=3; else want=2; fi
		t_eq "$prof $op: C_Sign is MSE + PSO$([[ $want == 3 ]] && echo ' + GET RESPONSE')" "$want" "$plain"
		cmds=$(since "$n")
		t_eq "$prof $op: one VERIFY per login the program made" \
			"$([[ $op == sign-ec ]] && echo 2 || echo 1)" "$(pin_verifies <<<"$cmds")"

		# EF.DIR (so the MF) current when C_Sign comes
		n=$(lines)
		line=$(sign "$op" -x "$dir_sel")
		t_eq "$prof $op, EF.DIR selected by another program: signs, verifies" 0x0 "$(field rv "$line")"
		t_eq "$prof $op, EF.DIR selected: C_Sign costs the SELECT and a second MSE" \
			$((plain + 2)) "$(field apdus "$line")"
		t_check "$prof $op, EF.DIR selected: the first MSE (in the MF) was refused" first_mse_refused "$n"

		# the MF selected by another program
		line=$(sign "$op" -x "$mf_sel")
		if [[ $prof == akis-2 ]]; then
			t_eq "$prof $op, MF selected by another program (a logout on 2.x): CKR_USER_NOT_LOGGED_IN" \
				0x101 "$(field rv "$line")"
		else
			t_eq "$prof $op, MF selected by another program: signs, verifies" 0x0 "$(field rv "$line")"
		fi

		# one wrong signature from the card
		n=$(lines)
		line=$(sign "$op" -x "tests/vcardctl fault 1 1 flip")
		if [[ $op == sign-ec ]]; then
			# the NES key: the wrong PSO used the permission of the context login
			t_eq "$prof $op (PIN per signature), one wrong signature: CKR_DEVICE_ERROR" 0x30 "$(field rv "$line")"
			t_eq "$prof $op, one wrong signature: no VERIFY the program did not ask for" 2 \
				"$(since "$n" | pin_verifies)"
		else
			t_eq "$prof $op, one wrong signature from the card: signed again, verifies" 0x0 "$(field rv "$line")"
			t_eq "$prof $op, one wrong signature: twice the plain APDUs + the SELECT" \
				$((2 * plain + 1)) "$(field apdus "$line")"
		fi
		line=$(sign "$op" -x "tests/vcardctl fault 1 1 flip 2")
		t_eq "$prof $op, two wrong signatures: CKR_DEVICE_ERROR, nothing returned" 0x30 "$(field rv "$line")"
		tests/vcardctl fault 1 clear >/dev/null
		line=$(sign "$op")
		t_eq "$prof $op: afterwards the next program signs" 0x0 "$(field rv "$line")"
	done
	# nothing left verified (R22), seen from outside
	local r
	r=$(apdu "$AKIS_READER_1" 00A4080C023D00 00200081 | tail -1)
	t_check "$prof: afterwards the PIN is not verified for another process (status $r)" \
		test "${r:0:2}" = 63
	bench_down
}

for prof in ${AKIS_SIGNCHECK_PROFILES:-akis-1.0 akis-1.2 akis-2}; do
	profile "$prof"
done
t_summary
