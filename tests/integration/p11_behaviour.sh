#!/usr/bin/env bash
# pkcs11/ front end against the real stack: builds tests/integration/p11_behaviour.c,
# checks the exports (R6), and runs it with a private bench (p11_bench.bash)
# under flock /tmp/akis-bench.lock. Ends with "N passed, N failed".
#   tests/integration/p11_behaviour.sh [BUILD_DIR]
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
BUILD=${AKIS_BUILD:-$TOP/${1:-build}}
export MODULE=$BUILD/akis-pkcs11.so
export P11_VCARD=$BUILD/akis-vcard
export P11_WORK
P11_WORK=$(mktemp -d /tmp/akis-p11-it.XXXXXX)
export P11_BENCH=$TOP/tests/integration/p11_bench.bash
passed=0 failed=0

[[ -f $MODULE && -x $P11_VCARD ]] || { echo "need $MODULE and $P11_VCARD"; echo "0 passed, 1 failed"; exit 1; }

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
	$(pkg-config --libs libpcsclite) -ldl -lpthread || { echo "$passed passed, $((failed + 1)) failed"; exit 1; }

run() {
	for _ in $(seq 30); do pgrep -x pcscd >/dev/null || break; sleep 0.1; done # the previous bench's exit
	if pgrep -x pcscd >/dev/null; then
		echo "# a pcscd is already running outside the bench lock; cannot test R3"
		return 1
	fi
	trap '"$P11_BENCH" down' EXIT # never leave a pcscd or card running
	"$P11_BENCH" init || return 1
	AKIS_CONF=/dev/null timeout 300 "$P11_WORK/p11_behaviour" "$MODULE"
}

export -f run
# -o: bench processes must not inherit the lock (a stray one would hold it)
out=$(flock -o /tmp/akis-bench.lock bash -c run 2>&1)
echo "$out" | grep -v ' passed, .* failed$'
p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' <<<"$out" | tail -1)
f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' <<<"$out" | tail -1)
[[ -n $p ]] || { p=0; f=1; }
passed=$((passed + p)) failed=$((failed + f))
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
