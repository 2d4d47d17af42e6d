# shellcheck shell=bash
# Shared part of the client integration tests (issue 5, R36): sourced by
# tests/integration/client_*.sh, never run on its own (the name does not end
# in .sh so that tests/run-all does not pick it up).
#
# Every client test is written against a "token under test" described by
#   MOD        the PKCS#11 module (absolute path)
#   PIN        the user PIN
#   TOKEN      the token label (CK_TOKEN_INFO.label, trailing blanks removed)
#   CA_FILE    PEM bundle of the CA certificates that issued the token's
#              certificates (root + intermediates)
#   ROOT_PEM   the root alone; ISSUER_PEM the intermediates (may be empty)
#   $CT/keys   one line per private key that has a certificate:
#              "ID TYPE AA KEYLABEL<TAB>CERTLABEL"
#              ID hex CKA_ID, TYPE RSA|EC, AA 1 = CKA_ALWAYS_AUTHENTICATE;
#              the certificate is in $CT/cert-ID.pem, its public key in
#              $CT/pub-ID.pem.
# and made by one of two setups, chosen by AKIS_CLIENT_MODULE:
#   akis     (default) the real module on the virtual card bench:
#            bench_up --profile P from lib.sh, $AKIS_BUILD/akis-pkcs11.so.
#   softhsm  a throwaway SoftHSM2 token with a test CA, an RSA-2048 and an
#            EC P-384 key + certificate, and an EC P-384 key with
#            CKA_ALWAYS_AUTHENTICATE (the stand-in for akis-2's NES key).
# Profiles: AKIS_PROFILES (default "akis-1.2 akis-2"; "softhsm" for SoftHSM2).
#
#   . "$here/client_lib.bash"
#   for prof in $(client_profiles); do client_setup "$prof" || continue; ...; client_teardown; done
#   t_summary

here=${here:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
top=$(cd "$here/../.." && pwd)
AKIS_CLIENT_MODULE=${AKIS_CLIENT_MODULE:-akis}
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-120}	# seconds for any one client command

if [[ $AKIS_CLIENT_MODULE == akis && -f $here/lib.sh ]]; then
	# shellcheck source=/dev/null
	. "$here/lib.sh"
fi

# Test bookkeeping: lib.sh's helpers when it provides them, else the same
# names here ("t_check DESC CMD...", "t_ok DESC", "t_fail DESC", "t_summary").
if ! declare -F t_check >/dev/null; then
	T_PASS=0 T_FAIL=0
	t_ok() { T_PASS=$((T_PASS + 1)); echo "ok   - $*"; }
	t_fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL - $*"; }
	t_check() {
		local d=$1; shift
		if "$@"; then t_ok "$d"; else t_fail "$d"; fi
	}
	t_summary() {
		echo "$T_PASS passed, $T_FAIL failed"
		[[ $T_FAIL -eq 0 && $T_PASS -gt 0 ]]
	}
fi

# ck DESC CMD...: t_check that also returns the check's status, so that a
# caller can show the evidence of a failure.
ck() {
	local d=$1; shift
	if "$@"; then t_ok "$d"; return 0; fi
	t_fail "$d"; return 1
}

# Scratch directory of the whole script; removed on every exit path together
# with everything registered by client_on_exit (servers, bench).
CT_ROOT=$(mktemp -d /tmp/akis-client.XXXXXX)
CLIENT_EXIT_CMDS=()
client_on_exit() { CLIENT_EXIT_CMDS+=("$*"); }
client_cleanup() {
	local c i
	for ((i = ${#CLIENT_EXIT_CMDS[@]} - 1; i >= 0; i--)); do
		c=${CLIENT_EXIT_CMDS[i]}
		eval "$c" >/dev/null 2>&1 || true
	done
	CLIENT_EXIT_CMDS=()
	[[ -n ${CLIENT_BENCH_UP:-} ]] && declare -F bench_down >/dev/null && bench_down >/dev/null 2>&1
	CLIENT_BENCH_UP=
	rm -rf "$CT_ROOT"
}
trap client_cleanup EXIT
trap 'exit 130' INT TERM

client_profiles() {
	if [[ $AKIS_CLIENT_MODULE == softhsm ]]; then echo "${AKIS_PROFILES:-softhsm}"
	else echo "${AKIS_PROFILES:-akis-1.2 akis-2}"; fi
}

# Run a client with a time limit and stdin closed (nothing may prompt).
crun() { timeout -k 5 "$CLIENT_TIMEOUT" "$@" </dev/null; }

# A free TCP port on 127.0.0.1.
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
	done
	return 1
}

# Wait until something listens on 127.0.0.1:$1 (at most ~10 s).
wait_port() {
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- test CA
# mk_ca DIR: root "TEST Client Kök" (RSA-2048) → issuer "TEST Client CA"
# (RSA-2048) in DIR/root.{pem,key}, DIR/issuer.{pem,key}.
mk_ca() {
	local d=$1
	mkdir -p "$d"
	cat >"$d/ext.cnf" <<-'EOF'
		[ca]
		basicConstraints = critical,CA:TRUE
		keyUsage = critical,keyCertSign,cRLSign
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid
		[nes]
		basicConstraints = critical,CA:FALSE
		keyUsage = critical,digitalSignature,nonRepudiation
		certificatePolicies = 2.16.792.1.2.1.1.5.7.1.1
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid
		[sig]
		basicConstraints = critical,CA:FALSE
		keyUsage = critical,digitalSignature,nonRepudiation,keyEncipherment
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid
		[auth]
		basicConstraints = critical,CA:FALSE
		keyUsage = critical,digitalSignature,keyEncipherment
		extendedKeyUsage = clientAuth,emailProtection
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid
		[server]
		basicConstraints = critical,CA:FALSE
		keyUsage = critical,digitalSignature,keyEncipherment
		extendedKeyUsage = serverAuth
		subjectAltName = IP:127.0.0.1,DNS:localhost
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid
	EOF
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/root.key" -out "$d/root.pem" \
		-days 30 -subj "/C=TR/O=TEST/CN=TEST Client Root" -utf8 \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null || return 1
	mk_cert "$d" root issuer ca "/C=TR/O=TEST/CN=TEST Client Issuing CA" \
		-newkey rsa:2048 || return 1
}

# mk_cert DIR SIGNER NAME EXT SUBJECT KEYGEN-OPTS...: DIR/NAME.{key,pem}
# signed by DIR/SIGNER.{key,pem} with extension section EXT of DIR/ext.cnf.
mk_cert() {
	local d=$1 signer=$2 name=$3 ext=$4 subj=$5; shift 5
	openssl req -new "$@" -nodes -keyout "$d/$name.key" -out "$d/$name.csr" \
		-subj "$subj" -utf8 2>/dev/null || return 1
	openssl x509 -req -in "$d/$name.csr" -CA "$d/$signer.pem" -CAkey "$d/$signer.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days 30 -sha256 \
		-extfile "$d/ext.cnf" -extensions "$ext" -out "$d/$name.pem" 2>/dev/null
}

# ---------------------------------------------------------------- setups
# SoftHSM2 stand-in: token AKIS_SOFTHSM with
#   01 RSA-2048  "Auth RSA"  (digitalSignature, nonRepudiation, keyEncipherment)
#   02 EC P-384  "Auth EC"   (authentication: EKU clientAuth, emailProtection)
#   03 EC P-384  "NES EC"    CKA_ALWAYS_AUTHENTICATE (NES certificate)
setup_softhsm() {
	local d=$CT/hsm
	mkdir -p "$d/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$d/tokens" >"$d/softhsm2.conf"
	export SOFTHSM2_CONF=$d/softhsm2.conf
	MOD=$(client_softhsm_path) || { echo "softhsm2 not installed" >&2; return 1; }
	PIN=12345 TOKEN=AKIS_SOFTHSM
	softhsm2-util --init-token --free --label "$TOKEN" --pin "$PIN" --so-pin 123456 \
		>/dev/null || return 1
	mk_ca "$d" || return 1
	local h="/C=TR/serialNumber=12345678901/CN=TEST KULLANICI"
	mk_cert "$d" issuer k01 sig "$h" -newkey rsa:2048 || return 1
	mk_cert "$d" issuer k02 auth "$h" -newkey ec -pkeyopt ec_paramgen_curve:P-384 || return 1
	mk_cert "$d" issuer k03 nes "$h" -newkey ec -pkeyopt ec_paramgen_curve:P-384 || return 1
	p11() { pkcs11-tool --module "$MOD" --token-label "$TOKEN" --login --pin "$PIN" "$@" >/dev/null 2>&1; }
	local id label aa
	for id in 01 02 03; do
		case $id in 01) label="Auth RSA" ;; 02) label="Auth EC" ;; 03) label="NES EC" ;; esac
		aa=; [[ $id == 03 ]] && aa=--always-auth
		openssl pkey -in "$d/k$id.key" -outform DER -out "$d/k$id.key.der" || return 1
		openssl x509 -in "$d/k$id.pem" -outform DER -out "$d/k$id.der" || return 1
		openssl pkey -in "$d/k$id.key" -pubout -outform DER -out "$d/k$id.pub.der" || return 1
		# shellcheck disable=SC2086
		p11 --write-object "$d/k$id.key.der" --type privkey --id "$id" --label "$label" \
			--usage-sign $aa --sensitive || return 1
		p11 --write-object "$d/k$id.der" --type cert --id "$id" --label "$label" || return 1
		p11 --write-object "$d/k$id.pub.der" --type pubkey --id "$id" --label "$label" || return 1
	done
	cp "$d/root.pem" "$CT/root.pem"
	cp "$d/issuer.pem" "$CT/issuer.pem"
}

client_softhsm_path() {
	local f
	for f in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
		/usr/lib/x86_64-linux-gnu/pkcs11/libsofthsm2.so; do
		[[ -f $f ]] && { echo "$f"; return 0; }
	done
	return 1
}

# The real module on a virtual card. bench_up comes from lib.sh (vcard
# engineers); the card's test CA is looked up in the card directory.
setup_akis() {
	local prof=$1
	MOD=${AKIS_BUILD:-$top/build}/akis-pkcs11.so
	PIN=12345
	[[ -f $MOD ]] || { echo "no module at $MOD" >&2; return 1; }
	declare -F bench_up >/dev/null || { echo "lib.sh has no bench_up" >&2; return 1; }
	local b=${AKIS_BUILD:-$top/build}
	[[ -z ${AKIS_VCARD:-} && -x $b/akis-vcard ]] && export AKIS_VCARD=$b/akis-vcard
	CLIENT_BENCH_UP=1
	bench_up --profile "$prof"
	local rc=$?
	trap client_cleanup EXIT	# bench_up installs its own EXIT trap; ours also downs the bench
	[[ $rc -eq 0 ]] || return 1
	TOKEN=$(crun pkcs11-tool --module "$MOD" -L 2>/dev/null |
		sed -n 's/^ *token label *: *//p' | head -1 | sed 's/ *$//')
	[[ -n $TOKEN ]] || { echo "no token visible through $MOD" >&2; return 1; }
	akis_find_ca || return 1
}

# The card's CA certificates: root.pem and issuer.pem in the directory of
# card 1 (AKIS_CARD_DIR_1 from bench_up), else any ca/ directory it names.
akis_find_ca() {
	local dir=${AKIS_CARD_DIR_1:-${AKIS_CARD_DIR_0:-}} f
	for f in "$dir/ca/root.pem" "$dir/root.pem"; do
		[[ -f $f ]] && { cp "$f" "$CT/root.pem"; break; }
	done
	for f in "$dir/ca/issuer.pem" "$dir/issuer.pem"; do
		[[ -f $f ]] && { cp "$f" "$CT/issuer.pem"; break; }
	done
	[[ -f $CT/root.pem ]] || { echo "no CA root found under '$dir'" >&2; return 1; }
	[[ -f $CT/issuer.pem ]] || : >"$CT/issuer.pem"
}

# Fill $CT/keys, cert-ID.pem, pub-ID.pem from the token itself (pkcs11-tool
# -O after login): every private key that has a certificate with its CKA_ID.
client_discover() {
	crun pkcs11-tool --module "$MOD" --token-label "$TOKEN" --login --pin "$PIN" -O \
		>"$CT/objs" 2>&1 || { cat "$CT/objs" >&2; return 1; }
	awk -v OFS='\t' '
		/^[A-Z][A-Za-z ]*Object;/ { kind = ($0 ~ /^Private Key/) ? "key" : ($0 ~ /^Certificate/) ? "cert" : "";
			type = $0; sub(/^Private Key Object; */, "", type); sub(/ .*/, "", type);
			label = ""; next }
		/^ *label:/ { label = $0; sub(/^ *label: */, "", label) }
		/^ *ID: / && kind == "key" { id = $2; ktype[id] = type; klabel[id] = label; kid[++n] = id }
		/^ *ID: / && kind == "cert" { clabel[$2] = label }
		/^ *Access:/ && kind == "key" && /always authenticate/ { aa[id] = 1 }
		END { for (i = 1; i <= n; i++) { id = kid[i]; if (!(id in clabel)) continue;
			t = (ktype[id] ~ /^EC/) ? "EC" : ktype[id];
			print id " " t " " (aa[id] ? 1 : 0) " " klabel[id], clabel[id] } }
	' "$CT/objs" | sort >"$CT/keys"
	local id rest
	while read -r id rest; do
		crun pkcs11-tool --module "$MOD" --token-label "$TOKEN" --read-object --type cert --id "$id" \
			-o "$CT/cert-$id.der" >/dev/null 2>&1 &&
			openssl x509 -inform DER -in "$CT/cert-$id.der" -out "$CT/cert-$id.pem" &&
			openssl x509 -in "$CT/cert-$id.pem" -noout -pubkey >"$CT/pub-$id.pem" ||
			{ echo "cannot read certificate $id" >&2; return 1; }
	done <"$CT/keys"
	[[ -s $CT/keys ]] || { echo "no private key with a certificate on $TOKEN" >&2; return 1; }
}

# client_setup PROFILE: a fresh $CT, the token up, keys discovered.
client_setup() {
	CLIENT_PROFILE=$1
	CT=$CT_ROOT/$1
	rm -rf "$CT"; mkdir -p "$CT"
	local rc=0
	if [[ $AKIS_CLIENT_MODULE == softhsm ]]; then setup_softhsm || rc=1
	else setup_akis "$1" || rc=1; fi
	[[ $rc -eq 0 ]] && { client_discover || rc=1; }
	cat "$CT/root.pem" "$CT/issuer.pem" >"$CT/ca.pem" 2>/dev/null
	ROOT_PEM=$CT/root.pem ISSUER_PEM=$CT/issuer.pem CA_FILE=$CT/ca.pem
	if [[ $rc -ne 0 ]]; then
		t_fail "$1: setup of the token under test"
		client_teardown
		return 1
	fi
	echo "# $1: module $MOD, token '$TOKEN', keys:"
	sed 's/^/#   /' "$CT/keys"
}

client_teardown() {
	local c i
	for ((i = ${#CLIENT_EXIT_CMDS[@]} - 1; i >= 0; i--)); do
		c=${CLIENT_EXIT_CMDS[i]}
		eval "$c" >/dev/null 2>&1 || true
	done
	CLIENT_EXIT_CMDS=()
	if [[ -n ${CLIENT_BENCH_UP:-} ]]; then bench_down >/dev/null 2>&1; CLIENT_BENCH_UP=; fi
	unset SOFTHSM2_CONF
}

# Iterate keys: while key_next; do ... $K_ID $K_TYPE $K_AA "$K_LABEL" "$K_CLABEL"; done
# (call key_reset first).
key_reset() { K_LINE=0; }
key_next() {
	local line
	K_LINE=$((K_LINE + 1))
	line=$(sed -n "${K_LINE}p" "$CT/keys")
	[[ -n $line ]] || return 1
	K_CLABEL=${line#*$'\t'}
	line=${line%%$'\t'*}
	read -r K_ID K_TYPE K_AA K_LABEL <<<"$line"
	K_PEM=$CT/cert-$K_ID.pem K_PUB=$CT/pub-$K_ID.pem
	K_TAG="$CLIENT_PROFILE '$K_LABEL' ($K_TYPE)"
	[[ $K_AA == 1 ]] && K_TAG="$CLIENT_PROFILE '$K_LABEL' ($K_TYPE, always-auth)"
	return 0
}

# URI-encode a hex CKA_ID as %xx%yy.
id_pct() { sed 's/../%&/g' <<<"$1"; }

# Show a command's output file when a check fails (kept short).
show() { [[ -f $1 ]] && sed -n '1,25p' "$1" | sed 's/^/    | /'; return 0; }
