#!/usr/bin/env bash
# akis-tool through the real bench (pcscd + vpcd + akis-vcard), for each
# profile: status on a fresh card (text and --json), wrong PINs down to
# blocked with the tries shown after each, unblock with the PUK (refused
# without confirmation), change PIN, change PUK, malformed PINs cost no
# try, --pin-stdin, PUK exhausted → the card is dead; then a card with an
# expired and a new certificate in English and Turkish.
#   tests/integration/tool_pin_life.sh [BUILD_DIR]
# TOOL_PROFILES / TOOL_EXPIRED_PROFILES narrow the profiles (space-separated;
# " " = none).
# Runs under flock /tmp/akis-bench.lock; the bench is always brought down.
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-${AKIS_BUILD:-build}}
. tests/integration/tool_lib.bash
[ -x "$BUILD/akis-tool" ] || { echo "no $BUILD/akis-tool"; exit 1; }
WORK=$(mktemp -d /tmp/akis-tool-it.XXXXXX)
tool_locales || exit 1
tool_catalogue "$BUILD" "$WORK" || exit 1
export LANG=en_US.UTF-8 LC_ALL=
unset LANGUAGE
tool_bench_lock
trap 'tool_bench_down; rm -rf "$WORK"' EXIT

TOOL=$(cd "$BUILD" && pwd)/akis-tool
OUT= RC=
# run ARGS...: the tool on our reader, without a terminal (setsid), stdout
# and stderr together in $OUT, exit status in $RC.
run() {
	OUT=$(setsid -w timeout 120 "$TOOL" --reader "$AKIS_READER_1" "$@" </dev/null 2>&1)
	RC=$?
}

json_check() { # json_check NAME PYTHON-EXPR (d = the document, c = the card)
	local doc
	doc=$(setsid -w timeout 120 "$TOOL" --reader "$AKIS_READER_1" status --json 2>/dev/null </dev/null)
	if python3 -c '
import json, sys
d = json.loads(sys.argv[1])
c = d["readers"][0]["card"]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$doc" "$2"; then t_pass "$1"; else
		t_fail "$1: $2"; sed 's/^/#   /' <<<"$doc" | head -60
	fi
}

fresh_card_checks() {
	local p=$1
	run status
	t_expect "$p: status" 0 "$RC"
	t_has "$p: PIN tries shown" "$OUT" '^  PIN: 3 tries left'
	t_has "$p: PUK tries shown" "$OUT" '^  PUK: 3 tries left'
	t_has "$p: life cycle" "$OUT" 'Life cycle: usable \(A5\)'
	t_has "$p: version from ATR" "$OUT" "Card: AKİS [0-9.]+ \\($p"
	t_has "$p: NES certificate" "$OUT" 'qualified electronic signature \(NES\)'
	t_has "$p: holder" "$OUT" 'Holder: .+'
	t_has "$p: TCKN" "$OUT" 'Subject serial number: [0-9]{11}'
	t_has "$p: issuer" "$OUT" 'Issuer: .+'
	t_hasnt "$p: no warnings on a fresh card" "$OUT" 'Warnings:'
	[ "$p" = akis-2 ] && t_has "$p: authentication certificate" "$OUT" 'authentication'
	json_check "$p: json schema and counters" \
		'd["schema"] == 2 and d["error"] is None and c["akis"] and c["profile"] == "'"$p"'" and c["pin"]["tries_left"] == 3 and c["puk"]["tries_left"] == 3 and not c["pin"]["blocked"] and c["life_cycle"] == "usable" and c["warnings"] == []'
	json_check "$p: json certificates" \
		'any(x["qualified"] and "qualified_signature" in x["purposes"] and "nonRepudiation" in x["key_usage"] and x["qc_statements"] and len(x["subject_serial_number"]) == 11 and x["holder"] and x["not_before"].endswith("Z") and x["validity"] == "valid" for x in c["certificates"])'
}

wrong_pin_to_blocked() {
	local p=$1
	run change-pin --pin 99999 --new-pin 54321
	t_expect "$p: wrong PIN 1" 3 "$RC"
	t_has "$p: tries left 2 after one wrong PIN" "$OUT" 'Wrong PIN\. Tries left: 2\.'
	run status
	t_has "$p: status shows 2 tries" "$OUT" '^  PIN: 2 tries left'
	t_has "$p: low tries warning" "$OUT" 'Only 2 PIN tries left'
	run change-pin --pin 99999 --new-pin 54321
	t_expect "$p: wrong PIN 2" 3 "$RC"
	t_has "$p: tries left 1" "$OUT" 'Tries left: 1\.'
	json_check "$p: json tries 1" 'c["pin"]["tries_left"] == 1 and any(w["code"] == "pin_tries_low" and w["tries_left"] == 1 for w in c["warnings"])'
	run change-pin --pin 99999 --new-pin 54321
	t_expect "$p: wrong PIN 3 blocks" 4 "$RC"
	t_has "$p: blocked message: unblock here with the PUK (R50)" "$OUT" 'The PIN is blocked\. If you have your PUK, unblock the PIN here \(akis-tool unblock\): 3 PUK tries left\..*unusable for good'
	t_has "$p: blocked message: without the PUK, ask the issuer (not Kamu SM)" "$OUT" 'Without the PUK, ask the provider that issued your certificate \(TEST NES'
	run status
	t_has "$p: status PIN blocked" "$OUT" '^  PIN: BLOCKED'
	t_has "$p: status unblock advice" "$OUT" '! The PIN is blocked\. If you have your PUK, unblock the PIN here \(akis-tool unblock\): 3 PUK tries left.*Without the PUK'
	t_hasnt "$p: never only 'use your PUK'" "$OUT" 'Unblock it with your PUK'
	json_check "$p: json blocked" 'c["pin"]["blocked"] and c["pin"]["tries_left"] == 0 and any(w["code"] == "pin_blocked" for w in c["warnings"])'
	json_check "$p: json blocked-PIN advice" 'any(w["code"] == "pin_blocked" and w["advice"] == {"puk_unblock": True, "puk_tries_left": 3, "online_unblock": "no", "issuer_kamusm": False, "issuer": w["advice"]["issuer"], "card_version": c["version"]} and w["advice"]["issuer"].startswith("TEST NES") for w in c["warnings"])'
	OUT=$(LANG=tr_TR.UTF-8 setsid -w timeout 120 "$TOOL" --reader "$AKIS_READER_1" status 2>&1 </dev/null)
	t_has "$p: Turkish blocked-PIN advice" "$OUT" "PIN bloke oldu\. PUK'unuz varsa PIN blokesini burada kaldırın \(akis-tool unblock\): 3 PUK deneme hakkı"
	run change-pin --pin 12345 --new-pin 54321
	t_expect "$p: change-pin refused on a blocked PIN" 4 "$RC"
}

unblock_checks() {
	local p=$1
	run unblock --puk 123456 --new-pin 24680
	t_expect "$p: unblock without confirmation and terminal refused" 1 "$RC"
	t_has "$p: PUK tries shown before asking" "$OUT" 'PUK tries left: 3'
	t_has "$p: wrong PUK warning" "$OUT" 'wrong PUK uses up a try.*must be replaced'
	json_check "$p: nothing sent (PUK still 3)" 'c["puk"]["tries_left"] == 3 and c["pin"]["blocked"]'
	run unblock --yes --puk 000000 --new-pin 24680
	t_expect "$p: unblock with a wrong PUK" 3 "$RC"
	t_has "$p: PUK tries after a wrong PUK" "$OUT" 'Wrong PUK\. Tries left: 2\.'
	run status
	t_has "$p: status PUK 2 tries" "$OUT" '^  PUK: 2 tries left'
	t_has "$p: PUK low warning" "$OUT" 'Only 2 PUK tries left: when the PUK is blocked the card must be replaced'
	run unblock --yes --puk 123456 --new-pin 24680
	t_expect "$p: unblock" 0 "$RC"
	t_has "$p: unblock shows PUK tries first" "$OUT" 'PUK tries left: 2'
	t_has "$p: unblocked" "$OUT" 'The PIN is unblocked'
	json_check "$p: PIN usable again" 'c["pin"]["tries_left"] == 3 and not c["pin"]["blocked"] and c["puk"]["tries_left"] == 3'
}

change_checks() {
	local p=$1
	run change-pin --pin 24680 --new-pin 13579
	t_expect "$p: change-pin" 0 "$RC"
	t_has "$p: changed" "$OUT" 'The PIN was changed\.'
	run change-pin --pin 24680 --new-pin 11111
	t_expect "$p: the old PIN is gone" 3 "$RC"
	run change-pin --pin 12 --new-pin 12345
	t_expect "$p: malformed PIN refused on the host" 1 "$RC"
	t_has "$p: PIN length rule" "$OUT" 'The PIN must be [0-9]+ to [0-9]+ digits long'
	run change-pin --pin 13579 --new-pin 12ab5
	t_expect "$p: non-digit new PIN refused" 1 "$RC"
	json_check "$p: malformed PINs cost no try" 'c["pin"]["tries_left"] == 2'
	OUT=$(printf '13579\n12345\n' | setsid -w timeout 120 "$TOOL" --reader "$AKIS_READER_1" change-pin --pin-stdin 2>&1)
	RC=$?
	t_expect "$p: change-pin --pin-stdin" 0 "$RC"
	json_check "$p: counter back to 3 after a good PIN" 'c["pin"]["tries_left"] == 3'
	run change-puk --puk 123456 --new-puk 654321
	t_expect "$p: change-puk" 0 "$RC"
	t_has "$p: PUK changed" "$OUT" 'The PUK was changed\.'
	run change-puk --puk 123456 --new-puk 111111
	t_expect "$p: the old PUK is gone" 3 "$RC"
	t_has "$p: PUK tries" "$OUT" 'Wrong PUK\. Tries left: 2\.'
	run change-puk --puk 654321 --new-puk 123456
	t_expect "$p: change-puk back" 0 "$RC"
}

puk_exhausted() {
	local p=$1
	run unblock --yes --puk 000000 --new-pin 24680
	t_expect "$p: wrong PUK 1" 3 "$RC"
	run unblock --yes --puk 000000 --new-pin 24680
	t_expect "$p: wrong PUK 2" 3 "$RC"
	t_has "$p: last PUK try" "$OUT" 'Tries left: 1\.'
	run unblock --yes --puk 000000 --new-pin 24680
	t_expect "$p: wrong PUK 3: card dead" 5 "$RC"
	t_has "$p: dead message" "$OUT" 'must be replaced'
	run status
	t_expect "$p: status of a dead card" 0 "$RC"
	t_has "$p: status says replace the card" "$OUT" '! The (card is dead|PUK is blocked).*must be replaced'
	json_check "$p: json dead" '(c["life_cycle"] == "dead" and any(w["code"] == "card_dead" for w in c["warnings"])) or (c["puk"]["blocked"] and any(w["code"] == "puk_blocked" for w in c["warnings"]))'
	run change-pin --pin 12345 --new-pin 54321
	t_expect "$p: change-pin on a dead card" 5 "$RC"
	run unblock --yes --puk 123456 --new-pin 54321
	t_expect "$p: unblock on a dead card" 5 "$RC"
	OUT=$(LANG=tr_TR.UTF-8 setsid -w timeout 120 "$TOOL" --reader "$AKIS_READER_1" status 2>&1 </dev/null)
	t_has "$p: Turkish: card must be replaced" "$OUT" 'değiştirilmelidir'
}

for p in ${TOOL_PROFILES:-akis-1.0 akis-1.2 akis-2}; do
	echo "== $p"
	if ! tool_bench_up "$BUILD" --profile "$p" >"$WORK/up.log" 2>&1; then
		t_fail "$p: bench up"; sed 's/^/#   /' "$WORK/up.log"; continue
	fi
	fresh_card_checks "$p"
	wrong_pin_to_blocked "$p"
	unblock_checks "$p"
	change_checks "$p"
	puk_exhausted "$p"
	tool_bench_down
done

for p in ${TOOL_EXPIRED_PROFILES:-akis-1.2 akis-2}; do
	echo "== $p --with-expired-cert"
	if ! tool_bench_up "$BUILD" --profile "$p" --with-expired-cert >"$WORK/up.log" 2>&1; then
		t_fail "$p: bench up"; sed 's/^/#   /' "$WORK/up.log"; continue
	fi
	run status
	t_expect "$p: status with an expired certificate" 0 "$RC"
	t_has "$p: expired shown" "$OUT" '\(EXPIRED\)'
	t_has "$p: expired warning with date" "$OUT" '! Certificate [0-9]+ expired on [0-9]{4}-[0-9]{2}-[0-9]{2}'
	t_has "$p: the new certificate is valid" "$OUT" 'qualified electronic signature \(NES\)'
	[ "$(grep -c 'qualified electronic signature' <<<"$OUT")" = 2 ] &&
		t_pass "$p: both NES certificates listed" || t_fail "$p: both NES certificates listed"
	OUT=$(LANG=tr_TR.UTF-8 setsid -w timeout 120 "$TOOL" --reader "$AKIS_READER_1" status 2>&1 </dev/null)
	t_has "$p: Turkish headings" "$OUT" 'Yaşam döngüsü: kullanımda \(A5\)'
	t_has "$p: Turkish counters" "$OUT" 'PIN: 3 deneme hakkı kaldı'
	t_has "$p: Turkish purpose" "$OUT" 'nitelikli elektronik imza \(NES\)'
	t_has "$p: Turkish expired" "$OUT" 'SÜRESİ DOLMUŞ'
	t_has "$p: Turkish warning" "$OUT" 'numaralı sertifikanın süresi .* tarihinde doldu'
	json_check "$p: json expired warning" 'any(w["code"] == "cert_expired" and w["date"].endswith("Z") for w in c["warnings"]) and sum(x["validity"] == "expired" for x in c["certificates"]) == 1'
	OUT=$(LANG=tr_TR.UTF-8 setsid -w timeout 120 "$TOOL" --reader "$AKIS_READER_1" status --json 2>&1 </dev/null)
	t_has "$p: JSON codes stay English, messages follow the locale" "$OUT" '"code": "cert_expired"'
	t_has "$p: JSON Turkish message" "$OUT" 'numaralı sertifikanın süresi'
	tool_bench_down
done

t_summary
