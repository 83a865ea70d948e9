#!/bin/bash
# Ending requests without libfcgi's close handshake (issue 11 item 1):
# knocker closes a connection at once when the web server can send nothing
# more (fcgi/main.c, finish_request). Many requests in a row through real
# lighttpd, over TCP and over a unix socket, each kind of request: knocks
# with a JSON body (responder, body read), knocks with a bad key and a body
# (responder, body maybe unread), status and verify (authorizer, no STDIN).
# Every answer must be the right one, and lighttpd must log no backend error.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/robust_lib.sh"

kn_init closefast
kn_need_bin spawn-fcgi lighttpd curl jq

N=500
kn_make_config "$KN_DIR/knocker.json" '.server.trusted_proxies = ["127.0.0.1"]' \
    '.security.knock_rate_limit.successful_requests = 1000000' \
    '.security.knock_rate_limit.failed_requests = 1000000'

# TAG URL: N of each request on one curl connection; prints nothing, asserts.
many() {	# TAG URL
	local tag=$1 url=$2 codes
	codes=$(curl -s -o /dev/null -w '%{http_code}\n' -H "X-Api-Key: $KN_API_KEY" \
	    -H 'X-Forwarded-For: 203.0.113.20' -H 'Content-Type: application/json' \
	    --data-binary '{"ttl":600}' "$url/knock?[1-$N]" | sort | uniq -c | awk '{print $2 "x" $1}')
	kn_is "$codes" "200x$N" "$tag: $N knocks with a body, all 200"
	codes=$(curl -s -o /dev/null -w '%{http_code}\n' -H "X-Api-Key: wrong-$KN_API_KEY" \
	    -H 'X-Forwarded-For: 203.0.113.21' -H 'Content-Type: application/json' \
	    --data-binary '{"ttl":600}' "$url/knock?[1-$N]" | sort | uniq -c | awk '{print $2 "x" $1}')
	kn_is "$codes" "401x$N" "$tag: $N knocks with a bad key and a body, all 401"
	codes=$(curl -s -o /dev/null -w '%{http_code}\n' -H 'X-Forwarded-For: 203.0.113.20' \
	    "$url/private/index.html?[1-$N]" | sort | uniq -c | awk '{print $2 "x" $1}')
	kn_is "$codes" "200x$N" "$tag: $N verifies of the knocked client, all 200"
	codes=$(curl -s -o /dev/null -w '%{http_code}\n' -H 'X-Forwarded-For: 203.0.113.21' \
	    "$url/private/index.html?[1-$N]" | sort | uniq -c | awk '{print $2 "x" $1}')
	kn_is "$codes" "401x$N" "$tag: $N verifies of another client, all 401"
	codes=$(curl -s -o /dev/null -w '%{http_code}\n' -H "X-Api-Key: $KN_API_KEY" \
	    -H 'X-Forwarded-For: 203.0.113.20' "$url/knock?[1-$N]" | sort | uniq -c | awk '{print $2 "x" $1}')
	kn_is "$codes" "200x$N" "$tag: $N status requests (GET /knock), all 200"
}

# --- TCP -------------------------------------------------------------------------------
kn_ok "tcp: two workers behind lighttpd start" kn_stack "$KN_DIR/knocker.json" 2 || kn_bail "no stack"
many tcp "$URL"
kn_unlike "$(cat "$KN_RUN/lighttpd-error.log")" '(fastcgi|backend|connection reset|Broken pipe)' \
    "tcp: lighttpd logged no backend error"
kn_is "$(kn_count_alive $KN_APP_PIDS)" 2 "tcp: both workers still run"

# --- unix socket ---------------------------------------------------------------------------
kn_ok "unix: two workers on a unix socket start" kn_spawn_knocker_socket "$KN_DIR/knocker.json" 2
port=$(kn_port)
run=$KN_DIR/run-unix
kn_ok "unix: lighttpd on the socket starts" kn_front_socket "$run" "$port"
many unix "http://127.0.0.1:$port"
kn_unlike "$(cat "$run/lighttpd-error.log")" '(fastcgi|backend|connection reset|Broken pipe)' \
    "unix: lighttpd logged no backend error"
kn_is "$(kn_count_alive $KN_APP_PIDS)" 2 "unix: both workers still run"

kn_done
