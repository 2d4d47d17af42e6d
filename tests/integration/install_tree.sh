#!/usr/bin/env bash
# make install / uninstall into a DESTDIR produce the documented tree (R37):
# the module in the multiarch PKCS#11 directory, the p11-kit module file
# where p11-kit reads it, akis-tool with its man page and Turkish catalogue,
# the configuration, and never the closed module's name libakisp11.so unless
# asked (make install-compat, R47), and then never over a foreign file.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
TOP=$(cd "$here/../.." && pwd)
BUILD=${AKIS_BUILD:-$TOP/build}
D=$(mktemp -d /tmp/akis-install.XXXXXX)
MA=$(gcc -print-multiarch)

make -s -C "$TOP" install DESTDIR="$D" PREFIX=/usr BUILD="$BUILD" >"$D.log" 2>&1
t_check "make install PREFIX=/usr DESTDIR=… succeeds" test $? -eq 0
for f in "usr/lib/$MA/pkcs11/akis-pkcs11.so" usr/share/p11-kit/modules/akis-pkcs11.module \
	usr/bin/akis-tool usr/share/man/man1/akis-tool.1 usr/share/locale/tr/LC_MESSAGES/akis-tool.mo \
	etc/akis-pkcs11/akis.conf etc/akis-pkcs11/java-sunpkcs11.cfg; do
	t_check "installed: /$f" test -f "$D/$f"
done
t_eq "p11-kit module file names the installed module" "module: /usr/lib/$MA/pkcs11/akis-pkcs11.so" \
	"$(grep '^module:' "$D/usr/share/p11-kit/modules/akis-pkcs11.module")"
t_eq "Java configuration names the installed module" "library = /usr/lib/$MA/pkcs11/akis-pkcs11.so" \
	"$(grep '^library' "$D/etc/akis-pkcs11/java-sunpkcs11.cfg")"
t_eq "installed module exports only the three entry points (R6)" \
	"C_GetFunctionList C_GetInterface C_GetInterfaceList" \
	"$(nm -D --defined-only "$D/usr/lib/$MA/pkcs11/akis-pkcs11.so" | awk '$2=="T"{print $3}' | sort | xargs)"
t_eq "nothing is named libakisp11.so" "" "$(find "$D" -name 'libakisp11*')"

make -s -C "$TOP" uninstall DESTDIR="$D" PREFIX=/usr BUILD="$BUILD" >>"$D.log" 2>&1
t_eq "make uninstall leaves no file but the (kept) akis.conf" "etc/akis-pkcs11/akis.conf" \
	"$(cd "$D" && find . -type f | sed 's|^\./||' | xargs)"

make -s -C "$TOP" install DESTDIR="$D/local" BUILD="$BUILD" >>"$D.log" 2>&1
t_check "default PREFIX=/usr/local: module under /usr/local/lib/$MA/pkcs11" \
	test -f "$D/local/usr/local/lib/$MA/pkcs11/akis-pkcs11.so"
t_check "default PREFIX: p11-kit module file in /etc/pkcs11/modules (read by p11-kit)" \
	test -f "$D/local/etc/pkcs11/modules/akis-pkcs11.module"

# R47: make install-compat lays out /usr/lib/libakisp11.so -> our module,
# never over a file that is not ours; make uninstall removes only ours.
C=$D/compat
mod=/usr/lib/$MA/pkcs11/akis-pkcs11.so
mk() { make -s -C "$TOP" "$@" DESTDIR="$C" PREFIX=/usr BUILD="$BUILD"; }
mk install-compat >>"$D.log" 2>&1
t_check "make install-compat succeeds on a clean tree" test $? -eq 0
t_check "install-compat: /usr/lib/libakisp11.so is a symlink" test -L "$C/usr/lib/libakisp11.so"
t_eq "install-compat: the link points at the installed module" "$mod" "$(readlink "$C/usr/lib/libakisp11.so")"
t_check "install-compat: the link resolves inside DESTDIR" test -f "$C$(readlink "$C/usr/lib/libakisp11.so")"
mk install-compat >>"$D.log" 2>&1
t_check "install-compat again over our own link succeeds" test $? -eq 0
mk uninstall >>"$D.log" 2>&1
t_check "make uninstall removes our libakisp11.so" test ! -L "$C/usr/lib/libakisp11.so"

# a foreign regular file (the closed module)
head -c 4096 /dev/urandom >"$D/closed.so"
cp "$D/closed.so" "$C/usr/lib/libakisp11.so"
out=$(mk install-compat 2>&1 >/dev/null); rc=$?
t_check "foreign file: install-compat exits non-zero" test "$rc" -ne 0
t_check "foreign file: it says why on stderr" grep -q "refusing: .*libakisp11.so exists" <<<"$out"
t_check "foreign file: still a regular file" test -f "$C/usr/lib/libakisp11.so" -a ! -L "$C/usr/lib/libakisp11.so"
t_check "foreign file: byte-identical afterwards" cmp "$D/closed.so" "$C/usr/lib/libakisp11.so"
mk uninstall >>"$D.log" 2>&1
t_check "foreign file: make uninstall leaves it, byte-identical" cmp "$D/closed.so" "$C/usr/lib/libakisp11.so"
rm -f "$C/usr/lib/libakisp11.so"

# a foreign symlink (a guide's link to the closed module)
ln -s /opt/akis/libakisp11.so "$C/usr/lib/libakisp11.so"
out=$(mk install-compat 2>&1 >/dev/null); rc=$?
t_check "foreign symlink: install-compat exits non-zero" test "$rc" -ne 0
t_check "foreign symlink: it names the link's target on stderr" grep -q "symlink to /opt/akis/libakisp11.so" <<<"$out"
t_eq "foreign symlink: unchanged" /opt/akis/libakisp11.so "$(readlink "$C/usr/lib/libakisp11.so")"
mk uninstall >>"$D.log" 2>&1
t_eq "foreign symlink: make uninstall leaves it" /opt/akis/libakisp11.so "$(readlink "$C/usr/lib/libakisp11.so")"
rm -rf "$D" "$D.log"
t_summary
