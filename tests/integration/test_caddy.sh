#!/bin/bash
# conf-examples/Caddyfile: forward_auth to knocker with transport fastcgi.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/flows.sh"

kn_init caddy
kn_need_bin caddy spawn-fcgi lighttpd curl jq

start_caddy() {	# NAME KNOCKER [extra forward_auth line]  -> sets URL4 URL6
	local run=$KN_DIR/$1 port out
	mkdir -p "$run/data" "$run/config"
	port=$(kn_port)
	HTTP_PORT=$port KNOCKER=$2 BACKEND_PORT=$KN_BACKEND_PORT WWW_DIR=$KN_DIR/www RUN_DIR=$run \
	    kn_render "$KN_SRC/conf-examples/Caddyfile" "$run/Caddyfile"
	if [ -n "${3-}" ]; then	# add a line to every block that talks to knocker
		sed -i "s|^\(\t*\)transport fastcgi {|\1$3\n&|" "$run/Caddyfile"
	fi
	out=$(XDG_DATA_HOME=$run/data XDG_CONFIG_HOME=$run/config caddy adapt --config "$run/Caddyfile" \
	    --adapter caddyfile 2>&1 >/dev/null) || { kn_diag "$out"; return 1; }
	XDG_DATA_HOME=$run/data XDG_CONFIG_HOME=$run/config caddy run --config "$run/Caddyfile" \
	    --adapter caddyfile >>"$run/caddy.log" 2>&1 &
	kn_track $!
	kn_wait_port 127.0.0.1 "$port" $! caddy || return 1
	URL4=http://127.0.0.1:$port
	URL6=http://[::1]:$port
}

kn_flow_www "$KN_DIR/www"
kn_make_config "$KN_DIR/knocker.json"
kn_ok "backend starts" kn_start_backend
kn_ok "knocker starts (2 workers)" kn_spawn_knocker "$KN_DIR/knocker.json" 2
kn_ok "caddy starts with the example Caddyfile" start_caddy plain "127.0.0.1:$KN_APP_PORT"
kn_flow_basic caddy "$URL4" "$URL6" /knock

# Behind a trusted front proxy: knocker on a unix socket, Caddy told to
# keep the front proxy's X-Forwarded-For (trusted_proxies 127.0.0.1).
kn_make_config "$KN_DIR/trusted.json" '.server.trusted_proxies = ["127.0.0.1"]' \
    ".whitelist.storage_path = \"$KN_DIR/state/trusted.json\""
kn_ok "a knocker trusting 127.0.0.1 starts on a unix socket" kn_spawn_knocker_socket "$KN_DIR/trusted.json" 2
kn_ok "a second caddy starts" start_caddy trusted "unix/$KN_APP_SOCKET" "trusted_proxies 127.0.0.1/32"
kn_flow_xff caddy "$URL4" "$URL6" /knock

kn_done
