#!/bin/bash
# The external contract, end to end through real lighttpd and spawn-fcgi
# workers, for the behaviours no other test checks this way: boundaries
# (a 4096-byte body, ttl 315360000), /ready before the whitelist file
# exists, a body without Content-Type, 405
# with Allow, /verify's empty answer, canonical entries in the whitelist
# file, a whitelist file in the original's format with keys a person might
# write, the latest expiry among matching entries, always_allowed_ips given
# as a v4-mapped range, excluded paths without a client IP, a success limit
# of 0 beside a failure limit, CORS on a 429, the config file's precedence
# (-c, KNOCKER_CONFIG), -t's one line per problem, and SIGINT / SIGUSR1.
# knocker trusts 127.0.0.1 (lighttpd) as a proxy, so X-Forwarded-For names
# the client and every client below is a documentation address.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/robust_lib.sh"

kn_init contract
kn_need_bin lighttpd spawn-fcgi curl jq

ORIGIN=https://app.example.test
FAR=9999999999
NOW=$(date +%s)
SOON=$((NOW + 1000))
CONF=$KN_DIR/knocker.json
WL=$KN_DIR/state/whitelist.json
kn_make_config "$CONF" '.server.trusted_proxies = ["127.0.0.1"]' \
    '.security.always_allowed_ips = ["::ffff:192.0.2.128/121"]' \
    '.security.knock_rate_limit.successful_requests = 0' \
    '.security.knock_rate_limit.failed_requests = 3' \
    ".cors.allowed_origin = \"$ORIGIN\""

# --- the config file: -c, KNOCKER_CONFIG, -t -----------------------------------
out=$(KNOCKER_CONFIG=$CONF "$KNOCKER" -t 2>&1)
kn_is "$?:$out" "0:$CONF: ok" "-t without -c checks the file KNOCKER_CONFIG names"
jq '.api_keys[0].max_ttl = 315360001 | .api_keys[1].max_ttl = 0' "$CONF" >"$KN_DIR/bad.json"
chmod 600 "$KN_DIR/bad.json"
out=$(KNOCKER_CONFIG=$KN_DIR/bad.json "$KNOCKER" -t -c "$CONF" 2>&1)
kn_is "$?:$out" "0:$CONF: ok" "-c wins over KNOCKER_CONFIG"
out=$("$KNOCKER" -t -c "$KN_DIR/bad.json" 2>&1)
kn_is "$?:$(printf '%s\n' "$out" | sort)" "1:$KN_DIR/bad.json: api_keys[0].max_ttl: must be at most 315360000
$KN_DIR/bad.json: api_keys[1].max_ttl: must be a positive integer" \
    "-t: two problems, exit 1 and one line naming each key path"

kn_ok "knocker (2 workers) and lighttpd start" kn_stack "$CONF" 2 || kn_bail "the deployment did not start"

# --- no whitelist file yet: an empty whitelist, and ready ---
kn_req GET "$URL/.knocker/ready"
kn_is "$KN_STATUS:$KN_BODY" '200:{"status":"ok"}' "GET /ready is 200 while the whitelist file does not exist yet"
kn_is "$(kn_verify_as "$URL" 203.0.113.40)" 401 "a missing whitelist file is an empty whitelist: denied"
kn_ok "and neither /ready nor verify created the file" test ! -e "$WL"

# --- a whitelist file as FarisZR/knocker writes it (spaces after : and ,),
# with keys a person might write: a /32, a v4-mapped address, a range ---
printf '{"203.0.113.40/32": %s, "::ffff:203.0.113.41": %s, "198.51.100.0/24": %s, "198.51.100.9": %s}\n' \
    "$FAR" "$FAR" "$FAR" "$SOON" >"$WL.new"
chmod 600 "$WL.new"
mv "$WL.new" "$WL"
sleep 1.1	# an edit from outside is seen by every worker within a second (docs/API.md)

kn_is "$(kn_verify_as "$URL" 203.0.113.40)" 200 "whitelist file: a \"/32\" key lets its address in"
kn_is "$(kn_verify_as "$URL" 203.0.113.41)" 200 "whitelist file: a \"::ffff:\" key lets the IPv4 address in"
kn_is "$(kn_verify_as "$URL" 198.51.100.200)" 200 "whitelist file: a range lets an address inside it in"
kn_is "$(kn_verify_as "$URL" 203.0.113.42)" 401 "whitelist file: an address in no entry is denied"
kn_req GET "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H "X-Forwarded-For: 198.51.100.9"
kn_like "$KN_STATUS:$KN_BODY" "^200:\\{\"client_ip\":\"198\\.51\\.100\\.9\",\"whitelisted\":true,\"expires_at\":$FAR," \
    "GET /knock: inside its own entry and a later range, the latest expiry is reported"

# --- always_allowed_ips as a v4-mapped range (::ffff:192.0.2.128/121 = 192.0.2.128/25) ---
kn_is "$(kn_verify_as "$URL" 192.0.2.130)" 200 "always_allowed_ips: a v4-mapped range allows the IPv4 client"
kn_is "$(kn_verify_as "$URL" 192.0.2.127)" 401 "always_allowed_ips: the address below the range is denied"
kn_req GET "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H "X-Forwarded-For: 192.0.2.130"
kn_is "$KN_STATUS:$KN_BODY" '200:{"client_ip":"192.0.2.130","whitelisted":true,"expires_at":null,"expires_in_seconds":null}' \
    "GET /knock: an always-allowed client is whitelisted without expiry"

# --- excluded paths need no client IP; everything else does ---
kn_req GET "$URL/private/health"
kn_is "$KN_STATUS:$KN_BODY" "200:HEALTH-OK" "the trusted proxy without X-Forwarded-For (no client IP) gets an excluded path"
kn_req GET "$URL/private/index.html"
kn_is "$KN_STATUS" 401 "but not a protected one"

# --- GET /verify: 200 or 401, empty body ---
kn_req GET "$URL/.knocker/verify" -H "X-Forwarded-For: 203.0.113.40"
kn_is "$KN_STATUS:$KN_BODY" "200:" "GET /verify allows a whitelisted client with an empty body"
kn_req GET "$URL/.knocker/verify" -H "X-Forwarded-For: 203.0.113.42"
kn_is "$KN_STATUS:$KN_BODY" "401:" "GET /verify denies another with an empty body"

# --- a wrong method: 405 with Allow ---
kn_req POST "$URL/.knocker/health" --data-binary ''
kn_is "$KN_STATUS:$(kn_header Allow)" "405:GET, HEAD" "POST /health is 405 with Allow: GET, HEAD"
kn_req DELETE "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H "X-Forwarded-For: 203.0.113.43"
kn_is "$KN_STATUS:$(kn_header Allow):$(kn_header Access-Control-Allow-Origin)" "405:GET, POST, OPTIONS:$ORIGIN" \
    "DELETE /knock is 405 with Allow and the CORS header"

# --- POST /knock: the edges of the body rules ---
# A body of exactly 4096 bytes: a JSON object padded with spaces.
printf '{"ttl":77%4086s}' '' >"$KN_DIR/4096"
printf '{"ttl":77%4087s}' '' >"$KN_DIR/4097"
kn_is "$(stat -c %s "$KN_DIR/4096"):$(stat -c %s "$KN_DIR/4097")" "4096:4097" "the two bodies are 4096 and 4097 bytes"
kn_knock "$URL/knock" "@$KN_DIR/4096" -H "X-Forwarded-For: 203.0.113.44"
kn_like "$KN_STATUS:$KN_BODY" '^200:\{"whitelisted_entry":"203\.0\.113\.44","expires_at":[0-9]+,"expires_in_seconds":77\}$' \
    "a 4096-byte body is read and used"
kn_knock "$URL/knock" "@$KN_DIR/4097" -H "X-Forwarded-For: 203.0.113.45"
kn_is "$KN_STATUS:$KN_BODY" '413:{"error":"Request body too large."}' "a 4097-byte body is 413"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H "X-Forwarded-For: 203.0.113.46" -H 'Content-Type:' \
    --data-binary '{"ttl":60}'
kn_is "$KN_STATUS:$KN_BODY" '415:{"error":"Request body must be JSON."}' "a body without Content-Type is 415"
kn_knock "$URL/knock" '{"ttl":315360000}' -H "X-Forwarded-For: 203.0.113.47"
kn_like "$KN_STATUS:$KN_BODY" '^200:\{"whitelisted_entry":"203\.0\.113\.47","expires_at":[0-9]+,"expires_in_seconds":3600\}$' \
    "ttl 315360000 (ten years) is not too large: capped at the key's max_ttl"
kn_knock "$URL/knock" '{"ttl":315360001}' -H "X-Forwarded-For: 203.0.113.48"
kn_is "$KN_STATUS:$KN_BODY" '400:{"error":"TTL too large. Maximum allowed is 315360000 seconds (10 years)."}' \
    "ttl 315360001 is too large"

# --- remote whitelisting writes canonical entries ---
for pair in "203.0.113.6/32 203.0.113.6" "::ffff:203.0.113.5 203.0.113.5" \
    "2001:DB8:0:0:1::5/128 2001:db8::1:0:0:5" "2001:db8:0:1:2::/64 2001:db8:0:1::/64" \
    "203.0.113.77/28 203.0.113.64/28"; do
	KEY=$KN_ADMIN_KEY kn_knock "$URL/knock" "{\"ip_address\":\"${pair% *}\",\"ttl\":600}" -H "X-Forwarded-For: 203.0.113.49"
	kn_like "$KN_STATUS:$KN_BODY" "^200:\\{\"whitelisted_entry\":\"${pair#* }\",\"expires_at\":[0-9]+,\"expires_in_seconds\":600\\}\$" \
	    "remote knock for ${pair% *}: the entry is ${pair#* }"
done
kn_is "$(kn_verify_as "$URL" 203.0.113.70)" 200 "an address inside the remotely whitelisted /28 is allowed"
kn_ok "the whitelist file is a JSON object of entries to integer expiry times" kn_whitelist_parses "$WL"
kn_is "$(jq -r 'keys[]' "$WL" | sort | tr '\n' ' ')" \
    "198.51.100.0/24 198.51.100.9 2001:db8:0:1::/64 2001:db8::1:0:0:5 203.0.113.40 203.0.113.41 203.0.113.44 203.0.113.47 203.0.113.5 203.0.113.6 203.0.113.64/28 " \
    "the rewritten file holds every entry, canonical (no /32, /128, ::ffff: or upper case)"
kn_is "$(jq -r '."203.0.113.40", ."198.51.100.9"' "$WL" | tr '\n' ' ')" "$FAR $SOON " \
    "the rewritten file keeps the expiry times of the entries it found"

# --- rate limit: successful_requests 0 disables that limit only ---
codes=""
for i in $(seq 1 25); do
	codes="$codes $(kn_knock_as "$URL" 203.0.113.60)"
done
kn_is "$codes" "$(printf ' 200%.0s' $(seq 1 25))" "successful_requests 0: 25 knocks in a window are all answered 200"
codes=""
for i in 1 2 3 4; do
	codes="$codes $(KEY=wrong-key-0123456789 kn_knock_as "$URL" 203.0.113.61)"
done
kn_is "$codes" " 401 401 401 429" "failed_requests 3 still holds: the 4th failure is 429"
KEY=wrong-key-0123456789 kn_knock "$URL/knock" "" -H "X-Forwarded-For: 203.0.113.61"
kn_is "$KN_STATUS:$KN_BODY" '429:{"error":"Too many knock attempts."}' "the 429 answer"
kn_like "$(kn_header Retry-After)" '^[1-9][0-9]*$' "the 429 carries Retry-After"
kn_is "$(kn_header Access-Control-Allow-Origin)" "$ORIGIN" "the 429 carries the configured CORS origin"

# --- SIGINT and SIGUSR1 end the accept loop with exit 0 (SIGTERM: test_spawnfcgi.sh) ---
# spawn-fcgi listens before it starts knocker, and a shell starts a
# background job with SIGINT ignored: signal only once knocker catches it.
catches() {	# PID SIGNUM: waits up to 10 s for the handler
	local i mask
	for i in $(seq 1 100); do
		mask=$(awk '/^SigCgt:/ {print $2}' "/proc/$1/status" 2>/dev/null)
		[ -n "$mask" ] && (( (16#$mask >> ($2 - 1)) & 1 )) && return 0
		sleep 0.1
	done
	return 1
}
for sig in INT USR1; do
	port=$(kn_port)
	spawn-fcgi -n -a 127.0.0.1 -p "$port" -- "$KNOCKER" -c "$CONF" >/dev/null 2>&1 &
	pid=$!
	kn_track "$pid"
	kn_ok "SIG$sig: a worker (spawn-fcgi -n) listens" kn_wait_port 127.0.0.1 "$port" "$pid" knocker
	kn_ok "SIG$sig: the worker catches it" catches "$pid" "$(kill -l "$sig")"
	kill -"$sig" "$pid"
	for i in $(seq 1 100); do kn_alive "$pid" || break; sleep 0.1; done
	if kn_alive "$pid"; then
		kn_is "still running 10 s after SIG$sig" "exited" "SIG$sig: the worker exits 0"
	else
		wait "$pid"
		kn_is "$?" 0 "SIG$sig: the worker exits 0"
		kn_untrack "$pid"
	fi
done

kn_done
