#!/bin/bash
# conf-examples/nginx.conf: auth_request to knocker's /verify over FastCGI,
# /knock as a FastCGI location, the 401 page, a reverse-proxied service and
# static files. knocker on TCP (plain) and on a unix socket (trusted).
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/flows.sh"

kn_init nginx
kn_need_bin nginx spawn-fcgi lighttpd curl jq

# NAME CONFIG: knocker (plain: TCP, 2 workers; trusted: unix socket, 2
# workers, the socket's group is nginx's workers' group) and nginx from the
# example. Sets URL4, URL6.
start_nginx() {
	local run=$KN_DIR/$1 port knocker
	mkdir -p "$run"
	if [ "$1" = plain ]; then
		kn_spawn_knocker "$2" 2 || return 1
		knocker=127.0.0.1:$KN_APP_PORT
	else
		# nginx started by root without a "user" line runs its workers as
		# nobody:nogroup; the socket is root:nogroup 0660.
		kn_spawn_knocker_socket "$2" 2 -G nogroup || return 1
		knocker=unix:$KN_APP_SOCKET
	fi
	port=$(kn_port)
	HTTP_PORT=$port KNOCKER=$knocker BACKEND_PORT=$KN_BACKEND_PORT WWW_DIR=$KN_DIR/www RUN_DIR=$run \
	    kn_render "$KN_SRC/conf-examples/nginx.conf" "$run/nginx.conf"
	nginx -t -q -c "$run/nginx.conf" -p "$run" 2>>"$run/nginx-stderr.log" ||
	    { kn_diag "nginx -t failed:" "$(cat "$run/nginx-stderr.log")"; return 1; }
	nginx -c "$run/nginx.conf" -p "$run" -g 'daemon off;' 2>>"$run/nginx-stderr.log" &
	kn_track $!
	kn_wait_port 127.0.0.1 "$port" $! nginx || return 1
	URL4=http://127.0.0.1:$port
	URL6="http://[::1]:$port"
}

kn_flow nginx /knock start_nginx

kn_is "$(stat -c '%a %U %G' "$KN_APP_SOCKET")" "660 root nogroup" "nginx: knocker's socket is 0660 root:nogroup"
kn_req GET "$URL4/private/index.html"
kn_is "$KN_STATUS" 401 "nginx: denied (401 page)"
kn_like "$KN_BODY" "<h1>Knock first</h1>" "nginx: the 401 page tells a human how to knock"
kn_like "$KN_BODY" "/knock" "nginx: it names the knock endpoint"
kn_req GET "$URL4/knock-help.html"
kn_is "$KN_STATUS" 404 "nginx: the 401 page is internal, not a public URL"

kn_done
