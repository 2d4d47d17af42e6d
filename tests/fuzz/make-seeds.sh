#!/usr/bin/env bash
# Seed corpora for the fuzz targets, from the project's own samples (no
# pcscd, no bench lock):
#   fuzz_pkcs15   the PKCS#15 files and ATRs of cards provisioned by
#                 `akis-vcard init` (every profile, with and without the
#                 expired certificate), one selector byte + the file
#   fuzz_card,    whole sessions recorded from akis-vcard over the vpcd wire
#   fuzz_module   by fuzz_module_record (the same call sequence as the
#                 target): ATR + every answer the card gave
#   fuzz_apdu     hand-made answers: 9000, 61xx chains, 6Cxx, chaining refusals
#   tests/fuzz/make-seeds.sh FUZZ_BUILD_DIR VCARD_BINARY
# Writes FUZZ_BUILD_DIR/seeds/<target>/.
set -u
cd "$(dirname "$0")/../.."
B=${1:-build-fuzz}
VCARD=${2:-build/akis-vcard}
S=$B/seeds
PORT=${FUZZ_RECORD_PORT:-36180}
[[ -x $VCARD ]] || { echo "make-seeds: $VCARD not built" >&2; exit 1; }
rm -rf "$S" && mkdir -p "$S"/{fuzz_pkcs15,fuzz_card,fuzz_module,fuzz_apdu,fuzz_cache}
W=$(mktemp -d /tmp/akis-fuzz-seeds.XXXXXX)
VPID=
trap '[[ -n $VPID ]] && kill $VPID 2>/dev/null; rm -rf "$W"' EXIT

seed() { # FILE SELECTOR_BYTE SRC: selector + contents
	{ printf "\\x$(printf %02x "$2")"; cat "$3"; } >"$1"
}

pkcs15_seeds() { # DIR NAME PROFILE_BIT
	local d=$1/fs/3F00 n=$2 hi=$3 f sel
	for f in 2F00:0 3D00/5031:1 3D00/5032:2 3D00/4401:3 3D00/4402:4 3D00/4403:4 3D00/4404:5 3D00/4402:7; do
		sel=${f#*:}
		[[ -f $d/${f%:*} ]] && seed "$S/fuzz_pkcs15/$n-${f//[\/:]/_}" $((sel | hi)) "$d/${f%:*}"
	done
	sed -n 's/^atr = //p' "$1/card.conf" | xxd -r -p >"$W/atr"
	seed "$S/fuzz_pkcs15/$n-atr" $((6 | hi)) "$W/atr"
}

record() { # DIR NAME: one recorded session
	local i
	"$VCARD" run "$1" --port "$PORT" >"$W/run-$2.log" 2>&1 &
	VPID=$!
	if timeout 20 "$B/fuzz_module_record" "$PORT" "$S/fuzz_module/$2" >"$W/rec-$2.log" 2>&1; then
		cp "$S/fuzz_module/$2" "$S/fuzz_card/$2"
	else
		echo "make-seeds: recording $2 failed: $(tail -2 "$W/rec-$2.log")" >&2
	fi
	kill "$VPID" 2>/dev/null
	wait "$VPID" 2>/dev/null
	VPID=
	for i in 1 2 3 4 5; do ss -ltn 2>/dev/null | grep -q ":$PORT " || break; sleep 0.2; done
}

# fuzz_cache: u16 file length, a cache file holding CERT for 3D00 2F10
# (akis/cache.c format), then the card's answers to SELECT (FCI with the
# size) and to the READ BINARY of the last 244 bytes.
cache_seed() { # CERT OUT
	python3 - "$1" "$2" <<'EOP'
import sys
der = open(sys.argv[1], 'rb').read()
f = b'AKISCC1\n' + bytes([4]) + bytes.fromhex('3D002F10') + len(der).to_bytes(2, 'big') + der
def resp(b):
    return len(b).to_bytes(2, 'big') + b
fci = bytes.fromhex('6204') + bytes([0x80, 2]) + len(der).to_bytes(2, 'big') + bytes.fromhex('9000')
open(sys.argv[2], 'wb').write(len(f).to_bytes(2, 'big') + f + resp(fci) + resp(der[-244:] + bytes.fromhex('9000')))
EOP
}

for prof in akis-1.0 akis-1.2 akis-2; do
	for variant in plain expired nodir; do
		d=$W/$prof-$variant
		opts=()
		case $variant in expired) opts=(--with-expired-cert) ;; nodir) opts=(--no-pkcs15) ;; esac
		"$VCARD" init "$d" --profile "$prof" "${opts[@]}" >/dev/null 2>&1 || continue
		hi=0
		[[ $prof == akis-2 ]] && hi=128
		pkcs15_seeds "$d" "$prof-$variant" "$hi"
		cache_seed "$d/fs/3F00/3D00/2F10" "$S/fuzz_cache/$prof-$variant"
		record "$d" "$prof-$variant"
	done
done

# fuzz_apdu: shape(1) lc(2) le(2) cap(1), then u16-length-framed answers
apdu_seed() { printf "$2" >"$S/fuzz_apdu/$1"; }
apdu_seed ok          '\x00\x00\x00\x01\x00\x08\x00\x02\x90\x00'
apdu_seed data        '\x00\x00\x00\x00\x10\x08\x00\x06\x01\x02\x03\x04\x90\x00'
apdu_seed getresp     '\x00\x00\x00\x01\x00\x08\x00\x02\x61\x04\x00\x06\xaa\xbb\xcc\xdd\x90\x00'
apdu_seed getresp2    '\x00\x00\x00\x01\x00\x08\x00\x02\x61\x00\x00\x04\xaa\xbb\x61\x02\x00\x04\xcc\xdd\x90\x00'
apdu_seed wrongle     '\x00\x00\x00\x00\x20\x08\x00\x02\x6c\x04\x00\x06\x01\x02\x03\x04\x90\x00'
apdu_seed chain       '\x40\x01\x2c\x00\x00\x08\x00\x02\x90\x00\x00\x02\x90\x00'
apdu_seed chainrefuse '\x40\x01\x2c\x00\x00\x08\x00\x02\x6a\x80'
apdu_seed short       '\x00\x00\x00\x00\x00\x08\x00\x01\x90'
n=$(find "$S" -type f | wc -l)
echo "make-seeds: $n seeds in $S ($(ls "$S/fuzz_module" | wc -l) recorded sessions)"
