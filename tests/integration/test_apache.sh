#!/bin/bash
# conf-examples/apache2.conf: mod_authnz_fcgi authorizer + mod_proxy_fcgi /knock.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/flows.sh"

kn_init apache
kn_need_bin apache2 spawn-fcgi lighttpd curl jq

start_apache() {	# NAME KNOCKER_PORT  -> sets URL4 URL6
	local run=$KN_DIR/$1 port out
	mkdir -p "$run"
	port=$(kn_port)
	HTTP_PORT=$port KNOCKER_PORT=$2 BACKEND_PORT=$KN_BACKEND_PORT WWW_DIR=$KN_DIR/www RUN_DIR=$run \
	    kn_render "$KN_SRC/conf-examples/apache2.conf" "$run/apache2.conf"
	out=$(apache2 -t -f "$run/apache2.conf" 2>&1) || { kn_diag "$out"; return 1; }
	apache2 -f "$run/apache2.conf" -DFOREGROUND 2>>"$run/apache-stderr.log" &
	kn_track $!
	kn_wait_port 127.0.0.1 "$port" $! apache2 || return 1
	URL4=http://127.0.0.1:$port
	URL6=http://[::1]:$port
}

kn_flow_www "$KN_DIR/www"
chmod -R a+rX "$KN_DIR"
kn_make_config "$KN_DIR/knocker.json"
kn_ok "backend starts" kn_start_backend
kn_ok "knocker starts (2 workers)" kn_spawn_knocker "$KN_DIR/knocker.json" 2
kn_ok "apache2 starts with the example config" start_apache plain "$KN_APP_PORT"
kn_flow_basic apache "$URL4" "$URL6" /knock
kn_req GET "$URL4/private/index.html"
kn_is "$KN_STATUS" 401 "apache: denied again (sanity)"
kn_unlike "$(cat "$KN_DIR/last-headers")" "Variable-" "apache: no knocker variables leak to the client"

kn_make_config "$KN_DIR/trusted.json" '.server.trusted_proxies = ["127.0.0.1"]' \
    ".whitelist.storage_path = \"$KN_DIR/state/trusted.json\""
kn_ok "a knocker trusting 127.0.0.1 starts" kn_spawn_knocker "$KN_DIR/trusted.json" 2
kn_ok "a second apache2 starts" start_apache trusted "$KN_APP_PORT"
kn_flow_xff apache "$URL4" "$URL6" /knock

kn_done
