#!/bin/bash
# GET /metrics through real lighttpd in front of 4 real spawn-fcgi workers:
# known numbers of verifies (allowed and denied, by reason), knocks of each
# status and status calls, spread over the workers, must show EXACTLY in
# the counters (summed over every worker through the shared mapping); the
# text must pass the real `promtool check metrics`; clients outside
# metrics.allowed_ips get 403.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/robust_lib.sh"

kn_init metrics
kn_need_bin lighttpd spawn-fcgi curl jq promtool

# 127.0.0.1 (lighttpd) is a trusted proxy: X-Forwarded-For names the client.
kn_make_config "$KN_DIR/knocker.json" '.server.trusted_proxies = ["127.0.0.1"]' \
    '.security.knock_rate_limit.failed_requests = 3' \
    '.security.always_allowed_ips = ["192.0.2.0/24"]'
kn_ok "4 workers behind lighttpd start" kn_stack "$KN_DIR/knocker.json" 4

scrape() {	# [curl args...]  the exposition into $KN_DIR/metrics.txt; prints the status
	kn_http GET "$URL/.knocker/metrics" "$@"
	cp "$KN_BODY_FILE" "$KN_DIR/metrics.txt"
}
# The value of one sample (name with labels, exactly as exposed).
value() {
	awk -v s="$1" 'index($0, s " ") == 1 { print $NF }' "$KN_DIR/metrics.txt"
}

kn_is "$(scrape)" 200 "GET /metrics from 127.0.0.1 (the default allowed_ips; a trusted proxy naming no client) is 200"
kn_is "$(kn_header Content-Type)" "text/plain; version=0.0.4; charset=utf-8" "content type: text format 0.0.4"
out=$(promtool check metrics <"$KN_DIR/metrics.txt" 2>&1)
kn_is "$?:$out" "0:" "promtool check metrics accepts the exposition (no lint problem)"
cp "$KN_DIR/metrics.txt" "$KN_DIR/before.txt"

# --- the requests ----------------------------------------------------------------
K200=6 V_ALLOW=15 V_DENY=11 V_ALWAYS=4 V_EXCL=5 S200=3 S401=2
c=""
for i in $(seq 1 $K200); do c="$c $(kn_knock_as "$URL" 198.51.100.$i)"; done
for i in $(seq 1 $V_ALLOW); do c="$c $(kn_verify_as "$URL" 198.51.100.$((i % K200 + 1)))"; done
for i in $(seq 1 $V_DENY); do c="$c $(kn_verify_as "$URL" 203.0.113.$i)"; done
for i in $(seq 1 $V_ALWAYS); do c="$c $(kn_verify_as "$URL" 192.0.2.$i)"; done
for i in $(seq 1 $V_EXCL); do c="$c $(kn_http GET "$URL/private/health" -H "X-Forwarded-For: 203.0.113.200")"; done
want=" $(printf '200 %.0s' $(seq 1 $K200))$(printf '200 %.0s' $(seq 1 $V_ALLOW))$(printf '401 %.0s' $(seq 1 $V_DENY))"
want="$want$(printf '200 %.0s' $(seq 1 $V_ALWAYS))$(printf '200 %.0s' $(seq 1 $V_EXCL))"
kn_is "$c " "$want" "$K200 knocks, then verifies: $V_ALLOW whitelisted, $V_DENY not, $V_ALWAYS always allowed, $V_EXCL excluded"

# knocks refused: 401 x3 then 429 x2 (limit 3), 403 x2, 415, 413, 400 x2
c=""
for i in 1 2 3 4 5; do c="$c $(KEY=bad kn_knock_as "$URL" 203.0.113.77)"; done
knock_json() {	# CLIENT CONTENT-TYPE BODY
	kn_http POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H "X-Forwarded-For: $1" \
	    -H "Content-Type: $2" --data-binary "$3"
}
c="$c $(knock_json 198.51.100.60 application/json '{"ip_address":"192.0.2.1"}')"
c="$c $(knock_json 198.51.100.60 application/json '{"ip_address":"192.0.2.2"}')"
c="$c $(knock_json 198.51.100.61 text/plain x)"
head -c 5000 /dev/zero | tr '\0' ' ' >"$KN_DIR/5k"
c="$c $(knock_json 198.51.100.62 application/json @"$KN_DIR/5k")"
c="$c $(knock_json 198.51.100.63 application/json '{"ttl":0}') $(knock_json 198.51.100.63 application/json '{"ttl":"x"}')"
kn_is "$c" " 401 401 401 429 429 403 403 415 413 400 400" "refused knocks: 401 x3, 429 x2, 403 x2, 415, 413, 400 x2"
c=""
for i in $(seq 1 $S200); do c="$c $(kn_http GET "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H "X-Forwarded-For: 198.51.100.70")"; done
for i in $(seq 1 $S401); do c="$c $(kn_http GET "$URL/knock" -H "X-Api-Key: nope" -H "X-Forwarded-For: 198.51.100.71")"; done
kn_is "$c" " 200 200 200 401 401" "status calls: 3 good, 2 wrong keys"

served=$(grep -o 'knocker\[[0-9]*\]: [a-z]*: audit: ' "$KN_DIR/state/knocker.log" | sort -u | wc -l)
# Which worker accepts is the kernel's choice: said, not asserted.
kn_diag "the requests were answered by $served workers"

# --- the counters -------------------------------------------------------------------
kn_is "$(scrape)" 200 "GET /metrics again"
out=$(promtool check metrics <"$KN_DIR/metrics.txt" 2>&1)
kn_is "$?:$out" "0:" "promtool check metrics accepts it with counts in it"
got=""
for s in 'knocker_verify_total{result="allow",reason="whitelisted"}' \
    'knocker_verify_total{result="deny",reason="not_whitelisted"}' \
    'knocker_verify_total{result="allow",reason="always_allowed"}' \
    'knocker_verify_total{result="allow",reason="excluded_path"}' \
    'knocker_verify_total{result="deny",reason="no_client_ip"}' \
    'knocker_verify_total{result="deny",reason="store_error"}' \
    'knocker_knock_total{code="200"}' 'knocker_knock_total{code="400"}' \
    'knocker_knock_total{code="401"}' 'knocker_knock_total{code="403"}' \
    'knocker_knock_total{code="413"}' 'knocker_knock_total{code="415"}' \
    'knocker_knock_total{code="429"}' 'knocker_knock_total{code="500"}' \
    'knocker_knock_total{code="503"}' \
    'knocker_status_total{code="200"}' 'knocker_status_total{code="401"}' \
    'knocker_whitelist_entries' 'knocker_store_errors_total' \
    'knocker_config_reloads_total{result="ok"}' 'knocker_shared_state_up'; do
	got="$got $(value "$s")"
done
kn_is "$got" " $V_ALLOW $V_DENY $V_ALWAYS $V_EXCL 0 0 $K200 2 3 2 1 1 2 0 0 $S200 $S401 $K200 0 0 1" \
    "every counter is exact, summed over the 4 workers"
kn_like "$(cat "$KN_DIR/metrics.txt")" 'knocker_build_info\{version="[^"]+"\} 1' "build info"

# --- who may read them ----------------------------------------------------------------
kn_is "$(kn_http GET "$URL6/.knocker/metrics")" 200 "from ::1 (default allowed_ips): 200"
kn_req GET "$URL/.knocker/metrics" -H 'X-Forwarded-For: 198.51.100.1'
kn_is "$KN_STATUS" 403 "a client outside allowed_ips (named by the trusted proxy): 403"
kn_is "$KN_BODY" '{"error":"Forbidden."}' "the 403 body"
kn_is "$(kn_http POST "$URL/.knocker/metrics" --data-binary x)" 405 "POST /metrics: 405"
kn_stop_all

kn_make_config "$KN_DIR/k2.json" '.metrics = {"allowed_ips": ["198.51.100.0/24"]}' \
    '.server.trusted_proxies = ["127.0.0.1"]'
kn_ok "workers with metrics.allowed_ips = [198.51.100.0/24] start" kn_stack "$KN_DIR/k2.json" 2
kn_is "$(kn_http GET "$URL/.knocker/metrics")" 403 "127.0.0.1 is no longer allowed: 403"
kn_is "$(kn_http GET "$URL/.knocker/metrics" -H 'X-Forwarded-For: 198.51.100.9')" 200 \
    "198.51.100.9 (in allowed_ips) gets the metrics"

kn_done
