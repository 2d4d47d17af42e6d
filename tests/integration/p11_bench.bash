#!/usr/bin/env bash
# Bench control for the pkcs11/ behaviour test (p11_behaviour.sh drives it;
# p11_behaviour.c calls it through $P11_BENCH). A private bench: one pcscd
# with a vpcd entry (two readers, PORT and PORT+1) and two akis-vcard
# instances, card 0 = akis-2, card 1 = akis-1.2. State lives in $P11_WORK.
# The caller holds flock /tmp/akis-bench.lock for the whole run.
#   p11_bench.sh init|pcscd-start|pcscd-stop|cards-start|down
#   p11_bench.sh remove N|insert N|latency N US|apdus N|verifies N|logouts N
#   p11_bench.sh fault N SPEC    SPEC as the card's ctl takes it: "K drop", "clear", ...
set -u
: "${P11_WORK:?}" "${P11_VCARD:?}"
PORT=${P11_PORT:-35990}
W=$P11_WORK

pcscd_start() {
	mkdir -p "$W/conf" /run/pcscd
	cat >"$W/conf/vpcd" <<-EOC
	FRIENDLYNAME "Virtual PCD"
	DEVICENAME   /dev/null:$PORT
	LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
	CHANNELID    $PORT
	EOC
	pcscd -f -c "$W/conf" >>"$W/pcscd.log" 2>&1 &
	echo $! >"$W/pcscd.pid"
	for _ in $(seq 50); do [[ -S /run/pcscd/pcscd.comm ]] && return 0; sleep 0.1; done
	echo "pcscd did not come up" >&2
	return 1
}

pcscd_stop() {
	[[ -s $W/pcscd.pid ]] || return 0
	kill "$(cat "$W/pcscd.pid")" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$(cat "$W/pcscd.pid")" 2>/dev/null || break; sleep 0.1; done
	: >"$W/pcscd.pid"
}

card_start() { # N
	"$P11_VCARD" run "$W/card$1" --port $((PORT + $1)) --log "$W/card$1.log" >>"$W/vcard$1.out" 2>&1 &
	echo $! >"$W/vcard$1.pid"
}

card_stop() {
	[[ -s $W/vcard$1.pid ]] || return 0
	echo quit >"$W/card$1/ctl" 2>/dev/null &
	sleep 0.2
	kill "$(cat "$W/vcard$1.pid")" 2>/dev/null
	: >"$W/vcard$1.pid"
}

case ${1:-} in
init)
	rm -rf "$W/card0" "$W/card1"
	"$P11_VCARD" init "$W/card0" --profile akis-2 >"$W/init0.log" 2>&1 || { cat "$W/init0.log"; exit 1; }
	"$P11_VCARD" init "$W/card1" --profile akis-1.2 >"$W/init1.log" 2>&1 || { cat "$W/init1.log"; exit 1; }
	;;
pcscd-start) pcscd_start ;;
pcscd-stop) pcscd_stop ;;
cards-start) card_start 0; card_start 1; sleep 1 ;;
down) card_stop 0; card_stop 1; pcscd_stop ;;
remove | insert) echo "$1" >"$W/card$2/ctl" ;;
latency) echo "latency $3" >"$W/card$2/ctl" ;;
fault) echo "fault ${*:3}" >"$W/card$2/ctl" ;;
apdus) grep -c '^C ' "$W/card$2.log" 2>/dev/null || echo 0 ;;
# VERIFY with data (a PIN sent); the status form "00 20 00 ref" has no Lc
verifies) grep -cE '^C 0020(00|01)(81|82)[0-9A-F]{2}' "$W/card$2.log" 2>/dev/null || echo 0 ;;
logouts) grep -c '^C 801A0000' "$W/card$2.log" 2>/dev/null || echo 0 ;;
*) echo "usage: $0 init|pcscd-start|pcscd-stop|cards-start|down|remove N|insert N|latency N US|fault N SPEC|apdus N|verifies N|logouts N" >&2; exit 2 ;;
esac
