#!/bin/bash
# Header spelling attacks (SECURITY.md, finding "header spellings") through
# every shipped example: lighttpd (FastCGI, and with /knock by CGI), nginx,
# Apache and Caddy, each run twice:
#   plain  knocker's server.trusted_proxies is empty, clients connect directly;
#   front  a real reverse proxy (Caddy, passing every header on, underscore
#          spellings too) on 127.0.0.1 is in front, knocker trusts 127.0.0.1
#          as DEPLOY.md says, and clients reach the front from 127.0.0.2;
#          knocker on a unix socket (Apache: TCP, it has no other way).
# A client that has not knocked sends every spelling of X-Forwarded-For
# (naming an always-allowed LAN address), X-Original-URI / X-Forwarded-Uri
# (naming an excluded path) and X-Forwarded-Host (naming a host with its
# own exclusions), alone, both spellings at once in both orders, repeated:
# every request must be 401 and carry no protected content. Caddy passes
# params to FastCGI in Go map order, so there each request is repeated.
# The legitimate flow (excluded paths, knock, allow) must still work.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/flows.sh"

kn_init attacks
kn_need_bin lighttpd nginx apache2 caddy spawn-fcgi curl jq

LAN=192.168.1.10	# in always_allowed_ips below
EXCLUDED=/private/health
HOSTX=media.example.test
kn_flow_www "$KN_DIR/www"
kn_ok "the backend service starts" kn_start_backend || kn_bail "no backend"

# Every spelling a server may turn into the same HTTP_X_... variable: "-"
# and "_" (Caddy, lighttpd), any case, and "." (lighttpd maps every
# character but letters and digits to "_").
spellings() {	# WORDS (e.g. "X Forwarded For")
	local a b c
	read -r a b c <<<"$1"
	printf '%s\n' "$a-$b-$c" "${a}_${b}_${c}" "$(echo "${a}_${b}_${c}" | tr A-Z a-z)" \
	    "$a-${b}_$c" "${a}_$b-$c" "$a.$b.$c"
}

# The attack requests, one per line: PATH<TAB>HEADER[<TAB>HEADER...].
attacks() {
	local n p
	for p in /private/index.html /app/x; do
		while read -r n; do
			printf '%s\t%s\n' "$p" "$n: $LAN"
		done < <(spellings "X Forwarded For")
		printf '%s\t%s\t%s\n' "$p" "X-Forwarded-For: $LAN" "X_Forwarded_For: $LAN" \
		    "$p" "X_Forwarded_For: $LAN" "X-Forwarded-For: $LAN" \
		    "$p" "X-Forwarded-For: 203.0.113.99" "X_Forwarded_For: $LAN" \
		    "$p" "X_Forwarded_For: $LAN" "X-Forwarded-For: 203.0.113.99" \
		    "$p" "X-Forwarded-For: $LAN" "X-Forwarded-For: $LAN" \
		    "$p" "X-Forwarded-For: 203.0.113.99" "x-forwarded-for: $LAN"
		while read -r n; do
			printf '%s\t%s\n' "$p" "$n: $EXCLUDED"
		done < <(spellings "X Original URI"; spellings "X Forwarded Uri")
		printf '%s\t%s\t%s\n' "$p" "X-Original-URI: $EXCLUDED" "X_Original_URI: $EXCLUDED" \
		    "$p" "X_Forwarded_Uri: $EXCLUDED" "X-Original-URI: $EXCLUDED" \
		    "$p" "X-Original-URI: $EXCLUDED" "X-Original-URI: $EXCLUDED"
	done
	while read -r n; do
		printf '%s\t%s\t%s\n' /private/media/a.txt "Host: other.example.test" "$n: $HOSTX"
	done < <(spellings "X Forwarded Host")
	printf '%s\t%s\t%s\t%s\n' /private/media/a.txt "Host: other.example.test" \
	    "X_Forwarded_Host: $HOSTX" "X_Original_URI: /private/media/a.txt"
}

# Sends every attack REPEAT times to URL (extra curl arguments: CURL_ARGS)
# and reports one test per attack: all answers 401, none with the file or
# the backend's page.
run_attacks() {	# TAG URL REPEAT
	local tag=$1 url=$2 repeat=$3 line path hdrs h i got bad args
	while IFS= read -r line; do
		IFS=$'\t' read -r -a hdrs <<<"$line"
		path=${hdrs[0]}
		args=()
		for h in "${hdrs[@]:1}"; do
			args+=(-H "$h")
		done
		bad=""
		for i in $(seq 1 "$repeat"); do
			kn_req GET "$url$path" "${CURL_ARGS[@]}" "${args[@]}"
			got=$KN_STATUS
			printf '%s' "$KN_BODY" | grep -qE 'SECRET-PAGE|BACKEND-OK|MEDIA-OK' && got="$got+content"
			[ "$got" = 401 ] || bad="$bad $got"
		done
		kn_is "${bad:-none}" none "$tag: $path ${hdrs[*]:1} -> 401 ($repeat of $repeat)"
	done < <(attacks)
}

# The legitimate flow through URL for a client whose address is WHO.
legit_flow() {	# TAG URL WHO
	local tag=$1 url=$2 who=$3
	kn_req GET "$url$EXCLUDED" "${CURL_ARGS[@]}"
	kn_is "$KN_STATUS:$KN_BODY" "200:HEALTH-OK" "$tag: the excluded path is 200 without a knock"
	kn_req GET "$url/private/media/a.txt" "${CURL_ARGS[@]}" -H "Host: $HOSTX"
	kn_is "$KN_STATUS:$KN_BODY" "200:MEDIA-OK" "$tag: the per-host excluded path is 200 for its host"
	kn_req GET "$url/private/index.html" "${CURL_ARGS[@]}"
	kn_is "$KN_STATUS" 401 "$tag: still 401 before the knock"
	kn_knock "$url/knock" "" "${CURL_ARGS[@]}"
	kn_like "$KN_STATUS:$KN_BODY" "^200:\\{\"whitelisted_entry\":\"${who//./\\.}\"," "$tag: a knock whitelists $who"
	kn_req GET "$url/private/index.html" "${CURL_ARGS[@]}"
	kn_is "$KN_STATUS:$KN_BODY" "200:SECRET-PAGE" "$tag: then the protected file is served"
	kn_req GET "$url/app/x" "${CURL_ARGS[@]}"
	kn_is "$KN_STATUS:$KN_BODY" "200:BACKEND-OK" "$tag: and the reverse-proxied service"
}

# After the knock: another client naming the whitelisted address.
after_knock() {	# TAG URL WHO
	local tag=$1 url=$2 who=$3 n bad="" got
	[ "$tag" = "${tag% plain}" ] || return 0	# plain: the only client has knocked
	while read -r n; do
		for p in /private/index.html /app/x; do
			kn_req GET "$url$p" --interface 127.0.0.3 -H "$n: $who"
			got=$KN_STATUS
			[ "$got" = 401 ] || bad="$bad $n:$got"
		done
	done < <(spellings "X Forwarded For")
	kn_is "${bad:-none}" none "$tag: another client (127.0.0.3) naming the whitelisted $who in any spelling gets 401"
}

for server in ${KN_ATTACK_SERVERS:-lighttpd lighttpd_cgi nginx apache caddy}; do
	repeat=1
	[ "$server" = caddy ] && repeat=6
	modes="plain front"
	# nginx drops header names with "_" unless underscores_in_headers is
	# on, which a site may need for another application: the example must
	# hold then too.
	[ "$server" = nginx ] && modes="$modes front_us"
	for mode in $modes; do
		tag="$server $mode"
		filter='.server.trusted_proxies = []'
		[ $mode != plain ] && filter='.server.trusted_proxies = ["127.0.0.1"]'
		kn_make_config "$KN_DIR/$server-$mode.json" "$filter" \
		    ".security.always_allowed_ips = [\"192.168.1.0/24\"]" \
		    ".whitelist.storage_path = \"$KN_DIR/state/$server-$mode.json\""
		base=$KN_PIDS
		proxied=0
		[ $mode != plain ] && proxied=1
		line=""
		[ $mode = front_us ] && line="underscores_in_headers on;"
		KN_SOCKET=$proxied KN_NGINX_SERVER_LINE=$line KN_PROXIED=$proxied kn_ok "$tag: the example starts" \
		    "kn_example_$server" "$server-$mode" "$KN_DIR/$server-$mode.json" || kn_bail "$tag did not start"
		if [ $mode != plain ] && [ $server != apache ] && [ $server != lighttpd_cgi ]; then
			kn_is "$(stat -c '%F %a %U %G' "$KN_APP_SOCKET")" "socket 660 nobody nogroup" \
			    "$tag: knocker listens on a unix socket, 0660 nobody:nogroup"
		fi
		if [ $mode != plain ]; then
			kn_ok "$tag: the front proxy starts" kn_start_front "${URL4##*:}" || kn_bail "no front proxy"
			url=$KN_FRONT_URL
			CURL_ARGS=(--interface 127.0.0.2)
			who=127.0.0.2
		else
			url=$URL4
			CURL_ARGS=()
			who=127.0.0.1
		fi
		run_attacks "$tag" "$url" $repeat
		legit_flow "$tag" "$url" $who
		after_knock "$tag" "$url" $who
		kn_ok "$tag: everything stops" kn_stop_pid ${KN_PIDS#"$base"}
		KN_PIDS=$base
	done
done

kn_done
