#!/bin/bash
# conf-examples/apache2.conf: mod_authnz_fcgi asks knocker (FastCGI
# authorizer, TCP) about /private/ (static files) and /app/ (a
# reverse-proxied service); /knock goes to knocker through mod_proxy_fcgi.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/flows.sh"

kn_init apache
kn_need_bin apache2 spawn-fcgi lighttpd curl jq

# NAME CONFIG: knocker (TCP, 2 workers) and apache2 from the example.
# Sets URL4, URL6.
start_apache() {
	local run=$KN_DIR/$1 port out
	mkdir -p "$run"
	kn_spawn_knocker "$2" 2 || return 1
	port=$(kn_port)
	HTTP_PORT=$port KNOCKER_PORT=$KN_APP_PORT BACKEND_PORT=$KN_BACKEND_PORT WWW_DIR=$KN_DIR/www RUN_DIR=$run \
	    kn_render "$KN_SRC/conf-examples/apache2.conf" "$run/apache2.conf"
	out=$(apache2 -t -f "$run/apache2.conf" 2>&1) || { kn_diag "apache2 -t failed:" "$out"; return 1; }
	apache2 -f "$run/apache2.conf" -DFOREGROUND 2>>"$run/apache-stderr.log" &
	kn_track $!
	kn_wait_port 127.0.0.1 "$port" $! apache2 || return 1
	URL4=http://127.0.0.1:$port
	URL6="http://[::1]:$port"
}

kn_flow apache /knock start_apache

kn_req GET "$URL4/private/index.html" -H "X-Forwarded-For: 203.0.113.7"
kn_is "$KN_STATUS:$KN_BODY" "200:SECRET-PAGE" "apache: allowed (sanity)"
kn_unlike "$(tr -d '\r' <"$KN_HEADERS_FILE")" '^(Variable-|X-Knocker)' "apache: no authorizer header leaks into an allowed answer"
kn_req GET "$URL4/private/index.html" -H "X-Forwarded-For: 198.51.100.7"
kn_is "$KN_STATUS" 401 "apache: denied (sanity)"
kn_like "$KN_BODY" "Knock first" "apache: the 401 tells a human to knock"
kn_like "$(cat "$KN_DIR/trusted/apache-access.log")" ' knocker "GET /private/index.html ' \
    "apache: an allowed request gets the user 'knocker' (DefaultUser)"

kn_done
