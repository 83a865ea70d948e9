#!/bin/bash
# Hostile HTTP input through real lighttpd: clear errors, no crash, no bypass.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/robust_lib.sh"

kn_init hostile
kn_need_bin lighttpd spawn-fcgi curl jq head

kn_make_config "$KN_DIR/knocker.json" '.server.trusted_proxies = ["::1"]' \
    '.security.knock_rate_limit.successful_requests = 0' '.security.knock_rate_limit.failed_requests = 0'
kn_ok "2 workers behind lighttpd start" kn_stack "$KN_DIR/knocker.json" 2
pids_before=$KN_APP_PIDS

# Bodies
head -c 5000 /dev/zero | tr '\0' ' ' >"$KN_DIR/5k"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H 'Content-Type: application/json' --data-binary @"$KN_DIR/5k"
kn_is "$KN_STATUS:$KN_BODY" '413:{"error":"Request body too large."}' "5000-byte body is 413"
head -c 1048576 /dev/zero >"$KN_DIR/1m"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H 'Content-Type: application/json' --data-binary @"$KN_DIR/1m"
kn_is "$KN_STATUS" 413 "1 MiB body is 413"
printf '{"ip_address":"\xff\xfe1.2.3.4"}' >"$KN_DIR/badutf8"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_ADMIN_KEY" -H 'Content-Type: application/json' --data-binary @"$KN_DIR/badutf8"
kn_is "$KN_STATUS" 400 "invalid UTF-8 in the body is 400"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H 'Content-Type: application/json' --data-binary '{"ttl":5}garbage'
kn_is "$KN_STATUS:$KN_BODY" '400:{"error":"Malformed JSON request body."}' "trailing garbage is 400"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H 'Content-Type: application/json' --data-binary '{"ttl":"5"}'
kn_is "$KN_STATUS" 400 "ttl as a string is 400"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_ADMIN_KEY" -H 'Content-Type: application/json' \
    --data-binary '{"ip_address":"0.0.0.0/0"}'
kn_is "$KN_STATUS" 400 "whitelisting the whole Internet is 400"

# Headers
big=$(head -c 70000 /dev/zero | tr '\0' a)
kn_req GET "$URL/private/index.html" -H "X-Junk: $big"
kn_unlike "$KN_STATUS" '^2' "an oversized header is refused by the server ($KN_STATUS), not let through"
kn_req POST "$URL/knock" -H "X-Api-Key: wrong" -H "X-Api-Key: $KN_API_KEY" --data-binary ''
kn_unlike "$KN_STATUS" '^2' "duplicate X-Api-Key (one wrong) does not authenticate ($KN_STATUS)"
kn_req POST "$URL6/knock" -H "X-Api-Key: $KN_API_KEY " -H 'X-Forwarded-For: 198.51.100.77' --data-binary ''
kn_is "$KN_STATUS" 200 "a key with trailing space is the key (HTTP strips it)"
kn_req POST "$URL/knock" -H "X-Api-Key: ${KN_API_KEY}x" --data-binary ''
kn_is "$KN_STATUS" 401 "the key plus one character is 401"
kn_req POST "$URL/knock" -H "X-Api-Key: ${KN_API_KEY:0:63}" --data-binary ''
kn_is "$KN_STATUS" 401 "the key minus one character is 401"

# Paths (127.0.0.1 never knocked in this test)
kn_is "$(kn_http GET "$URL/private/index.html")" 401 "127.0.0.1 has not knocked"
for p in '/private/%00/index.html' '/private/..%2f..%2fetc/passwd' '/private/%2e%2e/private/index.html' \
    '/private/health/%2e%2e/index.html' '/private/health%00/../index.html' '/PRIVATE/index.html'; do
	kn_req GET "$URL$p"
	kn_unlike "$KN_STATUS:$KN_BODY" '^200:SECRET-PAGE' "path $p does not reach the protected page ($KN_STATUS)"
done

# X-Forwarded-For
hops=$(for i in $(seq 1 300); do printf '10.0.%d.%d, ' $((i / 250)) $((i % 250)); done)
kn_req GET "$URL6/private/index.html" -H "X-Forwarded-For: ${hops}203.0.113.5"
kn_is "$KN_STATUS" 401 "300 X-Forwarded-For hops from the trusted proxy: denied"
kn_knock "$URL6/knock" "" -H "X-Forwarded-For: ${hops}203.0.113.5"
kn_is "$KN_STATUS:$KN_BODY" '400:{"error":"Could not determine client IP."}' "300 hops: knock is 400"
kn_knock "$URL6/knock" "" -H "X-Forwarded-For: 203.0.113.6, not-an-ip"
kn_is "$KN_STATUS" 400 "a malformed hop: knock is 400"
kn_knock "$URL6/knock" "" -H "X-Forwarded-For: 203.0.113.7"
kn_is "$KN_STATUS" 200 "a knock for 203.0.113.7 through the trusted proxy"
kn_req GET "$URL/private/index.html" -H "X-Forwarded-For: 203.0.113.7"
kn_is "$KN_STATUS" 401 "the same X-Forwarded-For from an untrusted peer (127.0.0.1) is ignored: 401"

# A slow client stalls mid-body; other clients are still answered.
exec 5<>"/dev/tcp/127.0.0.1/${URL##*:}"
printf 'POST /knock HTTP/1.1\r\nHost: x\r\nX-Api-Key: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"tt' "$KN_API_KEY" >&5
exec 6<>"/dev/tcp/127.0.0.1/${URL##*:}"
printf 'GET /private/ind' >&6
kn_req GET "$URL6/private/index.html" -H "X-Forwarded-For: 203.0.113.7" --max-time 5
kn_is "$KN_STATUS" 200 "with two stalled clients open, another client is answered at once"
kn_req GET "$URL/knock" -H "X-Api-Key: $KN_API_KEY" --max-time 5
kn_is "$KN_STATUS" 200 "and so is a status request"
exec 5>&- 6>&-

alive=0
for p in $pids_before; do kn_alive "$p" && alive=$((alive + 1)); done
kn_is "$alive" 2 "both workers survived everything (same pids)"

kn_done
