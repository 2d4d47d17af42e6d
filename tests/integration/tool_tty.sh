#!/usr/bin/env bash
# akis-tool's interactive prompts in a real terminal (tmux): PINs typed at
# the prompts are never echoed, a mismatched second entry changes nothing,
# Ctrl-C at a PIN prompt leaves the terminal with echo on and sends
# nothing, the unblock confirmation follows the locale (y/N, e/H).
#   tests/integration/tool_tty.sh [BUILD_DIR]
# Runs under flock /tmp/akis-bench.lock; the bench is always brought down.
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-${AKIS_BUILD:-build}}
. tests/integration/tool_lib.bash
[ -x "$BUILD/akis-tool" ] || { echo "no $BUILD/akis-tool"; exit 1; }
command -v tmux >/dev/null || { echo "tmux is not installed"; exit 1; }
WORK=$(mktemp -d /tmp/akis-tool-tty.XXXXXX)
tool_locales || exit 1
tool_catalogue "$BUILD" "$WORK" || exit 1
tool_bench_lock
SOCK=akis-tool-tty-$$
tmx() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'tmx kill-server 2>/dev/null; tool_bench_down; rm -rf "$WORK"' EXIT
TOOL=$(cd "$BUILD" && pwd)/akis-tool

tool_bench_up "$BUILD" --profile akis-1.2 >"$WORK/up.log" 2>&1 ||
	{ t_fail "bench up"; sed 's/^/#   /' "$WORK/up.log"; t_summary; exit 1; }
R=$AKIS_READER_1

# A shell in a detached tmux session, with a clean environment.
tmx new-session -d -s t -x 200 -y 60 \
	"env -i PATH=$PATH HOME=$WORK TERM=xterm AKIS_LOCALEDIR=$AKIS_LOCALEDIR PS1='$ ' bash --norc --noprofile"
# Each step types "echo STEP-n; COMMAND": pane shows what came after the
# marker line of the current step only, full_pane everything.
STEP=none
full_pane() { tmx capture-pane -p -t t -S -10000; }
pane() { if [ "$STEP" = none ]; then full_pane; else full_pane | sed -n "/^$STEP\$/,\$p"; fi; }
# step N COMMAND: start a step
step() { STEP="STEP-$1"; type_line "echo $STEP; $2"; }
# wait_for PATTERN: until the pane shows it (20 s)
wait_for() {
	local i
	for ((i = 0; i < 200; i++)); do
		pane | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	echo "# timeout waiting for /$1/; pane:"; pane | sed 's/^/#   /' | tail -20
	return 1
}
type_line() { tmx send-keys -t t -l -- "$1"; tmx send-keys -t t Enter; }
pin_tries() {
	"$TOOL" --reader "$R" status --json 2>/dev/null | python3 -c \
		'import json,sys; print(json.load(sys.stdin)["readers"][0]["card"]["pin"]["tries_left"])'
}
wait_for '^\$' || { t_fail "shell in tmux"; t_summary; exit 1; }

# 1. change-pin typed at the prompts: nothing echoed
step 1 "LANG=en_US.UTF-8 '$TOOL' --reader '$R' change-pin; echo RC=\$?"
wait_for 'Current PIN:$' && type_line 12345
wait_for 'New PIN:$' && type_line 54321
wait_for 'New PIN again:$' && type_line 54321
wait_for 'RC=[0-9]+'
P=$(pane)
t_has "interactive change-pin succeeds" "$P" 'The PIN was changed\.'
t_has "interactive change-pin exit 0" "$P" 'RC=0'
t_hasnt "old PIN not echoed" "$P" '12345'
t_hasnt "new PIN not echoed" "$P" '54321'

# 2. the two new entries differ: nothing changes, nothing echoed
step 2 "LANG=en_US.UTF-8 '$TOOL' --reader '$R' change-pin; echo RC=\$?"
wait_for 'Current PIN:$' && type_line 54321
wait_for 'New PIN:$' && type_line 11111
wait_for 'New PIN again:$' && type_line 22222
wait_for 'RC=[0-9]+'
P=$(pane)
t_has "mismatch refused" "$P" 'the two entries differ; nothing was changed'
t_has "mismatch exit 1" "$P" 'RC=1'
t_hasnt "mismatch entries not echoed" "$P" '54321|11111|22222'
[ "$(pin_tries)" = 3 ] && t_pass "mismatch spent no try" || t_fail "mismatch spent no try"

# 3. Ctrl-C at the prompt: terminal restored (echo on), nothing sent
step 3 "LANG=en_US.UTF-8 '$TOOL' --reader '$R' change-pin; echo RC=\$?"
wait_for 'Current PIN:$' && tmx send-keys -t t -l 999
tmx send-keys -t t C-c
# bash drops the rest of a list whose job died of SIGINT: ask $? anew
sleep 0.5
type_line 'echo RC=$?'
wait_for 'RC=[0-9]+'
P=$(pane)
t_has "Ctrl-C ends the tool with SIGINT" "$P" 'RC=130'
t_hasnt "partial PIN not echoed" "$P" '999'
type_line "stty -a > '$WORK/stty.txt'; echo STTY-DONE"
wait_for '^STTY-DONE'
if grep -qE '(^| )echo( |;|$)' "$WORK/stty.txt" && ! grep -qE '(^| )-echo( |;|$)' "$WORK/stty.txt"; then
	t_pass "terminal echo restored after Ctrl-C"
else
	t_fail "terminal echo restored after Ctrl-C"; sed 's/^/#   /' "$WORK/stty.txt"
fi
t_has "typed command echoed again" "$(pane)" 'stty -a >'
[ "$(pin_tries)" = 3 ] && t_pass "Ctrl-C sent nothing" || t_fail "Ctrl-C sent nothing"

# 4. unblock in Turkish: H cancels, e goes on; PUK and PIN not echoed
step 4 "LANG=tr_TR.UTF-8 '$TOOL' --reader '$R' unblock; echo RC=\$?"
wait_for '\[e/H\]' && type_line H
wait_for 'RC=[0-9]+'
P=$(pane)
t_has "Turkish: PUK tries shown first" "$P" 'PUK için kalan deneme hakkı: 3'
t_has "Turkish: wrong PUK warning" "$P" 'kalıcı olarak kullanılamaz'
t_has "Turkish: H cancels" "$P" 'İptal edildi; karta hiçbir şey gönderilmedi\.'
t_has "cancel exit 7" "$P" 'RC=7'
step 5 "LANG=tr_TR.UTF-8 '$TOOL' --reader '$R' unblock; echo RC=\$?"
wait_for '\[e/H\]' && type_line e
wait_for '^PUK:$' && type_line 123456
wait_for 'Yeni PIN:$' && type_line 13579
wait_for 'Yeni PIN \(tekrar\):$' && type_line 13579
wait_for 'RC=[0-9]+'
P=$(pane)
t_has "Turkish: e confirms, unblocked" "$P" 'PIN blokesi kaldırıldı'
t_has "unblock exit 0" "$P" 'RC=0'
t_hasnt "PUK and new PIN not echoed" "$P" '123456|13579'

# 5. English: n cancels
step 6 "LANG=en_US.UTF-8 '$TOOL' --reader '$R' unblock; echo RC=\$?"
wait_for '\[y/N\]' && type_line n
wait_for 'RC=[0-9]+'
t_has "English: n cancels" "$(pane)" 'Cancelled; nothing was sent to the card\.'

P=$(full_pane)
t_hasnt "no PIN or PUK anywhere in the terminal" "$P" '12345|54321|11111|22222|13579|999'

t_summary
