#!/usr/bin/env bash
# apdu/pcsc.c against the real pcscd + vpcd + akis-vcard (issue §3):
#  - reader listing (PnP pseudo-reader never listed), states and ATR;
#  - SELECT 3F00/3D00/2F10 + READ BINARY Le=F4 returns exactly the DER file
#    of the card image;
#  - hot-plug: remove/insert changes the listed state, apdu_pcsc_wait returns
#    within 1 s of the event; apdu_pcsc_cancel wakes a wait; a wait with
#    nothing happening times out;
#  - pcscd absent: APDU_ERR_NO_SERVICE; a pcscd restart makes the old context
#    invalid (R35).
# The bench is tests/vcardctl's; the whole session runs under
# flock /tmp/akis-bench.lock (AKIS_BENCH_LOCKED=1 tells vcardctl so).
#   tests/integration/apdu_pcsc.sh [BUILD_DIR]
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
BUILD=${AKIS_BUILD:-$TOP/${1:-build}}
WORK=$(mktemp -d /tmp/akis-apdu-it.XXXXXX)
CLIENT=$WORK/apdu_readcert
passed=0 failed=0

ok() { echo "ok   - $*"; passed=$((passed + 1)); }
nok() { echo "FAIL - $*"; failed=$((failed + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }

# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g $(pkg-config --cflags libpcsclite) -I. \
	tests/integration/apdu_readcert.c apdu/apdu.c log/log.c apdu/pcsc.c apdu/tlv.c \
	-o "$CLIENT" $(pkg-config --libs libpcsclite libcrypto) -lpthread || { echo "0 passed, 1 failed"; exit 1; }

export AKIS_VCARD=${AKIS_VCARD:-$BUILD/akis-vcard}
[[ -x $AKIS_VCARD ]] || { echo "no $AKIS_VCARD (make BUILD=... akis-vcard first)"; echo "0 passed, 1 failed"; exit 1; }
CARD_DIR=

# ---- the bench (tests/vcardctl; cards are numbered from 1) ----
bench_up() {
	local env
	env=$(tests/vcardctl up --profile akis-1.2 2>"$WORK/up.log") || { cat "$WORK/up.log"; return 1; }
	eval "$env"
	CARD_DIR=${AKIS_CARD_DIR_1:-}
	[[ -n $CARD_DIR ]]
}
bench_down() { tests/vcardctl down >/dev/null 2>&1; }
card_ctl() { tests/vcardctl "$1" 1 >/dev/null; }

run_tests() {
	local out t

	# pcscd absent
	if [[ ! -S /run/pcscd/pcscd.comm ]] && ! pgrep -x pcscd >/dev/null; then
		out=$("$CLIENT" readers 2>&1)
		check "no pcscd: open gives APDU_ERR_NO_SERVICE" grep -q "open APDU_ERR_NO_SERVICE" <<<"$out"
	fi
	bench_up || { nok "bench up"; return; }

	out=$("$CLIENT" readers 2>&1)
	echo "$out" | sed 's/^/# /'
	check "readers listed" grep -q '^[^|]\+|\(present\|empty\)' <<<"$out"
	check "PnP pseudo-reader not listed" bash -c "! grep -q 'PnP' <<<\"\$1\"" _ "$out"
	check "card 1 present with ATR 3B 9F" grep -q '|present|[0-9]*|3B 9F' <<<"$out"

	# certificate read through apdu_transmit, compared with the image
	out=$("$CLIENT" read "$WORK/cert.der" 2>&1)
	echo "$out" | sed 's/^/# /'
	local want=$CARD_DIR/fs/3F00/3D00/2F10
	check "READ BINARY Le=F4 gives the DER file of the image" cmp "$WORK/cert.der" "$want"
	local size reads
	size=$(stat -c %s "$want")
	reads=$(sed -n 's/.* \([0-9]*\) READ BINARY.*/\1/p' <<<"$out")
	check "one READ BINARY per 244 bytes ($size bytes → $reads)" test "$reads" -eq $(((size + 243) / 244))

	# the APDU trace on the real stack (R38): AKIS_DEBUG=apdu + AKIS_LOG file, stdout clean
	AKIS_DEBUG=apdu AKIS_LOG="$WORK/trace.log" "$CLIENT" read "$WORK/cert1.der" >"$WORK/trace.stdout" 2>&1
	sed -n '1,12p' "$WORK/trace.log" | sed 's/^/# /'
	check "AKIS_LOG trace has the SELECT and READ BINARY exchanges" \
		bash -c 'grep -q "> 00 A4 00 0C 02 3F 00" "$1" && grep -q "> 00 B0 00 F4 F4" "$1" && grep -q "< .*90 00" "$1"' _ "$WORK/trace.log"
	check "nothing but the client's own lines on stdout/stderr" \
		bash -c '! grep -qv "^reader \|^certificate " "$1"' _ "$WORK/trace.stdout"

	# the card has its own SCARDCONTEXT: not blocked by a wait on the listing one
	out=$(timeout 20 "$CLIENT" readwhilewait "$WORK/cert2.der" 2>&1)
	echo "$out" | sed 's/^/# /'
	check "card read while another thread blocks in apdu_pcsc_wait" \
		bash -c 'grep -Eq "read while waiting: ok in [0-9]{1,3} ms; wait APDU_ERR_CANCELLED" <<<"$1" && cmp -s "$2" "$3"' \
		_ "$out" "$WORK/cert2.der" "$want"

	# a reset by another process: APDU_ERR_RESET once, then the handle works
	"$CLIENT" reset "$WORK/reset.flag" >"$WORK/reset.out" 2>&1 &
	local rpid=$!
	for _ in $(seq 100); do grep -q ready "$WORK/reset.out" && break; sleep 0.05; done
	tests/vcardctl pcsc-reset 1 >"$WORK/pcsc-reset.log" 2>&1
	touch "$WORK/reset.flag"
	wait "$rpid"
	sed 's/^/# /' "$WORK/reset.out"
	check "card reset by another process: APDU_ERR_RESET, then reconnected" \
		bash -c 'grep -q "^first APDU_OK 9000" "$1" && grep -q "after reset 0: APDU_ERR_RESET" "$1" &&
			grep -q "after reset 1: APDU_OK 9000" "$1"' _ "$WORK/reset.out"

	# a wait with nothing happening times out
	out=$("$CLIENT" wait 700 2>&1)
	check "wait without event: APDU_ERR_TIMEOUT after ~700 ms" \
		bash -c 'grep -Eq "wait APDU_ERR_TIMEOUT (6[5-9][0-9]|7[0-9][0-9]|8[0-9][0-9]) ms" <<<"$1"' _ "$out"

	# removal: wait returns within 1 s, state changes
	"$CLIENT" wait 10000 >"$WORK/wait1.out" 2>&1 &
	local wpid=$!
	for _ in $(seq 50); do grep -q waiting "$WORK/wait1.out" && break; sleep 0.05; done
	sleep 0.3
	t=$(date +%s%N)
	card_ctl remove
	wait "$wpid"
	local el=$((($(date +%s%N) - t) / 1000000))
	sed 's/^/# /' "$WORK/wait1.out"
	check "wait returns APDU_OK on removal" grep -q "wait APDU_OK" "$WORK/wait1.out"
	check "wait returned within 1 s of removal (${el} ms)" test "$el" -lt 1000
	check "reader empty after removal" bash -c 'sed -n "/^after/,\$p" "$1" | grep -q "|empty|"' _ "$WORK/wait1.out"
	out=$("$CLIENT" read "$WORK/none.der" 2>&1)
	check "read with no card fails cleanly" grep -q "no reader with a card" <<<"$out"

	# insertion
	"$CLIENT" wait 10000 >"$WORK/wait2.out" 2>&1 &
	wpid=$!
	for _ in $(seq 50); do grep -q waiting "$WORK/wait2.out" && break; sleep 0.05; done
	sleep 0.3
	t=$(date +%s%N)
	card_ctl insert
	wait "$wpid"
	el=$((($(date +%s%N) - t) / 1000000))
	sed 's/^/# /' "$WORK/wait2.out"
	check "wait returns APDU_OK on insertion within 1 s (${el} ms)" \
		bash -c 'grep -q "wait APDU_OK" "$1" && test "$2" -lt 1000' _ "$WORK/wait2.out" "$el"
	check "reader present after insertion" bash -c 'sed -n "/^after/,\$p" "$1" | grep -q "|present|"' _ "$WORK/wait2.out"

	# cancel from another thread, sticky
	out=$("$CLIENT" cancel 300 2>&1)
	echo "$out" | sed 's/^/# /'
	check "apdu_pcsc_cancel wakes a blocked wait" \
		bash -c 'grep -Eq "wait APDU_ERR_CANCELLED ([2-5][0-9][0-9]) ms" <<<"$1"' _ "$out"
	check "cancel is sticky" grep -q "again APDU_ERR_CANCELLED" <<<"$out"

	# pcscd restart (bench down + up): the old context is seen as invalid (R35)
	"$CLIENT" valid 4 >"$WORK/valid.out" 2>&1 &
	local vpid=$!
	sleep 0.5
	bench_down
	bench_up || nok "bench up again"
	wait "$vpid"
	sed 's/^/# /' "$WORK/valid.out"
	check "apdu_pcsc_valid: 1 before, 0 after a pcscd restart" \
		bash -c '[[ $(tr "\n" " " <"$1") == "valid 1 valid 0 " ]]' _ "$WORK/valid.out"
	out=$("$CLIENT" read "$WORK/cert3.der" 2>&1)
	check "a new context after the restart reads the card" cmp -s "$WORK/cert3.der" "$CARD_DIR/fs/3F00/3D00/2F10"

	bench_down
}

exec 9>/tmp/akis-bench.lock
flock 9
export AKIS_BENCH_LOCKED=1
trap 'bench_down; rm -rf "$WORK"' EXIT
run_tests
echo "apdu_pcsc: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
