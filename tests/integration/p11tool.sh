#!/usr/bin/env bash
# The module through real clients: OpenSC's pkcs11-tool against pcscd +
# vpcd + akis-vcard, for every profile and provisioning variant (issue 3).
# Each signature is verified by openssl against the certificate read from
# the token; decryption of data encrypted by openssl. R13 R18 R23 R24 R26
# R27 R28 R29 R31 R36.
#   AKIS_PROFILES="akis-2" bash tests/integration/p11tool.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

MOD=${AKIS_BUILD:-$here/../../build}/akis-pkcs11.so
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

sign_args() { # extra pkcs11-tool options per mechanism
	case $1 in
	RSA-PKCS-PSS) echo "--hash-algorithm SHA256 --mgf MGF1-SHA256" ;;
	SHA*-RSA-PKCS-PSS) echo "--mgf MGF1-${1%%-*}" ;; # the hash comes with the mechanism
	ECDSA*) echo "--signature-format openssl" ;;
	esac
}

input_for() { # mechanism key-bits → input file
	local m=$1 bits=$2
	case $m in
	RSA-X-509) { printf '\x00\x01'; head -c $((bits / 8 - 2)) /dev/urandom; } >"$T/in.bin" ;;
	RSA-PKCS-PSS) openssl dgst -sha256 -binary "$T/msg" >"$T/in.bin" ;;
	ECDSA) openssl dgst -sha384 -binary "$T/msg" >"$T/in.bin" ;;
	RSA-PKCS) printf 'short data to sign' >"$T/in.bin" ;;
	*) cp "$T/msg" "$T/in.bin" ;;
	esac
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
	P11 -M >"$T/mechs" 2>&1
	t_check "$tag: -M lists mechanisms" grep -q "RSA-PKCS\|ECDSA" "$T/mechs"

	local id kt pub bits m
	while read -r id kt; do
		P11 --read-object --type cert --id "$id" -o "$T/c.der" >/dev/null 2>&1
		if ! openssl x509 -inform DER -in "$T/c.der" -pubkey -noout >"$T/pub.pem" 2>/dev/null; then
			t_fail "$tag: certificate for key $id readable"; continue
		fi
		bits=$(openssl pkey -pubin -in "$T/pub.pem" -text -noout | grep -Eo '[0-9]+ bit' | head -1 | cut -d' ' -f1)
		for m in $(awk '/sign/ {print $1}' "$T/mechs" | tr -d ','); do
			case "$kt:$m" in RSA:*RSA*|EC:ECDSA*) ;; *) continue ;; esac
			verify_sig "$m" /dev/null /dev/null /dev/null >/dev/null 2>&1; [[ $? -eq 2 ]] && continue
			input_for "$m" "$bits"
			rm -f "$T/sig"
			# shellcheck disable=SC2046
			P11 --login --pin $PIN --sign -m "$m" --id "$id" $(sign_args "$m") \
				-i "$T/in.bin" -o "$T/sig" >"$T/sign.log" 2>&1
			t_check "$tag: key $id $m signature verified by openssl" \
				verify_sig "$m" "$T/pub.pem" "$T/in.bin" "$T/sig"
		done
		if [[ $kt == RSA ]] && grep -q "decrypt" "$T/objs"; then
			:
		fi
	done < <(keys_of "$T/objs")

	# Decryption with every RSA key allowed to decrypt (R31)
	for id in $(awk '/^Private Key Object; RSA/{k=1} /^[A-Z].*Object/ && !/RSA/{k=0}
			k && /ID:/{id=$2} k && /Usage:.*decrypt/{print id}' "$T/objs" | sort -u); do
		P11 --read-object --type cert --id "$id" -o "$T/c.der" >/dev/null 2>&1
		openssl x509 -inform DER -in "$T/c.der" -pubkey -noout >"$T/pub.pem"
		printf 'secret message for the card' >"$T/plain"
		openssl pkeyutl -encrypt -pubin -inkey "$T/pub.pem" -in "$T/plain" -out "$T/enc"
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

PROFILES=${AKIS_PROFILES:-"akis-1.0 akis-1.2 akis-2"}
for p in $PROFILES; do
	one_card "$p"
done
if [[ -z ${AKIS_PROFILES:-} ]]; then
	one_card akis-1.2 --no-efdir
	one_card akis-1.2 --no-pkcs15
	one_card akis-2 --no-efdir --no-pkcs15
	one_card akis-1.0 --no-pkcs15
fi
rm -rf "$T"
t_summary
