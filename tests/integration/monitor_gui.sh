#!/usr/bin/env bash
# akis-monitor (GTK 4) under Xvfb and a session D-Bus against the real
# bench (pcscd + vpcd + two akis-vcard cards, akis-2 and akis-1.2):
# the window shows both cards and their certificates; removal and
# insertion appear within 2 s; the PIN dialogs work end to end (wrong PIN
# with tries left, blocked PIN with the advice of R50, unblock refused
# without confirmation, unblock, change PIN, change PUK), checked
# afterwards with akis-tool; no PIN left verified, no PIN in any log;
# Turkish; the accessibility tree (AT-SPI) carries the card; screenshots
# in BUILD/test-logs/ for a human.
# The view is read from the window's test dump (AKIS_MONITOR_TEST_DUMP,
# written on every view change) and the dialogs are driven through their
# real widgets (AKIS_MONITOR_TEST_CMD, main.c).
#   tests/integration/monitor_gui.sh [BUILD_DIR]
# Runs under flock /tmp/akis-bench.lock; bench, Xvfb and D-Bus always stop.
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-${AKIS_BUILD:-build}}
. tests/integration/tool_lib.bash
. tests/integration/monitor_lib.bash
BUILD=$(cd "$BUILD" && pwd)
MON=$BUILD/akis-monitor
TOOL=$BUILD/akis-tool
[ -x "$MON" ] || { echo "no $MON (is libgtk-4-dev installed? make)"; t_fail "akis-monitor built"; t_summary; exit 1; }
command -v Xvfb >/dev/null && command -v dbus-run-session >/dev/null ||
	{ t_fail "Xvfb and dbus-run-session (tests/install-deps)"; t_summary; exit 1; }
mon_setup akis-monitor-it || exit 1
MPID=
stop_monitor() {
	[ -n "$MPID" ] || return 0
	echo quit >"$WORK/cmd"
	for ((i = 0; i < 50; i++)); do kill -0 "$MPID" 2>/dev/null || break; sleep 0.1; done
	kill "$MPID" 2>/dev/null
	wait "$MPID" 2>/dev/null
	MPID=
}
trap mon_cleanup EXIT

mon_xvfb_start 91 120
export GDK_BACKEND=x11 NO_AT_BRIDGE=0
DUMP=$WORK/dump.json
export AKIS_MONITOR_TEST_DUMP=$DUMP AKIS_MONITOR_TEST_CMD=$WORK/cmd

# start_monitor LANG: the monitor in its own session bus (its pid in MPID).
start_monitor() {
	rm -f "$DUMP"
	LANG=$1 dbus-run-session -- sh -c 'echo $$ >"$0/mon.pid"; exec "$1"' "$WORK" "$MON" \
		>>"$WORK/monitor.log" 2>&1 &
	for ((i = 0; i < 50; i++)); do [ -s "$WORK/mon.pid" ] && break; sleep 0.1; done
	MPID=$(cat "$WORK/mon.pid"); rm -f "$WORK/mon.pid"
}

# dump_wait NAME SECONDS PYTHON-EXPR: until the dump satisfies the
# expression (d = dump, r0/r1 = readers' cards), else fail with the dump.
dump_wait() {
	local t0=$(date +%s%N) deadline=$(( $(date +%s%N) + $2 * 1000000000 ))
	while [ "$(date +%s%N)" -lt "$deadline" ]; do
		if python3 - "$DUMP" "$3" <<'PY' 2>/dev/null; then
import json, sys
d = json.load(open(sys.argv[1]))
rd = d["readers"]
r0 = rd[0]["card"] if len(rd) > 0 else None
r1 = rd[1]["card"] if len(rd) > 1 else None
m0 = rd[0]["monitor"] if len(rd) > 0 else None
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
			t_pass "$1 ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"; return 0
		fi
		sleep 0.1
	done
	t_fail "$1: not within $2 s: $3"
	[ -f "$DUMP" ] && python3 -m json.tool "$DUMP" 2>/dev/null | sed 's/^/#   /' | head -80
	return 1
}

cmd() { printf '%s\n' "$@" >"$WORK/cmd.tmp" && mv "$WORK/cmd.tmp" "$WORK/cmd"; sleep 0.5; }
# shot FILE [WINDOW-TITLE]: the screen, or one window (no window manager runs)
shot() {
	local what=(-root)
	[ $# -gt 1 ] && what=(-name "$2")
	xwd "${what[@]}" -display ":$D" -silent 2>/dev/null | convert xwd:- "png:$SHOTS/$1" 2>/dev/null &&
		t_pass "screenshot $SHOTS/$1" || t_fail "screenshot $1"
}


tool_bench_up "$BUILD" --profile akis-2,akis-1.2 --cards 2 >"$WORK/up.log" 2>&1 ||
	{ t_fail "bench up"; sed 's/^/#   /' "$WORK/up.log"; t_summary; exit 1; }

# ---- the window, English
start_monitor en_US.UTF-8
dump_wait "two readers, two AKİS cards shown" 20 \
	'len(rd) == 2 and r0["profile"] == "akis-2" and r1["profile"] == "akis-1.2" and r0["pin"]["tries_left"] == 3 and r0["puk"]["tries_left"] == 3'
dump_wait "akis-2: NES and authentication certificates, usable, with holder and TCKN" 5 \
	'len(r0["certificates"]) == 2 and all(s["state"] == "usable" and s["text"].startswith("Usable until") for s in m0["cert_states"]) and all(c["holder"] and len(c["subject_serial_number"]) == 11 for c in r0["certificates"])'
dump_wait "akis-1.2: its certificate usable" 5 \
	'rd[1]["monitor"]["cert_states"] and all(s["state"] == "usable" for s in rd[1]["monitor"]["cert_states"])'
sleep 1
shot monitor-en.png

# ---- live readers (R42 / issue 10: within 2 s)
tests/vcardctl remove 1 >/dev/null 2>&1
dump_wait "removal shown within 2 s" 2 'rd[0]["card_present"] is False and r1 is not None and r1["akis"]'
tests/vcardctl insert 1 >/dev/null 2>&1
dump_wait "insertion shown within 2 s" 2 'r0 is not None and r0["akis"] and "serial" in r0 and len(r0["certificates"]) == 2'

# ---- change PIN: entries that differ send nothing
cmd "open change-pin 0" "set current 12345" "set new 54321" "set again 54320" "ok"
dump_wait "differing new PINs refused before the card" 5 'd["dialog"] == "change-pin" and d["result"]["code"] == "format" and "nothing was sent" in d["result"]["text"]'
cmd "set current 12345" "set new 54321" "set again 54321" "ok"
dump_wait "change PIN done" 10 'd["result"]["code"] == "ok" and d["result"]["text"] == "The PIN was changed."'
cmd "cancel"
status_check "akis-tool: PIN tries 3, nothing verified after change PIN" 'c["pin"]["tries_left"] == 3 and not c["pin"]["verified"] and not c["puk"]["verified"]'
OUT=$(setsid -w timeout 60 "$TOOL" --reader "$AKIS_READER_1" change-pin --pin 54321 --new-pin 12345 </dev/null 2>&1)
t_expect "akis-tool: the new PIN from the dialog works" 0 $?

# ---- wrong PIN down to blocked
for left in 2 1; do
	cmd "open change-pin 0" "set current 99999" "set new 54321" "set again 54321" "ok"
	dump_wait "wrong PIN: $left tries left shown" 10 "d['result']['code'] == 'wrong' and 'Wrong PIN. $left tr' in d['result']['text']"
	cmd "cancel"
done
cmd "open change-pin 0" "set current 99999" "set new 54321" "set again 54321" "ok"
dump_wait "third wrong PIN: blocked, with what the holder can do (R50)" 10 \
	'd["result"]["code"] == "blocked" and "The PIN is blocked." in d["result"]["text"] and "3 PUK tries left" in d["result"]["text"] and "Without the PUK" in d["result"]["text"]'
cmd "cancel"
dump_wait "window: PIN BLOCKED, advice shown, never only 'use your PUK'" 5 \
	'r0["pin"]["blocked"] and m0["pin_advice"] and "Unblock PIN" in m0["pin_advice"] and "unusable for good" in m0["pin_advice"] and "ask the provider that issued your certificate (TEST NES" in m0["pin_advice"]'
sleep 1
shot monitor-blocked-en.png

# ---- unblock: the button does nothing before the confirmation
cmd "open unblock 0" "set current 123456" "set new 24680" "set again 24680" "ok"
sleep 1
dump_wait "unblock dialog open, no result without confirmation" 3 'd["dialog"] == "unblock" and d["result"] is None'
status_check "akis-tool: no PUK sent without confirmation (PUK tries 3, PIN blocked)" 'c["puk"]["tries_left"] == 3 and c["pin"]["blocked"]'
shot monitor-unblock-dialog.png "Unblock the PIN with the PUK"
cmd "set current 000000" "set new 24680" "set again 24680" "confirm" "ok"
dump_wait "wrong PUK: tries left and the warning shown" 10 'd["result"]["code"] == "wrong" and "Wrong PUK. 2 tries left" in d["result"]["text"] and "unusable for good" in d["result"]["text"]'
cmd "set current 123456" "set new 24680" "set again 24680" "ok"
dump_wait "unblock with the PUK done" 10 'd["result"]["code"] == "ok" and "unblocked" in d["result"]["text"]'
cmd "cancel"
dump_wait "window: PIN 3 tries again, PUK 3 again" 5 'not r0["pin"]["blocked"] and r0["pin"]["tries_left"] == 3 and r0["puk"]["tries_left"] == 3 and m0["pin_advice"] is None'
OUT=$(setsid -w timeout 60 "$TOOL" --reader "$AKIS_READER_1" change-pin --pin 24680 --new-pin 12345 </dev/null 2>&1)
t_expect "akis-tool: the PIN set by unblock works" 0 $?

# ---- change PUK
cmd "open change-puk 0" "set current 123456" "set new 654321" "set again 654321" "ok"
dump_wait "change PUK done" 10 'd["result"]["code"] == "ok" and d["result"]["text"] == "The PUK was changed."'
cmd "cancel"
OUT=$(setsid -w timeout 60 "$TOOL" --reader "$AKIS_READER_1" change-puk --puk 654321 --new-puk 123456 </dev/null 2>&1)
t_expect "akis-tool: the PUK set in the dialog works" 0 $?
status_check "akis-tool: card usable, nothing verified at the end" 'c["life_cycle"] == "usable" and not c["pin"]["verified"] and not c["puk"]["verified"] and c["pin"]["tries_left"] == 3'

# ---- export
cmd "export 0 0 pem $WORK/nes.pem" "export 0 0 der $WORK/nes.cer"
if openssl x509 -in "$WORK/nes.pem" -noout 2>/dev/null && openssl x509 -inform der -in "$WORK/nes.cer" -noout -subject 2>/dev/null | grep -q 10000000146 2>/dev/null ||
	openssl x509 -inform der -in "$WORK/nes.cer" -noout -subject 2>/dev/null | grep -q serialNumber; then
	t_pass "export to .pem and .cer"; else t_fail "export to .pem and .cer"; fi

# ---- accessibility tree (AT-SPI): the window's text is there for screen readers
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import pyatspi' 2>/dev/null; then
	A11Y=$(DBUS_SESSION_BUS_ADDRESS=$(tr '\0' '\n' </proc/"$MPID"/environ | sed -n 's/^DBUS_SESSION_BUS_ADDRESS=//p') \
		timeout 30 /usr/bin/python3 - <<'PY' 2>&1
import pyatspi
desk = pyatspi.Registry.getDesktop(0)
names = []
def walk(o, depth=0):
    if o is None or depth > 40:
        return
    try:
        names.append(o.name or "")
        for i in range(o.childCount):
            walk(o.getChildAtIndex(i), depth + 1)
    except Exception:
        pass
for app in desk:
    if app is not None and "akis-monitor" in (app.name or ""):
        walk(app)
print("\n".join(n for n in names if n))
PY
)
	t_has "AT-SPI: the holder's certificate title" "$A11Y" 'qualified electronic signature'
	t_has "AT-SPI: the PIN actions" "$A11Y" 'Unblock PIN with PUK'
else
	t_fail "AT-SPI: /usr/bin/python3 with pyatspi (tests/install-deps: python3-pyatspi)"
fi
stop_monitor

# ---- Turkish
start_monitor tr_TR.UTF-8
dump_wait "Turkish: certificate states in Turkish" 20 'r0 is not None and "serial" in r0 and all("tarihine kadar kullanılabilir" in s["text"] for s in m0["cert_states"])'
sleep 1
shot monitor-tr.png
stop_monitor

# ---- no secret in what the monitor wrote
if grep -rqE '12345|54321|24680|99999|123456|654321' "$WORK/monitor.log"; then
	t_fail "no PIN or PUK in the monitor's output"; sed 's/^/#   /' "$WORK/monitor.log" | head
else t_pass "no PIN or PUK in the monitor's output"; fi
tool_bench_down

# ---- an expired old NES certificate next to a valid one
if tool_bench_up "$BUILD" --profile akis-1.2 --with-expired-cert >"$WORK/up.log" 2>&1; then
	start_monitor en_US.UTF-8
	dump_wait "an expired old NES certificate next to a valid new one: expired and usable" 20 \
		'r0 is not None and [s["state"] for s in m0["cert_states"]].count("expired") == 1 and sorted(s["state"] for c, s in zip(r0["certificates"], m0["cert_states"]) if c["qualified"]) == ["expired", "usable"] and any(s["text"].startswith("Expired on") for s in m0["cert_states"])'
	stop_monitor
else
	t_fail "bench up --with-expired-cert"; sed 's/^/#   /' "$WORK/up.log"
fi

t_summary
