#!/usr/bin/env bash
# Java SunPKCS11 (issue 5, R36, R20): conf/java-sunpkcs11.cfg with the module
# under test; keytool -list -storetype PKCS11 shows every key entry; jarsigner
# signs a jar with every key that needs no per-signature PIN and
# jarsigner -verify -strict accepts it against the card's CA; a small program
# (java/SignTest.java) signs with SHA256withRSA / SHA256withECDSA through the
# token and verifies in software.
#
# What Java cannot do: SunPKCS11 never calls C_Login(CKU_CONTEXT_SPECIFIC),
# so a CKA_ALWAYS_AUTHENTICATE key (akis-2's NES key) cannot sign through it.
# For such keys the test checks that the failure is clean: an exception and
# an ordinary non-zero exit, no JVM crash, and the token still usable after.
#   bash tests/integration/client_java.sh
#   AKIS_CLIENT_MODULE=softhsm bash tests/integration/client_java.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/client_lib.bash"

PROV=(-storetype PKCS11 -providerClass sun.security.pkcs11.SunPKCS11)

# The sample configuration with the module under test and the index of the
# token's slot in C_GetSlotList(FALSE) (what pkcs11-tool -L numbers).
java_cfg() {
	local idx
	idx=$(pkcs11-tool --module "$MOD" -L 2>/dev/null | awk -v t="$TOKEN" '
		/^Slot [0-9]+/ { s = $2 } /token label *:/ { l = $0; sub(/.*: */, "", l); sub(/ *$/, "", l); if (l == t) { print s; exit } }')
	[[ -n $idx ]] || return 1
	sed -e "s|^library *=.*|library = $MOD|" -e "s|^slotListIndex *=.*|slotListIndex = $idx|" \
		"$top/conf/java-sunpkcs11.cfg" >"$CT/java.cfg"
	grep -q "^library = $MOD\$" "$CT/java.cfg"
}

fp_of() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//'; }

# keytool -list: every key's certificate fingerprint under a PrivateKeyEntry;
# $CT/aliases maps "FINGERPRINT<TAB>alias".
keytool_list() {
	crun keytool -list "${PROV[@]}" -providerArg "$CT/java.cfg" -storepass "$PIN" \
		>"$CT/kt.out" 2>&1 || { show "$CT/kt.out"; return 1; }
	awk '/, PrivateKeyEntry,/ { a = $0; sub(/, PrivateKeyEntry,.*/, "", a); next }
		/Certificate fingerprint \(SHA-256\):/ && a != "" { print $NF "\t" a; a = "" }' \
		"$CT/kt.out" >"$CT/aliases"
	key_reset
	while key_next; do
		grep -q "^$(fp_of "$K_PEM")	" "$CT/aliases" || { show "$CT/kt.out"; return 1; }
	done
}

alias_of() { awk -F'\t' -v f="$(fp_of "$K_PEM")" '$1 == f { print $2; exit }' "$CT/aliases"; }

mk_jar() {
	mkdir -p "$CT/jar/org/akis"
	printf 'akis-pkcs11 jarsigner test %s\n' "$(date +%s%N)" >"$CT/jar/org/akis/hello.txt"
	crun jar cf "$CT/t.jar" -C "$CT/jar" . >"$CT/out" 2>&1 || { show "$CT/out"; return 1; }
}

# Trust store for jarsigner -verify: the card's root and the signer's own
# certificate (with -keystore, -strict also demands that the signer be an
# entry of the keystore).
mk_truststore() {
	rm -f "$CT/ts.p12"
	crun keytool -importcert -noprompt -alias cardroot -file "$ROOT_PEM" -keystore "$CT/ts.p12" \
		-storetype PKCS12 -storepass changeit >"$CT/out" 2>&1 &&
		crun keytool -importcert -noprompt -alias signer -file "$K_PEM" -keystore "$CT/ts.p12" \
			-storetype PKCS12 -storepass changeit >"$CT/out" 2>&1 || { show "$CT/out"; return 1; }
}

# 1 when the certificate has an extendedKeyUsage that allows no code signing
eku_forbids_codesign() {
	local e
	e=$(openssl x509 -in "$K_PEM" -noout -ext extendedKeyUsage 2>/dev/null | sed 1d)
	[[ -n $e ]] && ! grep -qi "code signing\|any extended key usage" <<<"$e"
}

jar_sign() { # $1: signed jar
	local a; a=$(alias_of)
	cat "$K_PEM" "$ISSUER_PEM" >"$CT/chain.pem"
	rm -f "$1"
	crun jarsigner -keystore NONE "${PROV[@]}" -providerArg "$CT/java.cfg" -storepass "$PIN" \
		-certchain "$CT/chain.pem" -signedjar "$1" "$CT/t.jar" "$a" >"$CT/js.out" 2>&1
}

jar_sign_verify() {
	local sj=$CT/signed-$K_ID.jar
	jar_sign "$sj" || { show "$CT/js.out"; return 1; }
	mk_truststore || return 1
	crun jarsigner -verify -strict -keystore "$CT/ts.p12" -storepass changeit "$sj" >"$CT/jv.out" 2>&1
	JV_RC=$?
	if eku_forbids_codesign; then
		# -strict must reject it for exactly that reason; the signature itself verifies
		[[ $JV_RC -ne 0 ]] && grep -q "ExtendedKeyUsage extension doesn't allow code signing" "$CT/jv.out" &&
			[[ $(sed -n '/^Error:/,/^$/p' "$CT/jv.out" | grep -c .) -eq 2 ]] || { show "$CT/jv.out"; return 1; }
		echo "    | (expected) certificate's EKU forbids code signing: -strict rejects it, signature checked without -strict"
		crun jarsigner -verify -keystore "$CT/ts.p12" -storepass changeit "$sj" >"$CT/jv.out" 2>&1
		JV_RC=$?
	fi
	[[ $JV_RC -eq 0 ]] && grep -q "jar verified" "$CT/jv.out" || { show "$CT/jv.out"; return 1; }
	# the signature in the jar is by the card's certificate
	crun jarsigner -verify -verbose -certs "$sj" 2>&1 | grep -q "$(openssl x509 -in "$K_PEM" -noout \
		-serial | sed 's/.*=//' | tr 'A-F' 'a-f' | sed 's/^0*//')" ||
		crun keytool -printcert -jarfile "$sj" 2>/dev/null | grep -qi "$(fp_of "$K_PEM")"
}

# A per-signature-PIN key: jarsigner must fail cleanly.
jar_sign_fails_cleanly() {
	local sj=$CT/signed-$K_ID.jar rc
	jar_sign "$sj"; rc=$?
	[[ $rc -ne 0 && $rc -lt 128 && ! -s $sj ]] && grep -q "jarsigner error\|unable to sign jar" "$CT/js.out" &&
		! ls "$CT"/hs_err* >/dev/null 2>&1 || { echo "    | exit $rc"; show "$CT/js.out"; return 1; }
	sed -n '1,2s/^/    | (expected) /p' "$CT/js.out"
}

sign_test() {
	mkdir -p "$CT/classes"
	crun javac -d "$CT/classes" "$here/java/SignTest.java" >"$CT/out" 2>&1 || { show "$CT/out"; return 1; }
	(cd "$CT" && crun java -cp "$CT/classes" SignTest "$CT/java.cfg" "$PIN") >"$CT/st.out" 2>&1
	ST_RC=$?
	return 0
}

st_line() { grep "^RESULT $(fp_of "$K_PEM" | tr -d ':' | tr 'A-F' 'a-f') " "$CT/st.out"; }

st_ok() {
	st_line | grep -q " OK SHA256with$([[ $K_TYPE == RSA ]] && echo RSA || echo ECDSA) " ||
		{ show "$CT/st.out"; return 1; }
}

st_fails_cleanly() {
	st_line | grep -q " FAIL .*Exception" && [[ $ST_RC -eq 1 ]] && ! ls "$CT"/hs_err* >/dev/null 2>&1 ||
		{ echo "    | exit $ST_RC"; show "$CT/st.out"; return 1; }
	st_line | sed 's/^/    | (expected) /' | cut -c1-200
}

for prof in $(client_profiles); do
	client_setup "$prof" || continue
	if ! ck "$prof: SunPKCS11 configuration from conf/java-sunpkcs11.cfg" java_cfg; then
		client_teardown; continue
	fi
	ck "$prof: keytool -list -storetype PKCS11 shows every key entry" keytool_list
	ck "$prof: test jar" mk_jar
	sign_test
	key_reset
	while key_next; do
		if [[ $K_AA == 1 ]]; then
			ck "$K_TAG: jarsigner fails cleanly (SunPKCS11 has no context-specific login)" \
				jar_sign_fails_cleanly
			ck "$K_TAG: SignTest: Signature.sign fails with an exception, no crash" st_fails_cleanly
		else
			if eku_forbids_codesign; then
				ck "$K_TAG: jarsigner signs; -verify -strict rejects only the EKU; -verify accepts" jar_sign_verify
			else
				ck "$K_TAG: jarsigner signs, jarsigner -verify -strict accepts" jar_sign_verify
			fi
			ck "$K_TAG: SignTest SHA256with${K_TYPE/EC/ECDSA} sign + software verify" st_ok
		fi
	done
	# the token is still usable after Java's failures (no stale operation)
	key_reset
	while key_next && [[ $K_AA == 1 ]]; do :; done
	if [[ $K_AA == 0 ]]; then
		ck "$K_TAG: jarsigner still works after the failures above" jar_sign_verify
	fi
	client_teardown
done
t_summary
