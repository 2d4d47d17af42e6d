#!/usr/bin/env bash
# akis-tool doctor (issue 11): each link of the chain broken on purpose,
# and doctor names that one first, with what to do: pcscd stopped, a pcscd
# without readers, the card taken out, a foreign card, the module not
# loadable (a wrong path, and a module whose libpcsclite the dynamic loader
# cannot find), not registered in a real Firefox profile, registered twice
# (twice directly; directly and through p11-kit-proxy, with the module file
# in the user's own p11-kit directory, which p11-kit reads for a user and
# never for root); then nothing broken. Warnings, not broken links: the
# closed module (a libakisp11.so that is not this module) in a profile and
# at /usr/lib/libakisp11.so, OpenSC registered with p11-kit (and not when
# p11-kit reads no system file). --json names the same link; Turkish per
# locale (R43).
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
P11CONF_MADE="" # /etc/pkcs11/pkcs11.conf written here (only where there was none)
CLOSED_MADE=""  # /usr/lib/libakisp11.so written here (only where there was none)
cleanup() {
	[ -n "$CLOSED_MADE" ] && rm -f /usr/lib/libakisp11.so
	[ -n "$OWN_PCSCD" ] && kill "$OWN_PCSCD" 2>/dev/null && wait "$OWN_PCSCD" 2>/dev/null
	[ -n "$P11CONF_MADE" ] && rm -f /etc/pkcs11/pkcs11.conf && rmdir /etc/pkcs11 2>/dev/null
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
# A copy of the module whose libpcsclite cannot be found: its DT_NEEDED
# entry names a libpcsclite soname that no package installs (what a module
# built against another libpcsclite, or a machine without libpcsclite1,
# gives). doctor loads it as it loads any module (dlopen), and the dynamic
# loader's own message names the library.
mkdir -p "$W/nopcsc"
python3 - "$MOD" "$W/nopcsc/akis-pkcs11.so" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
assert b.count(b"libpcsclite.so.1\0") == 1
open(sys.argv[2], "wb").write(b.replace(b"libpcsclite.so.1\0", b"libpcsclite.so.9\0"))
PY
t_has "libpcsclite missing: the copy needs a libpcsclite that is not there" \
	"$(readelf -d "$W/nopcsc/akis-pkcs11.so" 2>&1; ldd "$W/nopcsc/akis-pkcs11.so" 2>&1)" "libpcsclite\.so\.9 => not found"
out=$(HOME=$H LC_ALL=en_US.UTF-8 "$TOOL" doctor --module "$W/nopcsc/akis-pkcs11.so" 2>&1)
t_expect "libpcsclite missing: exit status" 2 $?
t_has "libpcsclite missing: named first, with the loader's reason" "$out" \
	"^First broken link: the module $W/nopcsc/akis-pkcs11.so cannot be loaded: libpcsclite\.so\.9: cannot open shared object file"
t_has "libpcsclite missing: what to do names the package" "$out" \
	"^What to do: Install the PC/SC library: sudo apt install libpcsclite1$"
t_has "libpcsclite missing: --json" \
	"$(HOME=$H "$TOOL" doctor --json --module "$W/nopcsc/akis-pkcs11.so" 2>&1 | python3 -c 'import json,sys; d=json.load(sys.stdin); b=[c for c in d["checks"] if c["check"]==d["first_broken"]][0]; print(d["first_broken"], b["advice"])')" \
	"^module_not_loadable .*libpcsclite1$"
out=$(HOME=$H LC_ALL=tr_TR.UTF-8 "$TOOL" doctor --module "$W/nopcsc/akis-pkcs11.so" 2>&1)
t_has "libpcsclite missing: Turkish (R43)" "$out" "PC/SC kitaplığını kurun: sudo apt install libpcsclite1$"
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
t_has "registered twice: explained" "$out" "loaded 2 times in .* profile"
t_has "registered twice: what to do" "$out" "appears twice"
cp "$W/pkcs11.txt.keep" "$db/pkcs11.txt"
# the entry without its empty line (as an earlier setup wrote it): a warning, not broken
printf '%s\n' "$(cat "$W/pkcs11.txt.keep")" >"$db/pkcs11.txt"
out=$(doctor)
t_expect "entry without its empty line: not broken (exit 0)" 0 $?
t_has "entry without its empty line: warned" "$out" "ends the file without an empty line"
t_has "entry without its empty line: what to do" "$out" "akis-tool setup \(it repairs the entry\)"
cp "$W/pkcs11.txt.keep" "$db/pkcs11.txt"
t_hasnt "entry as NSS writes it: no warning" "$(doctor)" "without an empty line"
# the closed module: another PKCS#11 library under its name (SoftHSM's
# here), in the profile and at /usr/lib/libakisp11.so (only where there is
# none: a real one is never touched)
OTHER=$(find /usr/lib -name libsofthsm2.so -print -quit 2>/dev/null)
if [ -n "$OTHER" ]; then
	mkdir -p "$W/closed" && cp "$OTHER" "$W/closed/libakisp11.so"
	printf '\nlibrary=%s\nname=AKIS closed\n' "$W/closed/libakisp11.so" >>"$db/pkcs11.txt"
	out=$(doctor)
	t_expect "closed module in the profile: a warning, not broken" 0 $?
	t_has "closed module in the profile: warned" "$out" "also loads a libakisp11.so that is not this module"
	cp "$W/pkcs11.txt.keep" "$db/pkcs11.txt"
	t_hasnt "closed module gone from the profile: no warning" "$(doctor)" "libakisp11.so that is not this module"
	if [ ! -e /usr/lib/libakisp11.so ] && [ -w /usr/lib ]; then
		CLOSED_MADE=1
		cp "$OTHER" /usr/lib/libakisp11.so
		t_has "/usr/lib/libakisp11.so not this module: warned" "$(doctor)" \
			"/usr/lib/libakisp11.so is not this module"
		ln -sf "$MOD" /usr/lib/libakisp11.so # what make install-compat makes
		t_hasnt "/usr/lib/libakisp11.so this module (install-compat): no warning" "$(doctor)" \
			"libakisp11.so is not this module"
		rm -f /usr/lib/libakisp11.so
		CLOSED_MADE=""
	else
		echo "# /usr/lib/libakisp11.so exists (or /usr/lib is not writable): not varied"
	fi
else
	t_fail "closed module cases: no other PKCS#11 library (softhsm2) to stand for it"
fi
# OpenSC registered with p11-kit (Debian's opensc-pkcs11 ships the file)
OPENSC_FILE=$(grep -l 'opensc-pkcs11.so' /usr/share/p11-kit/modules/*.module /etc/pkcs11/modules/*.module 2>/dev/null | head -1)
if [ -n "$OPENSC_FILE" ]; then
	t_has "OpenSC registered with p11-kit: warned, with its file" "$(doctor)" \
		"OpenSC is registered with p11-kit \($OPENSC_FILE\)"
else
	t_hasnt "OpenSC not registered with p11-kit: no warning" "$(doctor)" "OpenSC is registered"
fi

# 6. directly and through p11-kit-proxy: a user (not root: p11-kit reads a
# user's own module files only for a user) with Chromium's NSS database, the
# module registered by setup, p11-kit-proxy added as a user adds it, and
# ~/.config/pkcs11/modules/akis.module. The tool and the module are copied
# where that user can read them.
U=$W/user
mkdir -p "$U/bin" "$U/home/.pki/nssdb" "$U/home/.config/pkcs11/modules"
cp "$TOOL" "$MOD" "$U/bin/"
[ -d "$AKIS_LOCALEDIR" ] && cp -r "$AKIS_LOCALEDIR" "$U/locale"
UMOD=$U/bin/akis-pkcs11.so
PROXY=$(find /usr/lib/*/ -maxdepth 2 -name p11-kit-proxy.so 2>/dev/null | head -1)
modutil -create -force -dbdir "sql:$U/home/.pki/nssdb" >/dev/null 2>&1
chmod 755 "$W"
chown -R nobody: "$U/home"
# Under ASan (tests/run-sanitized) the clients are wrappers that preload
# libasan before the sanitized module: AKIS_SAN_BIN comes first in PATH.
as_user() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups env -i HOME="$U/home" \
		PATH="${AKIS_SAN_BIN:+$AKIS_SAN_BIN:}/usr/bin:/bin" ${AKIS_SAN_BIN:+ASAN_OPTIONS=detect_leaks=0} \
		AKIS_LOCALEDIR="$U/locale" LC_ALL="${ULANG:-en_US.UTF-8}" "$@" 2>&1
}
as_user "$U/bin/akis-tool" setup --module "$UMOD" >"$W/user-setup.log"
as_user modutil -force -dbdir "sql:$U/home/.pki/nssdb" -add p11-kit-proxy -libfile "$PROXY" >"$W/user-modutil.log"
printf 'module: %s\n' "$UMOD" >"$U/home/.config/pkcs11/modules/akis.module"
chown nobody: "$U/home/.config/pkcs11/modules/akis.module"
if [ -z "$PROXY" ] || ! grep -q "^library=$PROXY$" "$U/home/.pki/nssdb/pkcs11.txt"; then
	t_fail "directly and through p11-kit-proxy: could not add p11-kit-proxy ($(tail -2 "$W/user-modutil.log"))"
else
	t_has "p11-kit itself loads the module for that user" "$(as_user p11-kit list-modules)" "^akis: $UMOD$"
	out=$(as_user "$U/bin/akis-tool" doctor --module "$UMOD" --json)
	t_has "directly and through p11-kit-proxy: found" "$(python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print(" ".join(c["check"] for c in d["checks"]), "first:", d["first_broken"])' "$out")" "registered_twice.* first: (registered_twice|pcscd_not_running|no_reader)$"
	out=$(as_user "$U/bin/akis-tool" doctor --module "$UMOD")
	t_has "directly and through p11-kit-proxy: both named, with the p11-kit file" "$out" \
		"loaded twice in Chromium/Chrome profile nssdb .*: directly, and through p11-kit-proxy, for which p11-kit loads it by $U/home/.config/pkcs11/modules/akis.module"
	t_has "directly and through p11-kit-proxy: what to do" "$(grep -A1 'twice in' <<<"$out"; grep '^What to do' <<<"$out")" \
		"unload either the AKIS module or p11-kit-proxy, or delete the p11-kit file named above"
	out=$(ULANG=tr_TR.UTF-8 as_user "$U/bin/akis-tool" doctor --module "$UMOD")
	t_has "directly and through p11-kit-proxy: Turkish (R43)" "$out" "iki kez yükleniyor .*p11-kit-proxy üzerinden"
	out=$(as_user "$U/bin/akis-tool" setup --module "$UMOD")
	t_has "directly and through p11-kit-proxy: setup says so too" "$out" "but loaded twice \(see akis-tool doctor\)"
	# p11-kit's system setting user-config (pkcs11.conf(5)): "none", and
	# p11-kit reads no file of the user's; "only", and none of the system's.
	# Doctor follows what p11-kit itself lists. Only where the machine has
	# no pkcs11.conf of its own (it is removed again).
	if [ ! -e /etc/pkcs11/pkcs11.conf ] && [ -w /etc ]; then
		mkdir -p /etc/pkcs11 && P11CONF_MADE=1
		echo "user-config: none" >/etc/pkcs11/pkcs11.conf
		t_hasnt "user-config none: p11-kit no longer loads the user's module file" "$(as_user p11-kit list-modules)" "^akis: "
		t_has "user-config none: doctor, registered once" "$(as_user "$U/bin/akis-tool" doctor --module "$UMOD")" \
			"\[ok\] registered in Chromium/Chrome profile nssdb"
		echo "user-config: only" >/etc/pkcs11/pkcs11.conf
		out=$(as_user p11-kit list-modules)
		t_has "user-config only: p11-kit loads the user's module file" "$out" "^akis: $UMOD$"
		t_hasnt "user-config only: and none of the system's" "$out" "^p11-kit-trust: "
		[ -n "$OPENSC_FILE" ] && t_hasnt "user-config only: OpenSC's system file not read, no warning" \
			"$(as_user "$U/bin/akis-tool" doctor --module "$UMOD")" "OpenSC is registered"
		t_has "user-config only: doctor, loaded twice" "$(as_user "$U/bin/akis-tool" doctor --module "$UMOD")" \
			"loaded twice in Chromium/Chrome profile nssdb"
		rm -f /etc/pkcs11/pkcs11.conf && rmdir /etc/pkcs11 2>/dev/null
		P11CONF_MADE=""
	else
		echo "# /etc/pkcs11/pkcs11.conf exists (or /etc is not writable): p11-kit's user-config not varied"
	fi
	# root: p11-kit-proxy would not load the user's file, so once only
	out=$(HOME=$U/home LC_ALL=en_US.UTF-8 "$TOOL" doctor --module "$UMOD" 2>&1)
	t_has "the same files read by root: registered once (p11-kit ignores the user's file)" "$out" \
		"\[ok\] registered in Chromium/Chrome profile nssdb"
fi
HOME=$H "$TOOL" setup --remove >/dev/null 2>&1
t_has "after setup --remove: not registered again" "$(first)" "^not_registered$"
t_summary
