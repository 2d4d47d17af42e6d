#!/usr/bin/env bash
# GnuTLS p11tool --provider MODULE (issue 5, R36, R13): the token is listed,
# the certificates without login (and exported byte for byte), the private
# keys with GNUTLS_PIN, and --test-sign signs and verifies with every key
# (GnuTLS re-logs in with the PIN for CKA_ALWAYS_AUTHENTICATE keys).
#   bash tests/integration/client_gnutls.sh
#   AKIS_CLIENT_MODULE=softhsm bash tests/integration/client_gnutls.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/client_lib.bash"

P11TOOL() { crun p11tool --batch --provider "$MOD" "$@"; }

list_tokens() {
	P11TOOL --list-tokens >"$CT/out" 2>&1 && grep -q "Label: $TOKEN\$" "$CT/out" || { show "$CT/out"; return 1; }
}

# count of "Type: WHAT" entries in $CT/out
count_type() { grep -c "Type: $1" "$CT/out"; }

list_certs() { # without login (R13): GNUTLS_PIN unset, stdin closed
	env -u GNUTLS_PIN -u GNUTLS_SO_PIN p11tool --batch --provider "$MOD" --list-all-certs \
		"pkcs11:token=$TOKEN" </dev/null >"$CT/out" 2>&1
	[[ $(count_type "X.509 Certificate") -ge $(wc -l <"$CT/keys") ]] || { show "$CT/out"; return 1; }
}

list_keys() {
	GNUTLS_PIN=$PIN P11TOOL --list-all --login "pkcs11:token=$TOKEN" >"$CT/out" 2>&1
	[[ $(count_type "Private key") -ge $(wc -l <"$CT/keys") ]] || { show "$CT/out"; return 1; }
	cp "$CT/out" "$CT/all"
}

key_flags_ok() { # the key's entry in --list-all shows CKA_ALWAYS_AUTH iff K_AA
	local ent
	ent=$(awk -v id="$K_ID" 'BEGIN { RS = "Object [0-9]+:" } /Type: Private key/ {
		if (match($0, /ID: [0-9a-f:]+/) && tolower(substr($0, RSTART + 4, RLENGTH - 4)) == id_c) print }' \
		id_c="$(sed 's/../&:/g;s/:$//' <<<"${K_ID,,}")" "$CT/all")
	[[ -n $ent ]] || { echo "    | key $K_ID not in --list-all"; return 1; }
	if [[ $K_AA == 1 ]]; then grep -q CKA_ALWAYS_AUTH <<<"$ent"; else ! grep -q CKA_ALWAYS_AUTH <<<"$ent"; fi
}

export_cert() {
	P11TOOL --export "pkcs11:token=$TOKEN;id=$(id_pct "$K_ID");type=cert" >"$CT/exp.pem" 2>"$CT/out" ||
		{ show "$CT/out"; return 1; }
	cmp -s <(openssl x509 -in "$CT/exp.pem" -outform DER) <(openssl x509 -in "$K_PEM" -outform DER)
}

test_sign() {
	GNUTLS_PIN=$PIN P11TOOL --test-sign --login "pkcs11:token=$TOKEN;id=$(id_pct "$K_ID");type=private" \
		>"$CT/out" 2>&1 || { show "$CT/out"; return 1; }
	# "Signing using ... ok" and "Verifying against private key parameters... ok"
	grep -q "^Signing using.*ok" "$CT/out" && grep -q "^Verifying against .*ok" "$CT/out" &&
		! grep -qi "failed" "$CT/out" || { show "$CT/out"; return 1; }
}

for prof in $(client_profiles); do
	client_setup "$prof" || continue
	ck "$prof: p11tool --list-tokens shows $TOKEN" list_tokens
	ck "$prof: p11tool --list-all-certs without login lists the certificates (R13)" list_certs
	ck "$prof: p11tool --list-all --login (GNUTLS_PIN) lists the private keys" list_keys
	key_reset
	while key_next; do
		ck "$K_TAG: p11tool --export of the certificate matches" export_cert
		ck "$K_TAG: CKA_ALWAYS_AUTH flag shown iff the key has it" key_flags_ok
		ck "$K_TAG: p11tool --test-sign --login" test_sign
	done
	client_teardown
done
t_summary
