# Shared helpers for integration tests. Source it:  . "$(dirname "$0")/lib.sh"
#   t_ok NAME / t_fail NAME [WHY]      count a result
#   t_check NAME CMD...                pass when CMD exits 0
#   t_eq NAME EXPECTED ACTUAL          pass when equal (shows both otherwise)
#   t_summary                          prints "N passed, N failed"; non-zero if any failed
#   bench_up ARGS...                   tests/vcardctl up ARGS, eval its env, down on exit
#                                      (a caller's own EXIT trap is kept: make it call bench_down)
#   bench_down                         tests/vcardctl down (also run by the exit trap)
#   apdu READER APDU...                one PC/SC connection; prints each response (hex)
#   sw RESPONSE / data RESPONSE        the status word / the data of a response
#   log_count FILE                     number of command APDUs in an akis-vcard log
# Locking: bench_up takes /tmp/akis-bench.lock (fd 9) unless an ancestor
# process already holds it (e.g. `flock /tmp/akis-bench.lock tests/...`).
T_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T_PASS=0
T_FAIL=0
T_VCARDCTL="$T_ROOT/tests/vcardctl"
T_PCSC_APDU="$T_ROOT/tests/vcard/pcsc-apdu"

t_ok() { T_PASS=$((T_PASS + 1)); echo "ok   - $1"; }
t_fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL - $1${2:+: $2}"; }
t_check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then t_ok "$name"; else t_fail "$name" "$(echo "$out" | tail -3 | tr '\n' ' ')"; fi
}
t_eq() {
	if [ "$2" = "$3" ]; then t_ok "$1"; else t_fail "$1" "expected '$2', got '$3'"; fi
}
t_summary() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}

apdu() { "$T_PCSC_APDU" send "$@"; }
sw() { local r=$1; echo "${r: -4}"; }
data() { local r=$1; echo "${r:0:${#r}-4}"; }
log_count() {
	local n
	n=$(grep -c '^C ' "$1" 2>/dev/null) || true
	echo "${n:-0}"
}

t_lock_held_by_ancestor() {
	local holders p h
	holders=$(lslocks -n -o PID,PATH 2>/dev/null | awk '$2=="/tmp/akis-bench.lock"{print $1}')
	[ -n "$holders" ] || return 1
	p=$$
	while [ -n "$p" ] && [ "$p" -gt 1 ]; do
		for h in $holders; do [ "$h" = "$p" ] && return 0; done
		p=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null)
	done
	return 1
}

T_BENCH_UP=0
# Only when bench_up got the lock: never wait for the lock just to stop nothing.
bench_down() { [ "$T_BENCH_UP" = 1 ] && "$T_VCARDCTL" down; T_BENCH_UP=0; return 0; }

bench_up() {
	local env
	if [ "${AKIS_BENCH_LOCKED:-}" != 1 ] && ! t_lock_held_by_ancestor; then
		exec 9>/tmp/akis-bench.lock
		flock -w 900 9 || { echo "cannot take /tmp/akis-bench.lock" >&2; return 1; }
		export AKIS_BENCH_LOCKED=1
	fi
	[ -n "$(trap -p EXIT)" ] || trap 'bench_down' EXIT   # keep a caller's trap (it should call bench_down)
	T_BENCH_UP=1
	env=$("$T_VCARDCTL" up "$@") || return 1
	eval "$env"
}
