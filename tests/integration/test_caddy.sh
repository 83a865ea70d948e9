#!/bin/bash
# conf-examples/Caddyfile: forward_auth to knocker with transport fastcgi for
# /private/ (static files) and /app/ (a reverse-proxied service), /knock
# through reverse_proxy. knocker on TCP (plain) and on a unix socket (trusted).
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/flows.sh"

kn_init caddy
kn_need_bin caddy spawn-fcgi lighttpd curl jq

# NAME CONFIG: knocker (plain: TCP; trusted: unix socket) and caddy from
# the example.
start_caddy() {
	local sock=0
	[ "$1" = trusted ] && sock=1
	KN_SOCKET=$sock kn_example_caddy "$@"
}

kn_flow caddy /knock start_caddy

kn_req GET "$URL4/private/index.html" -H "X-Forwarded-For: 198.51.100.7"
kn_is "$KN_STATUS" 401 "caddy: denied (sanity)"
kn_unlike "$KN_BODY" SECRET-PAGE "caddy: knocker's 401 is passed on without the file"

# knocker's 401 is answered with the page that says how to knock (as
# nginx's error_page does), for any method; knocker's own JSON answers on
# /knock and /.knocker/ stay JSON.
help=$(cat "$KN_SRC/conf-examples/www/knock-help.html")
for m in GET POST; do
	kn_req "$m" "$URL4/private/index.html" -H "X-Forwarded-For: 198.51.100.7"
	kn_is "$KN_STATUS:$KN_BODY" "401:$help" "caddy: a denied $m of a protected file is 401 with knock-help.html"
	kn_like "$(kn_header Content-Type)" '^text/html' "caddy: the $m 401 page is text/html"
	kn_req "$m" "$URL4/app/some/page" -H "X-Forwarded-For: 198.51.100.7"
	kn_is "$KN_STATUS:$KN_BODY" "401:$help" "caddy: a denied $m of the service is 401 with knock-help.html"
done
for k in /knock /.knocker/knock; do
	KEY=wrong-key-0123456789 kn_knock "$URL4$k" "" -H "X-Forwarded-For: 198.51.100.7"
	kn_is "$KN_STATUS:$KN_BODY" '401:{"error":"Invalid or missing API key."}' \
	    "caddy: a wrong key on $k is still knocker's JSON 401"
	kn_like "$(kn_header Content-Type)" '^application/json' "caddy: $k's 401 is application/json"
done
kn_req GET "$URL4/.knocker/verify" -H "X-Forwarded-For: 198.51.100.7"
kn_is "$KN_STATUS:$KN_BODY" "401:" \
    "caddy: a denied GET /.knocker/verify is knocker's own bare 401, not the page"
kn_knock "$URL4/knock" "" -H "X-Forwarded-For: 198.51.100.8"
kn_is "$KN_STATUS" 200 "caddy: a knock with the key"
kn_req GET "$URL4/private/index.html" -H "X-Forwarded-For: 198.51.100.8"
kn_is "$KN_STATUS:$KN_BODY" "200:SECRET-PAGE" "caddy: then the real file, not the page"

# /knock bodies are buffered by Caddy (at most 8 KB of them are kept): a
# larger one is refused (413), a normal one arrives intact.
head -c 20000 /dev/zero | tr '\0' ' ' >"$KN_DIR/20k"
kn_req POST "$URL4/knock" -H "X-Api-Key: $KN_API_KEY" -H 'X-Forwarded-For: 203.0.113.7' \
    -H 'Content-Type: application/json' --data-binary @"$KN_DIR/20k"
kn_is "$KN_STATUS" 413 "caddy: a 20000-byte knock body is 413"
kn_knock "$URL4/knock" '{"ttl":60}' -H 'X-Forwarded-For: 203.0.113.7'
kn_like "$KN_STATUS:$KN_BODY" '^200:\{"whitelisted_entry":"203\.0\.113\.7","expires_at":[0-9]+,"expires_in_seconds":60\}$' \
    "caddy: a knock with a JSON body passes the buffering intact"

kn_done
