#!/usr/bin/env bash
# akis-tool setup (issue 11) against the profiles the real Firefox ESR,
# Thunderbird and Chromium packages create: the module registered in each
# NSS database (NSS itself, modutil and certutil, then lists the module and
# the card's certificates), idempotent (a second run changes no byte), a
# running program's profile left alone, never twice, --remove restoring
# every file byte for byte; --system writes the Firefox policy only when
# there is none, else prints the change.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/tool_lib.bash
. tests/integration/browser_lib.bash
BUILD=${AKIS_BUILD:-build}
TOOL=$(cd "$BUILD" && pwd)/akis-tool
MOD=$(cd "$BUILD" && pwd)/akis-pkcs11.so
W=$(mktemp -d /tmp/akis-setup.XXXXXX)
H=$W/home
mkdir -p "$H"
cleanup() { tool_bench_down; rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
setup() { HOME=$H LC_ALL=en_US.UTF-8 "$TOOL" setup "$@" 2>&1; }

browser_profiles "$H"
[ -n "$BROWSERS_MADE" ] || { t_fail "at least one real browser made its profile"; t_summary; exit 1; }
(cd "$H" && find . -type f -name pkcs11.txt -exec md5sum {} + | sort) >"$W/before"

out=$(setup --module "$MOD")
t_expect "setup" 0 $?
dbs=$(awk -F'\t' '$1=="nssdb"{print $2}' "$H/.local/state/akis-tool/setup.state")
for b in $BROWSERS_MADE; do
	case $b in
	firefox) pat="Firefox profile .*: registered" ;;
	thunderbird) pat="Thunderbird profile .*: registered" ;;
	chromium) pat="Chromium/Chrome profile nssdb: registered" ;;
	esac
	t_has "$b: registered" "$out" "$pat"
done
for d in $dbs; do
	t_has "NSS lists the module in $d" "$(modutil -dbdir "sql:$d" -list 2>&1)" "library name: $MOD"
done
t_has "Java: SunPKCS11 file" "$(cat "$H/.config/akis-pkcs11/java-sunpkcs11.cfg")" "^library = $MOD$"

snap=$(cd "$H" && find . -type f -name pkcs11.txt -exec md5sum {} + | sort)
out=$(setup --module "$MOD")
t_expect "setup again" 0 $?
t_has "setup again: already registered" "$out" "already registered"
t_eq_files=$(cd "$H" && find . -type f -name pkcs11.txt -exec md5sum {} + | sort)
if [ "$snap" = "$t_eq_files" ]; then t_pass "setup again changes no byte (never twice)"; else t_fail "setup again changed a database"; fi
t_has "each database loads the module once" "$(for d in $dbs; do grep -c "^library=$MOD$" "$d/pkcs11.txt"; done | sort -u)" "^1$"
# NSS rewrites pkcs11.txt when another module is added or deleted (modutil,
# a browser's "Load"/"Unload"): the entry setup wrote survives both (on a
# copy of the first database)
other=$(find /usr/lib -name libsofthsm2.so 2>/dev/null | head -1)
if [ -n "$other" ]; then
	cp -r "$(head -1 <<<"$dbs")" "$W/copydb"
	modutil -force -dbdir "sql:$W/copydb" -add other-module -libfile "$other" >/dev/null 2>&1
	t_has "another module added by modutil: ours still there" "$(grep -E '^(library|name)=' "$W/copydb/pkcs11.txt")" "library=$MOD"
	modutil -force -dbdir "sql:$W/copydb" -delete other-module >/dev/null 2>&1
	t_has "that module deleted by modutil: ours still there" "$(grep -E '^(library|name)=' "$W/copydb/pkcs11.txt")" "library=$MOD"
else
	echo "# no libsofthsm2.so: the NSS rewrite of pkcs11.txt not tested"
fi

# an entry written without its empty line (an earlier setup did so, or a
# hand edit): setup again repairs it, and NSS's next rewrite keeps it
d1=$(head -1 <<<"$dbs")
printf '%s\n' "$(cat "$d1/pkcs11.txt")" >"$W/p11.txt" && cat "$W/p11.txt" >"$d1/pkcs11.txt"
tail2() { tail -c 2 "$1" | od -An -tx1 | tr -d ' '; }
t_hasnt "the entry made to end the file without an empty line" "$(tail2 "$d1/pkcs11.txt")" "^0a0a$"
out=$(setup --module "$MOD")
t_has "setup again: the entry repaired" "$out" "now ends with an empty line"
t_has "pkcs11.txt ends with an empty line again" "$(tail2 "$d1/pkcs11.txt")" "^0a0a$"
t_has "repaired, still loaded once" "$(grep -c "^library=$MOD$" "$d1/pkcs11.txt")" "^1$"
if [ -n "$other" ]; then
	modutil -force -dbdir "sql:$d1" -add other-module -libfile "$other" >/dev/null 2>&1
	modutil -force -dbdir "sql:$d1" -delete other-module >/dev/null 2>&1
	t_has "repaired entry: survives NSS's rewrite" "$(grep -E '^library=' "$d1/pkcs11.txt")" "library=$MOD"
fi
out=$(setup --module "$MOD")
t_hasnt "setup once more: nothing to repair" "$out" "empty line"

# the card's certificates through a registered database, as the browser's NSS sees them
tool_bench_lock
tool_bench_up "$BUILD" --profile akis-1.2 >/dev/null || { t_fail "bench up"; t_summary; exit 1; }
d1=$(head -1 <<<"$dbs")
t_has "certutil through the registered database lists the card's certificates" \
	"$(certutil -d "sql:$d1" -L -h all 2>&1)" "AKIS_.*:"
tool_bench_down

# a running program's profile is not touched
ff=$(find "$H" -name pkcs11.txt -path '*firefox*' | head -1)
if [ -n "$ff" ]; then
	fd=$(dirname "$ff")
	HOME=$H "$TOOL" setup --remove >/dev/null 2>&1
	cp "$ff" "$W/ff.keep"
	ln -sf "127.0.0.1:+$$" "$fd/lock"
	out=$(setup --module "$MOD")
	t_expect "Firefox running: setup says so" 6 $?
	t_has "Firefox running: close it first" "$out" "Firefox is running with profile .*: close it"
	if cmp -s "$W/ff.keep" "$ff"; then t_pass "Firefox running: its database untouched"; else t_fail "Firefox running: database changed"; fi
	rm -f "$fd/lock"
fi

out=$(HOME=$H "$TOOL" setup --remove 2>&1)
t_expect "setup --remove" 0 $?
after=$(cd "$H" && find . -type f -name pkcs11.txt -exec md5sum {} + | sort)
if [ "$(cat "$W/before")" = "$after" ]; then t_pass "setup --remove: every database byte for byte as before"; else
	t_fail "setup --remove: databases differ"; diff <(cat "$W/before") <(echo "$after") | sed 's/^/#   /'; fi
t_hasnt "setup --remove: no Java file" "$(ls "$H/.config/akis-pkcs11" 2>&1)" "java-sunpkcs11.cfg"
t_hasnt "setup --remove: no state left" "$(ls "$H/.local/state" 2>&1)" "akis-tool"

# --system: the Firefox policy (a path of this test's own, not /etc)
if [ "$(id -u)" = 0 ]; then
	export AKIS_FIREFOX_POLICIES=$W/policies/policies.json
	out=$("$TOOL" setup --system --module "$MOD" 2>&1)
	t_expect "setup --system" 0 $?
	t_has "--system: the policy names the module" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["policies"]["SecurityDevices"]["Add"]["AKIS"])' "$AKIS_FIREFOX_POLICIES")" "^$MOD$"
	cp "$AKIS_FIREFOX_POLICIES" "$W/pol.keep"
	"$TOOL" setup --system --remove >/dev/null 2>&1
	echo '{ "policies": { "DisableTelemetry": true } }' >"$AKIS_FIREFOX_POLICIES"
	cp "$AKIS_FIREFOX_POLICIES" "$W/pol.other"
	out=$("$TOOL" setup --system --module "$MOD" 2>&1)
	t_has "--system over an existing policy: prints the change" "$out" "\"SecurityDevices\": \{ \"Add\": \{ \"AKIS\": \"$MOD\" \} \}"
	if cmp -s "$W/pol.other" "$AKIS_FIREFOX_POLICIES"; then t_pass "--system: an existing policy is left as it is"; else t_fail "--system changed an existing policy"; fi
	rm -f /var/lib/akis-tool/setup.state; rmdir /var/lib/akis-tool 2>/dev/null
else
	echo "# not root: setup --system not tested"
fi
t_summary
