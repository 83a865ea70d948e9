#!/bin/bash
# conf-examples/Caddyfile: forward_auth to knocker with transport fastcgi for
# /private/ (static files) and /app/ (a reverse-proxied service), /knock
# through reverse_proxy. knocker on TCP (plain) and on a unix socket (trusted).
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/flows.sh"

kn_init caddy
kn_need_bin caddy spawn-fcgi lighttpd curl jq

# NAME CONFIG: knocker (plain: TCP; trusted: unix socket; 2 workers) and
# caddy from the example. Sets URL4, URL6.
start_caddy() {
	local run=$KN_DIR/$1 port knocker out
	mkdir -p "$run/data" "$run/config"
	if [ "$1" = plain ]; then
		kn_spawn_knocker "$2" 2 || return 1
		knocker=127.0.0.1:$KN_APP_PORT
	else
		kn_spawn_knocker_socket "$2" 2 || return 1
		knocker=unix/$KN_APP_SOCKET
	fi
	port=$(kn_port)
	HTTP_PORT=$port KNOCKER=$knocker BACKEND_PORT=$KN_BACKEND_PORT WWW_DIR=$KN_DIR/www RUN_DIR=$run \
	    kn_render "$KN_SRC/conf-examples/Caddyfile" "$run/Caddyfile"
	out=$(XDG_DATA_HOME=$run/data XDG_CONFIG_HOME=$run/config caddy adapt --config "$run/Caddyfile" \
	    --adapter caddyfile 2>&1 >/dev/null) || { kn_diag "caddy adapt failed:" "$out"; return 1; }
	XDG_DATA_HOME=$run/data XDG_CONFIG_HOME=$run/config caddy run --config "$run/Caddyfile" \
	    --adapter caddyfile >>"$run/caddy.log" 2>&1 &
	kn_track $!
	kn_wait_port 127.0.0.1 "$port" $! caddy || return 1
	URL4=http://127.0.0.1:$port
	URL6="http://[::1]:$port"
}

kn_flow caddy /knock start_caddy

kn_req GET "$URL4/private/index.html" -H "X-Forwarded-For: 198.51.100.7"
kn_is "$KN_STATUS" 401 "caddy: denied (sanity)"
kn_unlike "$KN_BODY" SECRET-PAGE "caddy: knocker's 401 is passed on without the file"

kn_done
