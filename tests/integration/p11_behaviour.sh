#!/usr/bin/env bash
# pkcs11/ front end against the real stack: builds tests/integration/p11_behaviour.c,
# checks the exports (R6), and runs it on the shared bench (tests/vcardctl) once per
# pair of card profiles (card 0, card 1) of the matrix, so that every profile is
# "card 1" (the card of the login, wrong-PIN, reset, removal and fork tests) once.
# Each run takes flock /tmp/akis-bench.lock for its own duration only.
# A pcscd not started by the bench may be running: vcardctl then reuses it, and
# the checks that need pcscd absent or restarted (R3 no pcscd, R35) say "# skip:".
# Ends with "N passed, N failed".
#   tests/integration/p11_behaviour.sh [BUILD_DIR]
#   P11_MATRIX="akis-2,akis-1.2 akis-1.0,akis-2" tests/integration/p11_behaviour.sh   (a subset)
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD
. "$TOP/tests/integration/lib.sh"
BUILD=${AKIS_BUILD:-$TOP/${1:-build}}
export MODULE=$BUILD/akis-pkcs11.so
export AKIS_VCARD=$BUILD/akis-vcard
export VCARDCTL=$TOP/tests/vcardctl
MATRIX=${P11_MATRIX:-"akis-2,akis-1.2 akis-2,akis-1.0 akis-1.2,akis-2"}
export P11_WORK
P11_WORK=$(mktemp -d /tmp/akis-p11-it.XXXXXX)
passed=0 failed=0

[[ -f $MODULE && -x $AKIS_VCARD ]] || { echo "need $MODULE and $AKIS_VCARD"; echo "0 passed, 1 failed"; exit 1; }

# R6: exactly the three entry points are exported
exports=$(nm -D --defined-only "$MODULE" | awk '$2 ~ /[TtWw]/ {print $3}' | sort | tr '\n' ' ')
if [[ $exports == "C_GetFunctionList C_GetInterface C_GetInterfaceList " ]]; then
	echo "ok   - R6: exports: $exports"; passed=$((passed + 1))
else
	echo "FAIL - R6: exports: $exports"; failed=$((failed + 1))
fi

# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g -I. $(pkg-config --cflags p11-kit-1 libpcsclite) \
	tests/integration/p11_behaviour.c -o "$P11_WORK/p11_behaviour" \
	$(pkg-config --libs libpcsclite) -ldl -lpthread || { echo "$passed passed, $((failed + 1)) failed"; rm -rf "$P11_WORK"; exit 1; }

# A live pcscd's pid (a zombie waiting to be reaped does not count), or fail.
live_pcscd() { ps -C pcscd -o pid=,stat= | awk '$2 !~ /^Z/ {print $1; f = 1; exit} END {exit !f}'; }
export -f live_pcscd

# One run of the program for one profile pair; the caller holds the bench lock.
run_one() {
	local prof=$1 pid
	printf '# [%s] bench lock taken after %.1f s\n' "$prof" "$(awk -v a="$P11_T0" -v b="$(date +%s.%N)" 'BEGIN{print b - a}')"
	export AKIS_BENCH_LOCKED=1 AKIS_BENCH=$P11_WORK/bench P11_PROFILES=$prof P11_PCSCD_FOREIGN=0
	for _ in $(seq 30); do live_pcscd >/dev/null || break; sleep 0.1; done # the previous bench's exit
	if pid=$(live_pcscd) && [[ -n $pid ]]; then
		echo "# [$prof] a pcscd not started by the bench is running (pid $pid): vcardctl reuses it"
		P11_PCSCD_FOREIGN=1
	fi
	trap '"$VCARDCTL" down' EXIT # never leave our pcscd or a card running
	AKIS_CONF=/dev/null XDG_CACHE_HOME=$P11_WORK/cache timeout 300 "$P11_WORK/p11_behaviour" "$MODULE"
}
export -f run_one

for prof in $MATRIX; do
	rm -rf "$P11_WORK/cache"
	t0=$(date +%s.%N)
	export P11_T0=$t0
	if [[ ${AKIS_BENCH_LOCKED:-} == 1 ]] || t_lock_held_by_ancestor; then
		out=$(bash -c 'run_one "$1"' _ "$prof" 2>&1)
	else
		# -o: bench processes must not inherit the lock (a stray one would hold it)
		out=$(flock -o /tmp/akis-bench.lock bash -c 'run_one "$1"' _ "$prof" 2>&1)
	fi
	echo "$out" | grep -v '^[0-9]* passed, [0-9]* failed$'
	p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' <<<"$out" | tail -1)
	f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' <<<"$out" | tail -1)
	[[ -n $p ]] || { echo "FAIL - [$prof] the program did not finish (timeout or crash)"; p=0; f=1; }
	printf '# [%s] %s passed, %s failed in %.1f s\n' "$prof" "$p" "$f" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{print b - a}')"
	passed=$((passed + p)) failed=$((failed + f))
done
rm -rf "$P11_WORK"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
