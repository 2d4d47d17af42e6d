#!/usr/bin/env bash
# The Debian packages on this machine (issue 11): `make deb` builds them,
# `dpkg -i` installs them, and then only the INSTALLED files are used: the
# p11-kit module file makes p11-kit list the module, pkcs11-tool lists and
# signs with a virtual card served by the installed akis-vcard through the
# installed module, akis-tool speaks Turkish from its installed catalogue,
# /usr/lib/libakisp11.so (akis-pkcs11-compat, R47) loads the module, in
# pkcs11-tool and in the MA3-style Java client (by that path and by the bare
# name libakisp11.so, as a program written for the closed module loads it).
# `dpkg -r` keeps the conffile (an edit survives), `dpkg --purge` removes it
# and leaves the file list of the directories we touch as it was. The compat
# package refuses to install over a foreign libakisp11.so (file or link).
# Needs root (dpkg); whatever happens, no package of ours stays installed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
TOP=$(cd "$here/../.." && pwd)
PKGS=(akis-pkcs11-compat akis-vcard akis-tool akis-pkcs11 akis-monitor)
MA=$(gcc -print-multiarch)
MOD=/usr/lib/$MA/pkcs11/akis-pkcs11.so
COMPAT=/usr/lib/libakisp11.so
CONF=/etc/akis-pkcs11/akis.conf

if [ "$(id -u)" -ne 0 ]; then
	echo "deb_install: skipped: dpkg -i needs root (CI runs as root); nothing was tested"
	echo "0 passed, 0 failed"
	exit 0
fi
for t in dpkg-buildpackage dh lintian pkcs11-tool p11-kit p11tool; do
	command -v "$t" >/dev/null || { t_fail "tool $t is there (tests/install-deps)"; t_summary; exit 1; }
done

# anything dpkg has files or a record of (status other than not-installed)
# t_has NAME PATTERN TEXT: TEXT has a line matching PATTERN (grep -E); shows TEXT if not
t_has() {
	if grep -qE -- "$2" <<<"$3"; then t_ok "$1"; else
		t_fail "$1" "no /$2/ in:"; sed 's/^/#   /' <<<"$3" | head -20
	fi
}
installed() { dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | grep -q '^.[^n]'; }
for p in "${PKGS[@]}"; do
	if installed "$p"; then
		t_fail "package $p is not installed before the test" "it is: not ours to remove; dpkg --purge it first"
		t_summary
		exit 1
	fi
done
if [ -e "$COMPAT" ] || [ -L "$COMPAT" ] || [ -e /etc/akis-pkcs11 ]; then
	t_fail "$COMPAT and /etc/akis-pkcs11 are absent before the test" "one exists: left alone"
	t_summary
	exit 1
fi

W=$(mktemp -d /tmp/akis-deb.XXXXXX)
FOREIGN_MADE=0
export AKIS_BENCH=/tmp/akis-bench-deb
unset AKIS_VCARD BUILD

cleanup() {
	[ "$T_BENCH_UP" = 1 ] && /usr/bin/akis-vcardctl down >/dev/null 2>&1
	T_BENCH_UP=0
	local left=()
	for p in "${PKGS[@]}"; do installed "$p" && left+=("$p"); done
	[ ${#left[@]} -eq 0 ] || dpkg --purge "${left[@]}" >>"$W/dpkg.log" 2>&1
	[ "$FOREIGN_MADE" = 1 ] && rm -f "$COMPAT"
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. build (before the bench lock: it takes a minute and uses no pcscd)
make -s -C "$TOP" deb DEB_OUT="$W/deb" >"$W/build.log" 2>&1
rc=$?
t_check "make deb builds the packages, lintian without errors or warnings" test "$rc" -eq 0
[ "$rc" -eq 0 ] || { tail -20 "$W/build.log"; t_summary; exit 1; }
deb=()
for p in "${PKGS[@]}"; do
	deb[${#deb[@]}]=$(ls "$W/deb/${p}"_*.deb 2>/dev/null | head -1)
done
t_eq "five binary packages" 5 "$(printf '%s\n' "${deb[@]}" | grep -c '\.deb$')"
# the MA3-style Java client (client_ma3.sh), to load the module under the
# closed module's name below (R47)
WRAPPER=(--add-modules jdk.crypto.cryptoki --add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED)
javac "${WRAPPER[@]}" -d "$W/classes" "$here/java/Ma3Sign.java" >"$W/javac.log" 2>&1
t_check "the MA3-style client compiles" test $? -eq 0

# 2. the bench lock for the rest: installing a module system-wide changes
# what p11-kit programs of the other integration tests would see
exec 9>/tmp/akis-bench.lock
flock -w 1800 9 || { t_fail "take /tmp/akis-bench.lock"; t_summary; exit 1; }
export AKIS_BENCH_LOCKED=1

# the directories the packages write to, and in them every name of ours
# (other packages may come and go meanwhile: only our names are compared)
DIRS=(/etc /usr/bin /usr/lib /usr/share/p11-kit /usr/share/man/man1 /usr/share/locale/tr/LC_MESSAGES
	/usr/share/doc /usr/share /var/lib/dpkg/info)
snapshot() { find "${DIRS[@]}" -maxdepth 3 2>/dev/null | grep -i -e akis | sort -u; }
snapshot >"$W/before"

# 3. install the core packages first (the compat refusals below need
# akis-pkcs11 only), then the compat package
dpkg -i "${deb[3]}" "${deb[2]}" "${deb[1]}" "${deb[4]}" >"$W/dpkg.log" 2>&1
t_check "dpkg -i akis-pkcs11 akis-tool akis-vcard akis-monitor succeeds" test $? -eq 0
for p in akis-pkcs11 akis-tool akis-vcard akis-monitor; do
	t_eq "$p is installed" "ii " "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)"
done

# 4. the compat package refuses a foreign libakisp11.so (a file, then a link)
head -c 4096 /dev/urandom >"$W/closed.so"
cp "$W/closed.so" "$COMPAT" && FOREIGN_MADE=1
out=$(dpkg -i "${deb[0]}" 2>&1)
rc=$?
t_check "foreign file: dpkg -i akis-pkcs11-compat fails" test "$rc" -ne 0
t_has "foreign file: the preinst says why" "refusing: $COMPAT exists and is not ours" "$out"
t_check "foreign file: byte-identical afterwards" cmp "$W/closed.so" "$COMPAT"
t_check "foreign file: still a regular file" test -f "$COMPAT" -a ! -L "$COMPAT"
t_check "foreign file: akis-pkcs11-compat not installed" bash -c "! dpkg-query -W -f='\${db:Status-Abbrev}' akis-pkcs11-compat 2>/dev/null | grep -q '^ii'"
rm -f "$COMPAT"
ln -s /opt/akis/libakisp11.so "$COMPAT"
out=$(dpkg -i "${deb[0]}" 2>&1)
rc=$?
t_check "foreign link: dpkg -i akis-pkcs11-compat fails" test "$rc" -ne 0
t_has "foreign link: the preinst names the link's target" "symbolic link to /opt/akis/libakisp11.so" "$out"
t_eq "foreign link: unchanged" /opt/akis/libakisp11.so "$(readlink "$COMPAT")"
rm -f "$COMPAT"
FOREIGN_MADE=0
dpkg --purge akis-pkcs11-compat >>"$W/dpkg.log" 2>&1 # the failed install may leave a record

dpkg -i "${deb[0]}" >>"$W/dpkg.log" 2>&1
t_check "no libakisp11.so: dpkg -i akis-pkcs11-compat succeeds" test $? -eq 0
t_eq "compat: $COMPAT resolves to the installed module (R47)" "$MOD" "$(readlink -f "$COMPAT")"
t_eq "compat: owned by akis-pkcs11-compat" "akis-pkcs11-compat: $COMPAT" "$(dpkg -S "$COMPAT" 2>/dev/null)"

# 5. what the packages put where
t_check "akis-monitor in the desktop menu (R49)" grep -qx 'Exec=akis-monitor' \
	/usr/share/applications/org.akis_pkcs11.Monitor.desktop
t_check "akis-monitor: the program, its icon and the Turkish catalogue" test -x /usr/bin/akis-monitor \
	-a -f /usr/share/icons/hicolor/scalable/apps/akis-monitor.svg \
	-a -f /usr/share/locale/tr/LC_MESSAGES/akis-monitor.mo
t_check "module installed: $MOD" test -f "$MOD"
t_check "akis.conf is a conffile of akis-pkcs11" grep -qx "$CONF" /var/lib/dpkg/info/akis-pkcs11.conffiles
out=$(p11-kit list-modules 2>&1)
t_has "p11-kit list-modules shows akis-pkcs11 at the installed path" "^akis-pkcs11: $MOD\$" "$out"

# 6. a virtual card from the installed bench, used through installed files only
env=$(/usr/bin/akis-vcardctl up --profile akis-1.2 2>"$W/bench.log")
rc=$?
t_check "akis-vcardctl up (installed bench) starts a card" test "$rc" -eq 0
T_BENCH_UP=1
eval "$env"
vpid=$(awk -F= '$1=="pid"{print $2}' "$AKIS_BENCH/card-1/run.status" 2>/dev/null)
t_eq "the card is served by the installed /usr/bin/akis-vcard" /usr/bin/akis-vcard \
	"$(readlink "/proc/${vpid:-0}/exe" 2>/dev/null)"
out=$(pkcs11-tool --module "$MOD" -L 2>&1)
t_has "pkcs11-tool -L through the installed module shows the token" "token label *: AKIS_" "$out"
out=$(pkcs11-tool --module "$COMPAT" -L 2>&1)
t_has "pkcs11-tool -L through $COMPAT shows the token" "token label *: AKIS_" "$out"
# R47: an MA3 program loads the closed module's library by its name; here the
# MA3-style client loads it by the absolute name and by the bare name, which
# dlopen finds in /usr/lib, logs in once and signs with every key, each
# signature verified in Java with the card's certificate
for lib in "$COMPAT" libakisp11.so; do
	(cd "$W" && timeout -k 5 120 java "${WRAPPER[@]}" -cp "$W/classes" Ma3Sign "$lib" \
		"$AKIS_READER_1" 12345 </dev/null) >"$W/ma3.out" 2>&1
	rc=$?
	t_check "MA3-style client with module '$lib': every signature verifies (exit 0)" test "$rc" -eq 0
	t_has "MA3-style client with module '$lib': logged in, signed, none failed" \
		"^DONE keys=[1-9][0-9]* ok=[1-9][0-9]* fail=0\$" "$(grep -E '^(SLOT|LOGIN|DONE)' "$W/ma3.out"; tail -3 "$W/ma3.out")"
done
out=$(p11tool --list-tokens 2>&1)
t_has "p11tool (p11-kit, no configuration step) lists the card's token" "Label: AKIS_" "$out"
t_has "p11tool: that token comes from the installed module" "Module: $MOD" \
	"$(awk '/^Token/{a=0} /Label: AKIS_/{a=1} a' <<<"$out")"

id=$(pkcs11-tool --module "$MOD" -O --type cert 2>/dev/null | awk '/ID:/{print $2; exit}')
pkcs11-tool --module "$MOD" --read-object --type cert --id "$id" -o "$W/c.der" >/dev/null 2>&1
openssl x509 -inform DER -in "$W/c.der" -pubkey -noout >"$W/pub.pem" 2>/dev/null
echo "deb_install $$" >"$W/doc.txt"
AKIS_DEBUG=pin pkcs11-tool --module "$MOD" --login --pin 12345 --sign -m SHA256-RSA-PKCS --id "$id" \
	-i "$W/doc.txt" -o "$W/doc.sig" >"$W/sign.log" 2>&1
t_check "login + sign (SHA256-RSA-PKCS) with key $id through the installed module" test $? -eq 0
t_check "the installed module started the installed logout guard" \
	grep -q "logout guard: /usr/libexec/akis-pkcs11/akis-guard started" "$W/sign.log"
t_check "the signature verifies with the card's certificate" \
	openssl dgst -sha256 -verify "$W/pub.pem" -signature "$W/doc.sig" "$W/doc.txt"

out=$(env -u AKIS_LOCALEDIR LC_ALL=tr_TR.UTF-8 LANGUAGE= /usr/bin/akis-tool status 2>&1)
t_has "installed akis-tool status in Turkish (installed catalogue)" "PIN: 3 deneme hakkı kaldı" "$out"
/usr/bin/akis-vcardctl down >/dev/null 2>&1
T_BENCH_UP=0
t_check "akis-vcardctl down: no akis-vcard of this bench left" bash -c "! pgrep -f '^/usr/bin/akis-vcard run $AKIS_BENCH/'"

# 7. remove keeps the (edited) conffile, purge removes it
echo "# edited by deb_install.sh" >>"$CONF"
cp "$CONF" "$W/conf.edited"
dpkg -r "${PKGS[@]}" >>"$W/dpkg.log" 2>&1
t_check "dpkg -r of the five packages succeeds" test $? -eq 0
t_check "after remove: the module is gone" test ! -e "$MOD"
t_check "after remove: $COMPAT is gone" test ! -L "$COMPAT" -a ! -e "$COMPAT"
t_check "after remove: the edited conffile is kept" cmp "$W/conf.edited" "$CONF"
t_eq "after remove: akis-pkcs11 in state config-files" "rc " "$(dpkg-query -W -f='${db:Status-Abbrev}' akis-pkcs11 2>/dev/null)"
dpkg --purge "${PKGS[@]}" >>"$W/dpkg.log" 2>&1
t_check "dpkg --purge succeeds" test $? -eq 0
t_check "after purge: /etc/akis-pkcs11 is gone" test ! -e /etc/akis-pkcs11
for p in "${PKGS[@]}"; do
	t_check "after purge: dpkg has no record of $p" bash -c "! dpkg-query -W -f='\${db:Status-Abbrev}' $p 2>/dev/null | grep -q '^.[^n]'"
done
snapshot >"$W/after"
t_eq "after purge: the file list is as before" "" "$(diff "$W/before" "$W/after")"
t_summary
