#!/bin/bash
# The FastCGI socket's deadline (issue 10 item 13): a local user who can
# connect to knocker's TCP port (or unix socket) must not hold a worker with
# a silent or trickling connection. One worker under spawn-fcgi, behind real
# lighttpd; raw peers from slowpeer.py take the worker first; a normal
# request through lighttpd must still be answered, and knocker must close
# the slow connections itself. knocker's deadline is 10 s (fcgi/main.c);
# the waits below are bounds on the outcome, not measurements.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/robust_lib.sh"

kn_init slowclient
kn_need_bin spawn-fcgi lighttpd python3 curl jq

PEER=$KN_SRC/tests/integration/slowpeer.py
kn_make_config "$KN_DIR/knocker.json" '.server.trusted_proxies = ["127.0.0.1"]'

# Starts slowpeer.py MODE ADDRESS in the background; its output goes to
# $KN_DIR/peer-N.out. Sets PEER_PID and PEER_OUT.
start_peer() {	# MODE ADDRESS
	PEER_OUT=$KN_DIR/peer-$RANDOM.out
	python3 "$PEER" "$1" "$2" 60 >"$PEER_OUT" 2>&1 &
	PEER_PID=$!
	kn_track "$PEER_PID"
	for _ in $(seq 1 50); do
		grep -q connected "$PEER_OUT" && return 0
		sleep 0.1
	done
	kn_diag "slowpeer $1 did not connect: $(cat "$PEER_OUT")"
	return 1
}

# TAG ADDRESS URL: an idle peer and a trickling one are queued before a
# normal verify through lighttpd; the verify is answered and both peers are
# closed by knocker.
slow_checks() {	# TAG ADDRESS URL
	local tag=$1 addr=$2 url=$3 idle trickle idle_out trickle_out status
	start_peer fcgi-idle "$addr" || return 1
	idle=$PEER_PID idle_out=$PEER_OUT
	start_peer fcgi-trickle "$addr" || return 1
	trickle=$PEER_PID trickle_out=$PEER_OUT
	sleep 1	# both are ahead of the verify in the queue
	# The only worker serves the idle peer, then the trickling one, then this.
	status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 45 -H 'X-Forwarded-For: 203.0.113.5' \
	    "$url/private/index.html")
	kn_is "$status" 401 "$tag: a verify queued behind an idle and a trickling connection is answered (401)"
	kn_is "$(kn_verify_as "$url" 203.0.113.5)" 401 "$tag: and the next one too"
	wait "$idle" "$trickle" 2>/dev/null
	kn_is "$(tail -n 1 "$idle_out")" closed "$tag: knocker closed the idle FastCGI connection"
	kn_is "$(tail -n 1 "$trickle_out")" closed "$tag: knocker closed the trickling FastCGI connection"
	kn_is "$(kn_count_alive $KN_APP_PIDS)" 1 "$tag: the worker is still running"
}

# --- TCP ---------------------------------------------------------------------------
kn_ok "tcp: one worker behind lighttpd starts" kn_stack "$KN_DIR/knocker.json" 1 || kn_bail "no stack"
slow_checks tcp "127.0.0.1:$KN_APP_PORT" "$URL"
# A knock still works on that worker, and a verify sees it.
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H 'X-Forwarded-For: 203.0.113.6' \
    -H 'Content-Type: application/json' --data-binary '{"ttl":60}'
kn_is "$KN_STATUS" 200 "tcp: a knock is answered after the slow peers"
kn_is "$(kn_verify_as "$URL" 203.0.113.6)" 200 "tcp: and the knocked client is allowed"

# --- unix socket ---------------------------------------------------------------------
kn_ok "unix: one worker on a unix socket starts" kn_spawn_knocker_socket "$KN_DIR/knocker.json" 1
port=$(kn_port)
run=$KN_DIR/run-unix
kn_ok "unix: lighttpd on the socket starts" kn_front_socket "$run" "$port"
slow_checks unix "unix:$KN_APP_SOCKET" "http://127.0.0.1:$port"

kn_done
