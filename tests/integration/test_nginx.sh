#!/bin/bash
# conf-examples/nginx.conf: auth_request to knocker's /verify over FastCGI,
# /knock as a FastCGI location, the 401 page, a reverse-proxied service and
# static files. knocker on TCP (plain) and on a unix socket (trusted).
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/flows.sh"

kn_init nginx
kn_need_bin nginx spawn-fcgi lighttpd curl jq

# NAME CONFIG: knocker (plain: TCP; trusted: unix socket owned by nobody,
# group nogroup, mode 0660: nginx started by root without a "user" line runs
# its workers as nobody:nogroup) and nginx from the example.
start_nginx() {
	local sock=0
	[ "$1" = trusted ] && sock=1
	KN_SOCKET=$sock kn_example_nginx "$@"
}

kn_flow nginx /knock start_nginx

kn_is "$(stat -c '%a %U %G' "$KN_APP_SOCKET")" "660 nobody nogroup" "nginx: knocker's socket is 0660 nobody:nogroup"
kn_req GET "$URL4/private/index.html"
kn_is "$KN_STATUS" 401 "nginx: denied (401 page)"
kn_like "$KN_BODY" "<h1>Knock first</h1>" "nginx: the 401 page tells a human how to knock"
kn_like "$KN_BODY" "/knock" "nginx: it names the knock endpoint"
kn_req GET "$URL4/knock-help.html"
kn_is "$KN_STATUS" 404 "nginx: the 401 page is internal, not a public URL"

kn_done
