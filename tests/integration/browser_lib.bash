# Real browser profiles for tool_setup.sh and tool_doctor.sh (issue 11).
# Sourced, never run. browser_profiles HOME: starts Firefox ESR and
# Thunderbird once, headless, with HOME as their home so that they create
# their profiles (profiles.ini, cert9.db, pkcs11.txt) as they do for a
# user, and Chromium once (it creates ~/.config/chromium; its ~/.pki/nssdb
# only when it first needs NSS, which a headless page load does not).
# Each program is killed if it outlives its timeout. Sets BROWSERS_MADE to
# the programs that made their profile and prints a line for each that
# could not. browser_profile_firefox HOME does Firefox alone (browser_firefox.sh).
BROWSERS_MADE=""
browser_profiles() {
	browser_profile_firefox "$1"
	browser_profile_thunderbird "$1"
	browser_profile_chromium "$1"
	rm -f "$1"/*.png
}

browser_profile_firefox() {
	local home=$1 ok
	if command -v firefox-esr >/dev/null; then
		HOME=$home timeout -k 5 90 firefox-esr --headless --screenshot "$home/ff.png" about:blank \
			>"$home/firefox.log" 2>&1 </dev/null
		ok=$(find "$home/.mozilla" "$home/.config/mozilla" -name pkcs11.txt 2>/dev/null | head -1)
		if [ -n "$ok" ]; then BROWSERS_MADE+=" firefox"; else
			echo "# Firefox ESR ran but made no profile database: not tested (see $home/firefox.log)"; fi
	else
		echo "# firefox-esr is not installed here: Firefox profiles not tested"
	fi
}

browser_profile_thunderbird() {
	local home=$1 ok
	if command -v thunderbird >/dev/null; then
		# Thunderbird headless does not quit by itself: it has 25 s to make its
		# profile, and is ended 2 s after its NSS database is there
		HOME=$home timeout -k 5 25 thunderbird --headless >"$home/thunderbird.log" 2>&1 </dev/null &
		local pid=$! i
		for ((i = 0; i < 50; i++)); do
			ok=$(find "$home/.thunderbird" "$home/.config/thunderbird" -name cert9.db 2>/dev/null | head -1)
			[ -n "$ok" ] && [ -s "${ok%/*}/pkcs11.txt" ] && { sleep 2; break; }
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		ok=$(find "$home/.thunderbird" "$home/.config/thunderbird" -name pkcs11.txt 2>/dev/null | head -1)
		if [ -n "$ok" ]; then BROWSERS_MADE+=" thunderbird"; else
			echo "# Thunderbird ran but made no profile database: not tested"; fi
	else
		echo "# thunderbird is not installed here: Thunderbird profiles not tested"
	fi
}

browser_profile_chromium() {
	local home=$1
	if command -v chromium >/dev/null; then
		HOME=$home timeout -k 5 60 chromium --headless --no-sandbox --disable-gpu --dump-dom about:blank \
			>"$home/chromium.log" 2>&1 </dev/null
		if [ -d "$home/.config/chromium" ]; then BROWSERS_MADE+=" chromium"; else
			echo "# Chromium ran but made no ~/.config/chromium: not tested"; fi
	else
		echo "# chromium is not installed here: Chromium not tested"
	fi
}
