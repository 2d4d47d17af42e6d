#!/usr/bin/env bash
# APDU-count baseline (issue 3): command APDUs in the virtual card's log
# ("C " lines) for, per profile (akis-1.2, akis-2):
#   (a) module load + the first `pkcs11-tool -O` on a freshly inserted card,
#       on-disk cache empty (XDG_CACHE_HOME a fresh directory)
#   (b) the same again in a second process (cache warm; R44: fewer)
#   (c) one C_Sign after login (RSA, and EC where the card has an EC key):
#       the APDUs of the C_Sign call alone (tests/bench/p11op)
#   (d) a second process `pkcs11-tool --login --sign` with each key and
#       mechanism (cache warm), against the floor of the card contract
# The cache lives in $XDG_CACHE_HOME/akis-pkcs11 (pkcs11/config.c, on by
# default). Rows (a2)/(b2) repeat (a)/(b) with that directory created
# beforehand, so that a module which does not create it shows up here.
#   tests/bench/apdu-counts.sh [BUILD_DIR]        (default: build)
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
BUILD_DIR=${1:-build}
B=$TOP/$BUILD_DIR
M=$B/akis-pkcs11.so
export BUILD=$BUILD_DIR AKIS_VCARD=$B/akis-vcard AKIS_CONF=/dev/null
[[ -f $M && -x $AKIS_VCARD ]] || { echo "apdu-counts: need $M and $AKIS_VCARD (make BUILD=$BUILD_DIR)" >&2; exit 1; }
tests/bench/build.sh "$BUILD_DIR" || exit 1
P11OP=$B/bench/p11op
. tests/integration/lib.sh

WORK=$(mktemp -d /tmp/akis-apdu-counts.XXXXXX)
trap 'bench_down; rm -rf "$WORK"' EXIT
ROWS=()
BUDGET=()
# Budgets (issue 14). The cold floor from the card contract (docs/card.md
# §2-§3): GET DATA of the serial, SELECT + ceil(size/244) READ BINARY per
# file the bind needs (EF.DIR, ODF, TokenInfo, AODF, PrKDF, PuKDF, CDF and
# each certificate, at the virtual card's sizes), the two PIN states (the
# PUK's tries prove the application alive: no life cycle).
declare -A FLOOR_COLD=([akis-1.0]=24 [akis-1.2]=30 [akis-2]=28)
# second process: CDF 2 + 2 per certificate + PIN states 2 (the reader's
# last card: no GET DATA of the serial while its certificates prove it)
declare -A WARM_MAX=([akis-1.0]=6 [akis-1.2]=8 [akis-2]=8)
declare -A WARM_BYTES_MAX=([akis-1.0]=800 [akis-1.2]=1200 [akis-2]=1200)

# command APDUs in the card's log (lib.sh's log_count prints "0" twice when
# there are none: grep -c exits 1 after printing 0)
c_lines() { local n; n=$(grep -c '^C ' "$1" 2>/dev/null); echo "${n:-0}"; }

# count_during CMD...: command APDUs the card saw while CMD ran; their
# bytes (command + response) into $WORK/bytes
count_during() {
	local before after
	before=$(wc -l <"$AKIS_CARD_LOG_1")
	"$@" >"$WORK/out" 2>&1 || {
		echo "apdu-counts: '$*' failed: $(tail -2 "$WORK/out")" >&2
		echo "'$*' failed" >>"$WORK/broken"
	}
	tail -n +$((before + 1)) "$AKIS_CARD_LOG_1" | awk '/^C /{c++; h=$2; sub(/<.*/, "", h); b+=length(h)/2}
		/^R /{b+=length($2)/2} END{print b+0 >"'"$WORK/bytes"'"; print c+0}'
}

pkcs11_tool_O() { timeout 120 pkcs11-tool --module "$M" -O; }

# field NAME LINE: the value of NAME=... in a p11op output line
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

sign_apdus() { # PROFILE KIND: C_Sign APDUs after login
	local line
	line=$(timeout 120 "$P11OP" -m "$M" -l "$AKIS_CARD_LOG_1" bind login "sign-$2" 2>&1 | grep "^op=sign-$2")
	if [[ $(field rv "$line") != 0x0 || ! $(field apdus "$line") =~ ^[1-9] ]]; then
		echo "$1 C_Sign $2: rv $(field rv "$line"), $(field apdus "$line") APDUs" >>"$WORK/broken"
		echo "error($(field rv "$line"))"
		return
	fi
	echo "$(field apdus "$line") (SignInit $(field init_apdus "$line"), context login $(field ctx_apdus "$line"))"
}

# Second process `pkcs11-tool --login --sign` per key and mechanism, with
# the floor from the card contract (docs/card.md §2-§3, docs/design.md
# "The signature without a SELECT"): the warm bind, SELECT + VERIFY for the
# login, SELECT + VERIFY for a context login (a key with a PIN per
# signature), MSE + PSO (+1 when a 256-byte block is chained in: raw RSA
# for PSS; +1 GET RESPONSE for a 256-byte RSA answer), SELECT + LOGOUT.
login_sign_rows() {
	local prof=$1 t label id always mechs m n floor
	timeout 60 pkcs11-tool --module "$M" --login --pin 12345 -O --type privkey 2>/dev/null |
		awk '/^Private Key Object/{t=($4=="EC")?"EC":"RSA"; a=0}
		     /label:/{sub(/.*label: */,""); l=$0}
		     /ID:/{id=$2}
		     /Access:/{a=($0 ~ /always authenticate/)?1:0; print t"|"l"|"id"|"a}' >"$WORK/keys"
	echo data >"$WORK/data"
	while IFS='|' read -r t label id always; do
		if [[ $t == EC ]]; then mechs="ECDSA-SHA384"; else mechs="SHA256-RSA-PKCS SHA256-RSA-PKCS-PSS"; fi
		for m in $mechs; do
			n=$(count_during timeout 60 pkcs11-tool --module "$M" --login --pin 12345 --sign \
				--id "$id" -m "$m" -i "$WORK/data" -o "$WORK/sig")
			floor=$((${WARM_MAX[$prof]} + 2 + 2 * always + 2 + 2))
			[[ $t == RSA ]] && floor=$((floor + 1))
			[[ $m == *PSS ]] && floor=$((floor + 1))
			BUDGET+=("$prof|2nd login+sign ${label// /_} $m|$n|$(cat "$WORK/bytes")|$floor|-")
		done
		# R46 (pin_per_signature = login, the Java programs' mode): no
		# context login, and the login's VERIFY covers the first signature
		# (docs/card.md §3): the warm bind, SELECT + VERIFY, MSE + PSO,
		# SELECT + LOGOUT
		if ((always)); then
			m=${mechs%% *}
			n=$(count_during env AKIS_PIN_PER_SIGNATURE=login timeout 60 pkcs11-tool --module "$M" \
				--login --pin 12345 --sign --id "$id" -m "$m" -i "$WORK/data" -o "$WORK/sig")
			floor=$((${WARM_MAX[$prof]} + 2 + 2 + 2))
			[[ $t == RSA ]] && floor=$((floor + 1))
			BUDGET+=("$prof|2nd login+sign ${label// /_} $m, R46 login mode|$n|$(cat "$WORK/bytes")|$floor|-")
		fi
	done <"$WORK/keys"
}

profile_rows() {
	local prof=$1 a b a2 b2 rsa ec
	bench_up --profile "$prof" >/dev/null || { echo "apdu-counts: bench_up failed" >&2; exit 1; }
	export XDG_CACHE_HOME=$WORK/cache-$prof
	mkdir -p "$XDG_CACHE_HOME"
	a=$(count_during pkcs11_tool_O)
	ab=$(cat "$WORK/bytes")
	b=$(count_during pkcs11_tool_O)
	bb=$(cat "$WORK/bytes")
	BUDGET+=("$prof|cold -O|$a|$ab|$(( ${FLOOR_COLD[$prof]} + 2 ))|-")
	BUDGET+=("$prof|2nd -O|$b|$bb|${WARM_MAX[$prof]}|${WARM_BYTES_MAX[$prof]}")
	login_sign_rows "$prof"
	export XDG_CACHE_HOME=$WORK/cache2-$prof
	mkdir -p "$XDG_CACHE_HOME/akis-pkcs11"
	tests/vcardctl remove 1 >/dev/null && tests/vcardctl insert 1 >/dev/null
	a2=$(count_during pkcs11_tool_O)
	b2=$(count_during pkcs11_tool_O)
	rsa=$(sign_apdus "$prof" rsa)
	ec=n/a
	[[ $prof == akis-2 ]] && ec=$(sign_apdus "$prof" ec)
	ROWS+=("$prof|$a|$b|$a2|$b2|$rsa|$ec")
	bench_down
}

profile_rows akis-1.0
profile_rows akis-1.2
profile_rows akis-2

printf '\nCommand APDUs (card log "C " lines)\n'
printf '%-9s | %-8s | %-8s | %-8s | %-8s | %-34s | %s\n' profile "(a) -O" "(b) -O" "(a2) -O" "(b2) -O" "(c) C_Sign RSA" "(c) C_Sign EC"
printf '%-9s | %-8s | %-8s | %-8s | %-8s | %-34s | %s\n' "" cold "2nd proc" "cold,dir" "2nd,dir" "" ""
for r in "${ROWS[@]}"; do
	IFS='|' read -r prof a b a2 b2 rsa ec <<<"$r"
	printf '%-9s | %-8s | %-8s | %-8s | %-8s | %-34s | %s\n' "$prof" "$a" "$b" "$a2" "$b2" "$rsa" "$ec"
done
echo
echo "(a)/(b): XDG_CACHE_HOME empty; (a2)/(b2): XDG_CACHE_HOME/akis-pkcs11 created beforehand."
for r in "${ROWS[@]}"; do
	IFS='|' read -r prof a b a2 b2 _ <<<"$r"
	if (( b < a )); then echo "R44 $prof: warm cache fewer APDUs ($a -> $b)"
	else echo "R44 $prof: NOT fewer with an empty XDG_CACHE_HOME ($a -> $b)"; echo "R44 $prof" >>"$WORK/broken"; fi
	if (( b2 < a2 )); then echo "R44 $prof: with the directory present, fewer ($a2 -> $b2)"
	else echo "R44 $prof: NOT fewer even with the directory present ($a2 -> $b2)"; echo "R44 $prof (dir)" >>"$WORK/broken"; fi
done

printf '\nBudgets: APDUs and bytes (command + response) against the budget\n'
printf '(cold -O: the floor + 2; login+sign: the floor, docs/design.md "The signature without a SELECT")\n'
printf '%-9s | %-54s | %6s | %6s | %10s | %s\n' profile op apdus bytes "max apdus" "max bytes"
over=0
for r in "${BUDGET[@]}"; do
	IFS='|' read -r prof op n by maxn maxb <<<"$r"
	flag=
	if (( n > maxn )) || [[ $maxb != - && $by -gt $maxb ]]; then flag="  <-- OVER BUDGET"; over=1; fi
	if (( n == 0 )); then flag="  <-- NOT MEASURED (no APDU)"; echo "$prof $op: no APDU" >>"$WORK/broken"; fi
	printf '%-9s | %-54s | %6s | %6s | %10s | %s%s\n' "$prof" "$op" "$n" "$by" "$maxn" "$maxb" "$flag"
done
if [[ -s $WORK/broken ]]; then
	sed 's/^/apdu-counts: A MEASUREMENT FAILED: /' "$WORK/broken" >&2
	exit 1
fi
if (( over )); then echo "apdu-counts: A FIGURE IS OVER ITS BUDGET" >&2; exit 1; fi
