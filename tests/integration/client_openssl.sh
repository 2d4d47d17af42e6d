#!/usr/bin/env bash
# OpenSSL through the pkcs11 engine (libengine-pkcs11-openssl, libp11)
# (issue 5, R36): openssl dgst -sign, req -new -x509 and cms -sign with
# pkcs11: URIs for every key of the token; every signature verified by plain
# openssl (no engine) against the card's certificate / CA.
#   bash tests/integration/client_openssl.sh
#   AKIS_CLIENT_MODULE=softhsm bash tests/integration/client_openssl.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/client_lib.bash"

ENGINE_SO=${ENGINE_SO:-$(find /usr/lib/*/engines-3 /usr/lib/engines-3 -name pkcs11.so 2>/dev/null | head -1)}

# An openssl.cnf loading the engine with MODULE_PATH = the module under test.
engine_conf() {
	cat >"$CT/openssl.cnf" <<-EOF
		openssl_conf = openssl_init
		[openssl_init]
		engines = engine_section
		[engine_section]
		pkcs11 = pkcs11_section
		[pkcs11_section]
		engine_id = pkcs11
		dynamic_path = $ENGINE_SO
		MODULE_PATH = $MOD
		init = 0
		[req]
		distinguished_name = dn
		[dn]
	EOF
}

# openssl with the engine configured; plain openssl is "openssl" itself.
# For a CKA_ALWAYS_AUTHENTICATE key libp11 asks "Enter PKCS#11 key PIN for
# LABEL:" on the terminal before each signature (its context-specific login;
# neither the URI's pin-value nor -passin answers it), so such a command runs
# on a pseudo-terminal (util-linux script) that is given the PIN.
eng() {
	if [[ ${K_AA:-0} == 1 ]]; then
		printf '%s\n' "$PIN" | OPENSSL_CONF=$CT/openssl.cnf timeout -k 5 "$CLIENT_TIMEOUT" \
			script -qec "$(printf '%q ' openssl "$@")" /dev/null
	else
		OPENSSL_CONF=$CT/openssl.cnf crun openssl "$@"
	fi
}

uri() { # private key URI of the current key, PIN in the URI
	echo "pkcs11:token=$TOKEN;id=$(id_pct "$K_ID");type=private;pin-value=$PIN"
}

dgst_sign() {
	rm -f "$CT/sig"
	eng dgst -sha256 -engine pkcs11 -keyform engine -sign "$(uri)" \
		-out "$CT/sig" "$CT/msg" >"$CT/out" 2>&1 || { show "$CT/out"; return 1; }
	openssl dgst -sha256 -verify "$K_PUB" -signature "$CT/sig" "$CT/msg" >"$CT/out" 2>&1 ||
		{ show "$CT/out"; return 1; }
}

# RSA-PSS through the engine (what TLS 1.3 and modern CMS need)
dgst_sign_pss() {
	rm -f "$CT/sig"
	eng dgst -sha256 -engine pkcs11 -keyform engine -sign "$(uri)" \
		-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest \
		-out "$CT/sig" "$CT/msg" >"$CT/out" 2>&1 || { show "$CT/out"; return 1; }
	openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest \
		-verify "$K_PUB" -signature "$CT/sig" "$CT/msg" >"$CT/out" 2>&1 ||
		{ show "$CT/out"; return 1; }
}

req_x509() {
	rm -f "$CT/self.pem"
	eng req -new -x509 -engine pkcs11 -keyform engine -key "$(uri)" -sha256 -days 1 \
		-subj "/C=TR/CN=akis-pkcs11 client test" -out "$CT/self.pem" >"$CT/out" 2>&1 ||
		{ show "$CT/out"; return 1; }
	# self-signed: its signature verifies with its own key, which is the card's key
	openssl verify -check_ss_sig -CAfile "$CT/self.pem" "$CT/self.pem" >"$CT/out" 2>&1 ||
		{ show "$CT/out"; return 1; }
	cmp -s <(openssl x509 -in "$CT/self.pem" -noout -pubkey) "$K_PUB" ||
		{ echo "    | public key of the new certificate is not the card key's"; return 1; }
}

cms_sign() {
	rm -f "$CT/msg.p7"
	eng cms -sign -engine pkcs11 -keyform engine -inkey "$(uri)" -signer "$K_PEM" \
		-md sha256 -nodetach -binary -in "$CT/msg" -outform DER -out "$CT/msg.p7" >"$CT/out" 2>&1 ||
		{ show "$CT/out"; return 1; }
	openssl cms -verify -inform DER -in "$CT/msg.p7" -binary -purpose any \
		-CAfile "$CA_FILE" -out "$CT/msg.out" >"$CT/out" 2>&1 ||
		{ show "$CT/out"; return 1; }
	cmp -s "$CT/msg" "$CT/msg.out"
}

# A wrong PIN must fail cleanly (no signature, an error, no hang)
wrong_pin() {
	rm -f "$CT/sig"
	! eng dgst -sha256 -engine pkcs11 -keyform engine \
		-sign "pkcs11:token=$TOKEN;id=$(id_pct "$K_ID");type=private;pin-value=00000000" \
		-out "$CT/sig" "$CT/msg" >"$CT/out" 2>&1 && [[ ! -s $CT/sig ]]
}

run_profile() {
	[[ -n $ENGINE_SO && -f $ENGINE_SO ]] || { t_fail "pkcs11 engine installed"; return; }
	engine_conf
	head -c 4000 /dev/urandom >"$CT/msg"
	eng engine -t pkcs11 >"$CT/out" 2>&1
	ck "$CLIENT_PROFILE: openssl engine -t pkcs11 loads with MODULE_PATH" grep -q "available" "$CT/out" ||
		show "$CT/out"
	key_reset
	while key_next; do
		ck "$K_TAG: openssl dgst -sha256 -sign via engine, verified" dgst_sign
		[[ $K_TYPE == RSA ]] &&
			ck "$K_TAG: openssl dgst -sha256 RSA-PSS -sign via engine, verified" dgst_sign_pss
		ck "$K_TAG: openssl req -new -x509 via engine, self-signature verified" req_x509
		ck "$K_TAG: openssl cms -sign via engine, openssl cms -verify with the CA" cms_sign
	done
	# one wrong-PIN attempt only: it spends a PIN try on a real card
	key_reset; key_next
	ck "$K_TAG: wrong PIN in the URI → the engine fails, no signature" wrong_pin || show "$CT/out"
	# put the try back with a good login (a successful VERIFY resets the counter)
	pkcs11-tool --module "$MOD" --token-label "$TOKEN" --login --pin "$PIN" -O >/dev/null 2>&1
}

for prof in $(client_profiles); do
	client_setup "$prof" || continue
	run_profile
	client_teardown
done
t_summary
