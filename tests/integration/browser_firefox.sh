#!/usr/bin/env bash
# The real Firefox ESR with the module, driven as a card holder uses it
# (issue 11; R27, R32, R22, R36): a fresh HOME, the profile Firefox makes
# itself, the module registered by `akis-tool setup`, Firefox (not headless)
# under Xvfb on an akis-2 virtual card. openssl s_server (-trace) asks for a
# client certificate from the card's CA; Firefox picks the card's
# certificate by itself, asks for the PIN ("Password Required", typed with
# xdotool), and the card's RSA authentication key signs the CertificateVerify
# (RSA-PSS) in TLS 1.3, then in TLS 1.2 without a second PIN. Checked from
# the server's trace (the certificate received is the card's, byte for byte;
# the scheme), from the page as Firefox got it (its disk cache: protocol and
# the client certificate the server saw) and from the card's APDU log
# (VERIFY, MSE of that key, PSO). The card pulled out: Firefox keeps running
# and sends an empty Certificate; put back: the PIN again, and the card
# signs. ctrl+q ends Firefox within 5 s; Firefox ESR leaves by _exit without
# C_Finalize, so the module's logout guard resets the card: right after the
# quit, before pcscd's power-off, another process finds nothing verified. Last, an e-seal card: TLS 1.3 with its EC P-384 key
# (ecdsa_secp384r1_sha384). Screenshots, Firefox's output, the module's
# trace and the servers' logs in BUILD/test-logs/firefox-*. Without
# firefox-esr or xdotool the test is skipped, but fails under CI=true.
#   bash tests/integration/browser_firefox.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/client_lib.bash"
. "$here/browser_lib.bash"
. "$here/cardlog_lib.bash"
. "$here/monitor_lib.bash"
. "$here/firefox_lib.bash"
START=$SECONDS
BUILD=${AKIS_BUILD:-$top/build}
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
rm -f "$LOGS"/firefox-*

need=()
for c in firefox-esr xdotool Xvfb import certutil modutil; do command -v "$c" >/dev/null || need+=("$c"); done
if [[ ${#need[@]} -gt 0 ]]; then
	if [[ ${CI:-} == true ]]; then
		t_fail "the Firefox test needs ${need[*]} (tests/install-deps installs them)"
		t_summary; exit 1
	fi
	echo "# skipped: ${need[*]} not installed (tests/install-deps); under CI=true this fails"
	t_summary; exit 0
fi

client_setup akis-2 || { t_summary; exit 1; }
LOCKED=$SECONDS # the bench is ours from here
export LC_ALL=C.UTF-8
unset XDG_CONFIG_HOME XDG_CACHE_HOME XDG_DATA_HOME # the profile and cache under the fresh HOME

der_of() { openssl x509 -in "$1" -outform DER 2>/dev/null | sha256sum | cut -c1-64; }

# card_key: the key of card 1 a TLS client signs with, from the virtual
# card's own files: in card.conf a signing key without userConsent (akis-2:
# "key = 82 rsa2048 sign+decrypt 0", the authentication key; e-seal: 81
# ec-p384 SIGN0), its certificate from info.txt ("key 82: ... cert 2F11").
# Sets AUTH_REF, AUTH_ALG, AUTH_PEM, AUTH_FP, AUTH_SERIAL and SCHEMES (the
# TLS 1.3 CertificateVerify schemes that key can make, a regex).
card_key() {
	local fid
	read -r AUTH_REF AUTH_ALG < <(awk '$1 == "key" && $5 ~ /sign/ && $6 == 0 { print $3, $4; exit }' \
		"$AKIS_CARD_DIR_1/card.conf")
	fid=$(awk -v k="key $AUTH_REF:" 'index($0, k) == 1 { print $NF }' "$AKIS_CARD_DIR_1/info.txt")
	AUTH_PEM=$AKIS_CARD_DIR_1/certs/$fid.pem
	AUTH_FP=$(der_of "$AUTH_PEM")
	AUTH_SERIAL=$(openssl x509 -in "$AUTH_PEM" -noout -serial 2>/dev/null)
	case $AUTH_ALG in
	rsa*) SCHEMES='rsa_pss_rsae_sha(256|384|512)' ;;
	ec-p256) SCHEMES='ecdsa_secp256r1_sha256' ;;
	ec-p384) SCHEMES='ecdsa_secp384r1_sha384' ;;
	*) SCHEMES='none' ;;
	esac
	echo "# card key $AUTH_REF ($AUTH_ALG), certificate $fid ($AUTH_SERIAL, sha256 $AUTH_FP)"
	[[ -n $AUTH_REF && ${#AUTH_FP} -eq 64 ]]
}

card_key || { t_fail "the card's authentication key in the virtual card's files"; t_summary; exit 1; }
seen=
for c in "$CT"/cert-*.pem; do [[ -f $c && $(der_of "$c") == "$AUTH_FP" ]] && seen=1; done
if [[ -n $seen ]]; then t_ok "the module shows the card's authentication certificate (pkcs11-tool)"
else t_fail "the card's authentication certificate through the module"; fi

# ------------------------------------------------ the profile, as a user has it
H=$CT/home
mkdir -p "$H"
browser_profile_firefox "$H"
P=$(ff_profile_dir "$H")
[[ -n $P ]] || { t_fail "Firefox made its profile"; sed 's/^/#   /' "$H/firefox.log"; t_summary; exit 1; }
out=$(HOME=$H "$BUILD/akis-tool" setup --module "$MOD" 2>&1)
rc=$?
if [[ $rc -eq 0 ]] && grep -q "^Firefox profile .*: registered ($P)" <<<"$out"; then
	t_ok "akis-tool setup --module registers the module in the profile Firefox made"
else t_fail "akis-tool setup (exit $rc)" "$out"; fi
if modutil -dbdir "sql:$P" -list 2>&1 | grep -q "library name: $MOD$"; then
	t_ok "modutil lists the module in the profile's database"
else t_fail "modutil does not list $MOD"; fi

# A throwaway CA for the server, trusted by the profile (Firefox is not running).
if ! mk_ca "$CT/srv" || ! mk_cert "$CT/srv" issuer server server "/CN=localhost" -newkey rsa:2048 ||
	! certutil -A -d "sql:$P" -n "akis test server root" -t "C,," -i "$CT/srv/root.pem"; then
	t_fail "server CA in the profile"; t_summary; exit 1
fi
ff_prefs "$P"

# shellcheck disable=SC2034 # mon_xvfb_start logs there
WORK=$CT
mon_xvfb_start 130 160
client_on_exit "kill $XPID"
[[ -e /tmp/.X11-unix/X$D ]] || { t_fail "Xvfb :$D"; t_summary; exit 1; }

# srv_up NAME OPTS...: s_server -www on a free loopback port asking for a
# client certificate from the card's CA (-Verify 1), no session cache nor
# tickets, its handshake trace (line-buffered: read while it runs) in
# LOGS/firefox-s_server-NAME.log; sets URL, SRV_LOG, SRV_ERR.
srv_up() {
	local name=$1
	shift
	SRV_LOG=$LOGS/firefox-s_server-$name.log SRV_ERR=$LOGS/firefox-s_server-$name.err
	PORT=$(free_port) || return 1
	stdbuf -oL openssl s_server -accept "127.0.0.1:$PORT" -cert "$CT/srv/server.pem" -key "$CT/srv/server.key" \
		-cert_chain "$CT/srv/issuer.pem" -CAfile "$CA_FILE" -Verify 1 -www -trace \
		-no_cache -num_tickets 0 "$@" </dev/null >"$SRV_LOG" 2>"$SRV_ERR" 9>&- &
	client_on_exit "kill $!"
	URL=https://localhost:$PORT/
	wait_port "$PORT"
}

# What the server received (its trace between "Received Record" and "Sent Record"):
# srv_peer_fps LOG: the sha256 of each client certificate; srv_schemes LOG:
# the signature schemes of the client's CertificateVerify.
srv_peer_fps() {
	local d=$CT/peers f
	rm -rf "$d"; mkdir -p "$d"
	awk -v d="$d" '/^Received Record/ { r = 1 } /^Sent Record/ { r = 0 }
		r && /^-----BEGIN CERTIFICATE-----/ { n++; p = 1 }
		p { print > (d "/" n ".pem") } /^-----END CERTIFICATE-----/ { p = 0 }' "$1"
	for f in "$d"/*.pem; do [[ -f $f ]] && der_of "$f"; done
}
srv_schemes() {
	awk '/^Received Record/ { r = 1 } /^Sent Record/ { r = 0 }
		r && /CertificateVerify,/ { c = 1; next } c && /Signature Algorithm:/ { print $3; c = 0 }' "$1" | sort -u | tr '\n' ' '
}

# check_signed TAG PAGE PROTO: the server got the card's certificate and a
# CertificateVerify of a scheme in SCHEMES; the page says PROTO and shows that certificate.
check_signed() {
	local tag=$1 page=$2 proto=$3 fps schemes
	if grep -qa "Protocol  : $proto\$" "$page"; then t_ok "$tag: the page Firefox got says Protocol $proto"
	else t_fail "$tag: no 'Protocol  : $proto' in the page" "$(grep -a 'Protocol' "$page")"; fi
	LC_ALL=C sed -n '/^Client certificate/,/^-----END CERTIFICATE-----/p' "$page" >"$CT/page-peer.pem"
	if [[ $(der_of "$CT/page-peer.pem") == "$AUTH_FP" ]]; then
		t_ok "$tag: the page shows the card's certificate as the client certificate"
	else t_fail "$tag: the page's client certificate is not the card's"; fi
	fps=$(srv_peer_fps "$SRV_LOG" | sort -u)
	if [[ $fps == "$AUTH_FP" ]]; then
		t_ok "$tag: the server received the card's certificate ($AUTH_SERIAL), byte for byte"
	else t_fail "$tag: client certificates in the server's trace" "'$fps' (want $AUTH_FP)"; fi
	schemes=$(srv_schemes "$SRV_LOG")
	echo "# $tag: CertificateVerify schemes in the server's trace: $schemes"
	if [[ $schemes =~ ^($SCHEMES\ )+$ ]]; then
		t_ok "$tag: the client's CertificateVerify: ${schemes% } (R27)"
	else t_fail "$tag: CertificateVerify schemes" "'$schemes'"; fi
}

# check_card TAG VERIFIES: the card's log since the mark: VERIFIES VERIFY
# commands, the MSE of the authentication key and at least one PSO.
check_card() {
	local tag=$1 want=$2 mse
	cardlog_stats >/dev/null
	mse=$(cardlog_tail | grep -c "^C 002241B6068001..8401$AUTH_REF\$")
	echo "# $tag: card log: $CARDLOG_STATS mse-of-key-$AUTH_REF=$mse"
	if [[ $(cardlog_field verify) == "$want" ]]; then t_ok "$tag: the card saw $want VERIFY of the user PIN"
	else t_fail "$tag: VERIFY count" "$CARDLOG_STATS"; fi
	if [[ $mse -ge 1 && $(cardlog_field pso) -ge 1 ]]; then
		t_ok "$tag: the card selected key $AUTH_REF (MSE) and signed (PSO COMPUTE DIGITAL SIGNATURE)"
	else t_fail "$tag: no MSE of key $AUTH_REF and PSO on the card" "$CARDLOG_STATS mse=$mse"; fi
}

no_pin_dialog() { [[ -z $(xdotool search --onlyvisible --name "Password Required" 2>/dev/null) ]]; }

# pin_dialog TAG SHOT: wait for the PIN dialog, screenshot, type the PIN.
pin_dialog() {
	local w
	if ! w=$(ff_window "Password Required" 90) || [[ -z $w ]]; then
		t_fail "$1: Firefox asks for the PIN (no 'Password Required' window in 90 s)"
		ff_shot "$LOGS/$2"; return 1
	fi
	t_ok "$1: Firefox asks for the card's PIN ('$(xdotool getwindowname "$w")')"
	sleep 1
	ff_shot "$LOGS/$2"
	ff_type_pin "$w" "$PIN" || { t_fail "$1: focus on the PIN dialog"; return 1; }
	if ff_gone "$w" 30; then t_ok "$1: PIN typed, the dialog closed"
	else t_fail "$1: the PIN dialog is still there"; return 1; fi
}

# page TAG SHOT: the page of URL in Firefox's cache within 60 s, screenshot
page() {
	PAGE=$(ff_page "$H" "$URL" 60)
	ff_shot "$LOGS/$2"
	[[ -n $PAGE ]] && return 0
	t_fail "$1: Firefox did not get $URL in 60 s"
	return 1
}

# ------------------------------------------------ TLS 1.3, the PIN asked once
srv_up tls13 -tls1_3 || { t_fail "s_server up"; t_summary; exit 1; }
cardlog_mark
AKIS_DEBUG=p11,pin AKIS_LOG=$LOGS/firefox-module.log ff_start "$H" "$URL" "$LOGS/firefox.log"
client_on_exit ff_kill
if pin_dialog "TLS 1.3" firefox-pin-dialog.png && page "TLS 1.3" firefox-page-tls13.png; then
	check_signed "TLS 1.3" "$PAGE" TLSv1.3
	check_card "TLS 1.3" 1
fi

# ------------------------------------------------ TLS 1.2, already logged in
srv_up tls12 -tls1_2 || { t_fail "s_server up"; t_summary; exit 1; }
cardlog_mark
if ff_open "$H" "$URL" && page "TLS 1.2" firefox-page-tls12.png; then
	check_signed "TLS 1.2" "$PAGE" TLSv1.2
	check_card "TLS 1.2 (logged in: no PIN)" 0
	if no_pin_dialog; then t_ok "TLS 1.2: no second PIN dialog"; else t_fail "TLS 1.2: a PIN dialog"; fi
else
	t_fail "TLS 1.2: Firefox opened $URL"
fi

# ------------------------------------------------ the card pulled out (R32)
"$T_VCARDCTL" remove 1
sleep 3
if kill -0 "$FF_PID" 2>/dev/null; then t_ok "card removed: Firefox keeps running"
else t_fail "card removed: Firefox ended"; fi
srv_up removed -tls1_3 || { t_fail "s_server up"; t_summary; exit 1; }
if ff_open "$H" "$URL"; then
	for ((i = 0; i < 120; i++)); do grep -q "peer did not return a certificate" "$SRV_ERR" && break; sleep 0.5; done
	sleep 1
	ff_shot "$LOGS/firefox-card-removed.png"
	if grep -q "peer did not return a certificate" "$SRV_ERR" && [[ -z $(srv_peer_fps "$SRV_LOG") ]] &&
		awk '/^Received Record/ { r = 1 } /^Sent Record/ { r = 0 } r && /certificate_list, length=0$/ { f = 1 }
			END { exit !f }' "$SRV_LOG"; then
		t_ok "card removed: Firefox sends an empty Certificate (server: 'peer did not return a certificate')"
	else t_fail "card removed: the server's log" "$(tail -3 "$SRV_ERR" | tr '\n' ' ')"; fi
	if no_pin_dialog; then t_ok "card removed: no PIN dialog"; else t_fail "card removed: a PIN dialog"; fi
else
	t_fail "card removed: Firefox opened $URL"
fi
if kill -0 "$FF_PID" 2>/dev/null; then t_ok "card removed: Firefox still running after the failed handshake"
else t_fail "card removed: Firefox ended after the handshake"; fi

# ------------------------------------------------ put back: a fresh, logged-out token
"$T_VCARDCTL" insert 1
sleep 2
srv_up again -tls1_3 || { t_fail "s_server up"; t_summary; exit 1; }
cardlog_mark
if ff_open "$H" "$URL" && pin_dialog "card back" firefox-pin-dialog-again.png &&
	page "card back" firefox-page-again.png; then
	check_signed "card back" "$PAGE" TLSv1.3
	check_card "card back" 1
else
	t_fail "card back: Firefox signed with the card again"
fi

# ------------------------------------------------ quit; the card afterwards (R22)
T=$CT/secstate # secstate_lib.bash: its outside view of the card (it sets XDG_CACHE_HOME: after Firefox started)
mkdir -p "$T"
. "$here/secstate_lib.bash"
off0=$(grep -c '^# power: off' "$AKIS_CARD_LOG_1")
cardlog_mark
if ff_quit 5; then t_ok "ctrl+q: Firefox exits within 5 s (${FF_QUIT_MS} ms)"
else t_fail "ctrl+q: Firefox still running 5 s after ctrl+q"; ff_kill; fi
t_quit=$(date +%s%N)
# What Firefox leaves: ESR quits by _exit after its shutdown's first stages
# (toolkit.shutdown.fastShutdownStage), before NSS calls C_Finalize, so the
# module gets no chance to log out; its logout guard (tools/akis-guard,
# docs/design.md "Logout hygiene") sees the process end and resets the card.
# Checked within 1 s of Firefox's end, and that pcscd had not powered the
# card off by then (it takes 0.5 s or more).
clean_soon "$AKIS_READER_1" akis-2
at_once=$CLEAN_SEEN
off1=$(grep -c '^# power: off' "$AKIS_CARD_LOG_1")
cardlog_pin >/dev/null
echo "# at quit: LOGOUT sent by Firefox's module: $(cardlog_field logout); a process right after Firefox sees: $at_once"
if is_clean "$at_once" && [[ $off1 -eq $off0 ]]; then
	t_ok "after Firefox quit: at once no PIN verified, every key refused, before any power-off (R22)"
else
	t_fail "after Firefox quit: at once no PIN verified, every key refused, before any power-off (R22)" \
		"outside: $at_once; power-offs since the quit: $((off1 - off0))"
fi
for ((i = 0; i < 300; i++)); do
	[[ $(grep -c '^# power: off' "$AKIS_CARD_LOG_1") -gt $off0 ]] && break
	sleep 0.1
done
echo "# pcscd powered the card off $((($(date +%s%N) - t_quit) / 1000000)) ms after Firefox ended"
t_clean "after Firefox, once pcscd has powered the card off: no PIN verified, every key refused (R22)" \
	"$AKIS_READER_1" akis-2

# ------------------------------------------------ EC: an e-seal card's P-384 key in TLS 1.3
bench_down
if bench_up --profile akis-2 --e-seal >/dev/null && card_key; then
	cat "$AKIS_CARD_DIR_1/ca/root.pem" "$AKIS_CARD_DIR_1/ca/issuer.pem" >"$CT/ca-eseal.pem"
	CA_FILE=$CT/ca-eseal.pem
	srv_up eseal -tls1_3 || { t_fail "s_server up"; t_summary; exit 1; }
	cardlog_mark
	AKIS_DEBUG=p11,pin AKIS_LOG=$LOGS/firefox-module-eseal.log ff_start "$H" "$URL" "$LOGS/firefox-eseal.log"
	if pin_dialog "e-seal EC" firefox-pin-dialog-eseal.png && page "e-seal EC" firefox-page-eseal.png; then
		check_signed "e-seal EC" "$PAGE" TLSv1.3
		check_card "e-seal EC" 1
	fi
	if ff_quit 5; then t_ok "e-seal: Firefox exits within 5 s (${FF_QUIT_MS} ms)"
	else t_fail "e-seal: Firefox still running 5 s after ctrl+q"; ff_kill; fi
else
	t_fail "bench up with an e-seal card"
fi

echo "# Firefox test: $((SECONDS - LOCKED)) s with the bench ($((SECONDS - START)) s in all); screenshots and logs in $LOGS/firefox-*"
t_summary
