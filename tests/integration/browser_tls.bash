# shellcheck shell=bash
# A real browser against a local TLS server that asks for the card's
# certificate (issue 11). Sourced, never run (hence .bash). Needs $W (the
# test's temporary directory); every process started here is stopped by
# tls_stop_all (call it from the EXIT trap).
#
#   tls_free_port                      a free TCP port on 127.0.0.1
#   tls_server_pki DIR                 a throwaway CA (DIR/ca.pem) and its
#                                      certificate for localhost (DIR/srv.pem, .key)
#   tls_server_start DIR PORT CAFILE VERSION
#                                      openssl s_server, -Verify 1 with the client
#                                      CA list CAFILE, -www, -trace into
#                                      DIR/s_server.log; VERSION tls1_3 | tls1_2
#   tls_client_auths LOG               one line per handshake in which the client
#                                      sent a certificate and a CertificateVerify:
#                                      "VERSION SERIAL SCHEME SIGNATURE-HEX-PREFIX"
#   x_start FIRST LAST                 Xvfb on a free display in FIRST..LAST (DISPLAY)
#   x_wait_window SECONDS REGEX        the id of the first window whose name
#                                      matches, waiting at most SECONDS
#   x_windows                          "id name" of every named window (for failures)
#   session_start LOG CMD...           CMD in a session of its own (SESSION_PID)
#   session_stop PID                   TERM, then KILL, to every process of that session
#   tls_stop_all                       the server, the sessions, Xvfb

TLS_PID=
X_PID=
SESSIONS=

tls_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

tls_server_pki() {
	local d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 \
		-subj "/CN=akis-pkcs11 test: throwaway server CA $$" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
		>"$d/pki.log" 2>&1 || return 1
	openssl req -newkey rsa:2048 -nodes -keyout "$d/srv.key" -out "$d/srv.csr" -subj /CN=localhost \
		>>"$d/pki.log" 2>&1 || return 1
	printf '%s\n' 'subjectAltName = DNS:localhost, IP:127.0.0.1' 'extendedKeyUsage = serverAuth' \
		'basicConstraints = CA:FALSE' 'keyUsage = critical, digitalSignature, keyEncipherment' >"$d/srv.ext"
	openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
		-extfile "$d/srv.ext" -out "$d/srv.pem" >>"$d/pki.log" 2>&1
}

tls_server_start() {
	local d=$1 port=$2 cafile=$3 ver=$4 i
	setsid openssl s_server -accept "127.0.0.1:$port" -cert "$d/srv.pem" -key "$d/srv.key" \
		-CAfile "$cafile" -Verify 1 -www "-$ver" -trace \
		>"$d/s_server.log" 2>"$d/s_server.err" </dev/null 9>&- &
	TLS_PID=$!
	for ((i = 0; i < 50; i++)); do
		grep -q '^ACCEPT' "$d/s_server.log" 2>/dev/null && return 0
		kill -0 "$TLS_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

tls_server_stop() {
	[ -n "$TLS_PID" ] || return 0
	kill "$TLS_PID" 2>/dev/null && wait "$TLS_PID" 2>/dev/null
	TLS_PID=
}

# The trace of s_server (-trace) per handshake: the version the server chose
# (ServerHello: supported_versions, else server_version), the client's
# Certificate (its first certificate's serial) and CertificateVerify.
tls_client_auths() {
	awk '
		/^(Received|Sent) Record/ { dir = $1 }
		/ClientHello, Length=/ { ver = ""; cert = 0; serial = ""; cv = 0; alg = "" }
		dir == "Sent" && /server_version=.*TLS 1\.2/ { ver = "TLSv1.2" }
		dir == "Sent" && /supported_versions\(43\)/ { getline; if ($0 ~ /TLS 1\.3/) ver = "TLSv1.3" }
		dir == "Received" && /^ *Certificate, Length=/ { split($0, a, "="); cert = (a[2] + 0 > 4) }
		cert && serial == "" && /Serial Number:/ {
			s = $0; sub(/.*Serial Number: */, "", s)
			if (s == "") { getline; s = $0 }
			sub(/ *\(.*/, "", s); gsub(/[ :]/, "", s); serial = toupper(s)
		}
		dir == "Received" && /CertificateVerify, Length=/ { cv = 1 }
		cv && /Signature Algorithm:/ { alg = $3 }
		cv && /Signature \(len=/ {
			print (ver == "" ? "?" : ver), (serial == "" ? "-" : serial), alg, substr($NF, 1, 64)
			cv = 0; cert = 0; serial = ""
		}' "$1"
}

x_start() {
	local d
	for d in $(seq "$1" "$2"); do [ -e "/tmp/.X11-unix/X$d" ] || [ -e "/tmp/.X$d-lock" ] || break; done
	Xvfb ":$d" -screen 0 1280x900x24 -nolisten tcp >"$W/xvfb.log" 2>&1 </dev/null 9>&- &
	X_PID=$!
	for ((i = 0; i < 50; i++)); do
		[ -e "/tmp/.X11-unix/X$d" ] && DISPLAY=":$d" xdotool getdisplaygeometry >/dev/null 2>&1 && break
		sleep 0.1
	done
	export DISPLAY=:$d
	[ -e "/tmp/.X11-unix/X$d" ]
}

x_windows() {
	local w
	for w in $(xdotool search --name . 2>/dev/null); do echo "$w $(xdotool getwindowname "$w" 2>/dev/null)"; done
}

x_wait_window() {
	local secs=$1 re=$2 end w
	end=$((SECONDS + secs))
	while [ $SECONDS -lt $end ]; do
		w=$(xdotool search --onlyvisible --name "$re" 2>/dev/null | head -1)
		[ -n "$w" ] && { echo "$w"; return 0; }
		sleep 0.2
	done
	return 1
}

session_start() {
	local log=$1
	shift
	setsid "$@" >"$log" 2>&1 </dev/null 9>&- &
	SESSION_PID=$!
	SESSIONS+=" $SESSION_PID"
}

# The session's leader first (TERM: Chromium then shuts down as when its
# window is closed), then every other process of the session (chromium's
# zygote and renderers), by process id; KILL for what outlives 10 s.
session_stop() {
	local sid=$1 pids t sig
	kill -TERM "$sid" 2>/dev/null
	for ((t = 0; t < 100; t++)); do kill -0 "$sid" 2>/dev/null || break; sleep 0.1; done
	for sig in TERM KILL; do
		pids=$(ps -e -o pid=,sid= | awk -v s="$sid" '$2 == s { print $1 }')
		[ -n "$pids" ] || break
		# shellcheck disable=SC2086
		kill -"$sig" $pids 2>/dev/null
		for ((t = 0; t < 50; t++)); do
			pids=$(ps -e -o pid=,sid=,stat= | awk -v s="$sid" '$2 == s && $3 !~ /^Z/ { print $1 }')
			[ -n "$pids" ] || break
			sleep 0.1
		done
	done
	wait "$sid" 2>/dev/null
	SESSIONS=${SESSIONS// $sid/}
	return 0
}

tls_stop_all() {
	local s
	for s in $SESSIONS; do session_stop "$s"; done
	tls_server_stop
	[ -n "$X_PID" ] && kill "$X_PID" 2>/dev/null && wait "$X_PID" 2>/dev/null
	X_PID=
}
