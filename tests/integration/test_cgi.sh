#!/bin/bash
# knocker as a plain CGI program (conf-examples/lighttpd-cgi.conf): lighttpd's
# mod_cgi runs the binary for /knock and /.knocker/verify with KNOCKER_CONFIG
# set by the server; the check on /private/ and /app/ is the same binary as a
# FastCGI authorizer (lighttpd has no CGI authorizer), sharing the whitelist.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/flows.sh"

kn_init cgi
kn_need_bin lighttpd spawn-fcgi curl jq

# NAME CONFIG: knocker under spawn-fcgi for the checks (TCP, 2 workers) and
# lighttpd from the example. Sets URL4, URL6.
start_cgi() {
	local run=$KN_DIR/$1 port
	mkdir -p "$run"
	kn_spawn_knocker "$2" 2 || return 1
	port=$(kn_port)
	HTTP_PORT=$port KNOCKER_BIN=$KNOCKER KNOCKER_CONFIG=$2 AUTHZ_PORT=$KN_APP_PORT \
	    BACKEND_PORT=$KN_BACKEND_PORT WWW_DIR=$KN_DIR/www RUN_DIR=$run \
	    kn_render "$KN_SRC/conf-examples/lighttpd-cgi.conf" "$run/lighttpd.conf"
	kn_start_lighttpd "$run/lighttpd.conf" || return 1
	URL4=http://127.0.0.1:$port
	URL6="http://[::1]:$port"
}

kn_flow cgi /knock start_cgi

# Which process took the knocks: not a FastCGI worker, a CGI process.
line=$(grep 'audit: event=knock result=ok .* entry=203\.0\.113\.7 ' "$KN_DIR/state/knocker.log" | head -n 1)
pid=$(printf '%s\n' "$line" | sed -n 's/.*knocker\[\([0-9]*\)\].*/\1/p')
kn_like "$pid" '^[0-9]+$' "cgi: the knock is logged with its process id"
kn_unlike " $KN_APP_PIDS " " $pid " "cgi: the knock was taken by a CGI process, not by a FastCGI worker"
kn_unlike "$(cat "$KN_DIR/state/knocker.log")" "worker $pid serving" "cgi: that process never ran the FastCGI loop"

# The CGI reads the body from stdin and answers like the FastCGI responder.
kn_req POST "$URL4/knock" -H "X-Api-Key: $KN_API_KEY" -H 'Content-Type: text/plain' \
    -H 'X-Forwarded-For: 203.0.113.7' --data-binary 'x'
kn_is "$KN_STATUS:$KN_BODY" '415:{"error":"Request body must be JSON."}' "cgi: a knock with a text body is 415"
kn_is "$(kn_header Access-Control-Allow-Origin)" "*" "cgi: its answer carries the CORS header"
KEY=$KN_ADMIN_KEY kn_knock "$URL4/knock" '{"ip_address":"192.0.2.0/24","ttl":60}' -H 'X-Forwarded-For: 203.0.113.7'
kn_like "$KN_STATUS:$KN_BODY" '^200:\{"whitelisted_entry":"192\.0\.2\.0/24","expires_at":[0-9]+,"expires_in_seconds":60\}$' \
    "cgi: a JSON body is read (remote whitelist of a /24)"
kn_req GET "$URL4/private/index.html" -H 'X-Forwarded-For: 192.0.2.55'
kn_is "$KN_STATUS:$KN_BODY" "200:SECRET-PAGE" "cgi: the FastCGI authorizer honours the CGI's knock at once"

# The verify decision through the CGI.
kn_req GET "$URL4/.knocker/verify" -H 'X-Forwarded-For: 203.0.113.7'
kn_is "$KN_STATUS" 200 "cgi: /.knocker/verify allows a whitelisted client"
kn_req GET "$URL4/.knocker/verify" -H 'X-Forwarded-For: 198.51.100.7'
kn_is "$KN_STATUS" 401 "cgi: /.knocker/verify denies another"
kn_req GET "$URL6/.knocker/verify"
kn_is "$KN_STATUS" 200 "cgi: /.knocker/verify allows ::1 (knocked)"

# By hand, outside a web server: one request from the environment, config
# from KNOCKER_CONFIG; a broken config still gets an explicit failing answer.
out=$(env -i KNOCKER_CONFIG="$KN_DIR/plain.json" REQUEST_METHOD=GET SCRIPT_NAME=/health "$KNOCKER" </dev/null 2>&1)
kn_like "$out" '^Status: 200' "cgi by hand: /health with KNOCKER_CONFIG answers 200"
out=$(env -i KNOCKER_CONFIG="$KN_DIR/plain.json" REQUEST_METHOD=GET SCRIPT_NAME=/verify REMOTE_ADDR=198.51.100.9 \
    REQUEST_URI=/private/index.html "$KNOCKER" </dev/null 2>&1)
kn_like "$out" '^Status: 401' "cgi by hand: /verify for an unknown address answers 401"
echo '{' >"$KN_DIR/bad.json"
out=$(env -i KNOCKER_CONFIG="$KN_DIR/bad.json" REQUEST_METHOD=GET SCRIPT_NAME=/verify REMOTE_ADDR=127.0.0.1 \
    REQUEST_URI=/private/health "$KNOCKER" </dev/null 2>/dev/null)
kn_like "$out" '^Status: 401' "cgi by hand: with a broken config /verify denies, even an excluded path"
out=$(env -i KNOCKER_CONFIG="$KN_DIR/bad.json" REQUEST_METHOD=GET SCRIPT_NAME=/health "$KNOCKER" </dev/null 2>/dev/null)
kn_like "$out" '^Status: 503' "cgi by hand: with a broken config /health answers 503, not nothing"

kn_done
