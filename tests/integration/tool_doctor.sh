#!/usr/bin/env bash
# akis-tool doctor (issue 11): each link of the chain broken on purpose,
# and doctor names that one first, with what to do: pcscd stopped, a pcscd
# without readers, the card taken out, a foreign card, the module not
# loadable, not registered in a real Firefox profile, registered twice;
# then nothing broken. --json names the same link; Turkish per locale (R43).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/tool_lib.bash
. tests/integration/browser_lib.bash
BUILD=${AKIS_BUILD:-build}
TOOL=$BUILD/akis-tool
MOD=$(cd "$BUILD" && pwd)/akis-pkcs11.so
W=$(mktemp -d /tmp/akis-doctor.XXXXXX)
H=$W/home
mkdir -p "$H"
OWN_PCSCD=""
cleanup() {
	[ -n "$OWN_PCSCD" ] && kill "$OWN_PCSCD" 2>/dev/null && wait "$OWN_PCSCD" 2>/dev/null
	tool_bench_down
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
tool_locales >/dev/null
tool_catalogue "$BUILD" "$W"

doctor() { HOME=$H LC_ALL=en_US.UTF-8 "$TOOL" doctor --module "$MOD" "$@" 2>&1; }
first() { # the check code of the first broken link, from --json
	doctor --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["first_broken"])'
}

browser_profiles "$H"
case "$BROWSERS_MADE" in *firefox*) ;; *) echo "# no Firefox profile: the registration cases use a copy of NSS's layout" ;; esac

tool_bench_lock

# 1. pcscd stopped (only when no pcscd of someone else runs: never stop that)
if pgrep -x pcscd >/dev/null; then
	echo "# a pcscd not started by this test is running: case 'pcscd stopped' not tested"
else
	out=$(doctor)
	t_expect "pcscd stopped: exit status" 2 $?
	t_has "pcscd stopped: named first" "$out" "^First broken link: pcscd is not running"
	t_has "pcscd stopped: what to do" "$out" "systemctl enable --now pcscd.socket"
	t_has "pcscd stopped: --json" "$(first)" "^pcscd_not_running$"
	out=$(HOME=$H LC_ALL=tr_TR.UTF-8 "$TOOL" doctor --module "$MOD" 2>&1)
	t_has "pcscd stopped: Turkish (R43)" "$out" "^İlk bozuk halka: pcscd çalışmıyor"
fi

# 2. a pcscd that has no reader (its own empty configuration)
if ! pgrep -x pcscd >/dev/null; then
	mkdir -p "$W/empty.d" /run/pcscd
	setsid pcscd -f -c "$W/empty.d" >"$W/pcscd.log" 2>&1 9>&- </dev/null &
	OWN_PCSCD=$!
	for _ in $(seq 50); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.1; done
	sleep 0.5
	t_has "no reader: named first" "$(first)" "^no_reader$"
	t_has "no reader: what to do" "$(doctor)" "Connect the card reader"
	kill "$OWN_PCSCD"; wait "$OWN_PCSCD" 2>/dev/null; OWN_PCSCD=""
	for _ in $(seq 50); do pgrep -x pcscd >/dev/null || break; sleep 0.1; done
else
	echo "# a pcscd not started by this test is running: case 'no reader' not tested"
fi

# 3. a foreign card (the ATR of a non-AKİS card, as p11_foreign.sh)
tool_bench_up "$BUILD" --profile akis-1.2 --atr 3BDB960080B1FE451F830031C064C7FC100001900074 >/dev/null ||
	{ t_fail "bench up (foreign card)"; t_summary; exit 1; }
t_has "foreign card: named first" "$(first)" "^not_akis$"
t_has "foreign card: its ATR shown" "$(doctor)" "not an AKİS card \(ATR 3BDB96"
tool_bench_down

# 4. an AKİS card; the module not loadable; the card taken out
tool_bench_up "$BUILD" --profile akis-2 >/dev/null || { t_fail "bench up"; t_summary; exit 1; }
out=$(HOME=$H LC_ALL=en_US.UTF-8 "$TOOL" doctor --module "$W/nothing.so" 2>&1)
t_has "module not loadable: named first" "$out" "^First broken link: the module $W/nothing.so cannot be loaded"
tests/vcardctl remove 1 >/dev/null
sleep 1
t_has "card taken out: named first" "$(first)" "^no_card$"
tests/vcardctl insert 1 >/dev/null
sleep 1

# 5. not registered in the (real) profiles, then registered by setup, then twice
if [ -z "$BROWSERS_MADE" ]; then
	mkdir -p "$H/.pki/nssdb" && modutil -create -force -dbdir "sql:$H/.pki/nssdb" >/dev/null 2>&1
fi
out=$(doctor)
t_has "not registered: named first" "$(first)" "^not_registered$"
t_has "not registered: what to do" "$out" "What to do: Close the program and run: akis-tool setup"
HOME=$H "$TOOL" setup --module "$MOD" >"$W/setup.log" 2>&1
t_expect "setup" 0 $?
out=$(doctor)
t_expect "everything in place: exit status" 0 $?
t_has "everything in place: nothing broken" "$out" "^Nothing is broken\.$"
t_has "everything in place: the AKİS card and its version" "$out" "AKİS card: version 2"
t_has "everything in place: registered in a profile" "$out" "registered in (Firefox|Thunderbird|Chromium/Chrome) profile"
t_has "everything in place: valid certificates counted" "$out" "[0-9]+ valid certificate"
db=$(awk -F'\t' '$1=="nssdb"{print $2; exit}' "$H/.local/state/akis-tool/setup.state")
ln -s "$MOD" "$W/libakisp11.so"
cp "$db/pkcs11.txt" "$W/pkcs11.txt.keep"
printf '\nlibrary=%s\nname=AKIS again\n' "$W/libakisp11.so" >>"$db/pkcs11.txt"
out=$(doctor)
t_has "registered twice: named first" "$(first)" "^registered_twice$"
t_has "registered twice: explained" "$out" "loaded twice in .* \(2 times directly"
t_has "registered twice: what to do" "$out" "appears twice"
cp "$W/pkcs11.txt.keep" "$db/pkcs11.txt"
HOME=$H "$TOOL" setup --remove >/dev/null 2>&1
t_has "after setup --remove: not registered again" "$(first)" "^not_registered$"
t_summary
