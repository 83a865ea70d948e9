#!/bin/bash
# knocker as a plain CGI program (conf-examples/lighttpd-cgi.conf): the
# /knock CGI and the FastCGI authorizer share one whitelist.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

kn_init cgi
kn_need_bin lighttpd spawn-fcgi curl jq

mkdir -p "$KN_DIR/www/private"
echo SECRET-PAGE >"$KN_DIR/www/private/index.html"
kn_make_config "$KN_DIR/knocker.json"
kn_ok "FastCGI knocker for the checks starts" kn_spawn_knocker "$KN_DIR/knocker.json" 1
HTTP_PORT=$(kn_port) KNOCKER_BIN=$KNOCKER KNOCKER_CONFIG=$KN_DIR/knocker.json AUTHZ_PORT=$KN_APP_PORT \
    WWW_DIR=$KN_DIR/www RUN_DIR=$KN_DIR kn_render "$KN_SRC/conf-examples/lighttpd-cgi.conf" "$KN_DIR/lighttpd.conf"
kn_ok "lighttpd with mod_cgi starts" kn_start_lighttpd "$KN_DIR/lighttpd.conf"
URL=http://127.0.0.1:$(sed -n 's/^server.port *= *//p' "$KN_DIR/lighttpd.conf")

kn_req GET "$URL/private/index.html"
kn_is "$KN_STATUS" 401 "denied before a knock"
kn_req GET "$URL/cgi/verify"
kn_is "$KN_STATUS" 401 "the CGI verify endpoint denies too"
KEY=wrong kn_knock "$URL/knock"
kn_is "$KN_STATUS:$KN_BODY" '401:{"error":"Invalid or missing API key."}' "CGI knock with a wrong key is 401"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H 'Content-Type: text/plain' --data-binary 'x'
kn_is "$KN_STATUS" 415 "CGI knock with a text body is 415 (the body was read from stdin)"
KEY=$KN_ADMIN_KEY kn_knock "$URL/knock" '{"ttl":120}'
kn_like "$KN_STATUS:$KN_BODY" '^200:\{"whitelisted_entry":"127\.0\.0\.1","expires_at":[0-9]+,"expires_in_seconds":120\}$' \
    "CGI knock with a JSON body answers 200"
kn_is "$(kn_header Access-Control-Allow-Origin)" "*" "CGI answer carries the CORS header"
kn_req GET "$URL/private/index.html"
kn_is "$KN_STATUS:$KN_BODY" "200:SECRET-PAGE" "the FastCGI authorizer honours the CGI's knock"
kn_req GET "$URL/cgi/verify"
kn_is "$KN_STATUS" 200 "the CGI verify endpoint allows too"
kn_req GET "$URL/knock" -H "X-Api-Key: $KN_API_KEY"
kn_like "$KN_BODY" '"whitelisted":true' "CGI status endpoint"

# Outside a web server: one request from the environment, config from
# KNOCKER_CONFIG; a bad config still gets an explicit failing answer.
out=$(KNOCKER_CONFIG=$KN_DIR/knocker.json REQUEST_METHOD=GET SCRIPT_NAME=/health "$KNOCKER" </dev/null)
kn_like "$out" '^Status: 200 OK' "CGI by hand: /health with KNOCKER_CONFIG"
echo '{' >"$KN_DIR/bad.json"
out=$(KNOCKER_CONFIG=$KN_DIR/bad.json REQUEST_METHOD=GET SCRIPT_NAME=/health "$KNOCKER" </dev/null 2>/dev/null)
kn_like "$out" '^Status: 503' "CGI by hand with a broken config answers 503, not nothing"

kn_done
