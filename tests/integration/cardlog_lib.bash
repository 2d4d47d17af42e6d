# shellcheck shell=bash
# What card 1 of the bench saw, from its APDU log (AKIS_CARD_LOG_1: lines
# "C <hex>" / "R <hex>", the data of VERIFY / CHANGE / RESET RETRY COUNTER
# replaced by "<redacted>"). Sourced by client tests after client_lib.bash
# (issue 13); not a test of its own (the name does not end in .sh).
#
#   cardlog_mark                 remember where the log ends now
#   cardlog_stats                counts of what was sent since the mark, one line:
#     verify=N  VERIFY of the user PIN (ref 81, or the system PIN 01) with data
#     puk=N     VERIFY of a PUK (82, 02) with data, or RESET RETRY COUNTER
#     pso=N     PSO COMPUTE DIGITAL SIGNATURE
#     nes=N     of those, with a key that needs a PIN per signature (userConsent
#               in the card's card.conf) selected by the last MSE
#     covered=N of those, with a VERIFY of the user PIN since the previous PSO
#   cardlog_pin                  the PIN commands since the mark, by INS and P2
#                                (issue 10), one line:
#     verify81=N verify82=N  VERIFY (20) of the PIN / the PUK with data (a
#                            status query, without data, is not counted)
#     change81=N change82=N  CHANGE REFERENCE DATA (24) of the PIN / the PUK
#     reset81=N              RESET RETRY COUNTER (2C) of the PIN
#     secret=N               every 20 / 24 / 2C with data, whatever its P2
#     logout=N               LOGOUT (80 1A)
#   cardlog_field NAME           one count of the last cardlog_stats / cardlog_pin
#   cardlog_tail                 the lines since the mark (for a failure)

cardlog_mark() { CARDLOG_MARK=$(wc -l <"$AKIS_CARD_LOG_1" 2>/dev/null || echo 0); }

cardlog_tail() { tail -n +"$((${CARDLOG_MARK:-0} + 1))" "$AKIS_CARD_LOG_1"; }

cardlog_consent_refs() {
	awk '$1 == "key" && $2 == "=" && $6 == 1 { print toupper($3) }' "$AKIS_CARD_DIR_1/card.conf" | tr '\n' ' '
}

cardlog_stats() {
	CARDLOG_STATS=$(cardlog_tail | awk -v refs="$(cardlog_consent_refs)" '
		BEGIN { n = split(refs, r, " "); for (i = 1; i <= n; i++) consent[r[i]] = 1 }
		$1 != "C" { next }
		{ a = toupper($2); red = ($0 ~ /<redacted>/) }
		red && (a ~ /^00200081/ || a ~ /^00200001/) { verify++; since = 1; next }
		red && (a ~ /^00200082/ || a ~ /^00200002/) { puk++; next }
		a ~ /^002C/ { puk++; next }
		a ~ /^0022/ { key = substr(a, length(a) - 1, 2); next }
		a ~ /^002A9E9A/ { pso++; if (key in consent) { nes++; if (since) covered++ } since = 0 }
		END { printf "verify=%d puk=%d pso=%d nes=%d covered=%d\n", verify, puk, pso, nes, covered }')
	echo "$CARDLOG_STATS"
}

cardlog_pin() {
	CARDLOG_STATS=$(cardlog_tail | awk '
		$1 != "C" { next }
		{ a = toupper($2); ins = substr(a, 3, 2); p2 = substr(a, 7, 2); red = ($0 ~ /<redacted>/) }
		a ~ /^801A/ { logout++; next }
		!red || (ins != "20" && ins != "24" && ins != "2C") { next }
		{ secret++; n[ins p2]++ }
		END {
			printf "verify81=%d verify82=%d change81=%d change82=%d reset81=%d secret=%d logout=%d\n",
				n["2081"], n["2082"], n["2481"], n["2482"], n["2C81"], secret, logout
		}')
	echo "$CARDLOG_STATS"
}

cardlog_field() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" <<<"$CARDLOG_STATS"; }
