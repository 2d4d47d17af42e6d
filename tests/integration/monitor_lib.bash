# shellcheck shell=bash
# Shared by the akis-monitor tests (monitor_gui.sh, monitor_atspi.sh), after
# tool_lib.bash; sourced, never run (hence .bash). The caller defines
# stop_monitor and sets BUILD, TOOL.
#   mon_setup NAME              WORK (a fresh /tmp/NAME.XXXXXX), SHOTS
#                               (BUILD/test-logs), locales and catalogues,
#                               then the bench lock for the rest of the script
#   mon_xvfb_start FIRST LAST   Xvfb on a free display in FIRST..LAST
#                               (sets D, XPID, DISPLAY)
#   mon_cleanup                 monitor, Xvfb, bench and WORK gone (EXIT trap)
#   status_check NAME EXPR      akis-tool's view of card 1 (c) satisfies EXPR

# Under ASan (tests/run-sanitized) the slow unwinder on every malloc
# (fast_unwind_on_malloc=0) hangs the GTK program at start (measured: no
# window in 40 s, 3 s of CPU; the default fast unwinder starts it at once).
# The monitor tests keep every other option of the run.
if [[ ${ASAN_OPTIONS:-} == *fast_unwind_on_malloc=0* ]]; then
	ASAN_OPTIONS=${ASAN_OPTIONS//fast_unwind_on_malloc=0/fast_unwind_on_malloc=1}
	export ASAN_OPTIONS
fi

mon_setup() {
	WORK=$(mktemp -d "/tmp/$1.XXXXXX") || return 1
	SHOTS=$BUILD/test-logs
	mkdir -p "$SHOTS"
	tool_locales || return 1
	tool_catalogue "$BUILD" "$WORK" || return 1
	export AKIS_LOCALEDIR=$BUILD/locale
	unset LANGUAGE LC_ALL
	tool_bench_lock
}

XPID=
mon_xvfb_start() {
	for D in $(seq "$1" "$2"); do [ -e /tmp/.X11-unix/X$D ] || [ -e /tmp/.X$D-lock ] || break; done
	Xvfb ":$D" -screen 0 1024x1000x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 9>&- &
	XPID=$!
	for ((i = 0; i < 50; i++)); do [ -e /tmp/.X11-unix/X$D ] && break; sleep 0.1; done
	export DISPLAY=:$D
}

mon_cleanup() {
	stop_monitor
	[ -n "$XPID" ] && kill "$XPID" 2>/dev/null && wait "$XPID" 2>/dev/null
	tool_bench_down
	rm -rf "$WORK"
}

status_check() {
	local doc
	doc=$(setsid -w timeout 60 "$TOOL" --reader "$AKIS_READER_1" status --json 2>/dev/null </dev/null)
	if /usr/bin/python3 -c '
import json, sys
c = json.loads(sys.argv[1])["readers"][0]["card"]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$doc" "$2"; then t_pass "$1"; else
		t_fail "$1: $2"; sed 's/^/#   /' <<<"$doc" | head -30
	fi
}
