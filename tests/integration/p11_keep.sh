#!/usr/bin/env bash
# The per-signature PIN compatibility mode (R46, issue 13) through the real
# module: tests/integration/p11_keep.c on akis-2 (the NES key wants a PIN per
# signature) and akis-1.2 (no such key: nothing is kept), with
# AKIS_PIN_PER_SIGNATURE=login; the bounds of akis.conf; the kept PIN in no
# trace and in no core dump of a process holding it (gcore).
#   bash tests/integration/p11_keep.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

BUILD_DIR=${AKIS_BUILD:-$here/../../build}
MOD=$BUILD_DIR/akis-pkcs11.so
export AKIS_VCARD=${AKIS_VCARD:-$BUILD_DIR/akis-vcard}
T=$(mktemp -d /tmp/akis-keep.XXXXXX)
trap 'bench_down; rm -rf "$T"' EXIT
export XDG_CACHE_HOME=$T/cache PCSC_APDU=$T_PCSC_APDU
export AKIS_DEBUG=all AKIS_LOG=$T/trace

cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -I"$T_ROOT" $(pkg-config --cflags p11-kit-1) \
	"$here/p11_keep.c" -o "$T/p11_keep" -ldl || { t_fail "build p11_keep.c"; t_summary; exit 1; }
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -I"$T_ROOT" $(pkg-config --cflags p11-kit-1) \
	"$here/p11_hold.c" -o "$T/p11_hold" -ldl || { t_fail "build p11_hold.c"; t_summary; exit 1; }

# run_c ARGS: the C program's own ok/FAIL lines counted here
run_c() {
	local out
	out=$("$T/p11_keep" "$MOD" "$T_VCARDCTL" "$@" 2>&1)
	echo "$out" | grep -E '^(ok|FAIL)'
	T_PASS=$((T_PASS + $(echo "$out" | grep -c '^ok')))
	T_FAIL=$((T_FAIL + $(echo "$out" | grep -c '^FAIL')))
	echo "$out" | grep -qE '^[0-9]+ passed' || t_fail "p11_keep $*: ran to its end" "$(echo "$out" | tail -3)"
}

for prof in akis-2 akis-1.2; do
	bench_up --profile "$prof" --cards 1 || { t_fail "bench up $prof"; continue; }
	AKIS_PIN_PER_SIGNATURE=login run_c basic
	if [ "$prof" = akis-2 ]; then
		printf 'pin_per_signature = login\npin_per_signature_max_signatures = 3\n' >"$T/bounds.conf"
		AKIS_CONF=$T/bounds.conf run_c bounds
		# akis-tool status says which policy is in force, never a PIN
		printf 'pin_per_signature = card\npin_per_signature.java = login\n' >"$T/prog.conf"
		out=$(AKIS_CONF=$T/prog.conf "$BUILD_DIR/akis-tool" status 2>&1)
		t_check "akis-tool status: the policy in force (card in general, login for java)" \
			grep -q 'Qualified signature PIN (module): asked for each signature (pin_per_signature = card); per program: java=login' <<<"$out"
		out=$(AKIS_CONF=$T/prog.conf LANG=tr_TR.UTF-8 AKIS_LOCALEDIR=$BUILD_DIR/locale "$BUILD_DIR/akis-tool" status 2>&1)
		t_check "akis-tool status in Turkish: the policy in force" grep -q "Nitelikli imza PIN'i (modül): her imzada" <<<"$out"
		out=$(AKIS_CONF=$T/prog.conf "$BUILD_DIR/akis-tool" status --json 2>&1)
		t_check "akis-tool status --json: pin_per_signature and its programs" \
			python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["pin_per_signature"]=="card" and d["pin_per_signature_programs"]=="java=login"' <<<"$out"
		# R46: the default stays R20
		out=$(pkcs11-tool --module "$MOD" -O --login --pin 12345 2>&1)
		t_check "default mode: the NES key is 'always authenticate' (R20)" grep -q 'always authenticate' <<<"$out"
		# two processes: while A holds its PIN (and has signed with the NES
		# key), B's raw PSO with the NES key is refused by the card
		AKIS_PIN_PER_SIGNATURE=login "$T/p11_hold" "$MOD" "$AKIS_READER_1" sign kill >"$T/a.out" 2>&1 &
		pid=$!
		for _ in $(seq 50); do grep -q '^ready' "$T/a.out" && break; sleep 0.1; done
		t_eq "process A signed with every key, the NES key included, after one login" 2 \
			"$(grep -c '^sign 0x0$' "$T/a.out")"
		r=$(apdu "$AKIS_READER_1" 00A4080C023D00 002241B606800104840181 \
			"002A9E9A30$(printf 'C%.0s' {1..96})00" | tail -1)
		t_eq "while A holds its PIN, B's raw PSO with the NES key is refused (6982)" 6982 "$(sw "$r")"
		kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
		"$T_VCARDCTL" reset 1 >/dev/null 2>&1
		# the kept PIN in a core dump: a process holds it (PIN read from
		# stdin and wiped from the program's own memory), gcore writes its core
		printf 12345 | AKIS_DEBUG= AKIS_PIN_PER_SIGNATURE=login "$T/p11_hold" "$MOD" "$AKIS_READER_1" login kill - 999999 >"$T/hold.out" 2>&1 &
		pid=$!
		for _ in $(seq 50); do grep -q '^ready' "$T/hold.out" && break; sleep 0.1; done
		lck=$(awk '/^VmLck/ {print $2}' "/proc/$pid/status")
		t_check "a process holding a kept PIN has locked pages (VmLck $lck kB)" test "${lck:-0}" -gt 0
		gcore -o "$T/core" "$pid" >/dev/null 2>&1
		kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
		core=$(ls "$T"/core.* 2>/dev/null | head -1)
		t_check "gcore wrote a core of the holding process" test -s "$core"
		if [ -s "$core" ]; then
			t_check "the PIN is in no core of a process holding it (ASCII, BCD, one digit per byte)" \
				bash -c "! LC_ALL=C grep -qaP '12345|\\x12\\x34\\x5f|\\x01\\x02\\x03\\x04\\x05' '$core'"
		fi
		rm -f "$T"/core.*
	fi
	bench_down
done
t_check "no PIN value in the module's trace (AKIS_DEBUG=all)" bash -c "! grep -qE '31 ?32 ?33 ?34 ?35|12345' '$T/trace'"
t_summary
