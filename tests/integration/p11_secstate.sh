#!/usr/bin/env bash
# The card's security state seen from outside (issue 9, R22, R32): after a
# program of ours is done with a PIN, another process on the same machine
# must find no PIN or PUK verified and no key usable.
#
# For every profile, every PIN path (C_Login user / SO / context-specific,
# C_SetPIN of the PIN in a public session and in a user session, of the PUK
# in an SO session, C_InitPIN, signing) and every way a program ends
# (C_Logout, closing the last session, C_Finalize, exit without
# C_Finalize, dlclose without C_Finalize), tests/integration/p11_hold.c
# runs the path, then a raw PC/SC process (tests/vcard/pcsc-apdu, which
# shares nothing with the module) asks the card: VERIFY without data for
# the PIN (81) and the PUK (82) must not answer 9000, and a PSO with each
# key must be refused with 6982.
# Then, with fault injection:
#   - a LOGOUT that the card answers with an error or garbage: the module
#     resets the card instead (and says so in its trace); outside: clean;
#   - a card removed at each PIN-status read of the binding: that call
#     says CKR_DEVICE_REMOVED, the next CKR_TOKEN_NOT_PRESENT or a fresh
#     token (R32), and the next program works;
#   - a command chain (PSO DECIPHER, 2 parts) broken at each part: that
#     C_Decrypt fails, the next one in the same process works;
#   - a process killed while logged in (nothing of it can run): its logout
#     guard (tools/akis-guard) resets the card at once — checked also while
#     another program keeps the card open, so that pcscd never powers it
#     off; see docs/design.md "Logout hygiene".
#   bash tests/integration/p11_secstate.sh
#   AKIS_PROFILES="akis-2" bash tests/integration/p11_secstate.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

BUILD_DIR=${AKIS_BUILD:-$here/../../build}
MOD=$BUILD_DIR/akis-pkcs11.so
export AKIS_VCARD=${AKIS_VCARD:-$BUILD_DIR/akis-vcard}
T=$(mktemp -d /tmp/akis-secstate.XXXXXX)
PROFILES=${AKIS_PROFILES:-"akis-2 akis-1.2 akis-1.0"}
trap 'bench_down; rm -rf "$T"' EXIT

. "$here/secstate_lib.bash"

paths_of() {
	case $1 in
	akis-2) echo "login login-so context sign setpin setpin-user setpin-so initpin" ;;
	*) echo "login login-so sign setpin setpin-user setpin-so initpin" ;;
	esac
}

# ---------------------------------------------------------------- paths × ends
check_paths() { # IDX PROFILE
	local i=$1 prof=$2 reader dir path end out
	reader=$(eval echo "\$AKIS_READER_$i")
	dir=$(eval echo "\$AKIS_CARD_DIR_$i")
	t_clean "$prof: fresh card: nothing verified from outside" "$reader" "$prof"
	for path in $(paths_of "$prof"); do
		for end in logout close finalize exit unload; do
			[[ $path == setpin && $end == logout ]] && continue # no login to log out of
			out=$(hold "$reader" "$path" "$end")
			if [ $? -ne 0 ]; then
				t_fail "$prof: $path then $end: every step CKR_OK" "$(echo "$out" | grep -v ' 0x0$' | tr '\n' ' ')"
				continue
			fi
			t_clean "$prof: $path, then $end: no PIN/PUK verified, every key refused (raw, second process)" \
				"$reader" "$prof"
		done
	done
	# the per-signature PIN compatibility mode (R46) keeps the PIN: after
	# the program, the card is as clean as in the default mode
	for path in login sign context; do
		[[ " $(paths_of "$prof") " == *" $path "* ]] || continue
		for end in close exit; do
			out=$(AKIS_PIN_PER_SIGNATURE=login hold "$reader" "$path" "$end") ||
				{ t_fail "$prof: pin_per_signature = login, $path then $end" "$out"; continue; }
			t_clean "$prof: pin_per_signature = login, $path, then $end: nothing verified (raw)" \
				"$reader" "$prof"
		done
	done
	t_eq "$prof: no try spent by any of it (PIN, PUK)" "3 3" "$(tries "$dir" 81) $(tries "$dir" 82)"
}

# ---------------------------------------------------------------- failed LOGOUT
# The run's LOGOUT is its last 801A0000: find its index in a dry run, then
# answer it with an error, then with garbage.
check_failed_logout() { # IDX PROFILE
	local i=$1 prof=$2 reader dir log n0 k spec out
	reader=$(eval echo "\$AKIS_READER_$i")
	dir=$(eval echo "\$AKIS_CARD_DIR_$i")
	log=$(eval echo "\$AKIS_CARD_LOG_$i")
	for path in login setpin-so; do
		n0=$(grep -c '^C ' "$log")
		hold "$reader" "$path" close >/dev/null
		k=$(grep '^C ' "$log" | tail -n +"$((n0 + 1))" | grep -n '^C 801A0000$' | tail -1 | cut -d: -f1)
		[[ -n $k ]] || { t_fail "$prof: $path: the dry run sent a LOGOUT"; continue; }
		for spec in "sw 6F00" "sw 6985" "garbage 5" "garbage 1"; do
			"$T_VCARDCTL" fault "$i" "$k $spec" >/dev/null
			AKIS_DEBUG=pin AKIS_LOG=$T/trace hold "$reader" "$path" close >"$T/out"
			local rc=$?
			"$T_VCARDCTL" fault "$i" clear >/dev/null
			t_eq "$prof: $path, LOGOUT answered '$spec': the program still ends well" 0 "$rc"
			t_clean "$prof: $path, LOGOUT answered '$spec': the card was reset, nothing verified (raw)" \
				"$reader" "$prof"
			if grep -q 'LOGOUT failed.*reset at the end of this transaction' "$T/trace" &&
				grep -q 'transaction ended with a card reset' "$T/trace"; then
				t_ok "$prof: $path, LOGOUT answered '$spec': the trace says the card is reset"
			else
				t_fail "$prof: $path, LOGOUT answered '$spec': the trace says the card is reset" "$(tail -3 "$T/trace")"
			fi
			rm -f "$T/trace"
			out=$(hold "$reader" sign close)
			t_eq "$prof: $path, LOGOUT answered '$spec': the next program signs" 0 "$?"
		done
	done
}

# ---------------------------------------------------------------- removal at a status read
# The binding's status reads are its VERIFY 81/82 without data (R18).
check_status_removal() { # IDX PROFILE
	local i=$1 prof=$2 reader log n0 ks k out
	reader=$(eval echo "\$AKIS_READER_$i")
	log=$(eval echo "\$AKIS_CARD_LOG_$i")
	n0=$(grep -c '^C ' "$log")
	hold "$reader" bind close >/dev/null
	ks=$(grep '^C ' "$log" | tail -n +"$((n0 + 1))" | grep -n '^C 002000\(81\|82\)$' | cut -d: -f1)
	t_eq "$prof: the binding reads two PIN states" 2 "$(echo "$ks" | grep -c .)"
	for k in $ks; do
		# the cached copy would skip no status read: the dry run was warm too
		"$T_VCARDCTL" fault "$i" "$k drop" >/dev/null
		out=$(hold "$reader" bind close)
		"$T_VCARDCTL" fault "$i" clear >/dev/null
		t_eq "$prof: card removed at status read #$k of the binding: that call says CKR_DEVICE_REMOVED" \
			"tokeninfo 0x32" "$(echo "$out" | grep '^tokeninfo ')"
		case $(echo "$out" | sed -n 's/^tokeninfo-again //p') in
		0xe0 | 0x0) t_ok "$prof: status read #$k cut: the next call says CKR_TOKEN_NOT_PRESENT or binds the card again (R32)" ;;
		*) t_fail "$prof: status read #$k cut: the next call (R32)" "$out" ;;
		esac
		"$T_PCSC_APDU" wait "$reader" present 5 >/dev/null
		sleep 0.5
		out=$(hold "$reader" login close)
		t_eq "$prof: status read #$k cut: the next program logs in" 0 "$?"
	done
}

# ---------------------------------------------------------------- broken chain
check_chain() { # IDX PROFILE
	local i=$1 prof=$2 reader log n0 ks k spec out
	reader=$(eval echo "\$AKIS_READER_$i")
	log=$(eval echo "\$AKIS_CARD_LOG_$i")
	n0=$(grep -c '^C ' "$log")
	out=$(hold "$reader" decrypt close)
	if echo "$out" | grep -q '^findkey '; then
		echo "# skip: $prof: no RSA key that deciphers on this card (its chains are those of akis-1.2)"
		return
	fi
	t_eq "$prof: decrypt twice without a fault" "decrypt1 0x0 decrypt2 0x0 plain 0x0" \
		"$(echo "$out" | grep '^decrypt\|^plain' | tr '\n' ' ' | sed 's/ $//')"
	# the first C_Decrypt's chain: its parts are the first 102A8086 and the 002A8086 after it
	ks=$(grep '^C ' "$log" | tail -n +"$((n0 + 1))" | grep -n '^C [01]02A8086' | head -2 | cut -d: -f1)
	t_eq "$prof: a 2048-bit PSO DECIPHER is a chain of two parts" 2 "$(echo "$ks" | grep -c .)"
	for k in $ks; do
		for spec in "sw 6A80" "sw 6F00"; do
			"$T_VCARDCTL" fault "$i" "$k $spec" >/dev/null
			out=$(hold "$reader" decrypt close)
			"$T_VCARDCTL" fault "$i" clear >/dev/null
			t_eq "$prof: chain part at #$k answered '$spec': that C_Decrypt fails, the next in the same process works" \
				"decrypt1 fail decrypt2 0x0 plain 0x0" \
				"$(echo "$out" | grep '^decrypt\|^plain' | sed 's/^decrypt1 0x[1-9a-f][0-9a-f]*$/decrypt1 fail/' | tr '\n' ' ' | sed 's/ $//')"
		done
	done
}

# ---------------------------------------------------------------- a killed process
# Nothing of the module runs after SIGKILL; pcscd releases the handle with
# SCARD_LEAVE_CARD. The module's logout guard (tools/akis-guard) resets the
# card: nothing verified within 1 s, and — the decisive case — also while
# another program keeps the card open, so that pcscd never powers it off.
# Then how long pcscd takes to power the card off is printed, and the next
# program of ours finds the token usable.
check_killed() { # IDX PROFILE
	local i=$1 prof=$2 reader log pid s
	reader=$(eval echo "\$AKIS_READER_$i")
	log=$(eval echo "\$AKIS_CARD_LOG_$i")
	"$HOLD" "$MOD" "$reader" login kill >"$T/kill.out" 2>&1 &
	pid=$!
	for _ in $(seq 50); do grep -q '^ready' "$T/kill.out" && break; sleep 0.1; done
	local p0 ok
	p0=$(grep -c '^# power: off' "$log")
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	clean_soon "$reader" "$prof" && ok=0 || ok=1
	echo "# $prof: a process killed (SIGKILL) while logged in: soon after, outside sees: $CLEAN_SEEN"
	echo "# $prof: ... pcscd powered the card off meanwhile: $(( $(grep -c '^# power: off' "$log") - p0 )) time(s)"
	t_check "$prof: a process killed while logged in: nothing verified within 1 s (outside: $CLEAN_SEEN)" \
		test "$ok" = 0
	# the same while another program keeps the card open, so that pcscd
	# never powers it off: only the guard can clear the PIN (R22)
	apdu "$reader" 00CA01040A '!sleep 8' >/dev/null 2>&1 &
	local keeper=$!
	sleep 0.5
	p0=$(grep -c '^# power: off' "$log")
	"$HOLD" "$MOD" "$reader" login kill >"$T/kill.out" 2>&1 &
	pid=$!
	for _ in $(seq 50); do grep -q '^ready' "$T/kill.out" && break; sleep 0.1; done
	t_check "$prof: another program keeps the card open (its process runs)" kill -0 "$keeper"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	clean_soon "$reader" "$prof" && ok=0 || ok=1
	t_check "$prof: killed while another program holds the card: nothing verified (outside: $CLEAN_SEEN)" \
		test "$ok" = 0
	t_check "$prof: ... the other program still held the card, and it was never powered off (the guard reset it)" \
		test "$(kill -0 "$keeper" 2>/dev/null && echo up)" = up -a "$(grep -c '^# power: off' "$log")" = "$p0"
	wait "$keeper" 2>/dev/null
	# again, and this time nobody opens the card: how long until pcscd
	# powers it down (its grace period once the last handle is gone)?
	"$HOLD" "$MOD" "$reader" login kill >"$T/kill.out" 2>&1 &
	pid=$!
	for _ in $(seq 50); do grep -q '^ready' "$T/kill.out" && break; sleep 0.1; done
	local n0 t0 waited=0
	n0=$(grep -c '^# power: off' "$log")
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	t0=$(date +%s%N)
	while [ "$(grep -c '^# power: off' "$log")" -eq "$n0" ] && [ $waited -lt 300 ]; do
		sleep 0.1
		waited=$((waited + 1))
	done
	echo "# $prof: pcscd powered the card off $(( ($(date +%s%N) - t0) / 1000000 )) ms after the killed process's handle went"
	s=$(outside "$reader" "$prof")
	t_clean "$prof: a process killed while logged in: once pcscd has powered the card off, nothing verified" \
		"$reader" "$prof"
	out=$(hold "$reader" sign close)
	t_eq "$prof: after a killed process, the next program logs in and signs" 0 "$?"
}

run_profiles() { # P1 [P2]: one bench, a card per profile
	bench_up --profile "$(echo "$@" | tr ' ' ',')" --cards $# || { t_fail "bench up $*"; return; }
	local i=1 p
	for p in "$@"; do
		if [[ " $PROFILES " == *" $p "* ]] && [ -z "${DONE[$p]:-}" ]; then
			DONE[$p]=1
			check_paths "$i" "$p"
			check_failed_logout "$i" "$p"
			check_status_removal "$i" "$p"
			check_chain "$i" "$p"
			[ "$p" = akis-2 ] && check_killed "$i" "$p"
		fi
		i=$((i + 1))
	done
	bench_down
}

declare -A DONE
run_profiles akis-2 akis-1.2
[[ " $PROFILES " == *" akis-1.0 "* ]] && run_profiles akis-1.0
t_summary
