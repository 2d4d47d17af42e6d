#!/usr/bin/env bash
# Java e-signature programs and the NES key (issue 13, R20, R46–R48).
#
# 1. An MA3-style client (java/Ma3Sign.java: the JDK's low-level PKCS#11
#    wrapper, C_Initialize(NULL), slot by reader name, C_Login(CKU_USER) once,
#    certificate by DER serial and by CKA_ID, five single-part C_SignInit +
#    C_Sign per key and mechanism, each verified in Java):
#    - default mode: every key without a PIN per signature signs; the NES key
#      of akis-2 (CKA_ALWAYS_AUTHENTICATE) is refused with
#      CKR_USER_NOT_LOGGED_IN on every try, and the refused C_Sign ends the
#      operation (PKCS#11 §5.13), so the other keys sign after it in the same
#      session; the card sees the login's VERIFY only;
#    - compatibility mode (AKIS_PIN_PER_SIGNATURE=login): every key signs, the
#      NES key included, and reads CKA_ALWAYS_AUTHENTICATE = FALSE; the card
#      sees exactly one VERIFY per NES signature, the login's covering the
#      first (docs/card.md §3), the PUK never.
# 2. SunPKCS11: SignTest (Signature) and jarsigner with the NES key in the
#    compatibility mode, verified; per-program selection in one
#    configuration file (AKIS_CONF): "pin_per_signature = card" with "login"
#    for java and jarsigner — Java signs with the NES key, while pkcs11-tool
#    under the same file still sees "always authenticate"; the environment
#    variable wins over the file.
#   bash tests/integration/client_ma3.sh
#   AKIS_PROFILES="akis-2" bash tests/integration/client_ma3.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
AKIS_PROFILES=${AKIS_PROFILES:-akis-1.0 akis-1.2 akis-2}
. "$here/client_lib.bash"
. "$here/cardlog_lib.bash"

WRAPPER=(--add-modules jdk.crypto.cryptoki --add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED)
PROV=(-storetype PKCS11 -providerClass sun.security.pkcs11.SunPKCS11)
CLS=$CT_ROOT/classes
ROUNDS=10	# signatures per key: 5 per mechanism, two mechanisms

# A neutral configuration: the machine's /etc/akis-pkcs11/akis.conf plays no
# part, and the mode comes only from what each check sets.
export AKIS_CONF=$CT_ROOT/empty.conf
: >"$AKIS_CONF"
unset AKIS_PIN_PER_SIGNATURE

compile() {
	mkdir -p "$CLS"
	crun javac "${WRAPPER[@]}" -d "$CLS" "$here/java/Ma3Sign.java" "$here/java/SignTest.java" \
		>"$CT_ROOT/javac.out" 2>&1 || { show "$CT_ROOT/javac.out"; return 1; }
}

# ma3 OUT [VAR=VALUE...]: one run of the MA3-style client; the card log mark
# is set just before it.
ma3() {
	local out=$CT/$1; shift
	cardlog_mark
	(cd "$CT" && crun env "$@" java "${WRAPPER[@]}" -cp "$CLS" Ma3Sign "$MOD" "$AKIS_READER_1" "$PIN") \
		>"$out" 2>&1
	MA3_RC=$?
	MA3_OUT=$out
	cardlog_stats >"$out.card"
}

ma3_setup_ok() {
	grep -q "^SLOT [0-9]" "$MA3_OUT" && grep -qx "LOGIN ok" "$MA3_OUT" || { show "$MA3_OUT"; return 1; }
}

# The key was found by DER serial and by CKA_ID, with CKA_ALWAYS_AUTHENTICATE = $1.
ma3_key_found() {
	grep -qx "KEY $K_ID $K_TYPE aa=$1 bySerial=ok byId=ok" "$MA3_OUT" ||
		{ grep "^KEY $K_ID " "$MA3_OUT" | sed 's/^/    | /'; echo "    | (want aa=$1)"; return 1; }
}

# Every signature of the key matched "$1" (an ERE for the tail of the SIG line).
ma3_all_sigs() {
	local n bad
	n=$(grep -cE "^SIG $K_ID [^ ]+ [0-9]+ $1\$" "$MA3_OUT")
	bad=$(grep "^SIG $K_ID " "$MA3_OUT" | grep -vE " [0-9]+ $1\$" | head -3)
	[[ $n -eq $ROUNDS && -z $bad ]] ||
		{ echo "    | $n of $ROUNDS signatures as expected"; sed 's/^/    | /' <<<"$bad"; return 1; }
}

# The refused key came first, so the other keys' signatures were made after
# the refusals, in the same session.
ma3_refused_first() {
	grep -m1 "^SIG " "$MA3_OUT" | grep -q "^SIG $K_ID " || { show "$MA3_OUT"; return 1; }
}

ma3_exit() { # $1: expected exit status
	[[ $MA3_RC -eq $1 ]] && ! ls "$CT"/hs_err* >/dev/null 2>&1 ||
		{ echo "    | exit $MA3_RC, want $1"; grep -v "^SIG .* ok$" "$MA3_OUT" | sed -n '1,15s/^/    | /p'; return 1; }
}

# Card log of the last run: $1 VERIFYs with data, no PUK, $2 NES signatures
# each with a VERIFY since the previous signature.
ma3_card() {
	CARDLOG_STATS=$(cat "$MA3_OUT.card")
	[[ $(cardlog_field verify) -eq $1 && $(cardlog_field puk) -eq 0 && $(cardlog_field nes) -eq $2 &&
		$(cardlog_field covered) -eq $2 ]] ||
		{ echo "    | card: $CARDLOG_STATS; want verify=$1 puk=0 nes=$2 covered=$2"; return 1; }
}

n_aa_keys() { awk '$3 == 1' "$CT/keys" | wc -l; }

test_ma3_default() {
	local p=$CLIENT_PROFILE aa
	ma3 ma3-default.out
	ck "$p: MA3 default mode: slot by reader name, C_Initialize(NULL), one C_Login(CKU_USER)" ma3_setup_ok ||
		return
	key_reset
	while key_next; do
		ck "$K_TAG: MA3 default: found by DER serial and by CKA_ID, CKA_ALWAYS_AUTHENTICATE=$K_AA" \
			ma3_key_found "$K_AA"
		if [[ $K_AA == 1 ]]; then
			ck "$K_TAG: MA3 default: each of $ROUNDS C_Sign refused with CKR_USER_NOT_LOGGED_IN, the next C_SignInit works (§5.13)" \
				ma3_all_sigs "fail C_Sign CKR_USER_NOT_LOGGED_IN"
			ck "$K_TAG: MA3 default: the refused key was tried before the others (same session)" \
				ma3_refused_first
		else
			aa=; [[ $(n_aa_keys) -gt 0 ]] && aa=", after the NES key's refusals"
			ck "$K_TAG: MA3 default: $ROUNDS signatures in a row, each verified in Java$aa" ma3_all_sigs ok
		fi
	done
	if [[ $(n_aa_keys) -gt 0 ]]; then
		ck "$p: MA3 default: exit 1 (a key was refused), no JVM crash" ma3_exit 1
	else
		ck "$p: MA3 default: exit 0 (every signature verified)" ma3_exit 0
	fi
	ck "$p: MA3 default: card log: only the login's VERIFY, no PUK, no NES signature" ma3_card 1 0
}

test_ma3_compat() {
	local p=$CLIENT_PROFILE need='' nes
	[[ $(n_aa_keys) -gt 0 ]] && need=""
	ma3 ma3-login.out AKIS_PIN_PER_SIGNATURE=login
	ck "$p: MA3 AKIS_PIN_PER_SIGNATURE=login: slot by reader name, one C_Login(CKU_USER)" ma3_setup_ok ||
		return
	key_reset
	while key_next; do
		if [[ $K_AA == 1 ]]; then
			ck "$K_TAG: MA3 login mode: CKA_ALWAYS_AUTHENTICATE reads FALSE$need" ma3_key_found 0
			ck "$K_TAG: MA3 login mode: $ROUNDS signatures in a row, each verified in Java$need" ma3_all_sigs ok
		else
			ck "$K_TAG: MA3 login mode: found by serial and CKA_ID, CKA_ALWAYS_AUTHENTICATE=0" ma3_key_found 0
			# (without part 1 the NES key, still always-authenticate, is tried
			# first and refused, and without part 4 that blocks this key too)
			ck "$K_TAG: MA3 login mode: $ROUNDS signatures in a row, each verified in Java$need" ma3_all_sigs ok
		fi
	done
	ck "$p: MA3 login mode: exit 0, every signature verified$need" ma3_exit 0
	nes=$(($(n_aa_keys) * ROUNDS))
	# the login's VERIFY covers the first NES signature (nothing signed
	# before it): one VERIFY per NES signature, the login's included; the
	# login's alone on a card without a NES key
	local want=$((nes > 0 ? nes : 1))
	ck "$p: MA3 login mode: card log: $want VERIFY(s) for $nes NES signatures, the login's covering the first, PUK never$need" \
		ma3_card "$want" "$nes"
}

# ------------------------------------------------------------- SunPKCS11

# conf/java-sunpkcs11.cfg with the module under test and the token's index
# in C_GetSlotList(FALSE) (what pkcs11-tool -L numbers).
java_cfg() {
	local idx
	idx=$(crun pkcs11-tool --module "$MOD" -L 2>/dev/null | awk -v t="$TOKEN" '
		/^Slot [0-9]+/ { s = $2 } /token label *:/ { l = $0; sub(/.*: */, "", l); sub(/ *$/, "", l); if (l == t) { print s; exit } }')
	[[ -n $idx ]] || return 1
	sed -e "s|^library *=.*|library = $MOD|" -e "s|^slotListIndex *=.*|slotListIndex = $idx|" \
		"$top/conf/java-sunpkcs11.cfg" >"$CT/java.cfg"
	grep -q "^library = $MOD\$" "$CT/java.cfg"
}

fp_of() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'; }

# signtest OUT [VAR=VALUE...]: SignTest (every key entry through Signature).
signtest() {
	ST_OUT=$CT/$1; shift
	cardlog_mark
	(cd "$CT" && crun env "$@" java -cp "$CLS" SignTest "$CT/java.cfg" "$PIN") >"$ST_OUT" 2>&1
	ST_RC=$?
	cardlog_stats >"$ST_OUT.card"
}

st_ok() {
	grep -q "^RESULT $(fp_of "$K_PEM") OK " "$ST_OUT" || { show "$ST_OUT"; return 1; }
}

st_fails_cleanly() {
	grep -q "^RESULT $(fp_of "$K_PEM") FAIL .*Exception" "$ST_OUT" && [[ $ST_RC -eq 1 ]] &&
		! ls "$CT"/hs_err* >/dev/null 2>&1 || { echo "    | exit $ST_RC"; show "$ST_OUT"; return 1; }
}

# The card saw every NES signature of the last run with a VERIFY since the
# signature before it (the login's may cover the first), and no PUK.
card_nes_verified() { # $1: file with the stats
	CARDLOG_STATS=$(cat "$1")
	local n
	n=$(cardlog_field nes)
	[[ $n -ge 1 && $(cardlog_field covered) -eq $n && $(cardlog_field verify) -ge $n &&
		$(cardlog_field puk) -eq 0 ]] || { echo "    | card: $CARDLOG_STATS"; return 1; }
}

mk_jar() {
	mkdir -p "$CT/jar/org/akis"
	printf 'akis-pkcs11 issue 13 %s\n' "$(date +%s%N)" >"$CT/jar/org/akis/hello.txt"
	crun jar cf "$CT/t.jar" -C "$CT/jar" . >"$CT/out" 2>&1 || { show "$CT/out"; return 1; }
}

# jar_nes OUT [VAR=VALUE...]: jarsigner signs with the key, the jar verifies
# (-strict) against the card's CA, and its signer is the card's certificate.
jar_nes() {
	local tag=$1 sj=$CT/signed-$1.jar alias; shift
	# SunPKCS11's alias: from SignTest's line for the key when it signed, else the label
	alias=$(sed -n "s/^RESULT $(fp_of "$K_PEM") OK [^ ]* //p" "$CT/st-login.out" | head -1)
	[[ -n $alias ]] || alias=$K_CLABEL
	cat "$K_PEM" "$ISSUER_PEM" >"$CT/chain.pem"
	rm -f "$sj" "$CT/ts.p12"
	cardlog_mark
	crun env "$@" jarsigner -keystore NONE "${PROV[@]}" -providerArg "$CT/java.cfg" -storepass "$PIN" \
		-certchain "$CT/chain.pem" -signedjar "$sj" "$CT/t.jar" "$alias" >"$CT/js-$tag.out" 2>&1 ||
		{ show "$CT/js-$tag.out"; return 1; }
	cardlog_stats >"$CT/js-$tag.card"
	crun keytool -importcert -noprompt -alias cardroot -file "$ROOT_PEM" -keystore "$CT/ts.p12" \
		-storetype PKCS12 -storepass changeit >"$CT/out" 2>&1 &&
		crun keytool -importcert -noprompt -alias signer -file "$K_PEM" -keystore "$CT/ts.p12" \
			-storetype PKCS12 -storepass changeit >"$CT/out" 2>&1 || { show "$CT/out"; return 1; }
	crun jarsigner -verify -strict -keystore "$CT/ts.p12" -storepass changeit "$sj" >"$CT/jv.out" 2>&1 &&
		grep -q "jar verified" "$CT/jv.out" || { show "$CT/jv.out"; return 1; }
	crun keytool -printcert -jarfile "$sj" 2>/dev/null | tr -d ':' | tr 'A-F' 'a-f' | grep -q "$(fp_of "$K_PEM")" ||
		{ echo "    | the jar's signer is not the card's certificate"; return 1; }
}

# The NES key: the one that needs a PIN per signature, else (1.x) the key
# whose label starts with "NES".
nes_key() {
	key_reset
	while key_next; do [[ $K_AA == 1 ]] && return 0; done
	key_reset
	while key_next; do [[ $K_LABEL == NES* ]] && return 0; done
	return 1
}

test_sunpkcs11_compat() {
	local p=$CLIENT_PROFILE need=''
	[[ $(n_aa_keys) -gt 0 ]] && need=""
	ck "$p: SunPKCS11 configuration from conf/java-sunpkcs11.cfg" java_cfg || return
	signtest st-login.out AKIS_PIN_PER_SIGNATURE=login
	key_reset
	while key_next; do
		local n=; [[ $K_AA == 1 ]] && n=$need
		ck "$K_TAG: AKIS_PIN_PER_SIGNATURE=login: SignTest Signature.sign + software verify$n" st_ok
	done
	nes_key || { t_fail "$p: no NES key on the token"; return; }
	mk_jar || { t_fail "$p: test jar"; return; }
	ck "$K_TAG: AKIS_PIN_PER_SIGNATURE=login: jarsigner signs, jarsigner -verify -strict accepts$need" \
		jar_nes login AKIS_PIN_PER_SIGNATURE=login
	if [[ $K_AA == 1 ]]; then
		ck "$K_TAG: login mode: card log: the Signature and jarsigner NES signatures each had a VERIFY, no PUK$need" \
			eval 'card_nes_verified "$ST_OUT.card" && card_nes_verified "$CT/js-login.card"'
	fi
}

# Per program, in one file: card for everyone, login for the Java launchers.
test_per_program() {
	local p=$CLIENT_PROFILE conf=$CT/per-program.conf
	nes_key && [[ $K_AA == 1 ]] || return 0	# only a card with a per-signature PIN tells the modes apart
	cat >"$conf" <<-'EOF'
		# issue 13: the Java programs get the compatibility mode, every other program the default
		pin_per_signature = card
		pin_per_signature.java = login
		pin_per_signature.keytool = login
		pin_per_signature.jarsigner = login
	EOF
	signtest st-perprog.out AKIS_CONF="$conf"
	ck "$K_TAG: AKIS_CONF per program (java = login): SignTest signs with the NES key" st_ok
	ck "$K_TAG: AKIS_CONF per program (jarsigner = login): jarsigner signs with the NES key, verified" \
		jar_nes perprog AKIS_CONF="$conf"
	crun env AKIS_CONF="$conf" pkcs11-tool --module "$MOD" --token-label "$TOKEN" --list-objects \
		--type privkey --login --pin "$PIN" >"$CT/p11t-perprog.out" 2>&1
	ck "$K_TAG: same AKIS_CONF: pkcs11-tool (default for it) still shows 'Access: always authenticate'" \
		p11tool_access "$CT/p11t-perprog.out" 1
	printf 'pin_per_signature = login\n' >"$CT/login.conf"
	crun env AKIS_CONF="$CT/login.conf" pkcs11-tool --module "$MOD" --token-label "$TOKEN" --list-objects \
		--type privkey --login --pin "$PIN" >"$CT/p11t-login.out" 2>&1
	ck "$K_TAG: AKIS_CONF 'pin_per_signature = login': pkcs11-tool's listing has no 'always authenticate'" \
		p11tool_access "$CT/p11t-login.out" 0
	signtest st-envwins.out AKIS_CONF="$conf" AKIS_PIN_PER_SIGNATURE=card
	ck "$K_TAG: AKIS_PIN_PER_SIGNATURE=card wins over the file's java = login: Signature fails cleanly" \
		st_fails_cleanly
}

# p11tool_access FILE AA: the NES key's entry in pkcs11-tool's listing has
# (AA=1) or has not (AA=0) "always authenticate" in its Access line.
p11tool_access() {
	local got
	got=$(awk -v id="$K_ID" '/^Private Key Object/ { k = ""; next }
		/^ *ID: / { k = $2 } k == id && /^ *Access:/ { print (/always authenticate/ ? 1 : 0); exit }' "$1")
	[[ $got == "$2" ]] || { echo "    | Access of $K_ID: '$got', want $2"; show "$1"; return 1; }
}

if ! ck "javac Ma3Sign.java SignTest.java (jdk.crypto.cryptoki wrapper exported)" compile; then
	t_summary; exit
fi
for prof in $(client_profiles); do
	client_setup "$prof" || continue
	test_ma3_default
	test_ma3_compat
	if [[ $prof != akis-1.0 ]]; then
		test_sunpkcs11_compat
		test_per_program
	fi
	client_teardown
done
t_summary
