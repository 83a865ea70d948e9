# The flows every web server deployment must pass (bash, sourced after
# lib.sh). A server test starts knocker, a backend (kn_start_backend) and its
# web server from conf-examples/, then calls these with its base URLs.
#
# The document root comes from kn_flow_www; the knocker config from
# conf-examples/knocker.json excludes /private/health everywhere and
# /private/media/ for Host media.example.test.

kn_flow_www() {	# DIR
	mkdir -p "$1/private/media"
	echo "SECRET-PAGE" >"$1/private/index.html"
	echo "HEALTH-OK" >"$1/private/health"
	echo "MEDIA-OK" >"$1/private/media/a.txt"
	echo "PUBLIC-PAGE" >"$1/index.html"
}

# deny -> knock -> allow -> expiry -> deny, exclusions, IPv6, static and
# reverse-proxied service. V4/V6: http://127.0.0.1:PORT and http://[::1]:PORT;
# KNOCK: the knock path on that server (e.g. /knock).
kn_flow_basic() {	# TAG V4 V6 KNOCK
	local tag=$1 v4=$2 v6=$3 knock=$4 i allowed

	kn_req GET "$v4/private/index.html"
	kn_is "$KN_STATUS" 401 "$tag: unknown client gets 401 on a protected static file"
	kn_unlike "$KN_BODY" SECRET-PAGE "$tag: the 401 does not carry the protected file"
	kn_req GET "$v4/app/some/page?q=1"
	kn_is "$KN_STATUS" 401 "$tag: unknown client gets 401 on the reverse-proxied service"
	kn_unlike "$KN_BODY" BACKEND-OK "$tag: the backend is not reachable without a knock"
	kn_req POST "$v4/app/api" --data-binary 'x=1'
	kn_is "$KN_STATUS" 401 "$tag: a POST to the service without a knock is 401"
	kn_unlike "$KN_BODY" BACKEND-OK "$tag: nor does a POST reach the backend"

	kn_req GET "$v4/private/health"
	kn_is "$KN_STATUS:$KN_BODY" "200:HEALTH-OK" "$tag: excluded path is allowed without a knock"
	kn_req GET "$v4/private/health/../index.html"
	kn_is "$KN_STATUS" 401 "$tag: dot segments do not escape into the excluded path"
	kn_req GET "$v4/private/media/a.txt" -H "Host: media.example.test"
	kn_is "$KN_STATUS:$KN_BODY" "200:MEDIA-OK" "$tag: per-host excluded path allowed for its host"
	kn_req GET "$v4/private/media/a.txt" -H "Host: other.example.test"
	kn_is "$KN_STATUS" 401 "$tag: per-host excluded path denied for another host"

	KEY=wrong-key-123 kn_knock "$v4$knock"
	kn_is "$KN_STATUS:$KN_BODY" '401:{"error":"Invalid or missing API key."}' "$tag: knock with a wrong key is 401"
	kn_knock "$v4$knock"
	kn_is "$KN_STATUS" 200 "$tag: knock answers 200"
	kn_like "$KN_BODY" '^\{"whitelisted_entry":"127\.0\.0\.1","expires_at":[0-9]+,"expires_in_seconds":3600\}$' \
	    "$tag: knock answer has the three fields"

	allowed=0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(kn_http GET "$v4/private/index.html")" = 200 ] && allowed=$((allowed + 1))
	done
	kn_is "$allowed" 10 "$tag: after the knock 10 of 10 requests are allowed"
	kn_req GET "$v4/private/index.html"
	kn_is "$KN_BODY" SECRET-PAGE "$tag: the static file is served"
	kn_req GET "$v4/app/some/page?q=1"
	kn_is "$KN_STATUS:$KN_BODY" "200:BACKEND-OK" "$tag: the reverse-proxied service is served"
	kn_req GET "$v4$knock" -H "X-Api-Key: $KN_API_KEY"
	kn_like "$KN_BODY" '^\{"client_ip":"127\.0\.0\.1","whitelisted":true,' "$tag: status shows the client whitelisted"

	kn_req GET "$v6/private/index.html"
	kn_is "$KN_STATUS" 401 "$tag: IPv6 ::1 is denied before its own knock"
	kn_knock "$v6$knock"
	kn_like "$KN_STATUS:$KN_BODY" '^200:\{"whitelisted_entry":"::1",' "$tag: IPv6 knock whitelists ::1"
	kn_req GET "$v6/app/x"
	kn_is "$KN_STATUS:$KN_BODY" "200:BACKEND-OK" "$tag: IPv6 ::1 is allowed after its knock"

	KEY=$KN_ADMIN_KEY kn_knock "$v4$knock" '{"ttl":2}'
	kn_like "$KN_BODY" '"expires_in_seconds":2\}$' "$tag: a knock with ttl 2 replaces the expiry"
	kn_req GET "$v4/private/index.html"
	kn_is "$KN_STATUS" 200 "$tag: allowed within the short TTL"
	sleep 3
	kn_req GET "$v4/private/index.html"
	kn_is "$KN_STATUS" 401 "$tag: denied again once the TTL expired"
	kn_req GET "$v4/app/x"
	kn_unlike "$KN_BODY" BACKEND-OK "$tag: the backend is closed again after expiry"
}

# With knocker trusting 127.0.0.1 as a proxy: X-Forwarded-For from
# 127.0.0.1 names the client; from ::1 (untrusted) it is ignored.
kn_flow_xff() {	# TAG V4 V6 KNOCK
	local tag=$1 v4=$2 v6=$3 knock=$4 client=203.0.113.$((RANDOM % 200 + 20))

	kn_req GET "$v4/private/index.html" -H "X-Forwarded-For: $client"
	kn_is "$KN_STATUS" 401 "$tag: client $client behind the trusted proxy is denied before a knock"
	kn_knock "$v4$knock" "" -H "X-Forwarded-For: $client"
	kn_like "$KN_STATUS:$KN_BODY" "^200:\\{\"whitelisted_entry\":\"$client\"," \
	    "$tag: a knock through the trusted proxy whitelists the forwarded client"
	kn_req GET "$v4/private/index.html" -H "X-Forwarded-For: $client"
	kn_is "$KN_STATUS" 200 "$tag: the forwarded client is allowed"
	kn_req GET "$v4/private/index.html" -H "X-Forwarded-For: 198.51.100.200"
	kn_is "$KN_STATUS" 401 "$tag: another forwarded client is still denied"
	kn_req GET "$v6/private/index.html" -H "X-Forwarded-For: $client"
	kn_is "$KN_STATUS" 401 "$tag: X-Forwarded-For from an untrusted peer (::1) is ignored"
	kn_knock "$v6$knock" "" -H "X-Forwarded-For: 198.51.100.201"
	kn_like "$KN_BODY" '^\{"whitelisted_entry":"::1",' "$tag: an untrusted peer's knock whitelists the peer, not its header"
}
