#!/usr/bin/env bash
# E-seal (Mali Mühür) cards (issue 13 part 3, R48, R23): two akis-2 e-seal
# cards (akis-vcard init --e-seal) in two readers. On each card the keys
# <VKN>SIGN0 and <VKN>ENCR0 share ONE iD in PrKDF and CDF, as real cards do.
#  - pkcs11-tool -O: 2 private keys, 2 public keys, 2 certificates, distinct
#    CKA_IDs, each key with the certificate and public key of its own key
#    pair (compared with the card's key files), SIGN0 signs and verifies;
#  - keytool -list (SunPKCS11) lists both PrivateKeyEntry entries;
#  - java/SealLoop: 1,000 invoice hashes signed with SHA384withECDSA after
#    one login, each verified in Java; exactly one VERIFY with data in the
#    card's APDU log for the whole run;
#  - two JVMs at once, one per card/slot: all verified, one VERIFY each.
# AKIS_SKIP_JAVA=1 (tests/run-sanitized asan) runs the pkcs11-tool part only.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
TOP=$(cd "$here/../.." && pwd)
B=${AKIS_BUILD:-$TOP/build}
M=$B/akis-pkcs11.so
PIN=12345
N=${ESEAL_N:-1000}
export AKIS_VCARD=${AKIS_VCARD:-$B/akis-vcard} AKIS_CONF=/dev/null
W=$(mktemp -d /tmp/akis-eseal.XXXXXX)
trap 'bench_down; rm -rf "$W"' EXIT
run() { timeout -k 5 300 "$@" </dev/null; }
show() { sed -n '1,20p' "$1" | sed 's/^/    | /'; }

bench_up --profile akis-2,akis-2 --cards 2 --e-seal >/dev/null || { t_fail "bench up with two e-seal cards"; t_summary; exit 1; }

# token label of card $1 (its reader is AKIS_READER_$1)
token_of() {
	local r; r=$(eval echo "\$AKIS_READER_$1")
	run pkcs11-tool --module "$M" -L 2>/dev/null | awk -v r="$r" '
		/^Slot [0-9]+/ { s = $0; sub(/^Slot [0-9]+ \([^)]*\): */, "", s); sub(/ *$/, "", s) }
		/token label *:/ && s == r { l = $0; sub(/.*: */, "", l); sub(/ *$/, "", l); print l; exit }'
}

# pkcs11-tool -O of card $1 → $W/objs-$1 and "CLASS<TAB>LABEL<TAB>ID<TAB>USAGE<TAB>EC_POINT" lines in $W/tab-$1
list_objects() {
	local c=$1
	run pkcs11-tool --module "$M" --token-label "${TOK[$c]}" --login --pin "$PIN" -O >"$W/objs-$c" 2>&1 || return 1
	awk -v OFS='\t' '
		function flush() { if (cls != "") print cls, label, id, usage, pt; cls = pt = "" }
		/^Private Key Object/ { flush(); cls = "priv" } /^Public Key Object/ { flush(); cls = "pub" }
		/^Certificate Object/ { flush(); cls = "cert" } /^[A-Z]/ && !/Object/ { flush() }
		/^ *label:/ { label = $0; sub(/^ *label: */, "", label) }
		/^ *ID:/ { id = $2 } /^ *Usage:/ { usage = $0; sub(/^ *Usage: */, "", usage) }
		/^ *EC_POINT:/ { pt = $2 }
		END { flush() }' "$W/objs-$c" >"$W/tab-$c"
}

count_of() { awk -F'\t' -v k="$2" '$1 == k' "$W/tab-$1" | wc -l; }
id_of() { awk -F'\t' -v k="$2" -v l="$3" '$1 == k && l == $2 { print $3 }' "$W/tab-$1"; }

# DER SubjectPublicKeyInfo (hex) of: the card's key file for reference $2 on card $1
card_spki() { openssl pkey -in "$(eval echo "\$AKIS_CARD_DIR_$1")/keys/key-$2.pem" -pubout -outform DER | xxd -p | tr -d '\n'; }
# … of the token's certificate with CKA_ID $2
cert_spki() {
	run pkcs11-tool --module "$M" --token-label "${TOK[$1]}" --read-object --type cert --id "$2" -o "$W/c.der" >/dev/null 2>&1 &&
		openssl x509 -inform DER -in "$W/c.der" -noout -pubkey | openssl pkey -pubin -outform DER | xxd -p | tr -d '\n'
}
# the EC point (hex, uncompressed) of the token's public key object with CKA_ID $2:
# CKA_EC_POINT is the DER OCTET STRING 04 61 04‖X‖Y (P-384)
pub_point() { awk -F'\t' -v i="$2" '$1 == "pub" && $3 == i { print $5 }' "$W/tab-$1" | sed -n 's/^0461//p'; }
# the key reference of label $2 on card $1, from the card's info.txt ("key 81: ec-p384 LABEL cert 2F10")
ref_of() { awk -v l="$2" '$1 == "key" && $4 == l { sub(/:/, "", $2); print $2 }' "$(eval echo "\$AKIS_CARD_DIR_$1")/info.txt"; }

# occurrences of the hex iD $2 in the card's directory file $1 (4402 PrKDF, 4404 CDF) of card $3
id_in_file() { xxd -p "$(eval echo "\$AKIS_CARD_DIR_$3")/fs/3F00/3D00/$1" | tr -d '\n' | grep -o "$2" | wc -l; }

sign_verify() { # card, id
	head -c 777 /dev/urandom >"$W/data"
	run pkcs11-tool --module "$M" --token-label "${TOK[$1]}" --login --pin "$PIN" --sign -m ECDSA-SHA384 \
		--id "$2" --signature-format openssl -i "$W/data" -o "$W/sig" >"$W/out" 2>&1 || { show "$W/out"; return 1; }
	run pkcs11-tool --module "$M" --token-label "${TOK[$1]}" --read-object --type cert --id "$2" -o "$W/c.der" >/dev/null 2>&1 &&
		openssl x509 -inform DER -in "$W/c.der" -noout -pubkey >"$W/pub.pem" &&
		openssl dgst -sha384 -verify "$W/pub.pem" -signature "$W/sig" "$W/data" >"$W/out" 2>&1 || { show "$W/out"; return 1; }
}

declare -A TOK
for c in 1 2; do
	TOK[$c]=$(token_of $c)
	t_check "card $c: a token in reader $(eval echo "\$AKIS_READER_$c")" test -n "${TOK[$c]}"
	list_objects $c || { t_fail "card $c: pkcs11-tool -O --login" "$(tail -3 "$W/objs-$c")"; continue; }
	t_eq "card $c: 2 private keys" 2 "$(count_of $c priv)"
	t_eq "card $c: 2 public keys" 2 "$(count_of $c pub)"
	t_eq "card $c: 2 certificates" 2 "$(count_of $c cert)"
	t_eq "card $c: the private keys' CKA_IDs are distinct" 2 \
		"$(awk -F'\t' '$1 == "priv" && $3 != "" { print $3 }' "$W/tab-$c" | sort -u | wc -l)"
	vkn=$(sed -n 's/^e-seal: .* VKN \([0-9]*\) .*/\1/p' "$(eval echo "\$AKIS_CARD_DIR_$c")/info.txt")
	sid=$(id_of $c priv "${vkn}SIGN0")
	t_eq "card $c: the card's PrKDF gives both keys SIGN0's iD (the collision is real)" 2 "$(id_in_file 4402 "$sid" $c)"
	t_eq "card $c: the card's CDF gives both certificates that iD" 2 "$(id_in_file 4404 "$sid" $c)"
	for l in SIGN0 ENCR0; do
		lab=$vkn$l id=$(id_of $c priv "$vkn$l") ref=$(ref_of $c "$vkn$l")
		t_check "card $c: private key $lab present (ref $ref)" test -n "$id" -a -n "$ref"
		t_eq "card $c: $lab: one certificate with its CKA_ID, same label" "$lab" "$(awk -F'\t' -v i="$id" '$1 == "cert" && $3 == i { print $2 }' "$W/tab-$c")"
		spki=$(card_spki $c "$ref")
		t_eq "card $c: $lab: that certificate holds the key pair's own public key" "$spki" "$(cert_spki $c "$id")"
		t_eq "card $c: $lab: the public key object with its CKA_ID is the pair's own" "${spki: -194}" "$(pub_point $c "$id")"
	done
	t_eq "card $c: ${vkn}ENCR0 (keyAgreement) is no signing key" none \
		"$(awk -F'\t' -v l="${vkn}ENCR0" '$1 == "priv" && $2 == l { print $4 }' "$W/tab-$c")"
	t_check "card $c: ${vkn}SIGN0 signs (ECDSA-SHA384), its certificate verifies" sign_verify $c "$sid"
done

# ---- Java: SunPKCS11 (left out under ASan, tests/run-sanitized: the JVM and
# a preloaded libasan do not go together)
if [ "${AKIS_SKIP_JAVA:-0}" = 1 ]; then
	echo "# AKIS_SKIP_JAVA=1: keytool and SealLoop not run"
	t_summary
	exit $?
fi
cfg() { # card → $W/java-$c.cfg with the slot index of its token
	local idx
	idx=$(run pkcs11-tool --module "$M" -L 2>/dev/null | awk -v t="${TOK[$1]}" '
		/^Slot [0-9]+/ { s = $2 } /token label *:/ { l = $0; sub(/.*: */, "", l); sub(/ *$/, "", l); if (l == t) { print s; exit } }')
	[ -n "$idx" ] || return 1
	sed -e "s|^library *=.*|library = $M|" -e "s|^slotListIndex *=.*|slotListIndex = $idx|" \
		-e "s|^name *=.*|name = AKIS$1|" "$TOP/conf/java-sunpkcs11.cfg" >"$W/java-$1.cfg"
}
log_of() { eval echo "\$AKIS_CARD_LOG_$1"; }
# VERIFY-with-data commands in card $1's log since line $2
verifies_since() { tail -n +"$(($2 + 1))" "$(log_of "$1")" | grep -c '^C 00200081[0-9A-Fa-f]' || true; }
lines_of() { wc -l <"$(log_of "$1")"; }

cfg 1 && cfg 2
t_check "SunPKCS11 configurations for both cards (slot of each token)" test -s "$W/java-1.cfg" -a -s "$W/java-2.cfg"
run keytool -list -storetype PKCS11 -providerClass sun.security.pkcs11.SunPKCS11 \
	-providerArg "$W/java-1.cfg" -storepass "$PIN" >"$W/kt" 2>&1
vkn=$(sed -n 's/^e-seal: .* VKN \([0-9]*\) .*/\1/p' "$AKIS_CARD_DIR_1/info.txt")
t_eq "keytool -list: two PrivateKeyEntry entries" 2 "$(grep -c ', PrivateKeyEntry,' "$W/kt")"
t_check "keytool -list: entry ${vkn}SIGN0" grep -q "^${vkn}SIGN0, PrivateKeyEntry," "$W/kt"
t_check "keytool -list: entry ${vkn}ENCR0" grep -q "^${vkn}ENCR0, PrivateKeyEntry," "$W/kt"
grep -q "^${vkn}ENCR0, PrivateKeyEntry," "$W/kt" && grep -q "^${vkn}SIGN0, PrivateKeyEntry," "$W/kt" || show "$W/kt"

mkdir -p "$W/cls"
if ! run javac -d "$W/cls" "$here/java/SealLoop.java" >"$W/jc" 2>&1; then
	t_fail "javac SealLoop.java" "$(tail -3 "$W/jc")"
	t_summary; exit 1
fi
seal_loop() { (cd "$W" && run java -cp "$W/cls" SealLoop "$W/java-$1.cfg" "$PIN" "$N") >"$W/loop-$1.out" 2>&1; }

# one card, one JVM, one login
l0=$(lines_of 1)
seal_loop 1; rc=$?
sed -n 's/^SIGNED/# card 1: SIGNED/p' "$W/loop-1.out"
t_eq "SealLoop card 1: $N signed, $N verified in Java (exit $rc)" "SIGNED $N VERIFIED $N" \
	"$(grep -o '^SIGNED [0-9]* VERIFIED [0-9]*' "$W/loop-1.out")"
[ "$rc" -eq 0 ] || show "$W/loop-1.out"
t_eq "SealLoop card 1: exactly one VERIFY with data in the card's log for the run" 1 "$(verifies_since 1 "$l0")"

# two cards, two JVMs at once
l1=$(lines_of 1) l2=$(lines_of 2)
seal_loop 1 & p1=$!
seal_loop 2 & p2=$!
wait $p1; rc1=$?
wait $p2; rc2=$?
for c in 1 2; do
	sed -n "s/^SIGNED/# parallel card $c: SIGNED/p" "$W/loop-$c.out"
	t_eq "parallel, card $c: $N signed, $N verified in Java" "SIGNED $N VERIFIED $N" \
		"$(grep -o '^SIGNED [0-9]* VERIFIED [0-9]*' "$W/loop-$c.out")"
done
[ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ] || { show "$W/loop-1.out"; show "$W/loop-2.out"; }
t_eq "parallel: exactly one VERIFY with data on card 1 for its JVM" 1 "$(verifies_since 1 "$l1")"
t_eq "parallel: exactly one VERIFY with data on card 2 for its JVM" 1 "$(verifies_since 2 "$l2")"
t_check "parallel: each JVM signed on its own card (PSO count $N on each)" test \
	"$(tail -n +"$((l1 + 1))" "$(log_of 1)" | grep -c '^C 002A9E9A')" -eq "$N" -a \
	"$(tail -n +"$((l2 + 1))" "$(log_of 2)" | grep -c '^C 002A9E9A')" -eq "$N"
t_summary
