#!/usr/bin/env bash
# Do the citations of the repository's documents resolve? (issue 12)
#   1. every docs/NAME.md mentioned in any tracked (or new, not ignored)
#      file exists;
#   2. every requirement number cited in *.c *.h *.sh *.bash (an R followed
#      by a number, as a word) is defined in docs/requirements.md as a list
#      item "- **R<n>**"; a number with a leading zero (a reader named
#      "R00" in a test) is not a requirement and is skipped;
#   3. every "§n" cited for docs/card.md ("docs/card.md §1, §3", "§1/§3")
#      is a section "## n." of docs/card.md;
#   4. every quoted section name cited for a document
#      (docs/design.md "Logout hygiene", also across comment lines) is a
#      heading, a bold paragraph lead or the first cell of a table row of
#      that document (case-insensitive): docs/card.md §3 "alg" is a row.
# Prints one line per failure and, last, "N passed, N failed"; exit status 1
# on any failure.
#   bash tests/source/docs_check.sh
set -u
cd "$(dirname "$0")/../.." || exit 2

passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL - $*"; }

self=tests/source/docs_check.sh
mapfile -t files < <(git ls-files -co --exclude-standard | grep -vxF "$self" |
	while read -r f; do [ -f "$f" ] && echo "$f"; done)
mapfile -t code < <(printf '%s\n' "${files[@]}" | grep -E '\.(c|h|sh|bash)$')

# ---- 1. cited documents exist
mapfile -t docs < <(grep -IhoE 'docs/[A-Za-z0-9_.-]+\.md' "${files[@]}" 2>/dev/null | sort -u)
[ "${#docs[@]}" -gt 0 ] || bad "no docs/*.md cited anywhere (the scan found nothing)"
for d in "${docs[@]}"; do
	if [ -f "$d" ]; then ok; else bad "cited document $d does not exist ($(grep -IlF "$d" "${files[@]}" | head -3 | tr '\n' ' '))"; fi
done

# ---- 2. requirement numbers are defined
req=docs/requirements.md
if [ ! -f "$req" ]; then
	bad "$req missing: no requirement can be checked"
else
	mapfile -t defined < <(grep -oE '^- \*\*R[0-9]+\*\*' "$req" | grep -oE 'R[0-9]+' | sort -u)
	mapfile -t cited < <(grep -ohP '\bR[1-9][0-9]*\b' "${code[@]}" 2>/dev/null | sort -u -V)
	for r in "${cited[@]}"; do
		if printf '%s\n' "${defined[@]}" | grep -qxF "$r"; then ok; else
			bad "$r is cited ($(grep -lwF "$r" "${code[@]}" | head -3 | tr '\n' ' ')) but not defined in $req"
		fi
	done
	# every requirement defined once
	dups=$(grep -oE '^- \*\*R[0-9]+\*\*' "$req" | sort | uniq -d | tr '\n' ' ')
	if [ -z "$dups" ]; then ok; else bad "$req defines more than once: $dups"; fi
fi

# ---- 3 and 4: citations with § numbers and quoted names, comment lines joined
# Prints "FILE<TAB>DOC<TAB>KIND<TAB>VALUE" (KIND: sect or name).
citations() {
	perl -e '
		for my $f (@ARGV) {
			open(my $fh, "<", $f) or next;
			local $/; my $t = <$fh>; close $fh;
			next if $t =~ /\x00/;
			# a citation may continue on the next comment line
			$t =~ s/[ \t]*\n[ \t]*(?:\*(?!\/)|\/\/|#)?[ \t]*/ /g;
			while ($t =~ m{docs/(card|design|style|requirements)\.md((?:\s*(?:,|/|and)?\s*§[0-9]+)*)\)?:?\s*("([^"\n]{1,80})")?}g) {
				my ($doc, $secs, $name) = ($1, $2, $4);
				while ($secs =~ /§([0-9]+)/g) { print "$f\tdocs/$doc.md\tsect\t$1\n"; }
				print "$f\tdocs/$doc.md\tname\t$name\n" if defined $name;
			}
		}' "$@"
}

# Is NAME a heading, a bold lead or a table row's first cell of DOC
# (case-insensitive)?
has_section() { # DOC NAME
	perl -e '
		my ($doc, $name) = @ARGV;
		open(my $fh, "<", $doc) or exit 1;
		my $n = lc $name;
		while (my $l = <$fh>) {
			if ($l =~ /^#+\s+(.*)$/) { exit 0 if index(lc $1, $n) >= 0; }
			while ($l =~ /\*\*([^*]+)\*\*/g) { exit 0 if index(lc $1, $n) >= 0; }
			if ($l =~ /^\|\s*([^|]+?)\s*\|/) { exit 0 if lc $1 eq $n; }
		}
		exit 1;' "$1" "$2"
}

seen=""
while IFS=$'\t' read -r f doc kind val; do
	key="$doc|$kind|$val"
	case $seen in *"<$key>"*) continue ;; esac
	seen="$seen<$key>"
	if [ ! -f "$doc" ]; then
		bad "$f cites $doc ($kind $val): no such document"
		continue
	fi
	if [ "$kind" = sect ]; then
		if [ "$doc" != docs/card.md ]; then
			grep -qE "^## ${val}\. " "$doc" && ok || bad "$f cites $doc §$val: no section '## $val.'"
		elif grep -qE "^## ${val}\. " "$doc"; then ok; else
			bad "$f cites docs/card.md §$val: no section '## $val.' in docs/card.md"
		fi
	else
		if has_section "$doc" "$val"; then ok; else
			bad "$f cites $doc \"$val\": no heading, bold lead or table row with that name"
		fi
	fi
done < <(citations "${files[@]}")

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
