#!/usr/bin/env bash
# akis-tool watch through the real bench: the initial state, removal and
# insertion reported live (JSON Lines and text, with the holder and the
# certificates on insertion), and a clean end on SIGINT / SIGTERM.
#   tests/integration/tool_watch.sh [BUILD_DIR]
# Runs under flock /tmp/akis-bench.lock; the bench is always brought down.
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-${AKIS_BUILD:-build}}
. tests/integration/tool_lib.bash
[ -x "$BUILD/akis-tool" ] || { echo "no $BUILD/akis-tool"; exit 1; }
WORK=$(mktemp -d /tmp/akis-tool-watch.XXXXXX)
tool_locales || exit 1
tool_catalogue "$BUILD" "$WORK" || exit 1
export LANG=en_US.UTF-8
tool_bench_lock
WPID=
trap '[ -n "$WPID" ] && kill "$WPID" 2>/dev/null; tool_bench_down; rm -rf "$WORK"' EXIT
TOOL=$(cd "$BUILD" && pwd)/akis-tool

tool_bench_up "$BUILD" --profile akis-2 >"$WORK/up.log" 2>&1 ||
	{ t_fail "bench up"; sed 's/^/#   /' "$WORK/up.log"; t_summary; exit 1; }
R=$AKIS_READER_1

# wait_file FILE PATTERN: until FILE has a line matching (30 s)
wait_file() {
	local i
	for ((i = 0; i < 300; i++)); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# stop_watch SIGNAL NAME: the watcher ends by itself with status 0 within 3 s
stop_watch() {
	local i rc
	kill -"$1" "$WPID"
	for ((i = 0; i < 30; i++)); do kill -0 "$WPID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$WPID" 2>/dev/null; then
		t_fail "$2: still running 3 s after SIG$1"; kill -9 "$WPID"
	fi
	wait "$WPID"; rc=$?
	WPID=
	t_expect "$2: clean end on SIG$1" 0 "$rc"
}

# --- JSON Lines
J=$WORK/watch.jsonl
"$TOOL" --reader "$R" watch --json >"$J" 2>"$WORK/watch.err" &
WPID=$!
wait_file "$J" '"event":"initial"' && t_pass "json: initial state" || t_fail "json: initial state"
tests/vcardctl remove 1 >/dev/null 2>&1
wait_file "$J" '"event":"card_removed"' && t_pass "json: removal reported" || t_fail "json: removal reported"
tests/vcardctl insert 1 >/dev/null 2>&1
wait_file "$J" '"event":"card_inserted"' && t_pass "json: insertion reported" || t_fail "json: insertion reported"
stop_watch INT "json"
if python3 - "$J" <<'EOF'; then t_pass "json: every line parses, insertion carries the card"; else t_fail "json: lines"; sed 's/^/#   /' "$J"; fi
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
names = [e["event"] for e in ev]
assert names[0] == "initial" and ev[0]["card_present"], names
assert names.index("card_removed") < names.index("card_inserted"), names
ins = ev[names.index("card_inserted")]
card = ins["card"]
assert ins["card_present"] and card["akis"] and card["profile"] == "akis-2"
assert any(c["qualified"] and c["holder"] for c in card["certificates"])
rem = ev[names.index("card_removed")]
assert rem["card"] is None and rem["time"].endswith("Z")
EOF

# --- text, ended with SIGTERM
T=$WORK/watch.txt
"$TOOL" --reader "$R" watch >"$T" 2>&1 &
WPID=$!
wait_file "$T" 'Watching for cards' && t_pass "text: started" || t_fail "text: started"
tests/vcardctl remove 1 >/dev/null 2>&1
wait_file "$T" "card removed: $R" && t_pass "text: removal" || t_fail "text: removal"
tests/vcardctl insert 1 >/dev/null 2>&1
wait_file "$T" "card inserted: $R" && t_pass "text: insertion" || t_fail "text: insertion"
wait_file "$T" '^  \[1\] .+ \([0-9]{11}\) - valid until' && t_pass "text: holder and certificates on insertion" ||
	{ t_fail "text: holder and certificates"; sed 's/^/#   /' "$T"; }
stop_watch TERM "text"

# --- Turkish
T=$WORK/watch-tr.txt
LANG=tr_TR.UTF-8 "$TOOL" --reader "$R" watch >"$T" 2>&1 &
WPID=$!
wait_file "$T" 'Kartlar izleniyor' && t_pass "Turkish: started" || t_fail "Turkish: started"
tests/vcardctl remove 1 >/dev/null 2>&1
wait_file "$T" "kart çıkarıldı: $R" && t_pass "Turkish: removal" || { t_fail "Turkish: removal"; sed 's/^/#   /' "$T"; }
stop_watch INT "Turkish"

t_summary
