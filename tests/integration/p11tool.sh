#!/usr/bin/env bash
# The module through real clients: OpenSC's pkcs11-tool against pcscd +
# vpcd + akis-vcard, for every profile and provisioning variant (issue 3).
# Per profile: the exact mechanism list (R27) and key set; every signature
# mechanism of each key's type signs through the card and is verified by
# openssl against the certificate read from the token and by C_Verify
# through the module (pkcs11-tool --verify), which must also refuse a
# tampered copy; raw ECDSA r‖s is 2 × the order size (R29; P-384 and, in the
# `akis-2 --ec-curve p256` variant, P-256); decryption (PKCS#1, OAEP) of
# data encrypted by openssl with every decrypt key, whose number is
# asserted. R13 R18 R23 R24 R26 R27 R28 R29 R31 R36 R44.
#   AKIS_PROFILES="akis-2" bash tests/integration/p11tool.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

B=${AKIS_BUILD:-$here/../../build}
[[ $B == /* ]] || { [[ -d $B ]] && B=$PWD/$B || B=$here/../../$B; } # cwd, else the tree
MOD=$B/akis-pkcs11.so
# the virtual card of the same build (--ec-curve is new): tests/vcardctl takes AKIS_VCARD
[[ -z ${AKIS_VCARD:-} && -x $B/akis-vcard ]] && export AKIS_VCARD=$B/akis-vcard
PIN=12345
T=$(mktemp -d /tmp/akis-p11tool.XXXXXX) # removed at the end (bench_up owns the EXIT trap)
P11() { pkcs11-tool --module "$MOD" "$@"; }

# key ids and types from the token listing: lines "ID TYPE"
keys_of() { # $1: -O output
	awk '/^Private Key Object; /{t=$5; t=(t=="")?$4:t; inkey=1; next}
	     /^[A-Z][a-z]+.*Object/{inkey=0}
	     inkey && /^ *ID:/{print $2, t}' "$1"
}

# verify_sig MECH PUBPEM DATA SIG : openssl verification for each mechanism
verify_sig() {
	local m=$1 pub=$2 data=$3 sig=$4 h
	case $m in
	SHA*-RSA-PKCS)
		h=$(tr 'A-Z' 'a-z' <<<"${m%%-*}")
		openssl dgst -"$h" -verify "$pub" -signature "$sig" "$data" ;;
	SHA*-RSA-PKCS-PSS)
		h=$(tr 'A-Z' 'a-z' <<<"${m%%-*}")
		openssl dgst -"$h" -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest \
			-verify "$pub" -signature "$sig" "$data" ;;
	RSA-PKCS)
		openssl pkeyutl -verifyrecover -pubin -inkey "$pub" -in "$sig" -out "$T/rec" &&
			cmp -s "$T/rec" "$data" ;;
	RSA-X-509)
		openssl pkeyutl -verifyrecover -pubin -inkey "$pub" -pkeyopt rsa_padding_mode:none \
			-in "$sig" -out "$T/rec" && cmp -s "$T/rec" "$data" ;;
	RSA-PKCS-PSS)
		openssl pkeyutl -verify -pubin -inkey "$pub" -pkeyopt rsa_padding_mode:pss \
			-pkeyopt rsa_pss_saltlen:digest -pkeyopt digest:sha256 \
			-in "$data" -sigfile "$sig" ;;
	ECDSA)
		openssl pkeyutl -verify -pubin -inkey "$pub" -in "$data" -sigfile "$sig" ;;
	ECDSA-SHA*)
		h=$(tr 'A-Z' 'a-z' <<<"${m#ECDSA-}")
		openssl dgst -"$h" -verify "$pub" -signature "$sig" "$data" ;;
	*) return 2 ;;
	esac
}

sign_args() { # extra pkcs11-tool options per mechanism (sign and --verify)
	case $1 in
	RSA-PKCS-PSS) echo "--hash-algorithm SHA256 --mgf MGF1-SHA256" ;;
	SHA*-RSA-PKCS-PSS) echo "--mgf MGF1-${1%%-*}" ;; # the hash comes with the mechanism
	esac
}

input_for() { # mechanism key-bits key-type → input file
	local m=$1 bits=$2 kt=$3
	case $m in
	RSA-X-509) { printf '\x00\x01'; head -c $((bits / 8 - 2)) /dev/urandom; } >"$T/in.bin" ;;
	RSA-PKCS-PSS) openssl dgst -sha256 -binary "$T/msg" >"$T/in.bin" ;;
	ECDSA) openssl dgst -sha"$bits" -binary "$T/msg" >"$T/in.bin" ;; # a hash of the order size
	RSA-PKCS) printf 'short data to sign' >"$T/in.bin" ;;
	*) cp "$T/msg" "$T/in.bin" ;;
	esac
	: "$kt"
}

# R27: the exact mechanism list per profile (docs/card.md §1/§3, docs/requirements.md
# R27): raw RSA on every profile → RSA-PKCS, X.509, PSS, OAEP (decrypt) and the
# software-hashed SHA*-RSA-PKCS(-PSS); akis-2 adds ECDSA and ECDSA-SHA*; the
# digests. pkcs11-tool -M names, sorted.
SHAS="SHA1 SHA224 SHA256 SHA384 SHA512"
RSA_SIGN="RSA-PKCS RSA-X-509 RSA-PKCS-PSS $(for h in $SHAS; do echo "$h-RSA-PKCS $h-RSA-PKCS-PSS"; done)"
EC_SIGN="ECDSA $(for h in $SHAS; do echo "ECDSA-$h"; done)"
expected_mechs() { # profile
	{
		echo $RSA_SIGN RSA-PKCS-OAEP SHA-1 SHA224 SHA256 SHA384 SHA512
		[[ $1 == akis-2 ]] && echo $EC_SIGN
	} | tr ' ' '\n' | grep . | sort
}

# keys expected per profile: "RSA EC" counts (README of tests/vcard), and
# keys allowed to decrypt
expected_keys() { # profile → "nRSA nEC nDecrypt"
	case $1 in
	akis-1.0) echo "1 0 0" ;;
	akis-1.2) echo "2 0 1" ;;
	akis-2) echo "1 1 1" ;;
	esac
}

# raw ECDSA r‖s (hex string, even length) → DER Ecdsa-Sig-Value for openssl
ecdsa_raw_to_der() { # raw-file der-file
	local hex half
	hex=$(od -An -tx1 -v "$1" | tr -d ' \n')
	half=$((${#hex} / 2))
	printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' \
		"${hex:0:half}" "${hex:half}" >"$T/sig.cnf"
	openssl asn1parse -genconf "$T/sig.cnf" -out "$2" >/dev/null
}

# C_Verify through the module (pkcs11-tool --verify exits 0 either way:
# its verdict is the message)
p11_verify() { # mech id data sig → 0 valid, 1 invalid, 2 error
	local out
	# shellcheck disable=SC2046
	out=$(P11 --verify -m "$1" --id "$2" $(sign_args "$1") -i "$3" --signature-file "$4" 2>&1)
	grep -q '^Signature is valid' <<<"$out" && return 0
	grep -q '^Invalid signature' <<<"$out" && return 1
	echo "$out" | tail -2
	return 2
}

# one key: every signature mechanism of its type — signed by the card through
# the module, verified by openssl against the certificate, verified by
# C_Verify through the module, and a tampered copy refused by C_Verify
sign_all() { # tag id key-type bits pubpem
	local tag=$1 id=$2 kt=$3 bits=$4 pub=$5 m mechs ok=0 n=0 len want rc
	case $kt in RSA) mechs=$RSA_SIGN ;; EC) mechs=$EC_SIGN ;; *) t_fail "$tag: key $id type $kt"; return ;; esac
	for m in $mechs; do
		n=$((n + 1))
		input_for "$m" "$bits" "$kt"
		rm -f "$T/sig"
		# shellcheck disable=SC2046
		P11 --login --pin $PIN --sign -m "$m" --id "$id" $(sign_args "$m") \
			-i "$T/in.bin" -o "$T/sig" >"$T/sign.log" 2>&1
		cp "$T/sig" "$T/sig.raw" 2>/dev/null || : >"$T/sig.raw"
		if [[ $kt == EC ]]; then
			# R29: raw r‖s, exactly twice the order size (96 on P-384, 64 on P-256)
			len=$(stat -c %s "$T/sig.raw")
			want=$((2 * ((bits + 7) / 8)))
			t_eq "$tag: key $id $m raw r‖s is $want bytes (R29)" "$want" "$len"
			ecdsa_raw_to_der "$T/sig.raw" "$T/sig" 2>/dev/null || : >"$T/sig"
		fi
		if verify_sig "$m" "$pub" "$T/in.bin" "$T/sig" >"$T/v.log" 2>&1; then
			ok=$((ok + 1))
			t_ok "$tag: key $id $m signature verified by openssl"
		else
			t_fail "$tag: key $id $m signature verified by openssl" "$(tail -2 "$T/sign.log" | tr '\n' ' ')"
		fi
		p11_verify "$m" "$id" "$T/in.bin" "$T/sig.raw" >"$T/v.log"
		rc=$?
		t_eq "$tag: key $id $m C_Verify through the module accepts it" 0 "$rc"
		# tamper with the middle byte of the signature
		cp "$T/sig.raw" "$T/sig.bad"
		len=$(stat -c %s "$T/sig.bad")
		if [[ $len -gt 0 ]]; then
			local b
			b=$(od -An -tu1 -j $((len / 2)) -N1 "$T/sig.bad" | tr -d ' ')
			# shellcheck disable=SC2059
			printf "\\$(printf %03o $((b ^ 0x5a)))" |
				dd of="$T/sig.bad" bs=1 seek=$((len / 2)) conv=notrunc 2>/dev/null
		fi
		p11_verify "$m" "$id" "$T/in.bin" "$T/sig.bad" >"$T/v.log"
		rc=$?
		t_eq "$tag: key $id $m C_Verify refuses a tampered signature" 1 "$rc"
	done
	# R27/R28: every mechanism of the key's type produced a verified signature
	t_eq "$tag: key $id ($kt): $n of $n signature mechanisms verified" "$n" "$ok"
}

one_card() { # $1 profile, rest: provisioning options
	local prof=$1; shift
	local tag="$prof${*:+ $*}"
	bench_up --profile "$prof" "$@" || { t_fail "$tag: bench up"; return; }
	head -c 3000 /dev/urandom >"$T/msg"

	# R44: a second process on the same card reads less (validated disk cache)
	export XDG_CACHE_HOME=$T/cache-$RANDOM
	local n0 n1 n2
	n0=$(log_count "$AKIS_CARD_LOG_1")
	P11 -O >/dev/null 2>&1
	n1=$(log_count "$AKIS_CARD_LOG_1")
	P11 -O >/dev/null 2>&1
	n2=$(log_count "$AKIS_CARD_LOG_1")
	if [[ $((n2 - n1)) -lt $((n1 - n0)) && -d $XDG_CACHE_HOME/akis-pkcs11 ]]; then
		t_ok "$tag: second process reads less: $((n2 - n1)) APDUs < $((n1 - n0)) (R44)"
	else
		t_fail "$tag: second process reads less (R44)" "first $((n1 - n0)), second $((n2 - n1))"
	fi
	t_check "$tag: -L lists the token" bash -c "pkcs11-tool --module '$MOD' -L | grep -q 'token label *: AKIS_'"
	P11 -O >"$T/objs" 2>&1
	t_check "$tag: -O lists certificates without PIN (R13)" grep -q "Certificate Object" "$T/objs"
	P11 -O --login --pin $PIN >"$T/objs" 2>&1
	t_check "$tag: -O with PIN lists private keys" grep -q "Private Key Object" "$T/objs"

	# R27: exactly the expected mechanisms, none missing, none extra
	P11 -M >"$T/mechs" 2>&1
	awk '/^  [A-Z]/{sub(/,.*/, ""); sub(/^ +/, ""); print}' "$T/mechs" | sort >"$T/mechs.got"
	expected_mechs "$prof" >"$T/mechs.want"
	t_eq "$tag: -M lists exactly the profile's $(grep -c . "$T/mechs.want") mechanisms (R27)" \
		"$(tr '\n' ' ' <"$T/mechs.want")" "$(tr '\n' ' ' <"$T/mechs.got")"

	# keys per type, as provisioned
	local id kt pub bits nrsa=0 nec=0 ndec want
	keys_of "$T/objs" >"$T/keys"
	nrsa=$(grep -c ' RSA$' "$T/keys")
	nec=$(grep -c ' EC$' "$T/keys")
	local decs
	decs=$(awk '/^Private Key Object; RSA/{k=1} /^[A-Z].*Object/ && !/^Private Key Object; RSA/{k=0}
			k && /ID:/{id=$2} k && /Usage:.*decrypt/{print id}' "$T/objs" | sort -u)
	ndec=$(echo -n "$decs" | grep -c .)
	want=$(expected_keys "$prof")
	t_eq "$tag: private keys (RSA EC decrypt-capable): $want" "$want" "$nrsa $nec $ndec"

	while read -r id kt; do
		P11 --read-object --type cert --id "$id" -o "$T/c.der" >/dev/null 2>&1
		if ! openssl x509 -inform DER -in "$T/c.der" -pubkey -noout >"$T/pub.pem" 2>/dev/null; then
			t_fail "$tag: certificate for key $id readable"; continue
		fi
		bits=$(openssl pkey -pubin -in "$T/pub.pem" -text -noout | grep -Eo '[0-9]+ bit' | head -1 | cut -d' ' -f1)
		sign_all "$tag" "$id" "$kt" "$bits" "$T/pub.pem"
	done <"$T/keys"

	# Decryption with every RSA key allowed to decrypt (R31); their number
	# is asserted above, so an empty loop fails there
	for id in $decs; do
		P11 --read-object --type cert --id "$id" -o "$T/c.der" >/dev/null 2>&1
		openssl x509 -inform DER -in "$T/c.der" -pubkey -noout >"$T/pub.pem"
		printf 'secret message for the card' >"$T/plain"
		openssl pkeyutl -encrypt -pubin -inkey "$T/pub.pem" -in "$T/plain" -out "$T/enc"
		rm -f "$T/dec"
		P11 --login --pin $PIN --decrypt -m RSA-PKCS --id "$id" -i "$T/enc" -o "$T/dec" >/dev/null 2>&1
		t_check "$tag: key $id RSA-PKCS decrypt of openssl ciphertext" cmp -s "$T/plain" "$T/dec"
		openssl pkeyutl -encrypt -pubin -inkey "$T/pub.pem" -pkeyopt rsa_padding_mode:oaep \
			-pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 -in "$T/plain" -out "$T/enc"
		rm -f "$T/dec"
		P11 --login --pin $PIN --decrypt -m RSA-PKCS-OAEP --hash-algorithm SHA256 --mgf MGF1-SHA256 \
			--id "$id" -i "$T/enc" -o "$T/dec" >/dev/null 2>&1
		t_check "$tag: key $id RSA-PKCS-OAEP decrypt of openssl ciphertext" cmp -s "$T/plain" "$T/dec"
	done

	if P11 --test --login --pin $PIN >"$T/test.log" 2>&1 && grep -q '^No errors' "$T/test.log"; then
		t_ok "$tag: pkcs11-tool --test --login"
	else
		t_fail "$tag: pkcs11-tool --test --login" "$(grep -i 'error\|fail' "$T/test.log" | head -3)"
	fi
	bench_down
}

# AKIS_PROFILES: profiles, each optionally with provisioning options joined
# by ':' ("akis-2:--ec-curve:p256"); unset = every profile and variant
PROFILES=${AKIS_PROFILES:-"akis-1.0 akis-1.2 akis-2"}
for p in $PROFILES; do
	# shellcheck disable=SC2086
	one_card ${p//:/ }
done
if [[ -z ${AKIS_PROFILES:-} ]]; then
	one_card akis-1.2 --no-efdir
	one_card akis-1.2 --no-pkcs15
	one_card akis-2 --no-efdir --no-pkcs15
	one_card akis-1.0 --no-pkcs15
	one_card akis-2 --ec-curve p256 # ECDSA on P-256: 64-byte r‖s (docs/card.md §3)
fi
rm -rf "$T"
t_summary
