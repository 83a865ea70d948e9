# Integration test library (bash). Source it, then call kn_init NAME.
#
# Starts REAL processes (spawn-fcgi + knocker, lighttpd, ...) on loopback
# ports, remembers their pids, and stops them on exit. Prints TAP.
# Environment (set by make check): abs_top_srcdir, abs_top_builddir, KNOCKER.

KN_NTESTS=0
KN_FAILED=0
KN_PIDS=""
KN_SRC=${abs_top_srcdir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
KN_BUILD=${abs_top_builddir:-$KN_SRC}
KNOCKER=${KNOCKER:-$KN_BUILD/knocker}
PATH=$PATH:/usr/sbin:/sbin
export PATH

kn_bail() {
	echo "Bail out! $*"
	exit 1
}

kn_diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

# --- TAP ----------------------------------------------------------------------

kn__report() {	# STATUS(0 ok) NAME
	KN_NTESTS=$((KN_NTESTS + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $KN_NTESTS - $2"
	else
		echo "not ok $KN_NTESTS - $2"
		KN_FAILED=$((KN_FAILED + 1))
	fi
	return "$1"
}

kn_ok() {	# NAME cmd...  passes if cmd exits 0
	local name=$1
	shift
	"$@"
	kn__report $? "$name"
}

kn_is() {	# GOT WANT NAME
	if [ "$1" = "$2" ]; then
		kn__report 0 "$3"
	else
		kn__report 1 "$3"
		kn_diag "got:      '$1'" "expected: '$2'"
		return 1
	fi
}

kn_like() {	# GOT EXTENDED-REGEX NAME
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		kn__report 0 "$3"
	else
		kn__report 1 "$3"
		kn_diag "got:      '$1'" "expected to match: $2"
		return 1
	fi
}

kn_unlike() {	# GOT EXTENDED-REGEX NAME
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		kn__report 1 "$3"
		kn_diag "got:      '$1'" "expected NOT to match: $2"
		return 1
	fi
	kn__report 0 "$3"
}

kn_done() {
	local reports
	# Workers under spawn-fcgi have no stderr: sanitizer builds log to files.
	reports=$(ls "$KN_DIR"/sanitizer.* 2>/dev/null)
	kn_is "$reports" "" "no AddressSanitizer/UBSan report from any knocker process"
	[ -z "$reports" ] || head -n 30 $reports | sed 's/^/# /'
	echo "1..$KN_NTESTS"
	[ "$KN_NTESTS" -gt 0 ] && [ "$KN_FAILED" -eq 0 ]
	exit $?
}

# --- set-up and clean-up ------------------------------------------------------

kn_init() {	# NAME
	KN_NAME=$1
	KN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/knocker-it-$1-XXXXXX") || kn_bail "mktemp failed"
	chmod 755 "$KN_DIR"
	trap kn__cleanup EXIT
	trap 'exit 130' INT TERM
	[ -x "$KNOCKER" ] || kn_bail "knocker binary not found at $KNOCKER"
	export ASAN_OPTIONS="log_path=$KN_DIR/sanitizer:${ASAN_OPTIONS-}"
	export UBSAN_OPTIONS="log_path=$KN_DIR/sanitizer:print_stacktrace=1:${UBSAN_OPTIONS-}"
	mkdir -p "$KN_DIR/state" "$KN_DIR/www"
	chmod 700 "$KN_DIR/state"	# the storage directory must be private (statefile)
}

kn__cleanup() {
	local rc=$?
	kn_stop_all || rc=1
	if [ "${KN_KEEP:-0}" = 1 ] || [ "$KN_FAILED" -gt 0 ] || [ "$rc" -ne 0 ]; then
		echo "# kept test directory: $KN_DIR"
		for f in "$KN_DIR"/*.log "$KN_DIR"/*/*.log; do
			[ -s "$f" ] || continue
			echo "# --- tail of $f"
			tail -n 20 "$f" | sed 's/^/#   /'
		done
	else
		rm -rf "$KN_DIR"
	fi
	[ "$rc" -eq 0 ] || exit "$rc"
}

kn_need_bin() {	# NAME...
	local b
	for b in "$@"; do
		if ! command -v "$b" >/dev/null 2>&1; then
			kn__report 1 "required program '$b' is installed"
			kn_bail "'$b' is missing: install it (see scripts/deps)"
		fi
	done
}

# A free TCP port in 20000-32000 (below Linux's ephemeral range 32768-60999,
# so no outgoing connection takes it meanwhile), not listening on any address
# (127.0.0.1, ::1 or a wildcard) and never handed out twice in one test: the
# ports given out are kept in $KN_DIR/ports, so callers may use $(kn_port).
kn_port() {
	local p listening tries=0
	[ -n "${KN_DIR-}" ] || kn_bail "kn_port: call kn_init first"
	listening=$(ss -Htln 2>/dev/null) || kn_bail "kn_port: 'ss -Htln' failed (install iproute2)"
	listening=$(printf '%s\n' "$listening" | awk '{ n = split($4, a, ":"); print a[n] }')
	touch "$KN_DIR/ports"
	while :; do
		p=$((20000 + RANDOM % 12001))
		tries=$((tries + 1))
		[ $tries -gt 500 ] && kn_bail "kn_port: no free port in 20000-32000"
		grep -qx "$p" "$KN_DIR/ports" && continue
		printf '%s\n' "$listening" | grep -qx "$p" && continue
		echo "$p" >>"$KN_DIR/ports"
		echo "$p"
		return 0
	done
}

# Waits until HOST:PORT accepts connections while PID is alive.
kn_wait_port() {	# HOST PORT PID [what]
	local i
	for i in $(seq 1 100); do
		if [ -n "$3" ] && ! kn_alive "$3"; then
			kn_diag "${4:-process} $3 died while starting"
			return 1
		fi
		if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	kn_diag "${4:-process} did not listen on $1:$2"
	return 1
}

# True if PID runs (a zombie counts as gone).
kn_alive() {
	local st
	st=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}

kn_track() {	# PID...
	KN_PIDS="$KN_PIDS $*"
}

# Stops PIDs: TERM, up to 5 s for all of them together, then KILL; returns
# non-zero (and says which) if any is still running after that.
kn_stop_pid() {	# PID...
	local p i left
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null
	for i in $(seq 1 50); do
		left=""
		for p in "$@"; do
			kn_alive "$p" && left="$left $p"
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	if [ -n "$left" ]; then
		kn_diag "still running 5 s after SIGTERM, sending SIGKILL:$left"
		kill -KILL $left 2>/dev/null
		for i in $(seq 1 20); do
			left=""
			for p in "$@"; do
				kn_alive "$p" && left="$left $p"
			done
			[ -z "$left" ] && break
			sleep 0.1
		done
	fi
	[ -z "$left" ] || { kn_diag "could not stop:$left"; return 1; }
	# Reap the ones this shell started (lighttpd -D &); others are not ours.
	wait "$@" 2>/dev/null
	return 0
}

# Stops every recorded process (kn_track); non-zero if one survives.
kn_stop_all() {
	local pids=$KN_PIDS
	KN_PIDS=""
	kn_stop_pid $pids
}

# --- templates and configs ----------------------------------------------------

# Copies TEMPLATE to OUT replacing every @NAME@ by the value of the shell
# variable NAME; a placeholder whose variable is unset or empty is an error
# (Bail out!), so a template never reaches a server half-filled.
kn_render() {	# TEMPLATE OUT
	local content name
	content=$(cat "$1") || kn_bail "cannot read template $1"
	for name in $(grep -o '@[A-Z][A-Z0-9_]*@' "$1" | sort -u | tr -d @); do
		[ -n "${!name-}" ] || kn_bail "template $1: no value for @$name@"
		# quoted: '&' and '\' in a value stay literal (bash 5.2 patsub_replacement)
		content=${content//@$name@/"${!name}"}
	done
	printf '%s\n' "$content" >"$2"
}

kn_random_key() {
	od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
}

# Renders conf-examples/knocker.json for this test into OUT (mode 0600):
# storage and log in $KN_DIR/state, fresh random keys in KN_API_KEY (no
# remote whitelist) and KN_ADMIN_KEY (remote whitelist allowed).
# Extra arguments are jq filters applied in order, e.g.
#   '.server.trusted_proxies = ["127.0.0.1"]'
# then $KN_CONFIG_FILTER if set (test_redis.sh: the same flows on the
# Redis store backend).
kn_make_config() {	# OUT [jq-filter...]
	local out=$1 f tmp
	shift
	[ -n "${KN_CONFIG_FILTER-}" ] && set -- "$@" "$KN_CONFIG_FILTER"
	: "${KN_API_KEY:=$(kn_random_key)}"
	: "${KN_ADMIN_KEY:=$(kn_random_key)}"
	export KN_API_KEY KN_ADMIN_KEY
	STORAGE_DIR=$KN_DIR/state API_KEY=$KN_API_KEY ADMIN_KEY=$KN_ADMIN_KEY \
	    LOG_FILE=$KN_DIR/state/knocker.log kn_render "$KN_SRC/conf-examples/knocker.json" "$out"
	for f in "$@"; do
		tmp=$(jq "$f" "$out") || kn_bail "jq filter failed: $f"
		printf '%s\n' "$tmp" >"$out"
	done
	chmod 600 "$out"
}

# --- processes ----------------------------------------------------------------

# spawn-fcgi -F WORKERS knocker on a new TCP port of ADDR; exports
# KN_APP_PORT and KN_APP_PIDS (the workers).
kn_spawn_knocker() {	# CONFIG [WORKERS] [ADDR]
	local conf=$1 n=${2:-2} addr=${3:-127.0.0.1} pidfile p out
	kn_need_bin spawn-fcgi
	KN_APP_PORT=$(kn_port)
	pidfile=$KN_DIR/spawn-$KN_APP_PORT.pid
	out=$(spawn-fcgi -a "$addr" -p "$KN_APP_PORT" -F "$n" -P "$pidfile" -- "$KNOCKER" -c "$conf" 2>&1) ||
	    { kn_diag "spawn-fcgi failed: $out"; return 1; }
	KN_APP_PIDS=$(tr '\n' ' ' <"$pidfile")
	kn_track $KN_APP_PIDS
	for p in $KN_APP_PIDS; do
		kn_alive "$p" || { kn_diag "knocker worker $p died at start"; return 1; }
	done
	case "$addr" in *:*) addr="[$addr]" ;; esac
	kn_wait_port "${addr//[\[\]]/}" "$KN_APP_PORT" "${KN_APP_PIDS%% *}" knocker
	export KN_APP_PORT KN_APP_PIDS
}

# The same on a unix socket (mode 0660); exports KN_APP_SOCKET, KN_APP_PIDS.
kn_spawn_knocker_socket() {	# CONFIG [WORKERS] [extra spawn-fcgi args...]
	local conf=$1 n=${2:-2} pidfile i out
	shift 2 2>/dev/null || shift $#
	KN_APP_SOCKET=$KN_DIR/knocker-$RANDOM.sock
	pidfile=$KN_APP_SOCKET.pid
	out=$(spawn-fcgi -s "$KN_APP_SOCKET" -M 0660 -F "$n" -P "$pidfile" "$@" -- "$KNOCKER" -c "$conf" 2>&1) ||
	    { kn_diag "spawn-fcgi failed: $out"; return 1; }
	KN_APP_PIDS=$(tr '\n' ' ' <"$pidfile")
	kn_track $KN_APP_PIDS
	for i in $(seq 1 50); do
		[ -S "$KN_APP_SOCKET" ] && break
		sleep 0.1
	done
	[ -S "$KN_APP_SOCKET" ]
	export KN_APP_SOCKET KN_APP_PIDS
}

# Points a rendered lighttpd example at knocker's unix socket
# ($KN_APP_SOCKET) instead of host/port, as the comment in lighttpd.conf says.
kn_lighttpd_use_socket() {	# CONF
	sed -i "s|\"host\" => \"127.0.0.1\", \"port\" => 1,|\"socket\" => \"$KN_APP_SOCKET\",|" "$1"
	! grep -q '"port" => 1,' "$1"
}

# Renders conf-examples/nginx.conf into RUN/nginx.conf: HTTP on PORT,
# knocker at KNOCKER (host:port, unix:path or an upstream name), the
# protected backend on BACKEND_PORT (default 1: none), pages from
# $KN_DIR/www (with the knock help page the example links to).
kn_render_nginx() {	# RUN PORT KNOCKER [BACKEND_PORT]
	mkdir -p "$1" "$KN_DIR/www"
	cp "$KN_SRC/conf-examples/www/knock-help.html" "$KN_DIR/www/"
	HTTP_PORT=$2 KNOCKER=$3 BACKEND_PORT=${4:-1} WWW_DIR=$KN_DIR/www RUN_DIR=$1 \
	    kn_render "$KN_SRC/conf-examples/nginx.conf" "$1/nginx.conf"
}

# Checks RUN/nginx.conf with nginx -t, then starts nginx in the foreground
# (in the background of this shell, tracked) and waits until it listens on
# PORT. Returns 1, with nginx's messages as a diagnostic, if it does not.
kn_start_nginx() {	# RUN PORT
	nginx -t -q -c "$1/nginx.conf" -p "$1" 2>>"$1/nginx-stderr.log" ||
	    { kn_diag "nginx -t failed:" "$(cat "$1/nginx-stderr.log")"; return 1; }
	nginx -c "$1/nginx.conf" -p "$1" -g 'daemon off;' 2>>"$1/nginx-stderr.log" &
	kn_track $!
	kn_wait_port 127.0.0.1 "$2" $! nginx
}

# Starts lighttpd in the foreground (in the background of this shell) after
# checking its config with -tt; waits until server.port on 127.0.0.1 and every
# $SERVER["socket"] of the config accept connections, watching the pid. If it
# dies or never listens, its error log goes to stderr and this returns 1.
# Exports KN_LIGHTTPD_PID.
kn_start_lighttpd() {	# CONF
	local conf=$1 port out errlog sock host sp
	kn_need_bin lighttpd
	out=$(lighttpd -tt -f "$conf" 2>&1) || {
		kn_diag "lighttpd -tt -f $conf failed:" "$out"
		printf 'lighttpd -tt -f %s failed:\n%s\n' "$conf" "$out" >&2
		return 1
	}
	port=$(sed -n 's/^[[:space:]]*server\.port[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' "$conf" | head -1)
	errlog=$(sed -n 's/^[[:space:]]*server\.errorlog[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$conf" | head -1)
	lighttpd -D -f "$conf" >>"$KN_DIR/lighttpd-stdout.log" 2>&1 &
	KN_LIGHTTPD_PID=$!
	kn_track "$KN_LIGHTTPD_PID"
	export KN_LIGHTTPD_PID
	set -- "127.0.0.1 ${port:-80}"
	for sock in $(sed -n 's/.*\$SERVER\["socket"\][[:space:]]*==[[:space:]]*"\([^"]*\)".*/\1/p' "$conf"); do
		sp=${sock##*:}
		host=${sock%:*}
		host=${host#[}
		host=${host%]}
		set -- "$@" "${host:-127.0.0.1} $sp"
	done
	for sock in "$@"; do
		kn_wait_port ${sock% *} ${sock#* } "$KN_LIGHTTPD_PID" lighttpd && continue
		{
			echo "lighttpd ($conf) did not come up on ${sock% *} port ${sock#* }"
			[ -n "$errlog" ] && [ -f "$errlog" ] && { echo "--- $errlog"; tail -n 30 "$errlog"; }
			echo "--- lighttpd stdout/stderr"
			tail -n 30 "$KN_DIR/lighttpd-stdout.log"
		} >&2
		return 1
	done
	return 0
}

# A stand-in for the service users protect: a second lighttpd on its own
# port serving a marker page (BACKEND-OK) for any path. Exports
# KN_BACKEND_PORT.
kn_start_backend() {
	local dir=$KN_DIR/backend
	mkdir -p "$dir/www"
	echo "BACKEND-OK" >"$dir/www/index.html"
	KN_BACKEND_PORT=$(kn_port)
	cat >"$dir/lighttpd.conf" <<-EOF
	server.document-root = "$dir/www"
	server.port = $KN_BACKEND_PORT
	server.bind = "127.0.0.1"
	server.errorlog = "$dir/error.log"
	server.modules = ( "mod_rewrite" )
	url.rewrite-once = ( ".*" => "/index.html" )
	mimetype.assign = ( ".html" => "text/html" )
	EOF
	kn_start_lighttpd "$dir/lighttpd.conf"
	export KN_BACKEND_PORT
}

# --- HTTP ------------------------------------------------------------------------

# Prints the status code; body in $KN_BODY_FILE (and $KN_BODY), headers in
# $KN_HEADERS_FILE. Extra curl arguments follow the URL.
kn_http() {	# METHOD URL [curl args...]
	local method=$1 url=$2
	shift 2
	KN_BODY_FILE=$KN_DIR/last-body
	KN_HEADERS_FILE=$KN_DIR/last-headers
	curl -g -s -S -o "$KN_BODY_FILE" -D "$KN_HEADERS_FILE" -w '%{http_code}' \
	    --max-time 20 -X "$method" "$@" "$url" 2>>"$KN_DIR/curl.log" || true
}

# Like kn_http but sets KN_STATUS and KN_BODY in the current shell.
kn_req() {	# METHOD URL [curl args...]
	KN_STATUS=$(kn_http "$@")
	KN_BODY=$(cat "$KN_DIR/last-body" 2>/dev/null)
	KN_HEADERS_FILE=$KN_DIR/last-headers
}

# POST a knock with $KN_API_KEY (or KEY=... in the environment). With a
# JSON body, sends it as application/json. Sets KN_STATUS and KN_BODY.
kn_knock() {	# URL [json-body] [curl args...]
	local url=$1 body=${2-}
	shift
	[ $# -gt 0 ] && shift
	if [ -n "$body" ]; then
		kn_req POST "$url" -H "X-Api-Key: ${KEY:-$KN_API_KEY}" -H 'Content-Type: application/json' \
		    --data-binary "$body" "$@"
	else
		kn_req POST "$url" -H "X-Api-Key: ${KEY:-$KN_API_KEY}" --data-binary '' "$@"
	fi
}

# Value of header NAME in the last answer (case-insensitive).
kn_header() {	# NAME
	tr -d '\r' <"$KN_DIR/last-headers" | awk -v n="$1" 'BEGIN { n = tolower(n) }
	    { i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) { print substr($0, i + 2); exit } }'
}

# Starts caddy on CADDYFILE (checked with caddy adapt first) with its data
# and config under DIR, and waits for PORT on 127.0.0.1.
kn_start_caddy() {	# CADDYFILE DIR PORT
	local out
	kn_need_bin caddy
	mkdir -p "$2/data" "$2/config"
	out=$(XDG_DATA_HOME=$2/data XDG_CONFIG_HOME=$2/config caddy adapt --config "$1" \
	    --adapter caddyfile 2>&1 >/dev/null) || { kn_diag "caddy adapt failed:" "$out"; return 1; }
	XDG_DATA_HOME=$2/data XDG_CONFIG_HOME=$2/config caddy run --config "$1" \
	    --adapter caddyfile >>"$2/caddy.log" 2>&1 &
	kn_track $!
	kn_wait_port 127.0.0.1 "$3" $! caddy
}

# A reverse proxy in front of a web server, as a tunnel client or load
# balancer on the same host would be: Caddy on 127.0.0.1, passing every
# request header on (underscore spellings too) and setting X-Forwarded-For
# to the address of the client it saw. Exports KN_FRONT_URL.
kn_start_front() {	# TARGET-PORT
	local dir=$KN_DIR/front-$1 port
	port=$(kn_port)
	mkdir -p "$dir"
	cat >"$dir/Caddyfile" <<-EOT
	{
		admin off
		auto_https off
		storage file_system $dir/data
	}
	http://:$port {
		bind 127.0.0.1
		reverse_proxy 127.0.0.1:$1
	}
	EOT
	kn_start_caddy "$dir/Caddyfile" "$dir" "$port" || return 1
	KN_FRONT_URL=http://127.0.0.1:$port
	export KN_FRONT_URL
}
