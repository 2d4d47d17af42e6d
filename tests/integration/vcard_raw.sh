#!/bin/bash
# Raw-APDU tests of akis-vcard through real pcscd + vpcd (docs/card.md).
# Runs alone: takes the bench lock, brings the bench up per profile, and down.
#   tests/integration/vcard_raw.sh [akis-1.0 akis-1.2 akis-2 layout-akis-1.2 layout-akis-2 bench]
set -u
. "$(dirname "$0")/lib.sh"
TMP=$(mktemp -d /tmp/vcard-raw.XXXXXX)
export AKIS_BENCH=${AKIS_BENCH:-/tmp/akis-bench-vcard-raw}   # our own state dir
trap 'bench_down; rm -rf "$TMP"' EXIT

declare -A ATR=(
	[akis-1.0]=3BBA11008131FE4D55454B41452056312E30AE
	[akis-1.2]=3B9F968131FE45806755454B41451292318073B3A1806A
	[akis-2]=3B9F978131FE458065544353228231C073F62180810553)
declare -A BLOCKED=([akis-1.0]=6984 [akis-1.2]=6984 [akis-2]=6983)

hexpin() { # ASCII digits → wire form (akis-1.0: one digit per byte 00-09)
	local p=$1 out="" i
	for (( i = 0; i < ${#p}; i++ )); do
		if [ "$PROFILE" = akis-1.0 ]; then out+=$(printf '%02X' "${p:i:1}"); else out+=$(printf '%02X' "'${p:i:1}"); fi
	done
	echo "$out"
}
lc() { printf '%02X' $(( ${#1} / 2 )); }
verify() { local h; h=$(hexpin "$2"); echo "002000$1$(lc "$h")$h"; }   # verify 081 12345 → APDU
R() { apdu "$AKIS_READER_1" "$@" | tail -1; }   # last response of a sequence
tohex() { od -An -v -tx1 | tr -d ' \n' | tr a-f A-F; }
fromhex() { perl -ne 's/\s//g; print pack("H*", $_)'; }
SEL_DF=00A4000C023D00

# ECDSA raw r‖s (hex) → DER, for openssl
rs2der() { perl -e '
	my $h = shift; my $n = length($h) / 2;
	my @p = (substr($h, 0, $n), substr($h, $n));
	my $seq = "";
	for my $x (@p) { my $b = pack("H*", $x); $b =~ s/^\x00+//; $b = "\x00$b" if ord($b) & 0x80; $seq .= "\x02" . chr(length $b) . $b; }
	print "\x30" . chr(length $seq) . $seq;' "$1"; }

test_select() {
	local r
	t_eq "$PROFILE: SELECT MF by FID" 9000 "$(R 00A4000C023F00)"
	r=$(R 00A40000023F00)
	t_check "$PROFILE: SELECT MF with FCI (6F.. 83 3F00)" grep -q '^6F.*83023F00.*9000$' <<<"$r"
	t_eq "$PROFILE: SELECT DF 3D00 by FID" 9000 "$(R 00A4000C023D00)"
	t_eq "$PROFILE: SELECT EF 2F10 by FID in DF" 9000 "$(apdu "$AKIS_READER_1" $SEL_DF 00A4020C022F10 | tail -1)"
	t_eq "$PROFILE: SELECT path 3D00/2F10 (P1 08)" 9000 "$(R 00A4080C043D002F10)"
	t_eq "$PROFILE: SELECT path 3F00/3D00/2F10 (P1 08)" 9000 "$(R 00A4080C063F003D002F10)"
	t_eq "$PROFILE: SELECT path from current DF (P1 09)" 9000 "$(apdu "$AKIS_READER_1" $SEL_DF 00A4090C022F10 | tail -1)"
	r=$(R 00A4040007504B43532D3135)
	t_check "$PROFILE: SELECT by DF name PKCS-15 (FCI with 84)" grep -q '^6F.*8407504B43532D3135.*9000$' <<<"$r"
	r=$(R 00A404000CA000000063504B43532D3135)
	t_check "$PROFILE: SELECT by PKCS#15 AID" grep -q '^6F.*840CA000000063504B43532D3135.*9000$' <<<"$r"
	t_eq "$PROFILE: SELECT missing EF → 6A82" 6A82 "$(R 00A4080C043D002F1F)"
	t_eq "$PROFILE: SELECT bad P1 → 6A86" 6A86 "$(R 00A4070C023F00)"
	r=$(R 00A4080004'3D002F10')
	t_check "$PROFILE: EF FCI has size, FID and tag 90=12" grep -q '^6F..8002....82010183022F108A0105900112' <<<"$r"
}

test_read_cert() {
	local file="$AKIS_CARD_DIR_1/fs/3F00/3D00/2F10" size off=0 got="" r n
	size=$(stat -c %s "$file")
	local args=($SEL_DF 00A4020C022F10)
	while [ $off -lt $size ]; do args+=("00B0$(printf '%04X' $off)F4"); off=$((off + 244)); done
	mapfile -t resp < <(apdu "$AKIS_READER_1" "${args[@]}")
	for r in "${resp[@]:2}"; do got+=$(data "$r"); done
	t_eq "$PROFILE: certificate ($size bytes) read with Le=F4 steps" "$(tohex <"$file")" "$got"
	t_eq "$PROFILE: last READ BINARY past the end → 6282" 6282 "$(sw "${resp[-1]}")"
	# Le=00 (256) at offset 0: 244 bytes + 610C, GET RESPONSE gives the remaining 12
	mapfile -t resp < <(apdu "$AKIS_READER_1" $SEL_DF 00A4020C022F10 00B0000000 00C000000C)
	t_eq "$PROFILE: READ BINARY Le=256 → 244 bytes + 610C" "244 610C" "$(( $(echo -n "$(data "${resp[2]}")" | wc -c) / 2 )) $(sw "${resp[2]}")"
	t_eq "$PROFILE: GET RESPONSE returns the rest" "$(head -c 256 "$file" | tohex)" "$(data "${resp[2]}")$(data "${resp[3]}")"
	n=$(printf '%04X' "$size")
	t_eq "$PROFILE: READ BINARY at offset = size → 6B00" 6B00 "$(apdu "$AKIS_READER_1" $SEL_DF 00A4020C022F10 "00B0${n}F4" | tail -1)"
}

test_pins() {
	t_eq "$PROFILE: VERIFY wrong PIN → 63C2" 63C2 "$(R $SEL_DF "$(verify 81 99999)")"
	t_eq "$PROFILE: VERIFY status query → 63C2" 63C2 "$(R $SEL_DF 0020008100)"
	t_eq "$PROFILE: VERIFY right PIN → 9000" 9000 "$(R $SEL_DF "$(verify 81 12345)")"
	t_eq "$PROFILE: VERIFY status after a right PIN (same connection) → 9000" 9000 "$(R $SEL_DF "$(verify 81 12345)" 00200081)"
	t_eq "$PROFILE: VERIFY 81 with the MF current → 6A88" 6A88 "$(R 00A4000C023F00 "$(verify 81 12345)")"
	t_eq "$PROFILE: VERIFY wrong length → 6700, no try spent" "6700 63C3" "$(apdu "$AKIS_READER_1" $SEL_DF 801A0000 "$(verify 81 123)" 00200081 | tail -2 | tr '\n' ' ' | sed 's/ $//')"
	local w; w=$(verify 81 00000)
	t_eq "$PROFILE: three wrong PINs → ${BLOCKED[$PROFILE]}" "63C2 63C1 63C0 ${BLOCKED[$PROFILE]}" \
		"$(apdu "$AKIS_READER_1" $SEL_DF "$w" "$w" "$w" "$(verify 81 12345)" | tail -4 | tr '\n' ' ' | sed 's/ $//')"
	t_check "$PROFILE: tries persisted in card.conf" grep -q '^pin.81 = 12345 0 3' "$AKIS_CARD_DIR_1/card.conf"
	local nw; nw=$(hexpin 54321)
	t_eq "$PROFILE: PUK unblock (VERIFY 82, RESET RETRY COUNTER 02 81 new, VERIFY new)" "9000 9000 9000" \
		"$(apdu "$AKIS_READER_1" $SEL_DF "$(verify 82 123456)" "002C0281$(lc "$nw")$nw" "$(verify 81 54321)" | tail -3 | tr '\n' ' ' | sed 's/ $//')"
	local bad; bad=$(hexpin 12)
	t_eq "$PROFILE: RESET RETRY COUNTER with a 2-digit PIN → 6A80" 6A80 "$(R $SEL_DF "$(verify 82 123456)" "002C0281$(lc "$bad")$bad")"
	# change back with the profile's CHANGE REFERENCE DATA dialect
	local o n data p1p2
	o=$(hexpin 54321); n=$(hexpin 12345)
	if [ "$PROFILE" = akis-2 ]; then data=$o$n; p1p2=0081; else data=$(lc "$o")$o$(lc "$n")$n; p1p2=0201; fi
	t_eq "$PROFILE: CHANGE REFERENCE DATA back to 12345" "9000 9000" \
		"$(apdu "$AKIS_READER_1" $SEL_DF "0024${p1p2}$(lc "$data")$data" "$(verify 81 12345)" | tail -2 | tr '\n' ' ' | sed 's/ $//')"
	t_check "$PROFILE: APDU log redacts PIN data" bash -c "! grep -q '$(hexpin 12345)' '$AKIS_CARD_LOG_1' && grep -q '<redacted>' '$AKIS_CARD_LOG_1'"
}

test_misc() {
	local r serial
	serial=$(awk -F' = ' '$1=="serial"{print $2}' "$AKIS_CARD_DIR_1/card.conf")
	r=$(R 00CA01064D)
	t_eq "$PROFILE: GET DATA 01 06: serial at offset 55" "$serial 9000" "${r:110:24} $(sw "$r")"
	t_eq "$PROFILE: GET DATA 01 06 with Le too small → 6C4D" 6C4D "$(R 00CA010610)"
	r=$(R 00CA01040A)
	t_eq "$PROFILE: GET DATA 01 04: life cycle A5 at byte 6" "A5" "${r:12:2}"
	t_eq "$PROFILE: unknown INS → 6D00" 6D00 "$(R 00EE000000)"
	t_eq "$PROFILE: unknown CLA → 6E00" 6E00 "$(R A0A4000C023F00)"
	t_eq "$PROFILE: inconsistent Lc → 6700" 6700 "$(R 00A4000C053F00)"
	r=$(R 0084000008)
	t_eq "$PROFILE: GET CHALLENGE 8 bytes" "16 9000" "$(( ${#r} - 4 )) $(sw "$r")"
	if [ "$PROFILE" != akis-2 ]; then
		r=$(apdu "$AKIS_READER_1" $SEL_DF 8018000000 | tail -1)
		t_check "$PROFILE: LIST FILES lists 2F10 and 5031" bash -c "grep -q '^\\(.\\{40\\}\\)*2F2F10' <<<'$r' && grep -q '2F5031' <<<'$r'"
	else
		t_eq "$PROFILE: LIST FILES not on 2.x → 6D00" 6D00 "$(R $SEL_DF 8018000000)"
	fi
	t_eq "$PROFILE: LOGOUT clears the PIN" "9000 9000 63C3" "$(apdu "$AKIS_READER_1" $SEL_DF "$(verify 81 12345)" 801A0000 00200081 | tail -3 | tr '\n' ' ' | sed 's/ $//')"
}

sign_1x() { # $1 = hex DigestInfo or raw block → prints signature hex (last response)
	local in=$1 n=$(( ${#1} / 2 )) mse=0022C301
	if [ $n -le 255 ]; then
		apdu "$AKIS_READER_1" $SEL_DF "$(verify 81 12345)" $mse "002A9E9A$(printf %02X $n)${in}00" 00C0000000
	else # chaining: first 128 bytes with CLA 10, the rest plain
		apdu "$AKIS_READER_1" $SEL_DF "$(verify 81 12345)" $mse "102A9E9A80${in:0:256}" \
			"002A9E9A$(printf %02X $((n - 128)))${in:256}00" 00C0000000
	fi
}

test_crypto_1x() {
	local cert="$AKIS_CARD_DIR_1/certs/2F10.pem" di r sig
	echo -n "hello akis" >"$TMP/msg"
	openssl x509 -in "$cert" -pubkey -noout >"$TMP/pub.pem"
	# DigestInfo(SHA-256) = 3031300d060960864801650304020105000420 ‖ hash
	di=3031300D060960864801650304020105000420$(openssl dgst -sha256 -binary "$TMP/msg" | tohex)
	mapfile -t r < <(sign_1x "$di")
	t_eq "$PROFILE: PSO CDS (DigestInfo) → 244 bytes + 610C, then 12" "610C 9000" "$(sw "${r[3]}") $(sw "${r[4]}")"
	sig=$(data "${r[3]}")$(data "${r[4]}")
	echo -n "$sig" | fromhex >"$TMP/sig"
	t_check "$PROFILE: card PKCS#1 signature verifies with openssl" \
		openssl dgst -sha256 -verify "$TMP/pub.pem" -signature "$TMP/sig" "$TMP/msg"
	# raw RSA: a 256-byte block by chaining; the card's result^e must give it back
	local blk=0001$(printf 'FF%.0s' $(seq 1 202))00$di
	mapfile -t r < <(sign_1x "$blk")
	t_eq "$PROFILE: 256-byte raw RSA input by chaining (9000 for the first part)" "9000 610C" "$(sw "${r[3]}") $(sw "${r[4]}")"
	echo -n "$(data "${r[4]}")$(data "${r[5]}")" | fromhex >"$TMP/raw"
	t_check "$PROFILE: raw RSA result verifies (same as PKCS#1)" bash -c "[ \$(stat -c %s '$TMP/raw') = 256 ] && cmp '$TMP/raw' '$TMP/sig'"
	t_eq "$PROFILE: PSO CDS without VERIFY → 6982" 6982 "$(R $SEL_DF 801A0000 0022C301 "002A9E9A33${di}00")"
	t_eq "$PROFILE: MSE 2.x form on 1.x → 6A86" 6A86 "$(R $SEL_DF 002241B606800102840181)"
	if [ "$PROFILE" = akis-1.2 ]; then
		openssl x509 -in "$AKIS_CARD_DIR_1/certs/2F11.pem" -pubkey -noout >"$TMP/pub2.pem"
		echo -n "secret-42" >"$TMP/pt"
		openssl pkeyutl -encrypt -pubin -inkey "$TMP/pub2.pem" -in "$TMP/pt" -out "$TMP/ct"
		local ct; ct=00$(tohex <"$TMP/ct")
		mapfile -t r < <(apdu "$AKIS_READER_1" $SEL_DF "$(verify 81 12345)" 0022C303 \
			"102A808680${ct:0:256}" "002A8086$(printf %02X $(( ${#ct} / 2 - 128 )))${ct:256}00" 00C0000000)
		local pt; pt=$(data "${r[4]}")$(data "${r[5]}")
		t_check "$PROFILE: PSO DECIPHER (chained) returns the raw block ending in the plaintext" \
			bash -c "[[ '$pt' == 0002*00$(tohex <"$TMP/pt") ]]"
	fi
}

test_crypto_2() {
	local cert="$AKIS_CARD_DIR_1/certs/2F10.pem" h r sig mse=002241B606800104840181
	echo -n "hello akis 2" >"$TMP/msg"
	openssl x509 -in "$cert" -pubkey -noout >"$TMP/pub.pem"
	h=$(openssl dgst -sha384 -binary "$TMP/msg" | tohex)
	mapfile -t r < <(apdu "$AKIS_READER_1" $SEL_DF "$(verify 81 12345)" $mse "002A9E9A30${h}00" "002A9E9A30${h}00")
	t_eq "$PROFILE: ECDSA P-384 signature is 96 bytes r‖s" "192 9000" "$(( ${#r[3]} - 4 )) $(sw "${r[3]}")"
	rs2der "$(data "${r[3]}")" >"$TMP/sig"
	t_check "$PROFILE: card ECDSA signature verifies with openssl" \
		openssl dgst -sha384 -verify "$TMP/pub.pem" -signature "$TMP/sig" "$TMP/msg"
	t_eq "$PROFILE: userConsent key: second signature without VERIFY → 6982" 6982 "$(sw "${r[4]}")"
	t_eq "$PROFILE: userConsent key: a new VERIFY allows one more" "9000 9000 6982" \
		"$(apdu "$AKIS_READER_1" $SEL_DF $mse "$(verify 81 12345)" "002A9E9A30${h}00" "002A9E9A30${h}00" | tail -3 | sed 's/.*\(....\)$/\1/' | tr '\n' ' ' | sed 's/ $//')"
	t_eq "$PROFILE: re-selecting the MF clears the permission" 6982 \
		"$(apdu "$AKIS_READER_1" $SEL_DF "$(verify 81 12345)" 00A4000C023F00 $SEL_DF $mse "002A9E9A30${h}00" | tail -1)"
	t_eq "$PROFILE: MSE with the MF current → 6A88" 6A88 "$(R 00A4000C023F00 $mse)"
	t_eq "$PROFILE: MSE 1.x form on 2.x → 6A86" 6A86 "$(R $SEL_DF 0022C381)"
	# RSA auth key 82: PKCS#1 (alg 02) and PSS (alg 05), no userConsent
	openssl x509 -in "$AKIS_CARD_DIR_1/certs/2F11.pem" -pubkey -noout >"$TMP/pub2.pem"
	local di=3031300D060960864801650304020105000420$(openssl dgst -sha256 -binary "$TMP/msg" | tohex)
	mapfile -t r < <(apdu "$AKIS_READER_1" $SEL_DF "$(verify 81 12345)" 002241B606800102840182 "002A9E9A33${di}00" 00C0000000)
	echo -n "$(data "${r[3]}")$(data "${r[4]}")" | fromhex >"$TMP/sig2"
	t_check "$PROFILE: RSA PKCS#1 (alg 02) signature verifies" openssl dgst -sha256 -verify "$TMP/pub2.pem" -signature "$TMP/sig2" "$TMP/msg"
	local h256; h256=$(openssl dgst -sha256 -binary "$TMP/msg" | tohex)
	mapfile -t r < <(apdu "$AKIS_READER_1" $SEL_DF "$(verify 81 12345)" 002241B606800105840182 "002A9E9A20${h256}00" 00C0000000)
	echo -n "$(data "${r[3]}")$(data "${r[4]}")" | fromhex >"$TMP/sig3"
	t_check "$PROFILE: RSA-PSS (alg 05) signature verifies" openssl dgst -sha256 -sigopt rsa_padding_mode:pss \
		-sigopt rsa_pss_saltlen:digest -verify "$TMP/pub2.pem" -signature "$TMP/sig3" "$TMP/msg"
	echo -n "secret-2" >"$TMP/pt"
	openssl pkeyutl -encrypt -pubin -inkey "$TMP/pub2.pem" -in "$TMP/pt" -out "$TMP/ct"
	local ct; ct=00$(tohex <"$TMP/ct")
	mapfile -t r < <(apdu "$AKIS_READER_1" $SEL_DF "$(verify 81 12345)" 002241B806800100840182 \
		"102A808680${ct:0:256}" "002A8086$(printf %02X $(( ${#ct} / 2 - 128 )))${ct:256}00" 00C0000000)
	local pt; pt=$(data "${r[4]}")$(data "${r[5]}")
	t_check "$PROFILE: MSE SET CT + PSO DECIPHER returns the raw block" bash -c "[[ '$pt' == 0002*00$(tohex <"$TMP/pt") ]]"
}

test_controls() {
	local before after
	t_check "$PROFILE: reader shows the card present" "$T_PCSC_APDU" wait "$AKIS_READER_1" present 2
	t_check "$PROFILE: vcardctl remove → reader empty" "$T_VCARDCTL" remove 1
	t_check "$PROFILE: opensc-tool -l shows no card" bash -c "opensc-tool -l | grep -F '$AKIS_READER_1' | grep -qw No"
	t_check "$PROFILE: vcardctl insert → reader present" "$T_VCARDCTL" insert 1
	t_check "$PROFILE: opensc-tool -l shows the card" bash -c "opensc-tool -l | grep -F '$AKIS_READER_1' | grep -qw Yes"
	t_eq "$PROFILE: vcardctl reset clears the PIN (one PC/SC connection)" "9000 9000 63C3" \
		"$(apdu "$AKIS_READER_1" $SEL_DF "$(verify 81 12345)" 00200081 "!'$T_VCARDCTL' reset 1" $SEL_DF 00200081 | tail -3 | tr '\n' ' ' | sed 's/ $//')"
	"$T_VCARDCTL" fault 1 "1 sw 6F00"
	t_eq "$PROFILE: fault: the next APDU answers 6F00, the one after works" "6F00 9000" \
		"$(apdu "$AKIS_READER_1" 00A4000C023F00 00A4000C023F00 | tr '\n' ' ' | sed 's/ $//')"
	before=$(log_count "$AKIS_CARD_LOG_1")
	apdu "$AKIS_READER_1" 00A4000C023F00 00A4000C023D00 00A4000C023F00 >/dev/null
	after=$(log_count "$AKIS_CARD_LOG_1")
	t_eq "$PROFILE: APDU log counts 3 commands for 3 APDUs" 3 $((after - before))
}

# A generic PKCS#15 reader (OpenSC) must parse the directory files.
test_opensc_pkcs15() {
	local idx out
	idx=$(opensc-tool -l 2>/dev/null | awk -v r="$AKIS_READER_1" 'index($0, r) { print $1; exit }')
	# OpenSC 0.23 has no driver for these ATRs: use its generic ISO driver
	printf 'app default {\n\tenable_default_driver = true;\n\tcard_drivers = default;\n}\n' >"$TMP/opensc.conf"
	out=$(OPENSC_CONF="$TMP/opensc.conf" timeout 60 pkcs15-tool -r "$idx" --dump 2>&1)
	echo "$out" >"$TMP/pkcs15-$PROFILE.txt"
	t_check "$PROFILE: OpenSC pkcs15-tool finds the PIN (ref 0x81, min 4)" bash -c "grep -A12 -E 'PIN \\[PIN\\]' '$TMP/pkcs15-$PROFILE.txt' | grep -qE 'Reference *: 129|Reference *: 0x81' "
	t_check "$PROFILE: OpenSC pkcs15-tool finds the NES private key" grep -qE 'Private (RSA|EC) Key \[NES Imza\]' "$TMP/pkcs15-$PROFILE.txt"
	t_check "$PROFILE: OpenSC pkcs15-tool finds the certificates" grep -q 'X.509 Certificate \[Kimlik Dogrulama\]' "$TMP/pkcs15-$PROFILE.txt"
	t_check "$PROFILE: OpenSC sees the NES key as sign+nonRepudiation" bash -c "grep -A3 'Key \\[NES Imza\\]' '$TMP/pkcs15-$PROFILE.txt' | grep -q 'sign, nonRepudiation'"
	# PrKDF of the NES key: authId 01 then userConsent 1 only on akis-2
	local prk; prk=$(tohex <"$AKIS_CARD_DIR_1/fs/3F00/3D00/4402")
	if [ "$PROFILE" = akis-2 ]; then t_check "$PROFILE: PrKDF NES entry has userConsent 1" grep -q '^A0.*040101020101' <<<"$prk"
	else t_check "$PROFILE: PrKDF has no userConsent" bash -c "! grep -q '040101020101' <<<'$prk'"; fi
}

run_profile() {
	PROFILE=$1
	echo "# profile $PROFILE"
	if ! bench_up --profile "$PROFILE" >/dev/null; then t_fail "$PROFILE: bench up"; return; fi
	local atr
	atr=$("$T_PCSC_APDU" list | awk -F'\t' -v r="$AKIS_READER_1" '$3==r{print $2}')
	t_eq "$PROFILE: ATR" "${ATR[$PROFILE]}" "$atr"
	t_check "$PROFILE: opensc-tool -a shows the ATR" bash -c "opensc-tool -r '$AKIS_READER_1' -a 2>/dev/null | tr -d ': ' | grep -qi '${ATR[$PROFILE]}'"
	[ "$PROFILE" != akis-1.0 ] && test_opensc_pkcs15
	test_select
	test_read_cert
	test_misc
	if [ "$PROFILE" = akis-2 ]; then test_crypto_2; else test_crypto_1x; fi
	test_pins
	test_controls
	bench_down >/dev/null
}

# Bench features: two cards, faults, latency, pcscd restart.
test_bench() {
	PROFILE=bench
	echo "# bench: 2 cards, faults, latency, pcscd restart"
	t_check "bench: --cards 3 refused (vpcd: two readers per pcscd)" bash -c "! '$T_VCARDCTL' up --cards 3"
	if ! bench_up --profile akis-1.2 --cards 2 >/dev/null; then t_fail "bench: up with 2 cards"; return; fi
	t_eq "bench: 2 distinct readers" 2 "$(printf '%s\n' "$AKIS_READER_1" "$AKIS_READER_2" | sort -u | grep -c .)"
	t_eq "bench: 2 cards present" 2 "$("$T_PCSC_APDU" list | awk -F'\t' '$1=="present"' | grep -cF 'AKIS vpcd')"
	local s1 s2 t0 t1
	s1=$(R 00CA01064D); s2=$(apdu "$AKIS_READER_2" 00CA01064D | tail -1)
	t_check "bench: cards 1 and 2 have different serials" test "${s1:110:24}" != "${s2:110:24}"
	"$T_VCARDCTL" fault 1 "1 drop"
	apdu "$AKIS_READER_1" 00A4000C023F00 >/dev/null 2>&1
	t_check "bench: a dropped connection shows as a removal" "$T_PCSC_APDU" wait "$AKIS_READER_1" empty 3
	t_check "bench: then the card comes back" "$T_PCSC_APDU" wait "$AKIS_READER_1" present 5
	t_eq "bench: and answers again" 9000 "$(R 00A4000C023F00)"
	"$T_VCARDCTL" fault 1 "1 garbage 3"
	apdu "$AKIS_READER_1" 00A4000C023F00 >/dev/null 2>&1
	t_check "bench: garbage fault logged" grep -q '^# fault fired' "$AKIS_CARD_LOG_1"
	t_eq "bench: card works after garbage" 9000 "$(R 00A4000C023F00)"
	"$T_VCARDCTL" fault 1 "1 stall 300"
	t0=$(date +%s%N); R 00A4000C023F00 >/dev/null; t1=$(date +%s%N)
	t_check "bench: stall fault delays the answer ≥ 300 ms" test $(( (t1 - t0) / 1000000 )) -ge 300
	"$T_VCARDCTL" latency 1 20000 0
	t0=$(date +%s%N); apdu "$AKIS_READER_1" 00A4000C023F00 00A4000C023F00 00A4000C023F00 00A4000C023F00 00A4000C023F00 >/dev/null; t1=$(date +%s%N)
	t_check "bench: 20 ms latency × 5 APDUs ≥ 100 ms" test $(( (t1 - t0) / 1000000 )) -ge 100
	"$T_VCARDCTL" latency 1 0 0
	t0=$(date +%s%N); apdu "$AKIS_READER_1" $(printf '00A4000C023F00 %.0s' $(seq 100)) >/dev/null; t1=$(date +%s%N)
	t_check "bench: 100 APDUs in < 1 s (no delayed-ACK stall)" test $(( (t1 - t0) / 1000000 )) -lt 1000
	if "$T_VCARDCTL" restart-pcscd; then
		t_check "bench: after a pcscd restart card 2 is back" "$T_PCSC_APDU" wait "$AKIS_READER_2" present 10
		t_eq "bench: and answers" 9000 "$(apdu "$AKIS_READER_2" 00A4000C023F00 | tail -1)"
	else
		echo "# (pcscd not ours: restart skipped)"
	fi
	bench_down >/dev/null
	t_check "bench: down leaves no card process" bash -c "! pgrep -f 'akis-vcar[d] run $AKIS_BENCH' >/dev/null"
}

# Layouts: --no-pkcs15 --no-efdir --with-expired-cert.
test_layouts() {
	PROFILE=$1
	echo "# layout $PROFILE --no-pkcs15 --no-efdir --with-expired-cert"
	if ! bench_up --profile "$PROFILE" --no-pkcs15 --no-efdir --with-expired-cert >/dev/null; then t_fail "$PROFILE: layout bench up"; return; fi
	t_eq "$PROFILE --no-efdir: no EF.DIR → 6A82" 6A82 "$(R 00A4000C023F00 00A4020C022F00)"
	t_eq "$PROFILE --no-pkcs15: no ODF → 6A82" 6A82 "$(R 00A4080C043D005031)"
	t_eq "$PROFILE --no-pkcs15: DF still answers to its name" 9000 "$(R 00A4040C07504B43532D3135)"
	t_eq "$PROFILE --with-expired-cert: certificates 2F10 2F11 2F12" "9000 9000 9000" \
		"$(apdu "$AKIS_READER_1" $SEL_DF 00A4020C022F10 $SEL_DF 00A4020C022F11 $SEL_DF 00A4020C022F12 | sed -n '2p;4p;6p' | tr '\n' ' ' | sed 's/ $//')"
	t_check "$PROFILE: the old NES certificate has expired" bash -c "! openssl x509 -checkend 0 -noout -in '$AKIS_CARD_DIR_1/certs/2F12.pem'"
	t_check "$PROFILE: the new one is valid" openssl x509 -checkend 0 -noout -in "$AKIS_CARD_DIR_1/certs/2F10.pem"
	if [ "$PROFILE" = akis-1.2 ]; then
		local r; r=$(R $SEL_DF 8018000000)
		t_eq "$PROFILE --no-pkcs15: LIST FILES lists exactly 3 EFs" "120 9000" "$(( ${#r} - 4 )) $(sw "$r")"
	fi
	bench_down >/dev/null
}

profiles=("$@")
[ ${#profiles[@]} -eq 0 ] && profiles=(akis-1.0 akis-1.2 akis-2 layout-akis-1.2 layout-akis-2 bench)
for p in "${profiles[@]}"; do
	case "$p" in
	bench) test_bench ;;
	layout-*) test_layouts "${p#layout-}" ;;
	*) run_profile "$p" ;;
	esac
done
t_summary
