# Shared helpers of the akis-tool integration tests (tool_*.sh). Sourced,
# never run (hence .bash: tests/run-all runs every tests/integration/*.sh).
# Local pass/fail helpers (independent of tests/integration/lib.sh), the
# locales, the message catalogue, and the bench under the bench lock.

TOOL_PASSED=0
TOOL_FAILED=0

t_pass() { TOOL_PASSED=$((TOOL_PASSED + 1)); echo "ok   - $*"; }
t_fail() { TOOL_FAILED=$((TOOL_FAILED + 1)); echo "FAIL - $*"; }

# t_expect NAME WANT_RC GOT_RC: exit status check
t_expect() {
	if [ "$2" = "$3" ]; then t_pass "$1 (exit $3)"; else t_fail "$1: exit $3, expected $2"; fi
}

# t_has NAME TEXT PATTERN / t_hasnt NAME TEXT PATTERN (grep -E, fixed to one text)
t_has() {
	if grep -qE -- "$3" <<<"$2"; then t_pass "$1"; else
		t_fail "$1: no /$3/ in:"; sed 's/^/#   /' <<<"$2"
	fi
}
t_hasnt() {
	if grep -qE -- "$3" <<<"$2"; then
		t_fail "$1: unexpected /$3/ in:"; sed 's/^/#   /' <<<"$2"
	else t_pass "$1"; fi
}

t_summary() {
	echo "$TOOL_PASSED passed, $TOOL_FAILED failed"
	[ "$TOOL_FAILED" = 0 ]
}

# Locales for the two languages (Debian: package `locales`).
tool_locales() {
	local l
	for l in tr_TR en_US; do
		locale -a 2>/dev/null | grep -qix "$l.utf8" && continue
		localedef -i "$l" -f UTF-8 "$l.UTF-8" 2>/dev/null ||
			{ echo "cannot generate locale $l.UTF-8 (apt-get install locales)"; return 1; }
	done
}

# The catalogue from the build tree; built here if the Makefile did not.
tool_catalogue() {
	local build=$1 work=$2
	if [ -f "$build/locale/tr/LC_MESSAGES/akis-tool.mo" ]; then
		AKIS_LOCALEDIR=$(cd "$build/locale" && pwd)
	else
		mkdir -p "$work/locale/tr/LC_MESSAGES"
		msgfmt -o "$work/locale/tr/LC_MESSAGES/akis-tool.mo" tools/akis-tool/po/tr.po || return 1
		AKIS_LOCALEDIR=$work/locale
	fi
	export AKIS_LOCALEDIR
}

# Take the bench lock for the rest of the script (fd 9), unless an
# ancestor holds it already.
tool_bench_lock() {
	exec 9>/tmp/akis-bench.lock
	flock -w 1800 9 || { echo "cannot take /tmp/akis-bench.lock"; exit 1; }
	export AKIS_BENCH_LOCKED=1
}

# tool_bench_up BUILD ARGS...: start the bench, export its variables.
tool_bench_up() {
	local build=$1 env
	shift
	export AKIS_BENCH=${AKIS_BENCH:-/tmp/akis-bench-tool}
	[ -x "$build/akis-vcard" ] && export AKIS_VCARD=$(cd "$build" && pwd)/akis-vcard
	env=$(tests/vcardctl up "$@") || return 1
	eval "$env"
}

tool_bench_down() { tests/vcardctl down >/dev/null 2>&1; }
