#!/usr/bin/env bash
# akis/ against the real pcscd + vpcd + akis-vcard, every profile and
# layout: bind, PIN status/VERIFY, sign (checked with OpenSSL against the
# certificate), decipher, GET CHALLENGE, LOGOUT; then a second bind through
# the on-disk cache must read fewer APDUs and take certificates from it.
# Private bench (pcscd -f -c DIR, vpcd on $AKIS_AKIS_PORT), run as a whole
# under flock /tmp/akis-bench.lock and always brought down.
#   tests/integration/akis_bench.sh [BUILD_DIR]
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
[[ -x $BUILD/akis-vcard ]] || { echo "no $BUILD/akis-vcard"; exit 1; }
WORK=$(mktemp -d /tmp/akis-akis-it.XXXXXX)
CHECK=$WORK/akis_bind_check
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-deprecated-declarations -O2 -g \
	$(pkg-config --cflags libpcsclite) -I. tests/integration/akis_bind_check.c akis/*.c \
	apdu/apdu.c log/log.c apdu/pcsc.c apdu/tlv.c -o "$CHECK" \
	$(pkg-config --libs libpcsclite) -lcrypto -lpthread || exit 1
exec 9>/tmp/akis-bench.lock
flock 9
PORT=${AKIS_AKIS_PORT:-35971}
mkdir -p "$WORK/conf" /run/pcscd
cat >"$WORK/conf/vpcd" <<EOC
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:$PORT
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID    $PORT
EOC
pcscd -f -c "$WORK/conf" >"$WORK/pcscd.log" 2>&1 &
PCSCD_PID=$!
VCARD_PID=
down() {
	[[ -n $VCARD_PID ]] && { kill "$VCARD_PID" 2>/dev/null; wait "$VCARD_PID" 2>/dev/null; }
	VCARD_PID=
}
trap 'down; kill $PCSCD_PID 2>/dev/null; wait $PCSCD_PID 2>/dev/null' EXIT
for _ in $(seq 50); do [[ -S /run/pcscd/pcscd.comm ]] && break; sleep 0.1; done
passed=0 failed=0
for variant in "akis-1.0" "akis-1.2" "akis-2" "akis-1.2 --no-pkcs15" "akis-2 --no-pkcs15 --no-efdir" "akis-1.0 --no-efdir"; do
	# shellcheck disable=SC2086
	set -- $variant
	prof=$1; shift
	dir=$WORK/card-$prof-$#
	"$BUILD/akis-vcard" init "$dir" --profile "$prof" "$@" >"$WORK/init.log" 2>&1 || { cat "$WORK/init.log"; failed=$((failed+1)); continue; }
	"$BUILD/akis-vcard" run "$dir" --port "$PORT" --log "$dir.log" &
	VCARD_PID=$!
	sleep 1.5
	cache=$WORK/cache-$prof-$#
	mkdir -p "$cache"
	echo "== $variant"
	out1=$(timeout 60 "$CHECK" 12345 "$cache" 2>&1); rc1=$?
	echo "$out1" | sed 's/^/# /'
	out2=$(timeout 60 "$CHECK" 12345 "$cache" 2>&1); rc2=$?
	a1=$(sed -n 's/.*APDUs \([0-9]*\).*/\1/p' <<<"$out1"); a2=$(sed -n 's/.*APDUs \([0-9]*\).*/\1/p' <<<"$out2")
	c2=$(sed -n 's/.*cached \([0-9]*\).*/\1/p' <<<"$out2")
	if [[ $rc1 == 0 && $rc2 == 0 ]]; then echo "ok   - $variant: all checks"; passed=$((passed+1)); else echo "FAIL - $variant: rc $rc1/$rc2"; failed=$((failed+1)); fi
	if [[ -n $a1 && -n $a2 && $a2 -lt $a1 && ${c2:-0} -gt 0 ]]; then echo "ok   - $variant: second bind $a2 APDUs < $a1, $c2 from cache"; passed=$((passed+1));
	else echo "FAIL - $variant: cache: $a1 → $a2 APDUs, cached ${c2:-?}"; failed=$((failed+1)); fi
	down
	sleep 0.5
done
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
