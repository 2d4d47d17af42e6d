#!/usr/bin/env bash
# The real Chromium signs a TLS client authentication with the card
# (issue 11). A fresh home in which Chromium has been run once; the module
# registered as a user does it, `akis-tool setup` (which creates Chromium's
# ~/.pki/nssdb); a local openssl s_server that asks for a client
# certificate from the card's test CA, its throwaway CA trusted in that
# NSS database (certutil -t C,,); Chromium's enterprise policy
# AutoSelectCertificateForUrls for that origin; Chromium (not headless)
# under Xvfb opens the page, asks for the PIN in its own dialog ("Unlock
# Security Device"), the PIN is typed there (xdotool), the page loads.
# Then the proof: the server's trace names the card's authentication
# certificate, the protocol and the CertificateVerify scheme, whose
# signature bytes are those the card answered; the card's APDU log has the
# VERIFY and the PSO; after Chromium exits, no PIN is verified on the card
# (seen from outside, secstate_lib.bash).
#   Cases: akis-1.2 over TLS 1.3, akis-2 over TLS 1.2 (both RSA-2048
#   authentication keys), and an akis-2 e-seal (Mali Mühür) card's EC P-384
#   key over TLS 1.3 (ecdsa_secp384r1_sha384; the card's raw r‖s found in
#   the DER signature the server received, R29). The e-seal card's second
#   certificate (key agreement) matches the policy's issuer filter too;
#   Chromium chose the signing one in every run, and the serial check fails
#   if it does not.
#   Screenshots: build/test-logs/chromium-pin-dialog.png, chromium-page.png
#   (first case), chromium-*-PROFILE-VERSION.png (the others).
#   bash tests/integration/browser_chromium.sh
#   AKIS_CHROMIUM_CASES="akis-2:tls1_3" bash tests/integration/browser_chromium.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
. "$here/lib.sh"
. "$here/cardlog_lib.bash"
. "$here/browser_tls.bash"
BUILD=$(cd "${AKIS_BUILD:-build}" && pwd)
MOD=$BUILD/akis-pkcs11.so
TOOL=$BUILD/akis-tool
export AKIS_VCARD=${AKIS_VCARD:-$BUILD/akis-vcard}
export AKIS_BENCH=/tmp/akis-bench-chromium
LOGS=$BUILD/test-logs
POLICY_DIR=${AKIS_CHROMIUM_POLICY_DIR:-/etc/chromium/policies/managed}
POLICY=$POLICY_DIR/akis-test.json
CASES=${AKIS_CHROMIUM_CASES:-"akis-1.2:tls1_3 akis-2:tls1_2 akis-2+e-seal:tls1_3"}
START=$SECONDS
mkdir -p "$LOGS"

missing=""
for c in chromium Xvfb xdotool import openssl certutil modutil python3; do
	command -v "$c" >/dev/null || missing+=" $c"
done
if [ -n "$missing" ]; then
	if [ "${CI:-}" = true ]; then
		t_fail "Chromium test: missing$missing (tests/install-deps installs them)"
	else
		echo "# not installed:$missing: the real Chromium not tested (sudo tests/install-deps)"
	fi
	t_summary
	exit
fi

W=$(mktemp -d /tmp/akis-chromium.XXXXXX)
T=$W
POLICY_WRITTEN=0
POLICY_MADE=""
[ -d "$POLICY_DIR" ] || POLICY_MADE=1 # made here: removed again, as far as it is empty
cleanup() {
	tls_stop_all
	[ "$POLICY_WRITTEN" = 1 ] && rm -f "$POLICY"
	[ -n "$POLICY_MADE" ] && rmdir -p "$POLICY_DIR" 2>/dev/null
	bench_down
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
. "$here/secstate_lib.bash"

# The certificate whose purposes include authentication, as akis-tool reads
# the card: "SERIAL ISSUER_CN".
auth_cert() {
	"$TOOL" --reader "$AKIS_READER_1" status --json 2>/dev/null | python3 -c '
import json, sys
card = json.load(sys.stdin)["readers"][0]["card"]
for c in card["certificates"]:
    if {"authentication", "e_seal"} & set(c.get("purposes", [])):
        print(c["serial"].upper(), c["issuer_cn"]); break'
}

# AutoSelectCertificateForUrls: the card's certificate for https://localhost:PORT.
# Chromium offers both of the card's certificates (the NES one too: it
# does not look at the extended key usage), and a policy filter names only
# issuer and subject fields, which the two share; of the matching ones
# Chromium takes the first of its order (newest notBefore first), and
# akis-vcard makes the authentication certificate after the NES one. The
# server's log says which one came: the checks below fail on the NES one.
write_policy() {
	local port=$1 issuer=$2
	if ! mkdir -p "$POLICY_DIR" 2>/dev/null || ! touch "$POLICY" 2>/dev/null; then
		echo "# $POLICY_DIR is not writable: no AutoSelectCertificateForUrls, the certificate is chosen in Chromium's dialog"
		return 1
	fi
	POLICY_WRITTEN=1
	python3 -c '
import json, sys
rule = {"pattern": "https://localhost:" + sys.argv[1], "filter": {"ISSUER": {"CN": sys.argv[2]}}}
print(json.dumps({"AutoSelectCertificateForUrls": [json.dumps(rule, ensure_ascii=False)]}, ensure_ascii=False))' \
		"$port" "$issuer" >"$POLICY"
}

shot() { import -window root "$1" 2>/dev/null; }
# the beginning of r (hex) from the beginning of a DER ECDSA-Sig-Value
der_r_prefix() {
	python3 -c '
import sys
b = bytes.fromhex(sys.argv[1])
i = 3 if b[1] < 0x80 else 4  # SEQUENCE, its length, then INTEGER r
n, r = b[i], b[i + 1:]
if r[:1] == b"\0":
    r = r[1:]
print(r[:n].hex().upper())' "$1"
}
t_has() { if grep -qE -- "$3" <<<"$2"; then t_ok "$1"; else t_fail "$1" "no /$3/ in: $(tail -5 <<<"$2" | tr '\n' ' ')"; fi; }

# run_case PROFILE VERSION: one card, one home, one server, one Chromium.
run_case() {
	local prof=$1 ver=$2 name H srv port out w pin serial issuer auths line sfx policy=0 up
	# "akis-2+e-seal": an e-seal (Mali Mühür) card, its P-384 key
	up=(--profile "${prof%%+*}")
	[[ $prof == *+e-seal ]] && up+=(--e-seal)
	name="$prof, ${ver/tls1_/TLS 1.}"
	sfx=""
	[ "$prof:$ver" = "akis-1.2:tls1_3" ] || sfx="-$prof-$ver"
	H=$W/home-${prof/+/-}-$ver
	srv=$W/srv-${prof/+/-}-$ver
	mkdir -p "$H"
	bench_up "${up[@]}" >/dev/null || { t_fail "$name: bench up"; return; }
	pin=$(awk '$1 == "pin.81" { print $3 }' "$AKIS_CARD_DIR_1/card.conf")

	# Chromium used once (as a user has: it makes ~/.config/chromium, no
	# ~/.pki/nssdb), then the module registered as a user does it
	HOME=$H timeout -k 5 60 chromium --headless --no-sandbox --disable-gpu --dump-dom about:blank \
		>"$W/first-run.log" 2>&1 </dev/null 9>&-
	out=$(HOME=$H "$TOOL" setup --module "$MOD" 2>&1)
	t_has "$name: akis-tool setup creates Chromium's NSS database" "$out" "Created the NSS database of Chromium/Chrome: $H/.pki/nssdb"
	t_has "$name: akis-tool setup registers the module there" "$out" "Chromium/Chrome profile nssdb: registered"
	out=$(modutil -dbdir "sql:$H/.pki/nssdb" -list 2>&1)
	t_has "$name: modutil lists the module and the card's token" "$out" "library name: $MOD"
	t_has "$name: modutil sees the token" "$out" "token: AKIS_"

	read -r serial issuer < <(auth_cert)
	[ -n "${serial:-}" ] || { t_fail "$name: akis-tool finds the authentication certificate"; bench_down; return; }
	echo "# $name: the card's authentication certificate: serial $serial, issuer CN $issuer"

	# the server: a throwaway CA trusted in Chromium's NSS database
	tls_server_pki "$srv" || { t_fail "$name: server certificates" "$(tail -3 "$srv/pki.log")"; bench_down; return; }
	certutil -d "sql:$H/.pki/nssdb" -A -t C,, -n "akis test server CA" -i "$srv/ca.pem"
	cat "$AKIS_CARD_DIR_1/ca/issuer.pem" "$AKIS_CARD_DIR_1/ca/root.pem" >"$srv/client-ca.pem"
	port=$(tls_free_port)
	tls_server_start "$srv" "$port" "$srv/client-ca.pem" "$ver" ||
		{ t_fail "$name: openssl s_server on port $port" "$(cat "$srv/s_server.err")"; bench_down; return; }
	write_policy "$port" "$issuer" && policy=1

	cardlog_mark
	session_start "$W/chromium-$prof-$ver.log" env HOME="$H" chromium --no-sandbox \
		--user-data-dir="$H/.config/chromium" --no-first-run --no-default-browser-check \
		--disable-gpu --password-store=basic --disable-background-networking \
		--disable-component-update --window-size=1200,850 "https://localhost:$port/"
	CHROMIUM_PID=$SESSION_PID
	if [ "$policy" = 0 ] && w=$(x_wait_window 30 ' - Chromium$'); then
		# the selection dialog is drawn inside the browser's window: its
		# default button takes the certificate it lists first
		sleep 4
		shot "$LOGS/chromium-select$sfx.png"
		xdotool windowfocus --sync "$w" key Return
	fi
	if w=$(x_wait_window 45 '^Unlock Security Device$'); then
		t_ok "$name: Chromium asks for the card's PIN in its own dialog (\"$(xdotool getwindowname "$w")\")"
		shot "$LOGS/chromium-pin-dialog$sfx.png"
		xdotool windowfocus --sync "$w"
		xdotool type --delay 40 "$pin"
		xdotool key Return
	else
		t_fail "$name: no PIN dialog within 45 s" "windows: $(x_windows | tr '\n' ';')"
		shot "$LOGS/chromium-pin-dialog$sfx.png"
	fi
	if w=$(x_wait_window 30 "^localhost:$port - Chromium$"); then
		t_ok "$name: the page of the server that asked for the certificate is shown"
	else
		t_fail "$name: no page within 30 s" "windows: $(x_windows | tr '\n' ';')"
	fi
	sleep 1
	shot "$LOGS/chromium-page$sfx.png"
	cp "$srv/s_server.log" "$LOGS/chromium-s_server-$prof-$ver.log"

	# the proof: from the server, then from the card
	auths=$(tls_client_auths "$srv/s_server.log")
	sed 's/^/# client authentication seen by the server: /' <<<"$auths"
	line=$(awk -v s="$serial" '$2 == s' <<<"$auths" | head -1)
	if [ -n "$line" ]; then
		t_ok "$name: the server received the card's authentication certificate (serial $serial)"
	else
		t_fail "$name: the server never received certificate $serial" "$auths"
	fi
	read -r v s scheme sig <<<"${line:-? ? ? ?}"
	t_eq "$name: protocol" "${ver/tls1_/TLSv1.}" "$v"
	case $prof:$ver in
	*e-seal:*) t_has "$name: CertificateVerify is ECDSA with P-384 (R29)" "$scheme" '^ecdsa_secp384r1_sha384$' ;;
	*:tls1_3) t_has "$name: CertificateVerify is RSA-PSS" "$scheme" '^rsa_pss_rsae_sha(256|384|512)$' ;;
	*:tls1_2) t_has "$name: CertificateVerify is an RSA scheme" "$scheme" '^rsa_(pss_rsae|pkcs1)_sha(256|384|512)$' ;;
	esac
	# ECDSA: the DER SEQUENCE of r and s in TLS, raw r‖s from the card
	[[ $scheme == ecdsa_* ]] && sig=$(der_r_prefix "$sig")
	if [ -n "$sig" ] && [ "$sig" != "?" ] && cardlog_tail | grep -qE "^R (00)*$sig"; then
		t_ok "$name: the CertificateVerify signature is what the card answered to its PSO"
	else
		t_fail "$name: the CertificateVerify signature ${sig:0:16}… is not in the card's answers"
	fi
	cardlog_stats >/dev/null
	t_has "$name: the card saw a VERIFY of the PIN" "$(cardlog_field verify)" '^[1-9]'
	t_has "$name: the card saw a PSO COMPUTE DIGITAL SIGNATURE" "$(cardlog_field pso)" '^[1-9]'
	echo "# $name: card: $CARDLOG_STATS"

	cardlog_mark
	if [ "$ver" = tls1_3 ]; then
		# closed as a user closes it (its window's Ctrl+Shift+W); Chromium
		# then exits without C_Finalize, and the module's exit path logs out
		xdotool windowfocus --sync "$w" key ctrl+shift+w 2>/dev/null
		for ((i = 0; i < 150; i++)); do kill -0 "$CHROMIUM_PID" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$CHROMIUM_PID" 2>/dev/null; then
			t_fail "$name: Chromium still running 15 s after its window was closed"
		else
			t_ok "$name: Chromium exits when its window is closed"
		fi
		cardlog_pin >/dev/null
		t_has "$name: the module sent LOGOUT as Chromium exited" "$(cardlog_field logout)" '^[1-9]'
		session_stop "$CHROMIUM_PID"
		t_clean "$name: Chromium gone: no PIN verified on the card, no key usable (seen from outside)" \
			"$AKIS_READER_1" "$prof"
	else
		# ended by a signal (a kill, the end of a desktop session): no code of
		# the module runs; its logout guard resets the card (R22). Seen within
		# 1 s, and before pcscd powered the card off.
		local off0
		off0=$(grep -c '^# power: off' "$AKIS_CARD_LOG_1")
		session_stop "$CHROMIUM_PID"
		local st
		clean_soon "$AKIS_READER_1" "$prof"
		st=$CLEAN_SEEN
		cardlog_pin >/dev/null
		echo "# $name: Chromium ended by SIGTERM: LOGOUT sent by the module: $(cardlog_field logout); outside right after: $st"
		if is_clean "$st" && [ "$(grep -c '^# power: off' "$AKIS_CARD_LOG_1")" = "$off0" ]; then
			t_ok "$name: Chromium ended by SIGTERM: at once no PIN verified, no key usable, before any power-off (logout guard)"
		else
			t_fail "$name: Chromium ended by SIGTERM: PIN still verified or card powered off" "outside: $st"
		fi
	fi
	tls_server_stop
	[ "$POLICY_WRITTEN" = 1 ] && rm -f "$POLICY" && POLICY_WRITTEN=0
	bench_down
}

x_start 70 99 || { t_fail "Xvfb"; t_summary; exit 1; }
for c in $CASES; do run_case "${c%%:*}" "${c#*:}"; done
echo "# runtime: $((SECONDS - START)) s"
t_summary
