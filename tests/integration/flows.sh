# The flow every web server deployment must pass (bash, sourced after
# lib.sh). A server test defines a start function and calls
#
#     kn_flow TAG KNOCK_PATH START_FUNCTION
#
# kn_flow prepares the document root and the backend service, then calls
# START_FUNCTION twice, each time with a fresh knocker config made from
# conf-examples/knocker.json:
#     START_FUNCTION plain   CONFIG   (server.trusted_proxies empty)
#     START_FUNCTION trusted CONFIG   (server.trusted_proxies ["127.0.0.1"])
# The start function starts knocker with CONFIG and the web server from its
# conf-examples/ file in front of it (www: $KN_DIR/www, backend on
# $KN_BACKEND_PORT), sets URL4=http://127.0.0.1:PORT and URL6=http://[::1]:PORT,
# and returns non-zero if anything failed to start.
#
# conf-examples/knocker.json excludes /private/health for every host and
# /private/media/ for Host media.example.test.

# Static files: /private/ is protected, /private/health and (for one host)
# /private/media/ are excluded from the check; knock-help.html is the
# examples' 401 page.
kn_flow_www() {	# DIR
	mkdir -p "$1/private/media"
	cp "$KN_SRC/conf-examples/www/knock-help.html" "$1/"
	echo "SECRET-PAGE" >"$1/private/index.html"
	echo "HEALTH-OK" >"$1/private/health"
	echo "MEDIA-OK" >"$1/private/media/a.txt"
	echo "PUBLIC-PAGE" >"$1/index.html"
	chmod -R a+rX "$1"
}

kn_flow() {	# TAG KNOCK_PATH START_FUNCTION
	local tag=$1 knock=$2 start=$3

	kn_flow_www "$KN_DIR/www"
	kn_ok "$tag: the backend service starts" kn_start_backend || kn_bail "no backend"

	kn_make_config "$KN_DIR/plain.json"
	kn_ok "$tag: knocker and the server start with the example config" "$start" plain "$KN_DIR/plain.json" ||
	    kn_bail "$tag: the deployment did not start"
	kn_flow_basic "$tag" "$URL4" "$URL6" "$knock"

	# Its own whitelist: ::1 is whitelisted in the first one.
	kn_make_config "$KN_DIR/trusted.json" '.server.trusted_proxies = ["127.0.0.1"]' \
	    ".whitelist.storage_path = \"$KN_DIR/state/trusted-whitelist.json\""
	kn_ok "$tag: a deployment whose knocker trusts 127.0.0.1 as a proxy starts" \
	    "$start" trusted "$KN_DIR/trusted.json" || kn_bail "$tag: the second deployment did not start"
	kn_flow_xff "$tag" "$URL4" "$URL6" "$knock"
}

# deny -> knock -> allow -> expiry -> deny, exclusions, IPv6, static files
# and a reverse-proxied service. V4/V6: http://127.0.0.1:PORT and
# http://[::1]:PORT; KNOCK: the knock path on that server (e.g. /knock).
kn_flow_basic() {	# TAG V4 V6 KNOCK
	local tag=$1 v4=$2 v6=$3 knock=$4 i allowed

	# Deny.
	kn_req GET "$v4/private/index.html"
	kn_is "$KN_STATUS" 401 "$tag: an unknown client gets 401 on a protected static file"
	kn_unlike "$KN_BODY" SECRET-PAGE "$tag: the 401 does not carry the protected file"
	kn_req GET "$v4/app/some/page?q=1"
	kn_is "$KN_STATUS" 401 "$tag: an unknown client gets 401 on the reverse-proxied service"
	kn_unlike "$KN_BODY" BACKEND-OK "$tag: the backend's page is not in the 401"
	kn_req POST "$v4/app/api" --data-binary 'x=1'
	kn_is "$KN_STATUS" 401 "$tag: a POST to the service without a knock is 401"
	kn_unlike "$KN_BODY" BACKEND-OK "$tag: nor does a POST reach the backend"
	kn_req GET "$v4/private/health/../index.html" --path-as-is
	kn_is "$KN_STATUS" 401 "$tag: dot segments do not turn a protected file into an excluded path"

	# Exclusions need no knock.
	kn_req GET "$v4/private/health"
	kn_is "$KN_STATUS:$KN_BODY" "200:HEALTH-OK" "$tag: an excluded path is allowed without a knock"
	kn_req GET "$v4/private/media/a.txt" -H "Host: media.example.test"
	kn_is "$KN_STATUS:$KN_BODY" "200:MEDIA-OK" "$tag: a per-host excluded path is allowed for its host"
	kn_req GET "$v4/private/media/a.txt" -H "Host: other.example.test"
	kn_is "$KN_STATUS" 401 "$tag: the same path is denied for another host"
	kn_unlike "$KN_BODY" MEDIA-OK "$tag: and the file is not in that 401"

	# Knock.
	KEY=wrong-key-0123456789 kn_knock "$v4$knock"
	kn_is "$KN_STATUS:$KN_BODY" '401:{"error":"Invalid or missing API key."}' "$tag: a knock with a wrong key is 401"
	kn_req GET "$v4/private/index.html"
	kn_is "$KN_STATUS" 401 "$tag: a failed knock whitelists nothing"
	kn_knock "$v4$knock"
	kn_is "$KN_STATUS" 200 "$tag: a knock answers 200"
	kn_like "$KN_BODY" '^\{"whitelisted_entry":"127\.0\.0\.1","expires_at":[0-9]+,"expires_in_seconds":3600\}$' \
	    "$tag: the knock answer has the three fields"

	# Allow (every worker: several requests).
	allowed=0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(kn_http GET "$v4/private/index.html")" = 200 ] && allowed=$((allowed + 1))
	done
	kn_is "$allowed" 10 "$tag: after the knock 10 of 10 requests are allowed"
	kn_req GET "$v4/private/index.html"
	kn_is "$KN_STATUS:$KN_BODY" "200:SECRET-PAGE" "$tag: the protected static file is served"
	kn_req GET "$v4/app/some/page?q=1"
	kn_is "$KN_STATUS:$KN_BODY" "200:BACKEND-OK" "$tag: the reverse-proxied service is served"
	kn_req POST "$v4/app/api" --data-binary 'x=1'
	kn_is "$KN_STATUS:$KN_BODY" "200:BACKEND-OK" "$tag: a POST reaches the service"
	kn_req GET "$v4$knock" -H "X-Api-Key: $KN_API_KEY"
	kn_like "$KN_STATUS:$KN_BODY" '^200:\{"client_ip":"127\.0\.0\.1","whitelisted":true,"expires_at":[0-9]+,' \
	    "$tag: GET $knock shows the client whitelisted"
	kn_req OPTIONS "$v4$knock"
	kn_is "$KN_STATUS:$(kn_header Access-Control-Allow-Methods)" "204:GET, POST, OPTIONS" \
	    "$tag: OPTIONS $knock answers the CORS preflight"

	# IPv6: its own entry.
	kn_req GET "$v6/private/index.html"
	kn_is "$KN_STATUS" 401 "$tag: IPv6 ::1 is denied before its own knock"
	kn_knock "$v6$knock"
	kn_like "$KN_STATUS:$KN_BODY" '^200:\{"whitelisted_entry":"::1","expires_at":[0-9]+,"expires_in_seconds":3600\}$' \
	    "$tag: an IPv6 knock whitelists ::1"
	kn_req GET "$v6/app/x"
	kn_is "$KN_STATUS:$KN_BODY" "200:BACKEND-OK" "$tag: IPv6 ::1 reaches the service after its knock"
	kn_req GET "$v6/private/index.html"
	kn_is "$KN_STATUS:$KN_BODY" "200:SECRET-PAGE" "$tag: and the static file"

	# Expiry.
	# 5 s, not less: the entry ends at a whole second, and on a busy machine
	# (ASan) the knock's reply and the next request can take over a second.
	kn_knock "$v4$knock" '{"ttl":5}'
	kn_like "$KN_STATUS:$KN_BODY" '^200:\{"whitelisted_entry":"127\.0\.0\.1","expires_at":[0-9]+,"expires_in_seconds":5\}$' \
	    "$tag: a knock with {\"ttl\":5} replaces the expiry"
	kn_req GET "$v4/private/index.html"
	kn_is "$KN_STATUS" 200 "$tag: allowed within the short TTL"
	sleep 6
	kn_req GET "$v4/private/index.html"
	kn_is "$KN_STATUS" 401 "$tag: denied again once the TTL expired"
	kn_unlike "$KN_BODY" SECRET-PAGE "$tag: without the protected file"
	kn_req GET "$v4/app/x"
	kn_is "$KN_STATUS" 401 "$tag: the service is closed again after expiry"
	kn_unlike "$KN_BODY" BACKEND-OK "$tag: the backend's page is not in that 401"
	kn_req GET "$v6/app/x"
	kn_is "$KN_STATUS" 200 "$tag: ::1's own entry is still live"
}

# knocker trusts 127.0.0.1 as a proxy: X-Forwarded-For from 127.0.0.1 names
# the client; from ::1 (not trusted) it is ignored.
kn_flow_xff() {	# TAG V4 V6 KNOCK
	local tag=$1 v4=$2 v6=$3 knock=$4 client=203.0.113.7 other=198.51.100.7

	kn_req GET "$v4/private/index.html" -H "X-Forwarded-For: $client"
	kn_is "$KN_STATUS" 401 "$tag: $client behind the trusted proxy is denied before a knock"
	kn_req GET "$v4/app/x" -H "X-Forwarded-For: $client"
	kn_is "$KN_STATUS" 401 "$tag: also on the service"
	kn_unlike "$KN_BODY" BACKEND-OK "$tag: the backend's page is not in that 401"
	kn_knock "$v4$knock"
	kn_is "$KN_STATUS:$KN_BODY" '400:{"error":"Could not determine client IP."}' \
	    "$tag: a knock from the trusted proxy without X-Forwarded-For has no client IP: 400"
	kn_knock "$v4$knock" "" -H "X-Forwarded-For: $client"
	kn_like "$KN_STATUS:$KN_BODY" '^200:\{"whitelisted_entry":"203\.0\.113\.7","expires_at":[0-9]+,"expires_in_seconds":3600\}$' \
	    "$tag: a knock through the trusted proxy whitelists the forwarded client"
	kn_req GET "$v4/private/index.html" -H "X-Forwarded-For: $client"
	kn_is "$KN_STATUS:$KN_BODY" "200:SECRET-PAGE" "$tag: the forwarded client is allowed"
	kn_req GET "$v4/app/x" -H "X-Forwarded-For: $client"
	kn_is "$KN_STATUS:$KN_BODY" "200:BACKEND-OK" "$tag: the forwarded client reaches the service"
	kn_req GET "$v4/private/index.html" -H "X-Forwarded-For: $client, 127.0.0.1"
	kn_is "$KN_STATUS" 200 "$tag: trusted hops on the right of X-Forwarded-For are skipped"
	kn_req GET "$v4/private/index.html" -H "X-Forwarded-For: $other"
	kn_is "$KN_STATUS" 401 "$tag: another forwarded client is denied"
	kn_req GET "$v4/private/index.html" -H "X-Forwarded-For: $client, $other"
	kn_is "$KN_STATUS" 401 "$tag: a whitelisted address prepended by the client does not help"
	kn_req GET "$v4/private/index.html"
	kn_is "$KN_STATUS" 401 "$tag: the trusted proxy itself (no X-Forwarded-For) is denied"

	# Behind a trusted proxy the client's own headers must not name the URI
	# or host that knocker decides on.
	kn_req GET "$v4/private/index.html" -H "X-Forwarded-For: $other" \
	    -H "X-Original-URI: /private/health" -H "X-Forwarded-Uri: /private/health"
	kn_is "$KN_STATUS" 401 "$tag: a client's X-Original-URI/X-Forwarded-Uri naming an excluded path is not believed"
	kn_unlike "$KN_BODY" SECRET-PAGE "$tag: and the file is not served"
	kn_req GET "$v4/private/media/a.txt" -H "X-Forwarded-For: $other" \
	    -H "Host: other.example.test" -H "X-Forwarded-Host: media.example.test"
	kn_is "$KN_STATUS" 401 "$tag: a client's X-Forwarded-Host naming an excluded host is not believed"
	kn_req GET "$v4/private/media/a.txt" -H "X-Forwarded-For: $other" -H "Host: media.example.test"
	kn_is "$KN_STATUS:$KN_BODY" "200:MEDIA-OK" "$tag: the per-host exclusion still works behind the proxy"

	# ::1 is not trusted: its X-Forwarded-For is ignored.
	kn_req GET "$v6/private/index.html" -H "X-Forwarded-For: $client"
	kn_is "$KN_STATUS" 401 "$tag: from untrusted ::1, X-Forwarded-For: $client (whitelisted) is ignored"
	kn_knock "$v6$knock" "" -H "X-Forwarded-For: $client"
	kn_like "$KN_STATUS:$KN_BODY" '^200:\{"whitelisted_entry":"::1",' \
	    "$tag: a knock from untrusted ::1 whitelists ::1, not its header's address"
	kn_req GET "$v6/private/index.html" -H "X-Forwarded-For: $other"
	kn_is "$KN_STATUS:$KN_BODY" "200:SECRET-PAGE" "$tag: ::1 is decided for ::1 whatever its X-Forwarded-For says"
}

# --- the examples, started as a user would ---------------------------------
# kn_example_SERVER NAME CONFIG starts knocker with CONFIG (2 workers) and
# SERVER running its conf-examples/ file in $KN_DIR/NAME, in front of the
# backend ($KN_BACKEND_PORT) and $KN_DIR/www. Sets URL4, URL6 and KN_RUN.
#   KN_SOCKET=1   knocker on a unix socket (spawn-fcgi -s -M 0660, group
#                 nogroup: the group the server's workers run as here)
#                 instead of TCP 127.0.0.1 (lighttpd, nginx, Caddy).
#   KN_NGINX_SERVER_LINE  a directive added to nginx's server block.
#   KN_APACHE_SITE_LINES  lines appended to the Apache config (a site's own).
#   KN_PROXIED=1  a proxy on 127.0.0.1 is in front: the lighttpd examples
#                 include conf-examples/lighttpd-behind-proxy.conf, as
#                 docs/DEPLOY.md says (the other servers need no change).

kn__example_knocker() {	# CONFIG -> KN_KNOCKER_TCP (host:port) or KN_APP_SOCKET
	if [ "${KN_SOCKET:-0}" = 1 ]; then
		kn_spawn_knocker_socket "$1" 2 -U nobody -G nogroup
	else
		KN_APP_SOCKET=""
		kn_spawn_knocker "$1" 2
	fi
}

kn__example_run() {	# NAME
	KN_RUN=$KN_DIR/$1
	mkdir -p "$KN_RUN"
	export KN_RUN
}

kn_example_lighttpd() {	# NAME CONFIG
	local port conf app
	kn__example_run "$1"
	kn__example_knocker "$2" || return 1
	port=$(kn_port)
	conf=$KN_RUN/lighttpd.conf
	app=$KN_APP_PORT
	[ "${KN_SOCKET:-0}" = 1 ] && app=1	# replaced by the socket below
	HTTP_PORT=$port KNOCK_PORT=$app AUTHZ_PORT=$app BACKEND_PORT=$KN_BACKEND_PORT \
	    WWW_DIR=$KN_DIR/www RUN_DIR=$KN_RUN kn_render "$KN_SRC/conf-examples/lighttpd.conf" "$conf"
	kn__lighttpd_adapt "$conf" || return 1
	kn_start_lighttpd "$conf" || return 1
	URL4=http://127.0.0.1:$port
	URL6="http://[::1]:$port"
}

# conf-examples/lighttpd-cgi.conf: /knock by CGI, the checks by knocker
# under spawn-fcgi (TCP).
kn_example_lighttpd_cgi() {	# NAME CONFIG
	local port conf
	kn__example_run "$1"
	KN_SOCKET=0 kn__example_knocker "$2" || return 1
	port=$(kn_port)
	conf=$KN_RUN/lighttpd.conf
	HTTP_PORT=$port KNOCKER_BIN=$KNOCKER KNOCKER_CONFIG=$2 AUTHZ_PORT=$KN_APP_PORT \
	    BACKEND_PORT=$KN_BACKEND_PORT WWW_DIR=$KN_DIR/www RUN_DIR=$KN_RUN \
	    kn_render "$KN_SRC/conf-examples/lighttpd-cgi.conf" "$conf"
	KN_SOCKET=0 kn__lighttpd_adapt "$conf" || return 1
	kn_start_lighttpd "$conf" || return 1
	URL4=http://127.0.0.1:$port
	URL6="http://[::1]:$port"
}

# The two documented changes to a lighttpd example: a unix socket instead
# of host/port (the comment in lighttpd.conf), the behind-a-proxy include.
kn__lighttpd_adapt() {	# CONF
	if [ "${KN_SOCKET:-0}" = 1 ]; then
		kn_lighttpd_use_socket "$1" || return 1
	fi
	if [ "${KN_PROXIED:-0}" = 1 ]; then
		printf 'include "%s"\n' "$KN_SRC/conf-examples/lighttpd-behind-proxy.conf" >>"$1"
	fi
}

kn_example_nginx() {	# NAME CONFIG
	local port knocker
	kn__example_run "$1"
	kn__example_knocker "$2" || return 1
	knocker=${KN_APP_SOCKET:+unix:$KN_APP_SOCKET}
	port=$(kn_port)
	kn_render_nginx "$KN_RUN" "$port" "${knocker:-127.0.0.1:$KN_APP_PORT}" "$KN_BACKEND_PORT"
	if [ -n "${KN_NGINX_SERVER_LINE-}" ]; then	# a directive a site adds to the server block
		sed -i "s|^\( *server_name _;\)\$|\1 $KN_NGINX_SERVER_LINE|" "$KN_RUN/nginx.conf"
		grep -qF "$KN_NGINX_SERVER_LINE" "$KN_RUN/nginx.conf" || return 1
	fi
	kn_start_nginx "$KN_RUN" "$port" || return 1
	URL4=http://127.0.0.1:$port
	URL6="http://[::1]:$port"
}

kn_example_apache() {	# NAME CONFIG (TCP only: mod_authnz_fcgi has no unix sockets)
	local port out
	kn__example_run "$1"
	KN_SOCKET=0 kn__example_knocker "$2" || return 1
	port=$(kn_port)
	HTTP_PORT=$port KNOCKER_PORT=$KN_APP_PORT BACKEND_PORT=$KN_BACKEND_PORT WWW_DIR=$KN_DIR/www \
	    RUN_DIR=$KN_RUN kn_render "$KN_SRC/conf-examples/apache2.conf" "$KN_RUN/apache2.conf"
	# A site's own lines go into its <VirtualHost>, before the closing tag.
	if [ -n "${KN_APACHE_SITE_LINES-}" ]; then
		SITE_LINES=$KN_APACHE_SITE_LINES awk '/^<\/VirtualHost>/ { print ENVIRON["SITE_LINES"] } { print }' \
		    "$KN_RUN/apache2.conf" >"$KN_RUN/apache2.conf.new" && mv "$KN_RUN/apache2.conf.new" "$KN_RUN/apache2.conf"
	fi
	out=$(apache2 -t -f "$KN_RUN/apache2.conf" 2>&1) || { kn_diag "apache2 -t failed:" "$out"; return 1; }
	apache2 -f "$KN_RUN/apache2.conf" -DFOREGROUND 2>>"$KN_RUN/apache-stderr.log" &
	kn_track $!
	kn_wait_port 127.0.0.1 "$port" $! apache2 || return 1
	URL4=http://127.0.0.1:$port
	URL6="http://[::1]:$port"
}

kn_example_caddy() {	# NAME CONFIG
	local port knocker
	kn__example_run "$1"
	kn__example_knocker "$2" || return 1
	knocker=${KN_APP_SOCKET:+unix/$KN_APP_SOCKET}
	port=$(kn_port)
	HTTP_PORT=$port KNOCKER=${knocker:-127.0.0.1:$KN_APP_PORT} BACKEND_PORT=$KN_BACKEND_PORT \
	    WWW_DIR=$KN_DIR/www RUN_DIR=$KN_RUN kn_render "$KN_SRC/conf-examples/Caddyfile" "$KN_RUN/Caddyfile"
	kn_start_caddy "$KN_RUN/Caddyfile" "$KN_RUN" "$port"
	URL4=http://127.0.0.1:$port
	URL6="http://[::1]:$port"
}
