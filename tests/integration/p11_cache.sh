#!/usr/bin/env bash
# The on-disk token cache (R44, docs/design.md "The on-disk token cache")
# through the real module and pkcs11-tool, on the virtual card:
#  - APDU counts per profile (deterministic): cold and second-process
#    `pkcs11-tool -O`, each equal to the figure recorded here, so that a
#    regression fails the suite;
#  - every invalidation case, by value (the certificates' DER served by the
#    module against the card's own files), each after a warm cache:
#    a certificate re-issued in place (same file, same key, new serial), a
#    certificate and key added, a different card with the same serial; and
#    the self-healing path (the stale cache is dropped and the same process
#    binds from scratch: one pkcs11-tool run, right values, cache rewritten);
#  - another card in the same reader, and back: the reader's last card is
#    only a guess (2 APDUs when wrong), each card's own serial, label,
#    certificates, and neither card's cache lost.
#   tests/integration/p11_cache.sh [BUILD_DIR]
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
M=$PWD/$BUILD/akis-pkcs11.so
export AKIS_VCARD=$PWD/$BUILD/akis-vcard BUILD AKIS_CONF=/dev/null
[[ -f $M && -x $AKIS_VCARD ]] || { echo "no $M / $AKIS_VCARD"; exit 1; }
. tests/integration/lib.sh
WORK=$(mktemp -d /tmp/akis-p11cache.XXXXXX)
trap 'bench_down; rm -rf "$WORK"' EXIT
SERIAL=0A0B0C0D0E0F101112131415

# expected command APDUs: cold -O, second-process -O (docs/design.md "The
# on-disk token cache": the reader's last card is tried without the GET DATA
# of its serial; CDF 2, 2 per certificate, PIN ×2; the life cycle is not
# read while the PUK has tries)
declare -A COLD=([akis-1.0]=24 [akis-1.2]=30 [akis-2]=28)
declare -A WARM=([akis-1.0]=6 [akis-1.2]=8 [akis-2]=8)

apdus_of() { # CMD...: command APDUs the card saw while CMD ran
	local a b
	a=$(log_count "$AKIS_CARD_LOG_1")
	"$@" >"$WORK/out" 2>&1 || echo "p11_cache: '$*' failed: $(tail -2 "$WORK/out")" >&2
	b=$(log_count "$AKIS_CARD_LOG_1")
	echo $((b - a))
}
list_O() { timeout 120 pkcs11-tool --module "$M" -O; }

# sha256 of every certificate the module serves, sorted
served() {
	local id n=0
	for id in $(timeout 120 pkcs11-tool --module "$M" -O --type cert 2>/dev/null | sed -n 's/^ *ID: *//p'); do
		timeout 60 pkcs11-tool --module "$M" --read-object --type cert --id "$id" -o "$WORK/c$n.der" >/dev/null 2>&1 &&
			sha256sum <"$WORK/c$n.der" | cut -d' ' -f1
		n=$((n + 1))
	done | sort
}
# sha256 of every certificate file on the card (certs/2F1n.pem = the EFs)
on_card() {
	local f
	for f in "$AKIS_CARD_DIR_1"/certs/2F1*.pem; do
		openssl x509 -in "$f" -outform DER | sha256sum | cut -d' ' -f1
	done | sort
}

# Change the card while it is stopped: stop its process, run CMD, start it
# again (tests/vcardctl restore starts a card whose process is gone).
card_change() {
	local pid
	pid=$(cat "$AKIS_CARD_DIR_1/pid")
	kill "$pid" && while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	"$@"
	cp "$AKIS_CARD_DIR_1/card.conf" "$AKIS_CARD_DIR_1/card.conf.provisioned"
	tests/vcardctl restore 1 >/dev/null 2>&1
}

# A freshly provisioned image with the same serial replaces the card's.
reprovision() { # INIT-OPTIONS...
	local d=$WORK/img
	rm -rf "$d"
	"$AKIS_VCARD" init "$d" --profile "$PROF" --serial "$SERIAL" "$@" >/dev/null || return 1
	rm -rf "$AKIS_CARD_DIR_1"/{fs,certs,keys,ca}
	cp -a "$d"/{fs,certs,keys,ca,card.conf} "$AKIS_CARD_DIR_1"/
}

# Certificate 2F10 re-issued in place: same key, a new serial, re-signed.
reissue_2f10() {
	local d=$AKIS_CARD_DIR_1 key
	key=$(ls "$d"/keys/key-*.pem | head -1)
	openssl x509 -in "$d/certs/2F10.pem" -set_serial 0x5151AA -signkey "$key" -days 30 \
		-out "$WORK/new.pem" 2>/dev/null || return 1
	cp "$WORK/new.pem" "$d/certs/2F10.pem"
	openssl x509 -in "$WORK/new.pem" -outform DER -out "$d/fs/3F00/3D00/2F10"
}

# an image of the card, kept aside / put in
save_image() { rm -rf "$1" && mkdir -p "$1" && cp -a "$AKIS_CARD_DIR_1"/{fs,certs,keys,ca,card.conf} "$1"/; }
load_image() {
	rm -rf "$AKIS_CARD_DIR_1"/{fs,certs,keys,ca}
	cp -a "$1"/{fs,certs,keys,ca,card.conf} "$AKIS_CARD_DIR_1"/
}
token_label() { timeout 60 pkcs11-tool --module "$M" -L 2>/dev/null | sed -n 's/^ *token label *: *//p' | head -1; }

cache_file() { ls "$XDG_CACHE_HOME"/akis-pkcs11/akis-*.cache 2>/dev/null | head -1; }

# CASE NAME CHANGE...: warm cache, change the card, one process must serve
# the card's certificates, not the cached ones, and rewrite the cache.
check_case() {
	local name=$1 before after old
	shift
	list_O >/dev/null 2>&1 # warm
	old=$(served)
	card_change "$@"
	before=$(cksum <"$(cache_file)")
	AKIS_DEBUG=obj AKIS_LOG=$WORK/debug.log list_O >/dev/null 2>&1
	after=$(cksum <"$(cache_file)" 2>/dev/null)
	if grep -q "binding from scratch" "$WORK/debug.log" && [[ $before != "$after" ]]; then
		t_ok "$PROF $name: stale cache dropped, bound from scratch in the same process, cache rewritten"
	else
		t_fail "$PROF $name: self-healing" "$(grep -c 'binding from scratch' "$WORK/debug.log") heals, cache changed: $([[ $before != "$after" ]] && echo yes || echo no)"
	fi
	rm -f "$WORK/debug.log"
	local now card
	now=$(served)
	card=$(on_card)
	t_eq "$PROF $name: the certificates served are the card's (DER)" "$card" "$now"
	[[ $now != "$old" ]] && t_ok "$PROF $name: the old certificates are not served" ||
		t_fail "$PROF $name: the old certificates are not served" "unchanged"
}

# Second-process login + NES signature (ECDSA, the key with a PIN per
# signature), APDUs per mode (docs/design.md "The signature without a
# SELECT"): the warm bind (8), SELECT + VERIFY, SELECT + VERIFY of the
# context login, MSE + PSO, SELECT + LOGOUT = 16; in the R46 login mode no
# context login, and the login's VERIFY covers the signature = 14.
sign_nes() { timeout 60 pkcs11-tool --module "$M" --login --pin 12345 --sign --id "$NES_ID" \
	-m ECDSA-SHA384 --signature-format openssl -i "$WORK/data" -o "$WORK/sig"; }
# the last signature, checked with OpenSSL against the certificate's key
sig_ok() {
	timeout 60 pkcs11-tool --module "$M" --read-object --type cert --id "$NES_ID" -o "$WORK/nes.der" >/dev/null 2>&1 &&
		openssl x509 -inform DER -in "$WORK/nes.der" -pubkey -noout >"$WORK/nes.pub" &&
		openssl dgst -sha384 -verify "$WORK/nes.pub" -signature "$WORK/sig" "$WORK/data" >/dev/null
}
login_sign_counts() {
	NES_ID=$(timeout 60 pkcs11-tool --module "$M" --login --pin 12345 -O --type privkey 2>/dev/null |
		awk '/ID:/{id=$2} /Access:.*always authenticate/{print id; exit}')
	echo data >"$WORK/data"
	rm -f "$WORK/sig"
	t_eq "$PROF: second-process login + NES signature APDUs" 16 "$(apdus_of sign_nes)"
	t_check "$PROF: … and that signature verifies (OpenSSL, the certificate's key)" sig_ok
	rm -f "$WORK/sig"
	t_eq "$PROF: the same in the R46 login mode (the login's VERIFY covers it)" 14 \
		"$(AKIS_PIN_PER_SIGNATURE=login apdus_of sign_nes)"
	t_check "$PROF: … and that signature verifies" sig_ok
}

# Card A warm in the reader, then card B (another serial, other keys) in
# the same reader, then A again. The reader's last card is a guess that
# the CDF disproves (2 APDUs), then the GET DATA of the serial decides.
OTHER=1A1B1C1D1E1F202122232425
other_card() {
	local n cold=${COLD[$PROF]} warm=${WARM[$PROF]}
	list_O >/dev/null 2>&1
	save_image "$WORK/imgA"
	rm -rf "$WORK/imgB"
	"$AKIS_VCARD" init "$WORK/imgB" --profile "$PROF" --serial "$OTHER" >/dev/null ||
		{ t_fail "$PROF: init card B"; return; }
	card_change load_image "$WORK/imgB"
	t_eq "$PROF card B after A: the CDF disproves A (2), then B cold" $((cold + 2)) "$(apdus_of list_O)"
	t_eq "$PROF card B: its label (R11)" "AKIS_${OTHER:8}" "$(token_label)"
	t_eq "$PROF card B: its certificates (DER)" "$(on_card)" "$(served)"
	n=$(ls "$XDG_CACHE_HOME"/akis-pkcs11/akis-*.cache | wc -l)
	t_eq "$PROF card B: A's cache kept beside B's" 2 "$n"
	t_eq "$PROF card B, second process: warm, no GET DATA" "$warm" "$(apdus_of list_O)"
	card_change load_image "$WORK/imgA"
	t_eq "$PROF card A again: the CDF disproves B (2), GET DATA, A warm" $((warm + 3)) "$(apdus_of list_O)"
	t_eq "$PROF card A again: its label (R11)" "AKIS_${SERIAL:8}" "$(token_label)"
	t_eq "$PROF card A again: its certificates (DER)" "$(on_card)" "$(served)"
	t_eq "$PROF card A, second process: warm, no GET DATA" "$warm" "$(apdus_of list_O)"
}

for PROF in akis-1.0 akis-1.2 akis-2; do
	bench_up --profile "$PROF" --serial "$SERIAL" >/dev/null || { t_fail "$PROF: bench_up"; continue; }
	export XDG_CACHE_HOME=$WORK/xdg-$PROF
	mkdir -p "$XDG_CACHE_HOME"
	t_eq "$PROF: cold pkcs11-tool -O APDUs" "${COLD[$PROF]}" "$(apdus_of list_O)"
	t_eq "$PROF: second-process pkcs11-tool -O APDUs" "${WARM[$PROF]}" "$(apdus_of list_O)"
	t_eq "$PROF: warm certificates are the card's" "$(on_card)" "$(served)"
	[[ $PROF == akis-2 ]] && login_sign_counts
	check_case "certificate re-issued in place" reissue_2f10
	check_case "certificate and key added" reprovision --with-expired-cert
	check_case "another card with the same serial" reprovision
	other_card
	bench_down
done
t_summary
