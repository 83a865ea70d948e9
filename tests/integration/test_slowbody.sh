#!/bin/bash
# Slow knock bodies (issue 10 item 2, the read part): Caddy (reverse_proxy,
# transport fastcgi) and Apache (mod_proxy_fcgi) stream a request body to
# knocker as it arrives, so a client sending one byte a second would hold a
# worker as long as it likes. knocker gives a connection 10 s (fcgi/main.c).
# The examples also defend themselves (Caddy buffers the /knock body,
# Apache's mod_reqtimeout drops a client under 500 bytes/s after 20 s);
# this test takes those lines out to show knocker's own deadline, for a
# server configured without them.
# Two workers; more slow bodies than workers (without a key, and one with a
# valid key); a normal knock and a protected request sent after them must
# still succeed within a bounded wait. A knock without a key is refused
# before its body is read (the rest of it gets 1 s, fcgi/main.c
# DRAIN_SECONDS); the slow knock with a valid key is dropped at the deadline
# and whitelists nothing.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/flows.sh"
. "$KN_SRC/tests/integration/robust_lib.sh"

kn_init slowbody
kn_need_bin caddy apache2 spawn-fcgi lighttpd python3 curl jq

PEER=$KN_SRC/tests/integration/slowpeer.py
kn_flow_www "$KN_DIR/www"
kn_ok "the backend service starts" kn_start_backend || kn_bail "no backend"

start_caddy() {	# CONFIG: sets URL
	local run=$KN_DIR/caddy port out
	mkdir -p "$run/data" "$run/config"
	port=$(kn_port)
	HTTP_PORT=$port KNOCKER=127.0.0.1:$KN_APP_PORT BACKEND_PORT=$KN_BACKEND_PORT WWW_DIR=$KN_DIR/www \
	    RUN_DIR=$run kn_render "$KN_SRC/conf-examples/Caddyfile" "$run/Caddyfile"
	sed -i '/^[[:space:]]*buffer_requests[[:space:]]*$/d' "$run/Caddyfile"	# stream, see above
	! grep -q buffer_requests "$run/Caddyfile" || { kn_diag "buffer_requests still in the Caddyfile"; return 1; }
	XDG_DATA_HOME=$run/data XDG_CONFIG_HOME=$run/config caddy run --config "$run/Caddyfile" \
	    --adapter caddyfile >>"$run/caddy.log" 2>&1 &
	kn_track $!
	kn_wait_port 127.0.0.1 "$port" $! caddy || return 1
	URL=http://127.0.0.1:$port
}

start_apache() {	# CONFIG: sets URL
	local run=$KN_DIR/apache port out
	mkdir -p "$run"
	port=$(kn_port)
	HTTP_PORT=$port KNOCKER_PORT=$KN_APP_PORT BACKEND_PORT=$KN_BACKEND_PORT WWW_DIR=$KN_DIR/www RUN_DIR=$run \
	    kn_render "$KN_SRC/conf-examples/apache2.conf" "$run/apache2.conf"
	sed -i '/^RequestReadTimeout /d' "$run/apache2.conf"	# Apache's own 20 s limit: see above
	! grep -q '^RequestReadTimeout' "$run/apache2.conf" || { kn_diag "RequestReadTimeout still set"; return 1; }
	out=$(apache2 -t -f "$run/apache2.conf" 2>&1) || { kn_diag "apache2 -t failed:" "$out"; return 1; }
	setsid apache2 -f "$run/apache2.conf" -DFOREGROUND 2>>"$run/apache-stderr.log" &
	kn_track $!
	kn_wait_port 127.0.0.1 "$port" $! apache2 || return 1
	URL=http://127.0.0.1:$port
}

# TAG START: two workers and the server; 3 slow bodies without a key and
# one with a valid key, then a normal knock and a protected request.
slow_bodies() {	# TAG START
	local tag=$1 pids="" outs="" i out status
	local log=$KN_DIR/state/$tag.log
	kn_make_config "$KN_DIR/$tag.json" ".whitelist.storage_path = \"$KN_DIR/state/$tag-whitelist.json\"" \
	    ".log.target = \"$log\""
	kn_ok "$tag: knocker (2 workers) starts" kn_spawn_knocker "$KN_DIR/$tag.json" 2 || return 1
	kn_ok "$tag: the server starts from its example config" "$2" || return 1
	for i in 1 2 3 4; do
		out=$KN_DIR/$tag-peer-$i.out
		if [ "$i" = 4 ]; then
			KEY=$KN_API_KEY python3 "$PEER" http-body "127.0.0.1:${URL##*:}" 60 /knock >"$out" 2>&1 &
		else
			python3 "$PEER" http-body "127.0.0.1:${URL##*:}" 60 /knock >"$out" 2>&1 &
		fi
		pids="$pids $!"
		outs="$outs $out"
		kn_track $!
	done
	sleep 2	# the slow bodies reach the workers first
	status=$(kn_http POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" \
	    -H 'Content-Type: application/json' --data-binary '{"ttl":60}' --max-time 45)
	kn_is "$status" 200 "$tag: a normal knock after 4 slow bodies on 2 workers succeeds"
	kn_req GET "$URL/private/index.html" --max-time 45
	kn_is "$KN_STATUS:$KN_BODY" "200:SECRET-PAGE" "$tag: and the knocker allows the protected page"
	for i in $(seq 1 300); do	# the keyed slow body may still be on the other worker
		[ "$(grep -c 'request body not complete within 10 s' "$log")" -ge 1 ] && break
		sleep 0.1
	done
	kn_is "$(grep -c 'request body not complete within 10 s' "$log")" 1 \
	    "$tag: knocker dropped the slow body with a valid key at its deadline"
	kn_is "$(grep -c 'event=knock result=denied .* status=401 reason=bad_key' "$log")" 3 \
	    "$tag: the 3 slow bodies without a key were refused without being read"
	kn_is "$(grep -c 'event=knock result=ok .* status=200' "$log")" 1 "$tag: only the normal knock whitelisted anything"
	# (Caddy itself keeps reading a slow client's body before it answers
	# 502; Apache answers 503 at once. Either way no worker is held.)
	kill $pids 2>/dev/null
	wait $pids 2>/dev/null
	kn_unlike "$(cat $outs)" 'answer: HTTP/1\.[01] 200' "$tag: no slow body got a 200"
	kn_diag "$tag: the slow clients saw: $(cat $outs | grep -v connected | tr '\n' ' ')"
	kn_is "$(kn_count_alive $KN_APP_PIDS)" 2 "$tag: both workers still run"
}

slow_bodies caddy start_caddy
slow_bodies apache start_apache

kn_done
