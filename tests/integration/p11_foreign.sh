#!/bin/bash
# R9: a non-AKIS card is identified by its ATR alone (akis_atr_match, no APDU)
# and reported as CKR_TOKEN_NOT_RECOGNIZED: the slot is listed, there is no
# token, and no APDU reaches the card — not per poll, not after re-insertion.
# Usage: bash tests/integration/p11_foreign.sh   (AKIS_BUILD defaults to build)
set -u
. "$(dirname "$0")/lib.sh"
B=${AKIS_BUILD:-build}
[[ $B == /* ]] || B=$T_ROOT/$B
MOD=$B/akis-pkcs11.so
# A T=1 ATR of a non-AKIS card (TD1=80 → T=0 implied, TD2=B1 → T=1, so a TCK
# follows; XOR of T0..TCK is 00 as ISO/IEC 7816-3 §8.2.5 requires).
FOREIGN_ATR=3BDB960080B1FE451F830031C064C7FC100001900074

[ -f "$MOD" ] || { echo "missing $MOD (make)" >&2; exit 1; }
bench_up --profile akis-1.2 --atr "$FOREIGN_ATR" || { t_fail "bench up"; t_summary; exit 1; }
LOG=$AKIS_CARD_LOG_1

atr_seen=$(grep -i '^atr' "$AKIS_CARD_DIR_1/card.conf" | tr -d ' ' | cut -d= -f2)
t_eq "card image carries the foreign ATR" "$FOREIGN_ATR" "$atr_seen"

# What pkcs11-tool prints on the line after the slot of reader $1: for a
# slot whose C_GetTokenInfo gives CKR_TOKEN_NOT_RECOGNIZED it is
# "(token not recognized)"; "(empty)" means no card at all.
slot_state() { awk -v r="$1" 'f { print; exit } index($0, r) { f = 1 }' | sed 's/^ *//'; }

before=$(log_count "$LOG")
out=$(pkcs11-tool --module "$MOD" -L 2>&1); rc=$?
echo "$out" | sed 's/^/    | /'
t_eq "pkcs11-tool -L exits 0" 0 "$rc"
if echo "$out" | grep -qF "$AKIS_READER_1"; then t_ok "slot for $AKIS_READER_1 listed"
else t_fail "slot for $AKIS_READER_1 listed"; fi
t_eq "slot of $AKIS_READER_1: token not recognized" "(token not recognized)" "$(echo "$out" | slot_state "$AKIS_READER_1")"
if echo "$out" | grep -q "token label"; then t_fail "no token label listed"; else t_ok "no token label listed"; fi

out=$(pkcs11-tool --module "$MOD" -O 2>&1); rc=$?
echo "$out" | sed 's/^/    | /'
if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ]; then t_ok "pkcs11-tool -O fails cleanly (rc $rc)"
else t_fail "pkcs11-tool -O fails cleanly" "rc $rc"; fi
if echo "$out" | grep -q "CKR_TOKEN_NOT_RECOGNIZED"; then t_ok "-O: CKR_TOKEN_NOT_RECOGNIZED"
else t_fail "-O: CKR_TOKEN_NOT_RECOGNIZED"; fi

for i in 1 2 3 4 5; do
	pkcs11-tool --module "$MOD" -L >/dev/null 2>&1 || t_fail "pkcs11-tool -L run $i"
done
after=$(log_count "$LOG")
t_eq "no APDU sent by -L, -O and 5 more -L (log $LOG)" "$before" "$after"
t_eq "no APDU at all since bench up" 0 "$after"

t_check "vcardctl remove 1" "$T_VCARDCTL" remove 1
sleep 1
out=$(pkcs11-tool --module "$MOD" -L 2>&1)
t_eq "after remove: slot of $AKIS_READER_1 empty" "(empty)" "$(echo "$out" | slot_state "$AKIS_READER_1")"
t_check "vcardctl insert 1" "$T_VCARDCTL" insert 1
state=
for _ in $(seq 20); do   # pcscd may take a poll interval to see the card again
	out=$(pkcs11-tool --module "$MOD" -L 2>&1)
	state=$(echo "$out" | slot_state "$AKIS_READER_1")
	[ "$state" = "(empty)" ] || break
	sleep 0.5
done
echo "$out" | sed 's/^/    | /'
t_eq "after re-insertion: token not recognized" "(token not recognized)" "$state"
if pkcs11-tool --module "$MOD" -O 2>&1 | grep -q CKR_TOKEN_NOT_RECOGNIZED; then t_ok "-O after re-insertion: CKR_TOKEN_NOT_RECOGNIZED"
else t_fail "-O after re-insertion: CKR_TOKEN_NOT_RECOGNIZED"; fi
t_eq "still 0 APDUs after remove+insert" 0 "$(log_count "$LOG")"
bench_down

# An AKİS ATR on a card whose application does not answer as one (another
# applet, a blank or damaged card): here the card answers the READ BINARY
# of its ODF (command 5 of a first bind: GET DATA of the serial, SELECT +
# READ EF.DIR, SELECT + READ ODF) with 6D00 (instruction not supported), once;
# the failed bind then asks for the life cycle (a dead card refuses its
# directory: docs/design.md "The on-disk token cache"). The module probes it
# once for this insertion and then reports CKR_TOKEN_NOT_RECOGNIZED without
# another APDU, over 20 rounds of slot/token/session calls in one process
# (Firefox polls every second); after a re-insertion it is probed again and,
# the fault being gone, is a token. A failure that may pass (an unknown
# status word, 6F00) is tried again on the next call instead (at most 3
# binds per insertion, pkcs11/token.c).
PROBE=$(mktemp /tmp/akis-probe.XXXXXX)
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -I"$T_ROOT" $(pkg-config --cflags p11-kit-1) \
	"$T_ROOT/tests/integration/p11_probe.c" -o "$PROBE" -ldl || t_fail "build p11_probe.c"
bench_up --profile akis-2 || { t_fail "bench up (akis-2)"; t_summary; exit 1; }
LOG=$AKIS_CARD_LOG_1
# no on-disk cache: neither XDG_CACHE_HOME nor HOME (a made-up path would be
# created by a run as root, and kept its caches for the next run)
probe() { env -u HOME -u XDG_CACHE_HOME AKIS_CONF=/dev/null "$PROBE" "$MOD" "$@" 2>&1; }
t_check "arm: command 5 answers 6D00" "$T_VCARDCTL" fault 1 "5 sw 6D00"
before=$(log_count "$LOG")
out=$(probe 20 50)
after=$(log_count "$LOG")
t_eq "command 5 was the READ BINARY of the ODF, 6 the life cycle" "C 00B0000030 C 00CA01040A" \
	"$(grep '^C ' "$LOG" | sed -n "$((before + 5)),$((before + 6))p" | paste -sd' ')"
t_eq "every C_GetTokenInfo: CKR_TOKEN_NOT_RECOGNIZED (20 rounds)" 20 "$(grep -c '^tokeninfo 0xe1$' <<<"$out")"
t_eq "every C_OpenSession: CKR_TOKEN_NOT_RECOGNIZED" 20 "$(grep -c '^opensession 0xe1$' <<<"$out")"
t_eq "probed once: the 6 APDUs of the failed bind, none after, over 60 calls" 6 $((after - before))
t_check "vcardctl remove 1" "$T_VCARDCTL" remove 1
sleep 1
t_check "vcardctl insert 1" "$T_VCARDCTL" insert 1
sleep 1
t_check "arm: command 5 answers 6F00 (no precise diagnosis)" "$T_VCARDCTL" fault 1 "5 sw 6F00"
out=$(probe 3 0)
t_eq "a passing failure: the first C_GetTokenInfo fails (CKR_DEVICE_ERROR)" \
	"tokeninfo 0x30" "$(grep -m1 '^tokeninfo' <<<"$out")"
t_eq "the next calls bind the card again and it is a token" 2 "$(grep -c '^tokeninfo 0x0$' <<<"$out")"
rm -f "$PROBE"
t_summary
