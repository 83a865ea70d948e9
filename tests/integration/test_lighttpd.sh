#!/bin/bash
# End to end behind real lighttpd (authorizer mode) and real spawn-fcgi
# workers, using conf-examples/lighttpd.conf and conf-examples/knocker.json.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

kn_init lighttpd
kn_need_bin lighttpd spawn-fcgi curl jq

# The document root: static files inside and outside the protected area.
mkdir -p "$KN_DIR/www/private/media"
echo "SECRET-PAGE" >"$KN_DIR/www/private/index.html"
echo "HEALTH-OK" >"$KN_DIR/www/private/health"
echo "MEDIA-OK" >"$KN_DIR/www/private/media/a.txt"
echo "PUBLIC-PAGE" >"$KN_DIR/www/index.html"

kn_make_config "$KN_DIR/knocker.json"
out=$("$KNOCKER" -t -c "$KN_DIR/knocker.json" 2>&1)
kn_is "$out" "$KN_DIR/knocker.json: ok" "knocker -t accepts the rendered example config"

# The command line
kn_like "$("$KNOCKER" -V)" '^knocker [0-9]+\.[0-9]+\.[0-9]+$' "knocker -V prints the version"
kn_like "$("$KNOCKER" -h)" '^usage: knocker' "knocker -h prints the usage"
"$KNOCKER" -x >/dev/null 2>&1
kn_is "$?" 2 "a bad option exits 2"
"$KNOCKER" -t extra >/dev/null 2>&1
kn_is "$?" 2 "a stray argument exits 2"
out=$(env -u KNOCKER_CONFIG "$KNOCKER" -t 2>&1)
kn_like "$out" 'knocker/knocker\.json' "without -c or KNOCKER_CONFIG, the default path is used and named"

kn_ok "spawn-fcgi starts 2 knocker workers" kn_spawn_knocker "$KN_DIR/knocker.json" 2
kn_is "$(echo $KN_APP_PIDS | wc -w)" 2 "two worker pids"
kn_ok "backend service starts" kn_start_backend

HTTP_PORT=$(kn_port) KNOCK_PORT=$KN_APP_PORT AUTHZ_PORT=$KN_APP_PORT BACKEND_PORT=$KN_BACKEND_PORT \
    WWW_DIR=$KN_DIR/www RUN_DIR=$KN_DIR kn_render "$KN_SRC/conf-examples/lighttpd.conf" "$KN_DIR/lighttpd.conf"
PORT=$(sed -n 's/^server.port *= *//p' "$KN_DIR/lighttpd.conf")
kn_ok "lighttpd starts with the example config" kn_start_lighttpd "$KN_DIR/lighttpd.conf"
V4=http://127.0.0.1:$PORT
V6=http://[::1]:$PORT

# --- deny before the knock ---
kn_req GET "$V4/private/index.html"
kn_is "$KN_STATUS" 401 "unknown client gets 401 on a protected file"
kn_unlike "$KN_BODY" SECRET-PAGE "the 401 does not leak the protected page"
kn_req GET "$V4/app/anything?x=1"
kn_is "$KN_STATUS" 401 "unknown client gets 401 on the reverse-proxied service"
kn_unlike "$KN_BODY" BACKEND-OK "the backend is not reachable without a knock"
kn_req GET "$V4/index.html"
kn_is "$KN_STATUS" 200 "unprotected page is served without asking knocker"

# --- excluded paths need no knock ---
kn_req GET "$V4/private/health"
kn_is "$KN_STATUS" 200 "excluded path is allowed without a knock"
kn_req GET "$V4/private/media/a.txt" -H "Host: media.example.test"
kn_is "$KN_STATUS" 200 "per-host excluded path is allowed for its host"
kn_req GET "$V4/private/media/a.txt" -H "Host: other.example.test"
kn_is "$KN_STATUS" 401 "per-host excluded path is denied for another host"

# --- knock ---
kn_req GET "$V4/knock" -H "X-Api-Key: $KN_API_KEY"
kn_is "$KN_BODY" '{"client_ip":"127.0.0.1","whitelisted":false,"expires_at":null,"expires_in_seconds":null}' \
    "status before the knock: not whitelisted"
KEY=wrong-key kn_knock "$V4/knock"
kn_is "$KN_STATUS" 401 "wrong key is 401"
kn_is "$KN_BODY" '{"error":"Invalid or missing API key."}' "wrong key error body"
kn_is "$(kn_header Access-Control-Allow-Origin)" "*" "the 401 answer of /knock carries the CORS header too"
before=$(date +%s)
kn_knock "$V4/knock"
after=$(date +%s)
kn_is "$KN_STATUS" 200 "knock answers 200"
kn_like "$KN_BODY" '^\{"whitelisted_entry":"127\.0\.0\.1","expires_at":[0-9]+,"expires_in_seconds":3600\}$' \
    "knock answer has exactly the three fields, compact"
exp=$(printf '%s' "$KN_BODY" | sed -n 's/.*"expires_at":\([0-9]*\).*/\1/p')
kn_ok "expires_at is the time of the knock + the key's max_ttl (3600)" \
    test "${exp:-0}" -ge $((before + 3600)) -a "${exp:-0}" -le $((after + 3600))
kn_like "$(kn_header Content-Type)" '^application/json' "knock answer is application/json"
kn_is "$(kn_header Access-Control-Allow-Origin)" "*" "knock answer carries the CORS header"

# --- allow after the knock, in whichever worker answers ---
allowed=0
for i in $(seq 1 20); do
	[ "$(kn_http GET "$V4/private/index.html")" = 200 ] && allowed=$((allowed + 1))
done
kn_is "$allowed" 20 "after the knock, 20 of 20 requests are allowed (both workers agree)"
kn_req GET "$V4/private/index.html"
kn_is "$KN_BODY" SECRET-PAGE "the protected file is served"
kn_req GET "$V4/app/some/path"
kn_is "$KN_STATUS" 200 "the reverse-proxied service is reachable after the knock"
kn_is "$KN_BODY" BACKEND-OK "the backend's page is served"
kn_req GET "$V4/knock" -H "X-Api-Key: $KN_API_KEY"
kn_like "$KN_BODY" '^\{"client_ip":"127\.0\.0\.1","whitelisted":true,"expires_at":[0-9]+,"expires_in_seconds":(3600|359[0-9])\}$' \
    "status after the knock: whitelisted with its expiry"
kn_like "$(jq -r '."127.0.0.1"' "$KN_DIR/state/whitelist.json")" '^[0-9]+$' "the whitelist file holds the entry"
kn_is "$(stat -c %a "$KN_DIR/state/whitelist.json")" 600 "the whitelist file is mode 0600"

# --- IPv6 ---
kn_req GET "$V6/private/index.html"
kn_is "$KN_STATUS" 401 "IPv6 ::1 is denied before its own knock"
kn_knock "$V6/knock"
kn_like "$KN_BODY" '^\{"whitelisted_entry":"::1",' "IPv6 knock whitelists ::1"
kn_req GET "$V6/private/index.html"
kn_is "$KN_STATUS" 200 "IPv6 ::1 is allowed after its knock"

# --- short TTL expires ---
KEY=$KN_ADMIN_KEY kn_knock "$V4/knock" '{"ttl":5}'
kn_is "$KN_BODY" "$(printf '{"whitelisted_entry":"127.0.0.1","expires_at":%s,"expires_in_seconds":5}' \
    "$(jq -r '."127.0.0.1"' "$KN_DIR/state/whitelist.json")")" "knock with ttl 5 replaces the expiry"
kn_req GET "$V4/private/index.html"
kn_is "$KN_STATUS" 200 "allowed within the short TTL"
sleep 6
kn_req GET "$V4/private/index.html"
kn_is "$KN_STATUS" 401 "denied again once the TTL expired"

# --- the other endpoints ---
kn_req GET "$V4/.knocker/health"
kn_is "$KN_STATUS:$KN_BODY" '200:{"status":"ok"}' "GET /.knocker/health is 200 {\"status\":\"ok\"}"
kn_req GET "$V4/.knocker/ready"
kn_is "$KN_STATUS:$KN_BODY" '200:{"status":"ok"}' "GET /.knocker/ready is 200 {\"status\":\"ok\"}"
kn_req GET "$V4/.knocker/nothing-here"
kn_is "$KN_STATUS:$KN_BODY" '404:{"error":"Not found."}' "an unknown endpoint is 404 with the JSON error"
kn_req GET "$V4/.knocker/knock" -H "X-Api-Key: $KN_API_KEY"
kn_like "$KN_STATUS:$KN_BODY" '^200:\{"client_ip":"127\.0\.0\.1","whitelisted":false,' \
    "the status endpoint also answers under the /.knocker/ prefix"
kn_req GET "$V4/knock"
kn_is "$KN_STATUS:$KN_BODY" '401:{"error":"Invalid or missing API key."}' "status without a key is 401"
kn_req OPTIONS "$V4/knock"
kn_is "$KN_STATUS" 204 "OPTIONS /knock is 204"
kn_is "$(kn_header Access-Control-Allow-Origin)" "*" "OPTIONS names the allowed origin"
kn_is "$(kn_header Access-Control-Allow-Methods)" "GET, POST, OPTIONS" "OPTIONS names the methods"
kn_is "$(kn_header Access-Control-Allow-Headers)" "X-Api-Key, Content-Type" "OPTIONS names the headers"
kn_req POST "$V4/knock" -H "X-Api-Key: $KN_API_KEY" -H 'Content-Type: text/plain' --data-binary 'hello'
kn_is "$KN_STATUS:$KN_BODY" '415:{"error":"Request body must be JSON."}' "text body is 415"
KEY=$KN_API_KEY kn_knock "$V4/knock" '{"ip_address":"203.0.113.9"}'
kn_is "$KN_STATUS:$KN_BODY" '403:{"error":"API key lacks remote whitelist permission."}' \
    "remote whitelist without permission is 403"

# --- a knock handled by one knocker is honoured by another ---
# Two separate spawn-fcgi instances on the same config and store: lighttpd
# sends /knock to A and the authorizer checks to B.
A_PORT=$KN_APP_PORT
A_PIDS=$KN_APP_PIDS
kn_ok "a second knocker instance (2 workers) starts" kn_spawn_knocker "$KN_DIR/knocker.json" 2
B_PORT=$KN_APP_PORT
B_PIDS=$KN_APP_PIDS
kn_ok "the instances are different processes on different ports" \
    test "$A_PORT" != "$B_PORT" -a "$A_PIDS" != "$B_PIDS"
mkdir -p "$KN_DIR/split"
HTTP_PORT=$(kn_port) KNOCK_PORT=$A_PORT AUTHZ_PORT=$B_PORT BACKEND_PORT=$KN_BACKEND_PORT \
    WWW_DIR=$KN_DIR/www RUN_DIR=$KN_DIR/split kn_render "$KN_SRC/conf-examples/lighttpd.conf" "$KN_DIR/split.conf"
SPLIT=http://127.0.0.1:$(sed -n 's/^server.port *= *//p' "$KN_DIR/split.conf")
kn_ok "lighttpd with /knock -> A and checks -> B starts" kn_start_lighttpd "$KN_DIR/split.conf"
kn_req GET "$SPLIT/private/index.html"
kn_is "$KN_STATUS" 401 "instance B denies before the knock (expired entry)"
kn_knock "$SPLIT/knock"
kn_is "$KN_STATUS" 200 "instance A takes the knock"
kn_req GET "$SPLIT/private/index.html"
kn_is "$KN_STATUS" 200 "instance B honours A's knock on the very next request"
allowed=0
for i in $(seq 1 20); do
	[ "$(kn_http GET "$SPLIT/private/index.html")" = 200 ] && allowed=$((allowed + 1))
done
kn_is "$allowed" 20 "instance B: 20 of 20 verifies after A's knock are allowed (both workers)"
KEY=$KN_ADMIN_KEY kn_knock "$SPLIT/knock" '{"ttl":1}'
kn_is "$KN_STATUS" 200 "instance A takes a knock that shortens the entry to 1 s"
sleep 2
kn_req GET "$SPLIT/private/index.html"
kn_is "$KN_STATUS" 401 "instance B sees the replaced, now expired entry and denies"

# --- workers survived everything ---
alive=0
for p in $A_PIDS $B_PIDS; do kn_alive "$p" && alive=$((alive + 1)); done
kn_is "$alive" 4 "all 4 knocker workers (2 per instance) are still running"
kn_unlike "$(cat "$KN_DIR"/state/*.log "$KN_DIR"/*.log 2>/dev/null)" "$KN_API_KEY|$KN_ADMIN_KEY" \
    "no API key appears in any log"

kn_done
