#!/usr/bin/env bash
# NSS — what Firefox and Thunderbird use (issue 5, R36, R13, R20): the module
# registered with modutil into a fresh NSS database; certutil lists the
# certificates without a PIN and the keys with it; TLS client authentication
# (tstclnt against openssl s_server -Verify 1, TLS 1.2 and 1.3) with every
# key; CMS signing with cmsutil with every key
# (NSS does the context-specific login of CKA_ALWAYS_AUTHENTICATE keys with
# the password file), verified by openssl cms with the card's CA.
#   bash tests/integration/client_nss.sh                      (virtual cards)
#   AKIS_CLIENT_MODULE=softhsm bash tests/integration/client_nss.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/client_lib.bash"

nss_db() { # fresh database with the module and the CAs: $D, $PW
	D=$CT/nssdb PW=$CT/pw
	mkdir -p "$D"
	printf '%s\n' "$PIN" >"$PW"
	crun certutil -N --empty-password -d "sql:$D" >"$CT/out" 2>&1 || { show "$CT/out"; return 1; }
	crun modutil -add AKIS -libfile "$MOD" -dbdir "sql:$D" -force >"$CT/out" 2>&1 ||
		{ show "$CT/out"; return 1; }
	crun certutil -A -d "sql:$D" -n "card root" -t "CT,C,C" -i "$ROOT_PEM" &&
		{ [[ ! -s $ISSUER_PEM ]] || crun certutil -A -d "sql:$D" -n "card issuer" -t ",," -i "$ISSUER_PEM"; } &&
		crun certutil -A -d "sql:$D" -n "server root" -t "CT,C,C" -i "$CT/srv/root.pem"
}

test_registration() {
	crun modutil -list AKIS -dbdir "sql:$D" >"$CT/out" 2>&1
	ck "$CLIENT_PROFILE: modutil -list shows the token" grep -q "Token Name: *$TOKEN" "$CT/out" ||
		show "$CT/out"
}

test_listing() {
	# R13: no -f and stdin closed, so NSS has no way to log in.
	crun certutil -L -h all -d "sql:$D" >"$CT/certs" 2>&1
	key_reset
	while key_next; do
		ck "$K_TAG: certutil -L -h all lists '$TOKEN:$K_CLABEL' without PIN (R13)" \
			grep -qF "$TOKEN:$K_CLABEL " "$CT/certs" || show "$CT/certs"
	done
	crun certutil -K -h all -d "sql:$D" -f "$PW" >"$CT/keys.out" 2>&1
	# "< 0> rsa      01      label" after 'Checking token "TOKEN"'
	awk -v t="Checking token \"$TOKEN\"" 'index($0, t) { on = 1; next } /Checking token/ { on = 0 }
		on && /^< *[0-9]+>/ { sub(/^< *[0-9]+> */, ""); print $1, $2 }' "$CT/keys.out" >"$CT/keys.nss"
	key_reset
	while key_next; do
		ck "$K_TAG: certutil -K -f pwfile lists the key" \
			grep -qix "${K_TYPE} $K_ID" "$CT/keys.nss" || show "$CT/keys.out"
	done
}

server_up() { # s_server -www asking for a client certificate from the card's CA
	PORT=$(free_port) || return 1
	openssl s_server -accept "127.0.0.1:$PORT" -cert "$CT/srv/server.pem" -key "$CT/srv/server.key" \
		-cert_chain "$CT/srv/issuer.pem" -CAfile "$CA_FILE" -Verify 1 -www -no_dhe \
		</dev/null >"$CT/s_server.log" 2>&1 &
	local pid=$!
	client_on_exit "kill $pid; wait $pid"
	wait_port "$PORT" || { show "$CT/s_server.log"; return 1; }
}

# tls_client VERSION: one HTTPS request with the key's certificate; the -www
# page echoes the client certificate the server received.
tls_client() {
	local v=$1 out=$CT/tls-$K_ID-$1
	printf 'GET / HTTP/1.0\r\n\r\n' >"$CT/req"
	timeout -k 5 "$CLIENT_TIMEOUT" tstclnt -h 127.0.0.1 -p "$PORT" -d "sql:$D" \
		-n "$TOKEN:$K_CLABEL" -W "$PW" -V "$v:$v" -A "$CT/req" >"$out" 2>&1 </dev/null
	sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$out" >"$out.peer"
	if ! grep -q "^Client certificate" "$out" ||
		! cmp -s <(openssl x509 -in "$out.peer" -outform DER 2>/dev/null) \
			<(openssl x509 -in "$K_PEM" -outform DER); then
		show "$out"; return 1
	fi
	grep -q "Protocol *: *TLSv${v#tls}" "$out" || { grep Protocol "$out"; return 1; }
}

test_tls() {
	server_up || { t_fail "$CLIENT_PROFILE: s_server up"; return; }
	key_reset
	while key_next; do
		local how="server got the card's certificate"
		[[ $K_AA == 1 ]] && how="NSS logs in per signature (-W pwfile); $how"
		ck "$K_TAG: tstclnt TLS 1.2 client auth, $how" tls_client tls1.2
		ck "$K_TAG: tstclnt TLS 1.3 client auth, $how" tls_client tls1.3
	done
	client_teardown_servers
}

client_teardown_servers() {
	local c
	for c in "${CLIENT_EXIT_CMDS[@]}"; do eval "$c" >/dev/null 2>&1; done
	CLIENT_EXIT_CMDS=()
}

cms_sign() {
	local p7=$CT/msg-$K_ID.p7
	rm -f "$p7"
	crun cmsutil -S -T -H SHA256 -N "$TOKEN:$K_CLABEL" -d "sql:$D" -f "$PW" \
		-i "$CT/msg" -o "$p7" >"$CT/cms.out" 2>&1 || { show "$CT/cms.out"; return 1; }
	openssl cms -verify -inform DER -in "$p7" -content "$CT/msg" -binary -purpose any \
		-CAfile "$ROOT_PEM" -certfile "$ISSUER_PEM" -signer "$CT/signer.pem" \
		-out /dev/null >"$CT/cms.out" 2>&1 || { show "$CT/cms.out"; return 1; }
	# the signer is the card's certificate
	cmp -s <(openssl x509 -in "$CT/signer.pem" -outform DER) <(openssl x509 -in "$K_PEM" -outform DER) ||
		{ echo "    | signer is not the certificate of key $K_ID"; return 1; }
}

test_cms() {
	head -c 5000 /dev/urandom >"$CT/msg"
	key_reset
	while key_next; do
		if [[ $K_AA == 1 ]]; then
			ck "$K_TAG: cmsutil -S (context-specific login from -f pwfile), openssl cms -verify" cms_sign
		else
			ck "$K_TAG: cmsutil -S signs, openssl cms -verify with the CA" cms_sign
		fi
	done
}

for prof in $(client_profiles); do
	client_setup "$prof" || continue
	if mk_ca "$CT/srv" && mk_cert "$CT/srv" issuer server server "/CN=127.0.0.1" -newkey rsa:2048 &&
		nss_db; then
		t_ok "$prof: NSS database with the module (modutil -add)"
		test_registration
		test_listing
		test_tls
		test_cms
	else
		t_fail "$prof: NSS database with the module (modutil -add)"
	fi
	client_teardown
done
t_summary
