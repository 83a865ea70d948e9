# Helpers for the robustness tests (issue 5). Bash, sourced after lib.sh.

# Starts WORKERS knocker processes under spawn-fcgi on 127.0.0.1:PORT with
# CONFIG (extra spawn-fcgi arguments, e.g. -u nobody -g nogroup, follow) and
# waits until they listen. Sets KN_APP_PIDS; tracks the pids for clean-up.
# With KN_FSIZE_LIMIT=N set, the workers run under "ulimit -f N" (KiB).
kn_spawn_on() {	# PORT CONFIG WORKERS [spawn-fcgi args...]
	local port=$1 conf=$2 n=$3 pidfile out p
	shift 3
	pidfile=$KN_DIR/spawn-$port-$RANDOM.pid
	out=$(bash -c 'ulimit -f "$0" && exec "$@"' "${KN_FSIZE_LIMIT:-unlimited}" \
	    spawn-fcgi -a 127.0.0.1 -p "$port" -F "$n" -P "$pidfile" "$@" -- "$KNOCKER" -c "$conf" 2>&1) ||
	    { kn_diag "spawn-fcgi failed: $out"; return 1; }
	KN_APP_PIDS=$(tr '\n' ' ' <"$pidfile")
	kn_track $KN_APP_PIDS
	for p in $KN_APP_PIDS; do
		kn_alive "$p" || { kn_diag "knocker worker $p died at start"; return 1; }
	done
	kn_wait_port 127.0.0.1 "$port" "${KN_APP_PIDS%% *}" knocker || return 1
	export KN_APP_PIDS
}

# Starts lighttpd running conf-examples/lighttpd.conf in front of knocker
# on APP_PORT (/knock, authorizer for /private/ and /app/), plus a
# "/.knocker/" responder mapping (docs/API.md: endpoints under any prefix) to reach
# /ready and /verify of the same workers. www/private holds SECRET-PAGE
# (index.html) and the excluded path /private/health. Sets URL
# (http://127.0.0.1:PORT), URL6 (http://[::1]:PORT) and KN_RUN (lighttpd's
# pid file and logs).
kn_front() {	# APP_PORT
	local app=$1 port
	mkdir -p "$KN_DIR/www/private"
	[ -f "$KN_DIR/www/private/index.html" ] || echo SECRET-PAGE >"$KN_DIR/www/private/index.html"
	[ -f "$KN_DIR/www/private/health" ] || echo HEALTH-OK >"$KN_DIR/www/private/health"
	KN_RUN=$KN_DIR/run-$app
	mkdir -p "$KN_RUN"
	port=$(kn_port)
	HTTP_PORT=$port KNOCK_PORT=$app AUTHZ_PORT=$app BACKEND_PORT=1 \
	    WWW_DIR=$KN_DIR/www RUN_DIR=$KN_RUN \
	    kn_render "$KN_SRC/conf-examples/lighttpd.conf" "$KN_RUN/lighttpd.conf"
	grep -q '"/\.knocker/"' "$KN_RUN/lighttpd.conf" || cat >>"$KN_RUN/lighttpd.conf" <<-EOT
	# added by robust_lib.sh: the same workers as responder under /.knocker/
	fastcgi.server += ( "/.knocker/" => (( "host" => "127.0.0.1", "port" => $app,
	                                       "check-local" => "disable" )) )
	EOT
	kn_start_lighttpd "$KN_RUN/lighttpd.conf" || return 1
	URL=http://127.0.0.1:$port
	URL6=http://[::1]:$port
	export URL URL6 KN_RUN
}

# Starts knocker (spawn-fcgi, WORKERS, extra spawn-fcgi args) with CONFIG
# on a new port behind kn_front. Sets KN_APP_PORT, KN_APP_PIDS, URL, URL6,
# KN_RUN.
kn_stack() {	# CONFIG WORKERS [spawn-fcgi args...]
	local conf=$1 n=$2
	shift 2
	KN_APP_PORT=$(kn_port)
	export KN_APP_PORT
	kn_spawn_on "$KN_APP_PORT" "$conf" "$n" "$@" || return 1
	kn_front "$KN_APP_PORT"
}

# Starts lighttpd running conf-examples/lighttpd.conf on 127.0.0.1:PORT
# with knocker at $KN_APP_SOCKET (kn_spawn_knocker_socket), files in RUN.
kn_front_socket() {	# RUN PORT
	mkdir -p "$1"
	HTTP_PORT=$2 KNOCK_PORT=1 AUTHZ_PORT=1 BACKEND_PORT=1 WWW_DIR=$KN_DIR/www RUN_DIR=$1 \
	    kn_render "$KN_SRC/conf-examples/lighttpd.conf" "$1/lighttpd.conf"
	kn_lighttpd_use_socket "$1/lighttpd.conf" || return 1
	kn_start_lighttpd "$1/lighttpd.conf"
}

# Starts new workers on the port of the last kn_stack (after the old ones
# were killed); lighttpd keeps running.
kn_respawn() {	# CONFIG WORKERS [spawn-fcgi args...]
	local conf=$1 n=$2
	shift 2
	kn_spawn_on "$KN_APP_PORT" "$conf" "$n" "$@"
}

# Number of the given pids that still run (zombies count as gone).
kn_count_alive() {	# PID...
	local p n=0
	for p in "$@"; do
		kn_alive "$p" && n=$((n + 1))
	done
	echo "$n"
}

# Verify through lighttpd's authorizer (/private/index.html) for a client
# named by X-Forwarded-For (knocker must trust 127.0.0.1). Prints the status.
kn_verify_as() {	# URL CLIENT-IP
	kn_http GET "$1/private/index.html" -H "X-Forwarded-For: $2"
}

# Knock (key KEY, default KN_API_KEY) for a client named by X-Forwarded-For.
# Prints the status.
kn_knock_as() {	# URL CLIENT-IP
	curl -g -s -o /dev/null -w '%{http_code}' --max-time 20 -H "X-Api-Key: ${KEY:-$KN_API_KEY}" \
	    -H "X-Forwarded-For: $2" --data-binary '' "$1/knock"
}

# True if FILE is a JSON object mapping strings to integers (the whitelist
# format).
kn_whitelist_parses() {	# FILE
	jq -e 'type == "object" and ([.[] | type == "number" and floor == .] | all)' "$1" >/dev/null 2>&1
}

# Prints the entries listed in LIST-FILE (one per line) that WHITELIST
# does not hold.
kn_missing() {	# WHITELIST LIST-FILE
	jq -r --rawfile list "$2" '. as $wl | $list | split("\n")[] | select(length > 0) |
	    select(. as $e | $wl | has($e) | not)' "$1"
}

# Prints the entries of LIST-FILE ("ENTRY EXPIRES" lines) that WHITELIST
# does not hold with exactly that expiry, as "ENTRY EXPIRES GOT".
kn_missing_expiry() {	# WHITELIST LIST-FILE
	jq -r --rawfile list "$2" '. as $wl | $list | split("\n")[] | select(length > 0) |
	    split(" ") | (.[1] // "") as $x |
	    select(($x | test("^[0-9]+$") | not) or $wl[.[0]] != ($x | tonumber)) |
	    "\(.[0]) \($x) \($wl[.[0]])"' "$1"
}

# Fills the file system holding DIR until a write fails (ENOSPC) with a
# new file DIR/filler.*.
kn_fill_fs() {	# DIR
	dd if=/dev/zero of="$(mktemp "$1/filler.XXXXXX")" bs=4k 2>/dev/null
	return 0
}

# Forgets PIDs tracked for clean-up once they are gone (reaped or killed),
# so that clean-up never signals a later process that reuses the number.
kn_untrack() {	# PID...
	local p
	for p in "$@"; do
		KN_PIDS=$(printf ' %s ' $KN_PIDS | sed "s/ $p / /g")
	done
}
