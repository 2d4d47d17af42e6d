# shellcheck shell=bash
# Driving the real Firefox ESR under Xvfb like a card holder does (issue 11):
# sourced by browser_firefox.sh, never run (hence .bash). Needs DISPLAY (an
# Xvfb), xdotool and imagemagick's import.
#   ff_profile_dir HOME         the profile Firefox made (the one with pkcs11.txt)
#   ff_prefs DIR                user.js: the card's certificate chosen without
#                               the chooser; no first-run page, telemetry,
#                               update, default-browser check or network noise
#   ff_start HOME URL LOG       Firefox (not headless) in its own session;
#                               FF_PID is its main process (HOME's .config
#                               and .cache, whatever XDG_* say)
#   ff_open HOME URL            URL in a new tab of the running Firefox (its
#                               remote command; the address bar if that fails)
#   ff_window NAME SECONDS      id of a visible window whose title has NAME
#   ff_main_window SECONDS      id of the browser window
#   ff_type_pin WIN PIN         focus WIN (retried), type PIN and Enter
#   ff_gone WIN SECONDS         WIN closed within SECONDS
#   ff_page HOME URL SECONDS    the disk-cache entry of URL once its body is
#                               there (the page as Firefox received it)
#   ff_quit SECONDS             ctrl+q, as a user quits; 0 when the main
#                               process ended within SECONDS (FF_QUIT_MS after the key)
#   ff_kill                     whatever is left of Firefox's session, gone
#   ff_shot FILE                screenshot of the whole screen

FF_PID=
# shellcheck disable=SC2034 # read by the caller
FF_QUIT_MS=

ff_profile_dir() {
	local f
	f=$(find "$1/.config/mozilla" "$1/.mozilla" -name pkcs11.txt 2>/dev/null | head -1)
	[[ -n $f ]] && dirname "$f"
}

ff_prefs() {
	local p
	{
		for p in \
			'"security.default_personal_cert", "Select Automatically"' \
			'"security.remember_cert_checkbox_default_setting", false' \
			'"browser.shell.checkDefaultBrowser", false' \
			'"browser.startup.homepage_override.mstone", "ignore"' \
			'"startup.homepage_welcome_url", ""' \
			'"startup.homepage_welcome_url.additional", ""' \
			'"browser.aboutwelcome.enabled", false' \
			'"trailhead.firstrun.didSeeAboutWelcome", true' \
			'"browser.newtabpage.enabled", false' \
			'"browser.startup.page", 0' \
			'"datareporting.policy.dataSubmissionEnabled", false' \
			'"datareporting.healthreport.uploadEnabled", false' \
			'"toolkit.telemetry.enabled", false' \
			'"toolkit.telemetry.unified", false' \
			'"toolkit.telemetry.reportingpolicy.firstRun", false' \
			'"app.update.auto", false' \
			'"app.update.checkInstallTime", false' \
			'"app.update.disabledForTesting", true' \
			'"extensions.update.enabled", false' \
			'"extensions.getAddons.cache.enabled", false' \
			'"media.gmp-manager.updateEnabled", false' \
			'"browser.safebrowsing.malware.enabled", false' \
			'"browser.safebrowsing.phishing.enabled", false' \
			'"browser.safebrowsing.downloads.enabled", false' \
			'"network.captive-portal-service.enabled", false' \
			'"network.connectivity-service.enabled", false' \
			'"network.http.speculative-parallel-limit", 0' \
			'"network.proxy.type", 0' \
			'"security.ssl.disable_session_identifiers", true' \
			'"browser.cache.disk.enable", true' \
			'"browser.tabs.warnOnClose", false' \
			'"browser.warnOnQuit", false' \
			'"browser.sessionstore.warnOnQuit", false' \
			'"browser.sessionstore.resume_from_crash", false' \
			'"toolkit.startup.max_resumed_crashes", -1'; do
			echo "user_pref($p);"
		done
	} >"$1/user.js"
}

ff_start() {
	local home=$1 url=$2 log=$3
	# its own session (process group): ff_kill ends all of it; the bench lock (fd 9) is not its
	env -u XDG_CACHE_HOME -u XDG_CONFIG_HOME HOME="$home" MOZ_CRASHREPORTER_DISABLE=1 \
		setsid firefox-esr "$url" >"$log" 2>&1 </dev/null 9>&- &
	FF_PID=$!
}

ff_open() {
	local home=$1 url=$2 w
	env -u XDG_CACHE_HOME -u XDG_CONFIG_HOME HOME="$home" timeout -k 5 30 firefox-esr "$url" \
		>/dev/null 2>&1 </dev/null 9>&- && return 0
	w=$(ff_main_window 10) || return 1
	ff_focus "$w" || return 1
	xdotool key ctrl+t && sleep 0.5 && xdotool key ctrl+l && xdotool type --delay 20 "$url" && xdotool key Return
}

ff_window() {
	timeout "$2" xdotool search --sync --onlyvisible --name "$1" 2>/dev/null | head -1
	return "${PIPESTATUS[0]}"
}

# The browser window (the PIN dialog is "Password Required - Mozilla Firefox").
ff_main_window() {
	local i w
	for ((i = 0; i < $1 * 2; i++)); do
		for w in $(xdotool search --onlyvisible --name 'Mozilla Firefox$' 2>/dev/null); do
			[[ $(xdotool getwindowname "$w" 2>/dev/null) == "Password Required"* ]] || { echo "$w"; return 0; }
		done
		sleep 0.5
	done
	return 1
}

# Focus WIN; without a window manager this is XSetInputFocus, so check it took.
ff_focus() {
	local i
	for ((i = 0; i < 10; i++)); do
		timeout 5 xdotool windowfocus --sync "$1" >/dev/null 2>&1
		[[ $(xdotool getwindowfocus 2>/dev/null) == "$1" ]] && return 0
		sleep 0.5
	done
	return 1
}

ff_type_pin() {
	ff_focus "$1" || return 1
	xdotool key --clearmodifiers ctrl+a BackSpace && xdotool type --delay 30 "$2" && xdotool key Return
}

ff_gone() {
	local i
	for ((i = 0; i < $2 * 4; i++)); do
		xdotool search --onlyvisible --name . 2>/dev/null | grep -qx "$1" || return 0
		sleep 0.25
	done
	return 1
}

# The disk cache keys an entry by ":URL" and a NUL in its metadata after the body.
ff_page() {
	local home=$1 url=$2 i f
	for ((i = 0; i < $3 * 2; i++)); do
		while read -r f; do
			[[ -n $f ]] && grep -qa 'Protocol  :' "$f" && { echo "$f"; return 0; }
		done < <(grep -rlaP ":\\Q$url\\E\\x00" "$home/.cache/mozilla/firefox" 2>/dev/null)
		sleep 0.5
	done
	return 1
}

ff_quit() {
	local w t0
	FF_QUIT_MS=
	w=$(ff_main_window 10) && ff_focus "$w" && xdotool key ctrl+q || return 1
	t0=$(date +%s%N)
	while (($(date +%s%N) - t0 < $1 * 1000000000)); do
		if ! kill -0 "$FF_PID" 2>/dev/null; then
			FF_QUIT_MS=$((($(date +%s%N) - t0) / 1000000))
			wait "$FF_PID" 2>/dev/null
			return 0
		fi
		sleep 0.05
	done
	return 1
}

ff_kill() {
	local i
	[[ -n $FF_PID ]] || return 0
	kill -TERM -- "-$FF_PID" 2>/dev/null
	for ((i = 0; i < 50; i++)); do kill -0 -- "-$FF_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL -- "-$FF_PID" 2>/dev/null
	wait "$FF_PID" 2>/dev/null
	FF_PID=
}

ff_shot() { import -window root "$1" 2>/dev/null; }
