#!/bin/bash
# Hundreds of concurrent knocks and verifies against 4 workers behind real
# lighttpd: every knock answered 200 is in the file, the file parses, and no
# verify of an address that never knocked is allowed.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/robust_lib.sh"

kn_init concurrency
kn_need_bin lighttpd spawn-fcgi curl jq xargs

# Knocks come from ::1 (untrusted: the body names the address), verifies
# from 127.0.0.1 (trusted proxy: X-Forwarded-For names the client).
kn_make_config "$KN_DIR/knocker.json" '.server.trusted_proxies = ["127.0.0.1"]' \
    '.security.knock_rate_limit.successful_requests = 0' '.security.knock_rate_limit.failed_requests = 0'
kn_ok "4 workers behind lighttpd start" kn_stack "$KN_DIR/knocker.json" 4
N=300
export URL URL6 KN_ADMIN_KEY

knock_one() {	# i
	local ip="10.77.$(($1 / 250)).$(($1 % 250 + 1))"
	local code
	code=$(curl -g -s -o /dev/null -w '%{http_code}' --max-time 30 -H "X-Api-Key: $KN_ADMIN_KEY" \
	    -H 'Content-Type: application/json' --data-binary "{\"ip_address\":\"$ip\",\"ttl\":600}" "$URL6/knock")
	echo "$code $ip"
}
verify_one() {	# i: an address that never knocks
	local ip="10.99.$(($1 / 250)).$(($1 % 250 + 1))"
	echo "$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "X-Forwarded-For: $ip" "$URL/private/index.html") $ip"
}
export -f knock_one verify_one

seq 0 $((N - 1)) | xargs -P 16 -I{} bash -c 'knock_one {}' >"$KN_DIR/knocks.txt" &
knocker_pid=$!
seq 0 $((N - 1)) | xargs -P 8 -I{} bash -c 'verify_one {}' >"$KN_DIR/verifies.txt"
wait $knocker_pid

ok200=$(grep -c '^200 ' "$KN_DIR/knocks.txt")
kn_is "$(wc -l <"$KN_DIR/knocks.txt")" "$N" "all $N knocks were answered"
kn_is "$ok200" "$N" "all $N concurrent knocks answered 200"
kn_is "$(grep -cv '^200 ' "$KN_DIR/knocks.txt")" 0 "no knock failed"
kn_ok "the whitelist file parses" kn_whitelist_parses "$KN_DIR/state/whitelist.json"
missing=0
for ip in $(awk '$1 == 200 {print $2}' "$KN_DIR/knocks.txt"); do
	jq -e --arg ip "$ip" 'has($ip)' "$KN_DIR/state/whitelist.json" >/dev/null || missing=$((missing + 1))
done
kn_is "$missing" 0 "every knock answered 200 is in the whitelist file"
kn_is "$(jq length "$KN_DIR/state/whitelist.json")" "$N" "the file holds exactly the $N entries"

kn_is "$(wc -l <"$KN_DIR/verifies.txt")" "$N" "all $N concurrent verifies were answered"
kn_is "$(grep -c '^200 ' "$KN_DIR/verifies.txt")" 0 "no verify of an unknocked address was allowed"
kn_is "$(grep -c '^401 ' "$KN_DIR/verifies.txt")" "$N" "every verify of an unknocked address was 401"

# Afterwards every knocked address is allowed, whichever worker answers.
denied=0
for ip in $(awk '{print $2}' "$KN_DIR/knocks.txt" | head -100); do
	[ "$(kn_verify_as "$URL" "$ip")" = 200 ] || denied=$((denied + 1))
done
kn_is "$denied" 0 "100 knocked addresses are all allowed afterwards"
alive=0
for p in $KN_APP_PIDS; do kn_alive "$p" && alive=$((alive + 1)); done
kn_is "$alive" 4 "all 4 workers are still running"

kn_done
