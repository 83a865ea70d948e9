#!/bin/bash
# Hostile HTTP input through real lighttpd (authorizer mode) and nginx
# (auth_request, conf-examples/nginx.conf) in front of the same 2 workers:
# oversized and malformed bodies and headers, NUL bytes and invalid UTF-8,
# duplicate X-Api-Key and X-Forwarded-For lines, hundreds of X-Forwarded-For
# hops, spoofed headers from untrusted peers, path tricks against the
# excluded paths, slow clients. Clear errors, no crash (same worker pids
# at the end), no bypass.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/robust_lib.sh"

kn_init hostile
kn_need_bin lighttpd nginx spawn-fcgi curl jq xargs timeout

# ::1 is the trusted proxy (X-Forwarded-For names the client); 127.0.0.1
# is an ordinary client that never knocks in this test.
kn_make_config "$KN_DIR/knocker.json" '.server.trusted_proxies = ["::1"]' \
    '.security.knock_rate_limit.successful_requests = 0' '.security.knock_rate_limit.failed_requests = 0'
kn_ok "2 workers behind lighttpd start" kn_stack "$KN_DIR/knocker.json" 2
pids=$KN_APP_PIDS
WL=$KN_DIR/state/whitelist.json
TOO_LARGE='{"error":"Request body too large."}'
PROT=/private/index.html

# Prints "STATUS" of a raw HTTP/1.1 exchange (bytes from printf FORMAT ARGS)
# with the lighttpd port; "none" if the server closed without a status.
raw_status() {	# FORMAT [ARGS...]
	local port=${URL##*:} line
	line=$(timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"; printf "$@" >&3; head -n 1 <&3' \
	    "$port" "$@" 2>/dev/null | tr -d '\r')
	line=${line#HTTP/1.? }
	echo "${line%% *}" | grep . || echo none
}

kn_is "$(kn_http GET "$URL$PROT")" 401 "127.0.0.1 has not knocked: the protected page is 401"
kn_req GET "$URL/private/health"
kn_is "$KN_STATUS:$KN_BODY" "200:HEALTH-OK" "the excluded path /private/health is public (the path tests below mean something)"

# --- bodies -----------------------------------------------------------------------
head -c 5000 /dev/zero | tr '\0' ' ' >"$KN_DIR/5k"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H 'Content-Type: application/json' --data-binary @"$KN_DIR/5k"
kn_is "$KN_STATUS:$KN_BODY" "413:$TOO_LARGE" "a 5000-byte body is 413"
head -c 1048576 /dev/zero >"$KN_DIR/1m"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H 'Content-Type: application/json' --data-binary @"$KN_DIR/1m"
kn_is "$KN_STATUS" 413 "a 1 MiB body is 413"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H 'Content-Type: application/json' \
    -H 'Transfer-Encoding: chunked' --data-binary @"$KN_DIR/1m"
kn_is "$KN_STATUS:$KN_BODY" "413:$TOO_LARGE" "a 1 MiB chunked body (no Content-Length) is 413"
kn_req POST "$URL/knock" -H "X-Api-Key: bad" -H 'Content-Type: application/json' --data-binary @"$KN_DIR/1m"
kn_is "$KN_STATUS" 401 "a 1 MiB body with a wrong key is 401 (the key is checked first)"

body_is() {	# KEY BODY-FILE WANT NAME
	kn_req POST "$URL/knock" -H "X-Api-Key: $1" -H 'Content-Type: application/json' --data-binary @"$2"
	kn_is "$KN_STATUS:$KN_BODY" "$3" "$4"
}
printf '{"ip_address":"\xff\xfe203.0.113.1"}' >"$KN_DIR/b1"
body_is "$KN_ADMIN_KEY" "$KN_DIR/b1" '400:{"error":"Invalid IP address or CIDR notation in request body."}' \
    "invalid UTF-8 in ip_address is 400"
printf '{"ttl":60}\0' >"$KN_DIR/b2"
body_is "$KN_API_KEY" "$KN_DIR/b2" '400:{"error":"Malformed JSON request body."}' "a NUL byte after the JSON is 400"
printf '{"ip_address":"203.0.113.10"}\0{"ttl":1}' >"$KN_DIR/b3"
body_is "$KN_ADMIN_KEY" "$KN_DIR/b3" '400:{"error":"Malformed JSON request body."}' "a NUL byte and more JSON after the object is 400"
printf '{"ip_address":"203.0.113.11\\u0000junk"}' >"$KN_DIR/b4"
body_is "$KN_ADMIN_KEY" "$KN_DIR/b4" '400:{"error":"Invalid request data."}' 'an escaped NUL (\u0000) inside ip_address is 400'
printf '{"ip_address":"203.0.113.12\0"}' >"$KN_DIR/b5"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_ADMIN_KEY" -H 'Content-Type: application/json' --data-binary @"$KN_DIR/b5"
kn_is "$KN_STATUS" 400 "a raw NUL byte inside ip_address is 400"
printf '{"ttl":5,"ttl":99999}' >"$KN_DIR/b6"
body_is "$KN_API_KEY" "$KN_DIR/b6" '400:{"error":"Invalid request data."}' "a duplicate field is 400"
printf '{"ip_address":"203.0.113.13","IP_ADDRESS":"203.0.113.14"}' >"$KN_DIR/b7"
body_is "$KN_ADMIN_KEY" "$KN_DIR/b7" '400:{"error":"Invalid request data."}' "a field differing only in case is 400"
printf '{"ttl":%s}' "$(printf '[%.0s' $(seq 1 1500))$(printf ']%.0s' $(seq 1 1500))" >"$KN_DIR/b8"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H 'Content-Type: application/json' --data-binary @"$KN_DIR/b8"
kn_is "$KN_STATUS" 400 "1500 nested arrays are 400"
body_is "$KN_API_KEY" <(printf '{"ttl":5}garbage') '400:{"error":"Malformed JSON request body."}' "trailing garbage is 400"
printf '{"ttl":1e400}' >"$KN_DIR/b9"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H 'Content-Type: application/json' --data-binary @"$KN_DIR/b9"
kn_is "$KN_STATUS" 400 "ttl 1e400 is 400"
printf '{"ip_address":"%s"}' "$(head -c 3000 /dev/zero | tr '\0' 1)" >"$KN_DIR/b10"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_ADMIN_KEY" -H 'Content-Type: application/json' --data-binary @"$KN_DIR/b10"
kn_is "$KN_STATUS" 400 "a 3000-character ip_address is 400"
printf '{"ip_address":"0.0.0.0/0"}' >"$KN_DIR/b11"
body_is "$KN_ADMIN_KEY" "$KN_DIR/b11" '400:{"error":"CIDR range too broad. Maximum 65536 addresses allowed."}' \
    "whitelisting the whole Internet is 400"
kn_is "$(jq -c 'keys' "$WL" 2>/dev/null || echo none)" none "none of the hostile bodies whitelisted anything (no file yet)"

DUPC=198.51.100.50	# the client of the duplicate-key knocks (not 127.0.0.1)
# --- headers ------------------------------------------------------------------------
big=$(head -c 70000 /dev/zero | tr '\0' a)
kn_req GET "$URL$PROT" -H "X-Junk: $big"
kn_is "$KN_STATUS" 431 "a 70 KB header is refused by lighttpd: 431"
kn_unlike "$KN_BODY" SECRET "and nothing protected is in the answer"
kn_req POST "$URL/knock" -H "X-Api-Key: $(head -c 6000 /dev/zero | tr '\0' f)" --data-binary ''
kn_is "$KN_STATUS" 401 "a 6000-byte X-Api-Key is 401"
kn_req POST "$URL6/knock" -H "X-Api-Key: wrong" -H "X-Api-Key: $KN_API_KEY" -H "X-Forwarded-For: $DUPC" --data-binary ''
kn_is "$KN_STATUS:$KN_BODY" '401:{"error":"Invalid or missing API key."}' "duplicate X-Api-Key (wrong, right) does not authenticate: 401"
kn_req POST "$URL6/knock" -H "X-Api-Key: $KN_API_KEY" -H "X-Api-Key: wrong" -H "X-Forwarded-For: $DUPC" --data-binary ''
kn_is "$KN_STATUS:$KN_BODY" '401:{"error":"Invalid or missing API key."}' "duplicate X-Api-Key (right, wrong) does not authenticate: 401"
kn_req POST "$URL/knock" -H "X-Api-Key: $(printf '%s' "$KN_API_KEY" | tr a-f A-F)" --data-binary ''
kn_is "$KN_STATUS" 401 "the key in upper case is 401 (compared exactly)"
kn_req POST "$URL/knock" -H "X-Api-Key: ${KN_API_KEY}x" --data-binary ''
kn_is "$KN_STATUS" 401 "the key plus one character is 401"
kn_req POST "$URL/knock" -H "X-Api-Key: ${KN_API_KEY:0:63}" --data-binary ''
kn_is "$KN_STATUS" 401 "the key minus one character is 401"
kn_req POST "$URL/knock" -H "$(printf 'X-Api-Key: \xff\xfe%s' "$KN_API_KEY")" --data-binary ''
kn_is "$KN_STATUS" 401 "invalid UTF-8 before the key is 401"
st=$(raw_status 'POST /knock HTTP/1.1\r\nHost: x\r\nX-Api-Key: %s\0x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' "$KN_API_KEY")
kn_unlike "$st" '^2' "a NUL byte after the key in the header does not authenticate ($st)"
st=$(raw_status 'GET /private/\0/index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
kn_unlike "$st" '^2' "a NUL byte in the request path is refused ($st)"
kn_req POST "$URL$PROT" --data-binary @"$KN_DIR/1m"
kn_is "$KN_STATUS" 401 "a POST with a 1 MiB body to a protected page is 401 (the authorizer never reads it)"
kn_req PUT "$URL/knock" -H "X-Api-Key: $KN_API_KEY" --data-binary ''
kn_is "$KN_STATUS:$(kn_header Allow)" "405:GET, POST, OPTIONS" "PUT /knock is 405 with Allow"
kn_is "$(kn_http DELETE "$URL$PROT")" 401 "DELETE of a protected page is 401"
st=$(raw_status 'GET /private/index.html HTTP/1.0\r\n\r\n')
kn_is "$st" 401 "HTTP/1.0 without Host: 401"

# --- paths against the excluded path /private/health --------------------------------
for p in '/private/%00/index.html' '/private/..%2f..%2fetc/passwd' '/private/%2e%2e/private/index.html' \
    '/private/health/%2e%2e/index.html' '/private/health/../index.html' '/private/health%00/../index.html' \
    '/private/health%2f..%2findex.html' '/private/health%3f/../index.html' '/private/health%23/../index.html' \
    '/private/health?/../index.html' '/private/health#/../index.html' '/private/health/..;/index.html' \
    '/private/health/%252e%252e/index.html' '/private/./health/../index.html' '/private//health/../index.html' \
    '/private/health\..\index.html' '/private/%ff%fe/../index.html' '/PRIVATE/index.html' \
    '/private/index.html%3f/private/health' '/knock/../private/index.html' '/private/health/../../private/index.html'; do
	kn_req GET "$URL/" --path-as-is --request-target "$p"
	kn_unlike "$KN_STATUS:$KN_BODY" 'SECRET-PAGE' "path $p does not reach the protected page ($KN_STATUS)"
done
kn_req GET "$URL/" --request-target '/private/media/../index.html' -H 'Host: media.example.test'
kn_unlike "$KN_BODY" SECRET-PAGE "a host-excluded prefix with .. does not reach the protected page ($KN_STATUS)"
kn_req GET "$URL$PROT" -H 'Host: MEDIA.example.test.:80'
kn_is "$KN_STATUS" 401 "the excluded host does not open other paths"

# --- X-Forwarded-For ------------------------------------------------------------------
hops=$(for i in $(seq 1 300); do printf '10.0.%d.%d, ' $((i / 250)) $((i % 250)); done)
kn_is "$(kn_http GET "$URL6$PROT" -H "X-Forwarded-For: ${hops}203.0.113.5")" 401 \
    "300 X-Forwarded-For hops from the trusted proxy: denied"
kn_knock "$URL6/knock" "" -H "X-Forwarded-For: ${hops}203.0.113.5"
kn_is "$KN_STATUS:$KN_BODY" '400:{"error":"Could not determine client IP."}' "300 hops: a knock is 400"
hops20=$(for i in $(seq 1 19); do printf '10.1.0.%d, ' "$i"; done)
kn_knock "$URL6/knock" "" -H "X-Forwarded-For: ${hops20}203.0.113.20"
kn_like "$KN_STATUS:$KN_BODY" '^200:\{"whitelisted_entry":"203\.0\.113\.20"' "20 hops (the limit): the knock whitelists the last one"
kn_knock "$URL6/knock" "" -H "X-Forwarded-For: 10.1.0.0, ${hops20}203.0.113.21"
kn_is "$KN_STATUS" 400 "21 hops: a knock is 400"
for x in '203.0.113.6, not-an-ip' '203.0.113.6,,203.0.113.7' '203.0.113.6:8080' '[2001:db8::1]' \
    '203.0.113.0/24' "$(head -c 3000 /dev/zero | tr '\0' 1)"; do
	kn_knock "$URL6/knock" "" -H "X-Forwarded-For: $x"
	kn_is "$KN_STATUS" 400 "X-Forwarded-For '${x:0:40}': a knock is 400"
done
kn_knock "$URL6/knock" "" -H "X-Forwarded-For: 203.0.113.7"
kn_is "$KN_STATUS" 200 "a knock for 203.0.113.7 through the trusted proxy"
kn_is "$(kn_http GET "$URL$PROT" -H "X-Forwarded-For: 203.0.113.7")" 401 \
    "the same X-Forwarded-For from an untrusted peer (127.0.0.1) is ignored: 401"
# Two header lines are one list (RFC 9110 5.3): the client is the last address.
kn_is "$(kn_http GET "$URL6$PROT" -H "X-Forwarded-For: 203.0.113.7" -H "X-Forwarded-For: 198.51.100.1")" 401 \
    "two X-Forwarded-For lines (knocked address first): the client is the last one, denied"

# --- slow clients ---------------------------------------------------------------------------
# 3 clients stall mid-body on /knock, 2 stall in the headers, 2 stall
# mid-body on a protected page: more stalled clients than workers.
port=${URL##*:}
stalled=()
for i in 1 2 3; do
	exec {fd}<>"/dev/tcp/127.0.0.1/$port"
	printf 'POST /knock HTTP/1.1\r\nHost: x\r\nX-Api-Key: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"tt' \
	    "$KN_API_KEY" >&"$fd"
	stalled+=("$fd")
done
for i in 1 2; do
	exec {fd}<>"/dev/tcp/127.0.0.1/$port"
	printf 'GET /private/ind' >&"$fd"
	stalled+=("$fd")
	exec {fd}<>"/dev/tcp/127.0.0.1/$port"
	printf 'POST /private/index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc' >&"$fd"
	stalled+=("$fd")
done
kn_is "$(kn_http GET "$URL6$PROT" -H "X-Forwarded-For: 203.0.113.7" --max-time 10)" 200 \
    "with 7 stalled clients open, a verify is answered (allow)"
kn_is "$(kn_http GET "$URL$PROT" --max-time 10)" 401 "and a verify is answered (deny)"
kn_req GET "$URL6/knock" -H "X-Api-Key: $KN_API_KEY" -H "X-Forwarded-For: 203.0.113.7" --max-time 10
kn_is "$KN_STATUS" 200 "and a status request is answered"
kn_knock "$URL6/knock" "" -H "X-Forwarded-For: 203.0.113.9" --max-time 10
kn_is "$KN_STATUS" 200 "and a knock is answered"
for fd in "${stalled[@]}"; do exec {fd}>&-; done

kn_is "$(jq -c 'keys' "$WL")" '["203.0.113.20","203.0.113.7","203.0.113.9"]' \
    "the whitelist holds exactly the 3 knocks that were meant to succeed"

# --- the same through nginx (auth_request) -----------------------------------------------
run=$KN_DIR/nginx
np=$(kn_port)
kn_render_nginx "$run" "$np" "127.0.0.1:$KN_APP_PORT"
kn_ok "nginx starts in front of the same workers" kn_start_nginx "$run" "$np"
N=http://127.0.0.1:$np N6=http://[::1]:$np
kn_is "$(kn_http GET "$N$PROT")" 401 "nginx: 127.0.0.1 is denied"
kn_req POST "$N/knock" -H "X-Api-Key: $KN_API_KEY" -H 'Content-Type: application/json' --data-binary @"$KN_DIR/5k"
kn_is "$KN_STATUS:$KN_BODY" "413:$TOO_LARGE" "nginx: a 5000-byte body is 413"
head -c 2000000 /dev/zero >"$KN_DIR/2m"
kn_is "$(kn_http POST "$N/knock" -H "X-Api-Key: $KN_API_KEY" --data-binary @"$KN_DIR/2m")" 413 "nginx: a 2 MB body is 413"
kn_req POST "$N6/knock" -H "X-Api-Key: wrong" -H "X-Api-Key: $KN_API_KEY" -H "X-Forwarded-For: $DUPC" --data-binary ''
kn_is "$KN_STATUS:$KN_BODY" '401:{"error":"Invalid or missing API key."}' "nginx: duplicate X-Api-Key (wrong, right) does not authenticate: 401"
kn_req POST "$N6/knock" -H "X-Api-Key: $KN_API_KEY" -H "X-Api-Key: wrong" -H "X-Forwarded-For: $DUPC" --data-binary ''
kn_is "$KN_STATUS:$KN_BODY" '401:{"error":"Invalid or missing API key."}' "nginx: duplicate X-Api-Key (right, wrong) does not authenticate: 401"
kn_is "$(kn_http GET "$N6$PROT" -H "X-Forwarded-For: ${hops}203.0.113.7")" 401 "nginx: 300 hops are denied"
kn_is "$(kn_http GET "$N$PROT" -H "X-Forwarded-For: 203.0.113.7")" 401 "nginx: X-Forwarded-For from an untrusted peer is ignored"
kn_is "$(kn_http GET "$N6$PROT" -H "X-Forwarded-For: 203.0.113.7")" 200 "nginx: the knocked client behind the trusted proxy is allowed"
kn_is "$(kn_http GET "$N6$PROT" -H "X-Forwarded-For: 203.0.113.7" -H "X-Forwarded-For: 198.51.100.1")" 401 \
    "nginx: two X-Forwarded-For lines (knocked address first): the client is the last one, denied"
kn_knock "$N6/knock" "" -H "X-Forwarded-For: 203.0.113.99" -H "X-Forwarded-For: 198.51.100.2"
kn_unlike "$KN_BODY" '203\.0\.113\.99' "nginx: a knock with two X-Forwarded-For lines does not whitelist the first one ($KN_STATUS)"
kn_is "$(kn_http GET "$N6$PROT" -H 'X-Original-URI: /private/health' -H 'X-Forwarded-Uri: /private/health' \
    -H 'X-Forwarded-For: 198.51.100.1')" 401 "nginx: a client's own X-Original-URI/X-Forwarded-Uri naming an excluded path is ignored"
kn_is "$(kn_http GET "$N6/" --path-as-is --request-target '/private/health/../index.html' \
    -H 'X-Forwarded-For: 198.51.100.1')" 401 "nginx: /private/health/../index.html is denied"
exec {fd}<>"/dev/tcp/127.0.0.1/$np"
printf 'POST /knock HTTP/1.1\r\nHost: x\r\nX-Api-Key: %s\r\nContent-Length: 100\r\n\r\n{"tt' "$KN_API_KEY" >&"$fd"
exec {fd2}<>"/dev/tcp/127.0.0.1/$np"
printf 'POST /knock HTTP/1.1\r\nHost: x\r\nX-Api-Key: %s\r\nContent-Length: 100\r\n\r\n{"tt' "$KN_API_KEY" >&"$fd2"
kn_is "$(kn_http GET "$N6$PROT" -H "X-Forwarded-For: 203.0.113.7" --max-time 10)" 200 \
    "nginx: with 2 stalled knock bodies open, a verify is answered"
exec {fd}>&- {fd2}>&-

# Last, as it whitelists 127.0.0.1, the unknocked client of all the above.
kn_knock "$URL/knock" "" -H "X-Forwarded-For: 203.0.113.8"
kn_like "$KN_BODY" '"whitelisted_entry":"127\.0\.0\.1"' "a knock with X-Forwarded-For from an untrusted peer whitelists the peer"
kn_is "$(kn_http GET "$URL6$PROT" -H "X-Forwarded-For: 203.0.113.8")" 401 "and not the address it named"
kn_is "$(kn_http GET "$URL6$PROT" -H "X-Forwarded-For: $DUPC")" 401 "the duplicate-key knocks whitelisted nobody"
kn_is "$(kn_count_alive $pids)" 2 "both workers survived everything (same pids)"

kn_done
