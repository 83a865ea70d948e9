#!/bin/bash
# Two knocker "nodes" sharing one Redis (the store backend of issue 14):
# each node is its own spawn-fcgi workers behind its own lighttpd
# (conf-examples/lighttpd.conf), both with the same store section. The
# client address comes from X-Forwarded-For (127.0.0.1 is a trusted proxy),
# so every check uses its own client and its own rate-limit budget.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/flows.sh"
. "$KN_SRC/tests/integration/redis_lib.sh"

kn_init redis
CTL=$KN_BUILD/knockerctl
[ -x "$CTL" ] || kn_bail "knockerctl not found at $CTL"
kn_need_bin lighttpd spawn-fcgi curl jq
kn_redis_init
kn_ok "redis-server starts (loopback, ACL user, no persistence)" kn_redis_start || kn_bail "no redis-server"

kn_flow_www "$KN_DIR/www"
kn_ok "the backend service starts" kn_start_backend || kn_bail "no backend"

P=whitelist.json:	# the key prefix kn_redis_filter derives
node_config() {	# NAME -> $KN_DIR/NAME.json
	mkdir -p "$KN_DIR/state-$1"
	chmod 700 "$KN_DIR/state-$1"
	kn_make_config "$KN_DIR/$1.json" '.server.trusted_proxies = ["127.0.0.1"]' \
	    ".whitelist.storage_path = \"$KN_DIR/state-$1/whitelist.json\"" \
	    ".log.target = \"$KN_DIR/state-$1/knocker.log\"" \
	    '.security.knock_rate_limit = {"window_seconds": 60, "successful_requests": 3, "failed_requests": 5}' \
	    "$(kn_redis_filter)"
}
node_config a
node_config b
kn_is "$("$KNOCKER" -t -c "$KN_DIR/a.json" 2>&1)" "$KN_DIR/a.json: ok" \
    "knocker -t connects, authenticates and accepts the Redis store"

kn_ok "node A starts (spawn-fcgi workers, lighttpd)" kn_example_lighttpd a "$KN_DIR/a.json" || kn_bail "node A"
A=$URL4
A_PIDS=$KN_APP_PIDS
kn_ok "node B starts" kn_example_lighttpd b "$KN_DIR/b.json" || kn_bail "node B"
B=$URL4
LOG_A=$KN_DIR/state-a/knocker.log

knock() {	# URL CLIENT
	kn_knock "$1/knock" '' -H "X-Forwarded-For: $2"
}
page() {	# URL CLIENT -> status of a protected page
	kn_http GET "$1/private/index.html" -H "X-Forwarded-For: $2"
}
knock_until_ok() {	# URL CLIENT: knocks until one is 200, at most 30 times (6 s)
	local i
	for i in $(seq 1 30); do
		knock "$1" "$2"
		[ "$KN_STATUS" = 200 ] && return
		sleep 0.2
	done
}

# --- one whitelist --------------------------------------------------------------
kn_req GET "$A/.knocker/ready"
kn_is "$KN_STATUS:$KN_BODY" '200:{"status":"ok"}' "/ready is 200 while Redis answers"
kn_is "$(page "$B" 198.51.100.1)" 401 "an unknown client is denied on B"
knock "$A" 198.51.100.1
kn_like "$KN_STATUS:$KN_BODY" '^200:\{"whitelisted_entry":"198\.51\.100\.1",' "a knock on A is accepted"
kn_is "$(page "$B" 198.51.100.1)" 200 "B allows it at its next verify (knock on A, verify on B)"
kn_is "$(page "$A" 198.51.100.1)" 200 "and A too"
kn_like "$(kn_redis_cli TTL "${P}entry:198.51.100.1")" '^(3[0-5][0-9][0-9]|3600)$' \
    "the entry key in Redis expires with the entry (TTL ~3600)"
kn_like "$(kn_redis_cli GET "${P}entry:198.51.100.1")" '"client":"198\.51\.100\.1"' \
    "its metadata is in the entry's value"

# Revoke through node B's config (knockerctl on the Redis backend).
out=$("$CTL" -c "$KN_DIR/b.json" revoke 198.51.100.1 2>&1)
kn_is "$out" "revoked 1 entry" "knockerctl revoke on node B's config"
sleep 1
kn_is "$(page "$A" 198.51.100.1)" 401 "a revoke is in force on A within 1 s"
kn_is "$(page "$B" 198.51.100.1)" 401 "and on B"

# By hand, as docs/SCALING.md shows: the index, the entry key, the generation.
knock "$B" 198.51.100.6
kn_redis_cli EVAL "redis.call('ZREM', KEYS[1], ARGV[1]); redis.call('DEL', KEYS[2]); return redis.call('INCR', KEYS[3])" \
    3 "${P}index" "${P}entry:198.51.100.6" "${P}gen" 198.51.100.6 >/dev/null
sleep 1
kn_is "$(page "$A" 198.51.100.6)" 401 "a revoke by hand (redis-cli) is in force within 1 s too"

# knockerctl list, export and import: Redis -> file -> Redis.
knock "$A" 198.51.100.7
kn_like "$("$CTL" -c "$KN_DIR/b.json" list)" '198\.51\.100\.7 .* phone .* 198\.51\.100\.7$' \
    "knockerctl list on node B shows A's knock with its key name and client"
"$CTL" -c "$KN_DIR/a.json" export >"$KN_DIR/export.json"
kn_like "$(cat "$KN_DIR/export.json")" '"entry":"198\.51\.100\.7","expires_at":[0-9]+,"expires_in_seconds":[0-9]+,"key":"phone"' \
    "knockerctl export prints the entries with their metadata"
mkdir -p "$KN_DIR/state-f" && chmod 700 "$KN_DIR/state-f"
kn_make_config "$KN_DIR/f.json" ".whitelist.storage_path = \"$KN_DIR/state-f/whitelist.json\"" \
    '.store = {"backend": "file"}'
kn_like "$("$CTL" -c "$KN_DIR/f.json" import "$KN_DIR/export.json")" '^imported 1 entry \(0 expired skipped\)$' \
    "knockerctl import loads the export into the file backend"
kn_like "$(jq -r '."198.51.100.7"' "$KN_DIR/state-f/whitelist.json")" '^[0-9]+$' \
    "the entry is in whitelist.json"
kn_like "$("$CTL" -c "$KN_DIR/f.json" list)" '198\.51\.100\.7 .* phone ' "with its metadata"
printf '{"192.0.2.77": %s, "192.0.2.78": 1000}\n' $(( $(date +%s) + 600 )) >"$KN_DIR/original.json"
kn_is "$("$CTL" -c "$KN_DIR/a.json" import "$KN_DIR/original.json")" "imported 1 entry (1 expired skipped)" \
    "knockerctl import takes FarisZR/knocker's whitelist.json into Redis (expired entries skipped)"
kn_is "$(page "$B" 192.0.2.77)" 200 "the imported entry is honoured by the other node"

# --- the rate limit is counted across nodes -----------------------------------------
for u in "$A" "$B" "$A"; do
	knock "$u" 198.51.100.2
	codes="$codes$KN_STATUS "
done
kn_is "$codes" "200 200 200 " "three knocks (A, B, A) are within successful_requests=3"
knock "$B" 198.51.100.2
kn_is "$KN_STATUS:$KN_BODY" '429:{"error":"Too many knock attempts."}' "the fourth, on B, is 429: one budget for both nodes"
kn_like "$(kn_header Retry-After)" '^[0-9]+$' "with Retry-After"

# --- concurrency: none answered 200 is lost --------------------------------------------
seq 1 200 | xargs -P 8 -I{} sh -c '
	n={}; host=$((n % 2)); ip=10.77.$((n / 250)).$((n % 250))
	if [ $host = 0 ]; then url=$0; else url=$1; fi
	code=$(curl -s -o /dev/null -w "%{http_code}" --max-time 20 -X POST -H "X-Api-Key: $2" \
	    -H "X-Forwarded-For: $ip" --data-binary "" "$url/knock")
	echo "$code $ip"' "$A" "$B" "$KN_API_KEY" >"$KN_DIR/concurrent.txt"
kn_is "$(awk '$1 == 200' "$KN_DIR/concurrent.txt" | wc -l)" 200 "200 concurrent knocks over both nodes are all answered 200"
kn_redis_cli ZRANGE "${P}index" 0 -1 >"$KN_DIR/index.txt"
lost=$(awk '$1 == 200 { print $2 }' "$KN_DIR/concurrent.txt" | while read -r ip; do
	grep -qx "$ip" "$KN_DIR/index.txt" || echo "$ip"; done | wc -l)
kn_is "$lost" 0 "every knock answered 200 is in Redis"

# --- Redis stopped (SIGSTOP) mid-traffic ----------------------------------------------
knock "$A" 198.51.100.3
kn_is "$KN_STATUS" 200 "a knock before the outage"
before=$(grep -c 'store: redis .* unavailable' "$LOG_A")
kill -STOP "$KN_REDIS_PID"
for i in $(seq 1 10); do
	knock "$A" 198.51.100.4
	codes503="$codes503$KN_STATUS "
	page "$B" 198.51.100.99 >>"$KN_DIR/stopped-verify.txt"
	echo >>"$KN_DIR/stopped-verify.txt"
done
kn_is "$codes503" "$(printf '503 %.0s' $(seq 1 10))" "Redis stopped: every knock is 503 (answered within the timeout, no hang)"
kn_is "$KN_BODY" '{"error":"Whitelist store unavailable."}' "with the specified message"
kn_is "$(sort -u "$KN_DIR/stopped-verify.txt" | tr -d '\n')" 401 "an unknown client is denied throughout"
kn_req GET "$A/.knocker/ready"
kn_is "$KN_STATUS" 503 "/ready is 503 while Redis does not answer"
after=$(grep -c 'store: redis .* unavailable' "$LOG_A")
kn_ok "one log line per worker for the outage, not one per request ($((after - before)) for 10 knocks, 2 workers)" \
    test $((after - before)) -ge 1 -a $((after - before)) -le 2
kill -CONT "$KN_REDIS_PID"
knock_until_ok "$A" 198.51.100.4
kn_is "$KN_STATUS" 200 "after SIGCONT knocks are accepted again (reconnected)"
kn_is "$(page "$B" 198.51.100.4)" 200 "and honoured by the other node"
kn_like "$(grep 'connected' "$LOG_A" | tail -n 1)" 'store: redis 127\.0\.0\.1:[0-9]+: connected' \
    "the reconnection is logged"

# --- Redis killed (SIGKILL) and restarted, without persistence -------------------------
kill -KILL "$KN_REDIS_PID"
wait "$KN_REDIS_PID" 2>/dev/null
knock "$B" 198.51.100.5
kn_is "$KN_STATUS" 503 "Redis killed: a knock is 503"
kn_is "$(page "$A" 198.51.100.98)" 401 "an unknown client is denied"
kn_ok "redis-server restarts on the same port" kn_redis_start
knock_until_ok "$B" 198.51.100.5
kn_is "$KN_STATUS" 200 "after the restart knocks are accepted again"
# Each worker of A retries its connection on its own (REDISCONN_RETRY_MS).
for i in $(seq 1 30); do
	code=$(page "$A" 198.51.100.5)
	[ "$code" = 200 ] && break
	sleep 0.2
done
kn_is "$code" 200 "and honoured by the other node"
kn_is "$(page "$A" 198.51.100.3)" 401 \
    "an entry from before the restart is gone (no persistence): the client must knock again"
for p in $A_PIDS; do
	kn_ok "worker $p of node A survived the outages" kn_alive "$p"
done
kn_req GET "$A/.knocker/metrics"
kn_like "$KN_BODY" 'knocker_knock_total\{code="503"\} [1-9]' "node A's /metrics counts the 503 knocks"
kn_like "$KN_BODY" 'knocker_whitelist_entries [1-9]' "and the entries of its view of the Redis whitelist"
kn_like "$KN_BODY" 'knocker_shared_state_up 1' "its metrics mapping is up (storage directory) with the Redis store"

# --- a wrong password ---------------------------------------------------------------------
printf 'not-the-password\n' >"$KN_DIR/wrong.pass"
chmod 600 "$KN_DIR/wrong.pass"
mkdir -p "$KN_DIR/state-c" && chmod 700 "$KN_DIR/state-c"
kn_make_config "$KN_DIR/c.json" ".whitelist.storage_path = \"$KN_DIR/state-c/whitelist.json\"" \
    ".log.target = \"$KN_DIR/state-c/knocker.log\"" "$(kn_redis_filter)" \
    ".store.password_file = \"$KN_DIR/wrong.pass\""
out=$("$KNOCKER" -t -c "$KN_DIR/c.json" 2>&1)
kn_is "$?" 1 "knocker -t with a wrong Redis password exits 1"
kn_like "$out" "^$KN_DIR/c\.json: store: redis 127\.0\.0\.1:[0-9]+: AUTH refused: WRONGPASS" \
    "and says so in one line naming the address and AUTH"
kn_unlike "$out" "not-the-password" "without the password"
kn_ok "node C (wrong password) starts all the same" kn_example_lighttpd c "$KN_DIR/c.json"
kn_knock "$URL4/knock"
kn_is "$KN_STATUS:$KN_BODY" '503:{"error":"Whitelist store unavailable."}' "its knocks are 503"
kn_req GET "$URL4/.knocker/ready"
kn_is "$KN_STATUS" 503 "its /ready is 503"
kn_like "$(cat "$KN_DIR/state-c/knocker.log")" 'AUTH refused: WRONGPASS' "the reason is in its log"
kn_unlike "$(cat "$KN_DIR"/state-*/knocker.log)" "$KN_REDIS_PASS|not-the-password" "no log holds a password"

kn_done
