#!/usr/bin/env bash
# p11-kit (issue 5, R36, R37): the module through p11-kit-proxy.so, configured
# only by conf/akis-pkcs11.module (module: set to the module under test)
# installed as p11-kit's module directory; and remotely through
# `p11-kit server` + p11-kit-client.so (how a card is reached from another
# machine or a container). Through both: the token is listed, certificates
# are read without login (R13), every key signs (pkcs11-tool, the
# context-specific login included) and openssl verifies; GnuTLS's p11tool
# finds the token through the module file alone.
#
# p11-kit ignores ~/.config/pkcs11 when running as root, so as root the
# module directory /usr/share/p11-kit/modules (and /etc/pkcs11) are replaced
# by the test's own in a private mount namespace (unshare -m): nothing on the
# machine changes and no other module is loaded. With the real module that
# directory, and /usr/lib/<multiarch>/pkcs11, come from
# `make install DESTDIR=tmp PREFIX=/usr`, so the installed .module file is
# what is tested. As non-root, HOME points at a test directory with
# ~/.config/pkcs11/modules instead.
#   bash tests/integration/client_p11kit.sh
#   AKIS_CLIENT_MODULE=softhsm bash tests/integration/client_p11kit.sh
#   AKIS_CLIENT_P11KIT_SUITE=0 …   skip re-running p11tool.sh through the proxy
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/client_lib.bash"

LIBDIR=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
PROXY=$LIBDIR/p11-kit-proxy.so
CLIENT=$LIBDIR/pkcs11/p11-kit-client.so

# make install DESTDIR=$CT/inst PREFIX=/usr of the build under test: the
# module and a .module file with the absolute module path, where Debian's
# p11-kit looks (only with the real module, as root: the tree is then mounted
# in place in the private namespace).
make_install() {
	local b=${AKIS_BUILD:-$top/build} f=$CT/inst/usr/share/p11-kit/modules/akis-pkcs11.module
	crun make -C "$top" -s install DESTDIR="$CT/inst" PREFIX=/usr BUILD="$b" >"$CT/out" 2>&1 ||
		{ show "$CT/out"; return 1; }
	[[ -f $CT/inst$LIBDIR/pkcs11/akis-pkcs11.so && -f $f ]] || { find "$CT/inst" | show /dev/stdin; return 1; }
	grep -q "^module: $LIBDIR/pkcs11/akis-pkcs11.so\$" "$f" || { show "$f"; return 1; }
	cmp -s "$CT/inst$LIBDIR/pkcs11/akis-pkcs11.so" "$MOD"
}

# p11-kit's configuration for the test: the installed tree (PMOD = the
# module's installed path) or conf/akis-pkcs11.module with module: set to $MOD.
p11kit_conf() {
	local m=$CT/p11kit/modules lib=
	mkdir -p "$m" "$CT/p11kit/etc" "$CT/home/.config/pkcs11/modules"
	PMOD=$MOD
	if [[ $AKIS_CLIENT_MODULE == akis && $(id -u) -eq 0 ]] &&
		ck "$CLIENT_PROFILE: make install DESTDIR=… PREFIX=/usr: module and .module file" make_install; then
		m=$CT/inst/usr/share/p11-kit/modules lib=$CT/inst$LIBDIR/pkcs11 PMOD=$LIBDIR/pkcs11/akis-pkcs11.so
	else
		sed "s|^module:.*|module: $MOD|" "$top/conf/akis-pkcs11.module" >"$m/akis-pkcs11.module"
		grep -q "^module: $MOD\$" "$m/akis-pkcs11.module" || return 1
	fi
	cp "$m/akis-pkcs11.module" "$CT/home/.config/pkcs11/modules/"
	cat >"$CT/p11kit/ns.sh" <<-EOF
		mount --bind '$m' /usr/share/p11-kit/modules || exit 99
		if [ -d /etc/pkcs11 ]; then mount --bind '$CT/p11kit/etc' /etc/pkcs11 || exit 99; fi
		if [ -n '$lib' ]; then mount --bind '$lib' '$LIBDIR/pkcs11' || exit 99; fi
		exec "\$@"
	EOF
}

# Run a command with p11-kit seeing only our module file.
in_p11kit() {
	if [[ $(id -u) -eq 0 ]]; then
		crun unshare -m --propagation private bash "$CT/p11kit/ns.sh" "$@"
	else
		HOME=$CT/home crun "$@"
	fi
}

list_modules() {
	in_p11kit p11-kit list-modules >"$CT/out" 2>&1
	grep -q "^akis-pkcs11: $PMOD" "$CT/out" && grep -q "token: $TOKEN\$" "$CT/out" || { show "$CT/out"; return 1; }
	if [[ $(id -u) -eq 0 ]]; then # nothing else loaded
		[[ $(grep -c '^[^ ]' "$CT/out") -eq 1 ]] || { show "$CT/out"; return 1; }
	fi
}

# via WHERE ARGS...: pkcs11-tool through the proxy or the client
via() {
	local w=$1; shift
	case $w in
	direct) crun pkcs11-tool --module "$MOD" "$@" ;;
	proxy) in_p11kit pkcs11-tool --module "$PROXY" "$@" ;;
	client) P11_KIT_SERVER_ADDRESS=$SRV_ADDR crun pkcs11-tool --module "$CLIENT" "$@" ;;
	esac
}

lists_token() {
	via "$1" -L >"$CT/out" 2>&1 && grep -q "token label *: $TOKEN *\$" "$CT/out" || { show "$CT/out"; return 1; }
}

lists_certs() { # no login
	via "$1" --token-label "$TOKEN" -O >"$CT/out" 2>&1
	[[ $(grep -c "^Certificate Object" "$CT/out") -ge $(wc -l <"$CT/keys") ]] || { show "$CT/out"; return 1; }
}

# SHA256-RSA-PKCS for RSA; ECDSA-SHA256 for EC, or CKM_ECDSA on a SHA-256
# hash when the mechanism list seen through this path has no ECDSA-SHA256
# (SoftHSM2 has none; p11-kit 0.24's RPC, i.e. p11-kit-client.so, does not
# carry CKM_ECDSA_SHA* and leaves them out of the list).
sign_verify() { # $1 where
	local m=SHA256-RSA-PKCS extra=() in=$CT/msg
	if [[ $K_TYPE == EC ]]; then
		m=ECDSA-SHA256 extra=(--signature-format openssl)
		if ! grep -q "^ *ECDSA-SHA256" "$CT/mechs-$1"; then
			m=ECDSA in=$CT/msg.sha256
			echo "    | note: no ECDSA-SHA256 in the mechanism list via $1; CKM_ECDSA on a SHA-256 hash"
			openssl dgst -sha256 -binary "$CT/msg" >"$in"
		fi
	fi
	rm -f "$CT/sig"
	via "$1" --token-label "$TOKEN" --login --pin "$PIN" --sign -m "$m" --id "$K_ID" "${extra[@]}" \
		-i "$in" -o "$CT/sig" >"$CT/out" 2>&1 || { show "$CT/out"; return 1; }
	if [[ $m == ECDSA ]]; then
		openssl pkeyutl -verify -pubin -inkey "$K_PUB" -in "$in" -sigfile "$CT/sig" >"$CT/out" 2>&1
	else
		openssl dgst -sha256 -verify "$K_PUB" -signature "$CT/sig" "$CT/msg" >"$CT/out" 2>&1
	fi || { show "$CT/out"; return 1; }
}

server_up() {
	mkdir -p "$CT/run"; chmod 700 "$CT/run"
	XDG_RUNTIME_DIR=$CT/run timeout -k 5 600 p11-kit server -f --provider "$MOD" "pkcs11:token=$TOKEN" \
		</dev/null >"$CT/server.out" 2>"$CT/server.err" &
	local pid=$!
	client_on_exit "kill $pid; wait $pid"
	for _ in $(seq 100); do
		SRV_ADDR=$(sed -n 's/^P11_KIT_SERVER_ADDRESS=\([^;]*\);.*/\1/p' "$CT/server.out")
		[[ -n $SRV_ADDR && -S ${SRV_ADDR#unix:path=} ]] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	show "$CT/server.out"; show "$CT/server.err"; return 1
}

run_profile() {
	local w
	head -c 3000 /dev/urandom >"$CT/msg"
	[[ -f $PROXY && -f $CLIENT ]] || { t_fail "$CLIENT_PROFILE: p11-kit-proxy.so and p11-kit-client.so installed"; return; }
	ck "$CLIENT_PROFILE: the akis-pkcs11.module file as p11-kit's only module configuration" p11kit_conf || return
	ck "$CLIENT_PROFILE: p11-kit list-modules shows akis-pkcs11 and its token" list_modules
	server_up || { t_fail "$CLIENT_PROFILE: p11-kit server --provider up"; }
	for w in proxy client; do
		[[ $w == client && -z ${SRV_ADDR:-} ]] && continue
		ck "$CLIENT_PROFILE via $w: pkcs11-tool -L lists $TOKEN" lists_token $w
		via $w --token-label "$TOKEN" -M >"$CT/mechs-$w" 2>&1
		ck "$CLIENT_PROFILE via $w: pkcs11-tool -M lists signature mechanisms" \
			grep -q "^ *\(RSA-PKCS\|ECDSA\).*sign" "$CT/mechs-$w"
		ck "$CLIENT_PROFILE via $w: pkcs11-tool -O lists the certificates without login" lists_certs $w
		key_reset
		while key_next; do
			ck "$K_TAG via $w: pkcs11-tool --sign, openssl verifies" sign_verify $w
		done
	done
	# GnuTLS finds the module through p11-kit's configuration alone
	in_p11kit p11tool --list-tokens >"$CT/out" 2>&1
	ck "$CLIENT_PROFILE: p11tool (no --provider) sees $TOKEN through the module file" \
		grep -q "Label: $TOKEN\$" "$CT/out" || show "$CT/out"
}

# The module's pkcs11-tool behaviour suite (p11tool.sh) with p11-kit-proxy.so
# in the module's place: a build directory whose akis-pkcs11.so is the proxy,
# p11-kit configured with the real module only.
suite_via_proxy() {
	local d=$CT_ROOT/proxy-suite real=${AKIS_BUILD:-$top/build}/akis-pkcs11.so line
	mkdir -p "$d/build" "$d/mods" "$d/etc"
	ln -sf "$PROXY" "$d/build/akis-pkcs11.so"
	sed "s|^module:.*|module: $real|" "$top/conf/akis-pkcs11.module" >"$d/mods/akis-pkcs11.module"
	AKIS_BUILD=$d/build AKIS_PROFILES=${AKIS_PROFILES:-"akis-1.2 akis-2"} timeout -k 5 1200 \
		unshare -m --propagation private bash -c "mount --bind '$d/mods' /usr/share/p11-kit/modules &&
			{ [ ! -d /etc/pkcs11 ] || mount --bind '$d/etc' /etc/pkcs11; } &&
			exec bash '$here/p11tool.sh'" </dev/null >"$d/log" 2>&1
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$d/log" | tail -1)
	echo "    | p11tool.sh through the proxy: ${line:-no summary}"
	[[ $line =~ ^[1-9][0-9]*\ passed,\ 0\ failed ]] || { grep -E '^FAIL|error' "$d/log" | cut -c1-200 | show /dev/stdin; return 1; }
}

for prof in $(client_profiles); do
	client_setup "$prof" || continue
	run_profile
	client_teardown
done
if [[ $AKIS_CLIENT_MODULE == akis && $(id -u) -eq 0 && ${AKIS_CLIENT_P11KIT_SUITE:-1} == 1 &&
	-f $here/p11tool.sh ]]; then
	ck "pkcs11-tool behaviour suite (p11tool.sh) through p11-kit-proxy.so" suite_via_proxy
fi
t_summary
