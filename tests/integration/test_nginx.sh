#!/bin/bash
# conf-examples/nginx.conf: auth_request to knocker's /verify over FastCGI.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/flows.sh"

kn_init nginx
kn_need_bin nginx spawn-fcgi lighttpd curl jq

start_nginx() {	# NAME KNOCKER_ADDR  -> sets URL4 URL6
	local run=$KN_DIR/$1 port
	mkdir -p "$run"
	port=$(kn_port)
	HTTP_PORT=$port KNOCKER=$2 BACKEND_PORT=$KN_BACKEND_PORT WWW_DIR=$KN_DIR/www RUN_DIR=$run \
	    kn_render "$KN_SRC/conf-examples/nginx.conf" "$run/nginx.conf"
	nginx -t -q -c "$run/nginx.conf" -p "$run" || return 1
	nginx -c "$run/nginx.conf" -p "$run" -g 'daemon off;' 2>>"$run/nginx-stderr.log" &
	kn_track $!
	kn_wait_port 127.0.0.1 "$port" $! nginx || return 1
	URL4=http://127.0.0.1:$port
	URL6=http://[::1]:$port
}

kn_flow_www "$KN_DIR/www"
cp "$KN_SRC/conf-examples/www/knock-help.html" "$KN_DIR/www/"
kn_make_config "$KN_DIR/knocker.json"
kn_ok "backend starts" kn_start_backend
kn_ok "knocker starts (TCP, 2 workers)" kn_spawn_knocker "$KN_DIR/knocker.json" 2
kn_ok "nginx starts with the example config" start_nginx plain "127.0.0.1:$KN_APP_PORT"

kn_req GET "$URL4/private/index.html"
kn_like "$KN_BODY" "Knock first" "nginx: the 401 page tells a human how to knock"
kn_flow_basic nginx "$URL4" "$URL6" /knock
kn_req OPTIONS "$URL4/knock"
kn_is "$KN_STATUS:$(kn_header Access-Control-Allow-Methods)" "204:GET, POST, OPTIONS" "nginx: OPTIONS /knock"

# knocker over a unix socket, trusting 127.0.0.1 as a proxy.
kn_make_config "$KN_DIR/trusted.json" '.server.trusted_proxies = ["127.0.0.1"]' \
    ".whitelist.storage_path = \"$KN_DIR/state/trusted.json\""
kn_ok "knocker starts on a unix socket (nginx workers run as nobody: mode 0666 here)" \
    kn_spawn_knocker_socket "$KN_DIR/trusted.json" 2 -M 0666
kn_ok "a second nginx starts" start_nginx trusted "unix:$KN_APP_SOCKET"
kn_flow_xff nginx "$URL4" "$URL6" /knock

kn_done
