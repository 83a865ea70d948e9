#!/bin/bash
# The per-IP knock limits hold for the sum of 4 workers.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/robust_lib.sh"

kn_init ratelimit
kn_need_bin lighttpd spawn-fcgi curl jq

kn_make_config "$KN_DIR/knocker.json" \
    '.security.knock_rate_limit = {"window_seconds": 60, "successful_requests": 3, "failed_requests": 4}'
kn_ok "4 workers behind lighttpd start" kn_stack "$KN_DIR/knocker.json" 4

codes="" pids_seen=""
for i in $(seq 1 10); do
	kn_knock "$URL/knock"
	codes="$codes $KN_STATUS"
	[ "$KN_STATUS" = 429 ] && retry=$(kn_header Retry-After) && body429=$KN_BODY
done
kn_is "$codes" " 200 200 200 429 429 429 429 429 429 429" "10 knocks: exactly 3 succeed, then 429"
kn_like "$retry" '^[0-9]+$' "429 carries Retry-After ($retry)"
kn_ok "Retry-After is within the window" test "$retry" -ge 1 -a "$retry" -le 60
kn_is "$body429" '{"error":"Too many knock attempts."}' "429 body"

codes=""
for i in $(seq 1 10); do
	KEY=bad-key kn_knock "$URL6/knock"
	codes="$codes $KN_STATUS"
done
kn_is "$codes" " 401 401 401 401 429 429 429 429 429 429" "10 bad-key knocks from ::1: exactly 4 answered 401, then 429"
kn_req GET "$URL6/knock" -H "X-Api-Key: $KN_API_KEY"
kn_is "$KN_STATUS" 200 "the failure limit does not block a good status request"

served=$(grep -o 'knocker\[[0-9]*\]: info: knock' "$KN_DIR/state/knocker.log" | sort -u | wc -l)
kn_diag "knock log lines came from $served different workers"
kn_ok "the knocks were spread over more than one worker" test "$served" -ge 2
kn_ok "the rate-limit file is mode 0600" test "$(stat -c %a "$KN_DIR/state/whitelist.json.ratelimit")" = 600

kn_done
