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

kn_done
