# Shared by p11_secstate.sh and p11_faultsweep.sh (issue 9, R22): the
# test driver tests/integration/p11_hold.c, and the look at the card from
# outside: a raw PC/SC process (tests/vcard/pcsc-apdu) asks whether the PIN
# (81) or the PUK (82) is verified and tries a PSO with every key.
# Needs: lib.sh sourced, $T (a temporary directory), $MOD, $here.
export XDG_CACHE_HOME=$T/cache
HOLD=$T/p11_hold
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -I"$T_ROOT" $(pkg-config --cflags p11-kit-1) \
	"$here/p11_hold.c" -o "$HOLD" -ldl || { t_fail "build p11_hold.c"; t_summary; exit 1; }

DI=3031300D060960864801650304020105000420$(printf 'A%.0s' {1..64})
H48=$(printf 'B%.0s' {1..96})
SEL=00A4080C023D00

# The keys of a profile as "MSE PSO" pairs (docs/card.md §3 dialects).
keys_of() {
	case $1 in
	akis-2) echo "002241B606800104840181 002A9E9A30${H48}00 002241B606800102840182 002A9E9A33${DI}00" ;;
	akis-2+e-seal) echo "002241B606800104840181 002A9E9A30${H48}00" ;; # key 82 only derives
	*) echo "0022C301 002A9E9A33${DI}00" ;;
	esac
}

# outside READER PROFILE → "pin=SW puk=SW pso=SW[,SW]" from a raw process
outside() {
	local reader=$1 prof=$2 r k
	mapfile -t r < <(apdu "$reader" $SEL 00200081 00200082 $(keys_of "$prof") 2>&1)
	local out="pin=$(sw "${r[1]:-}") puk=$(sw "${r[2]:-}") pso="
	for ((k = 4; k < ${#r[@]}; k += 2)); do out+="$(sw "${r[$k]}"),"; done
	echo "${out%,}"
}

# clean_state REPLY: no PIN, no PUK verified, every PSO refused
is_clean() {
	local s=$1
	[[ $s =~ ^pin=([0-9A-F]{4})\ puk=([0-9A-F]{4})\ pso=([0-9A-F,]+)$ ]] || return 1
	[[ ${BASH_REMATCH[1]} != 9000 && ${BASH_REMATCH[2]} != 9000 ]] || return 1
	local p
	for p in ${BASH_REMATCH[3]//,/ }; do [[ $p == 6982 ]] || return 1; done
}

# clean_soon READER PROFILE: after a program ended, poll the card from
# outside for up to 1 s (every 0.2 s) until nothing is verified; the last
# view in CLEAN_SEEN. The logout guard needs milliseconds; pcscd's
# power-off takes 0.5 s or more, so callers also check that it did not
# happen in between (the card log's "# power: off" lines).
clean_soon() {
	local k
	for k in 1 2 3 4 5; do
		sleep 0.2
		CLEAN_SEEN=$(outside "$1" "$2")
		is_clean "$CLEAN_SEEN" && return 0
	done
	return 1
}

t_clean() { # NAME READER PROFILE
	local s
	s=$(outside "$2" "$3")
	if is_clean "$s"; then t_ok "$1"; else t_fail "$1" "outside: $s"; fi
}

# tries persisted by the card (no try lost: R18)
tries() { awk -v r="pin.$2" '$1 == r { print $4 }' "$1/card.conf"; }

hold() { "$HOLD" "$MOD" "$@" 2>&1; }

