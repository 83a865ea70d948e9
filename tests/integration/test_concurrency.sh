#!/bin/bash
# 300 concurrent knocks (16 at a time) and, at the same time, 400 verifies
# of addresses that never knocked, against 4 workers behind real lighttpd.
# Afterwards: every knock answered 200 is in the whitelist file with the
# expiry it was told, the file parses, no verify of an unknocked address
# was ever allowed, and the shared rate-limit counter lost no knock.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/robust_lib.sh"

kn_init concurrency
kn_need_bin lighttpd spawn-fcgi curl jq xargs

N=300
# Knocks come from ::1 (untrusted: the body names the entry), verifies from
# 127.0.0.1 (a trusted proxy: X-Forwarded-For names the client). ::1 may
# knock exactly N times: knock N+1 must be refused, which shows that the
# rate-limit file shared by the workers lost none of the N.
kn_make_config "$KN_DIR/knocker.json" '.server.trusted_proxies = ["127.0.0.1"]' \
    ".security.knock_rate_limit = {\"window_seconds\": 600, \"successful_requests\": $N, \"failed_requests\": 1000}"
kn_ok "4 workers behind lighttpd start" kn_stack "$KN_DIR/knocker.json" 4
WL=$KN_DIR/state/whitelist.json
pids=$KN_APP_PIDS
export URL URL6 KN_ADMIN_KEY

# Prints "STATUS ENTRY EXPIRES_AT" (ENTRY and EXPIRES_AT from the answer).
knock_one() {	# i: every 10th entry is an IPv6 /64, the others IPv4 addresses
	local ip out
	if [ $(($1 % 10)) = 0 ]; then
		ip="2001:db8:77:$(printf %x "$1")::/64"
	else
		ip="10.77.$(($1 / 250)).$(($1 % 250 + 1))"
	fi
	out=$(curl -g -s -w ' %{http_code}' --max-time 60 -H "X-Api-Key: $KN_ADMIN_KEY" \
	    -H 'Content-Type: application/json' --data-binary "{\"ip_address\":\"$ip\",\"ttl\":3000}" "$URL6/knock")
	printf '%s %s %s\n' "${out##* }" \
	    "$(printf '%s' "$out" | sed -n 's/.*"whitelisted_entry":"\([^"]*\)".*/\1/p')" \
	    "$(printf '%s' "$out" | sed -n 's/.*"expires_at":\([0-9]*\).*/\1/p')"
}
verify_one() {	# i: an address nobody knocks; via the authorizer or /verify
	local ip="10.99.$(($1 / 250)).$(($1 % 250 + 1))" path=/private/index.html
	[ $(($1 % 4)) = 0 ] && path=/.knocker/verify
	echo "$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 -H "X-Forwarded-For: $ip" "$URL$path") $ip"
}
export -f knock_one verify_one

seq 0 $((N - 1)) | xargs -P 16 -I{} bash -c 'knock_one {}' >"$KN_DIR/knocks.txt" &
knocks=$!
kn_track $knocks
seq 0 399 | xargs -P 8 -I{} bash -c 'verify_one {}' >"$KN_DIR/verifies.txt"
wait $knocks
kn_untrack $knocks

kn_is "$(wc -l <"$KN_DIR/knocks.txt")" "$N" "all $N knocks were answered"
kn_is "$(grep -c '^200 ' "$KN_DIR/knocks.txt")" "$N" "all $N concurrent knocks answered 200"
grep -v '^200 ' "$KN_DIR/knocks.txt" | head -5 | while read -r l; do kn_diag "not 200: $l"; done
kn_ok "the whitelist file parses" kn_whitelist_parses "$WL"
kn_is "$(stat -c %a "$WL")" 600 "the whitelist file is still mode 0600"
awk '$1 == 200 {print $2, $3}' "$KN_DIR/knocks.txt" >"$KN_DIR/answered"
missing=$(kn_missing_expiry "$WL" "$KN_DIR/answered")
kn_is "$(printf '%s' "$missing" | grep -c .)" 0 \
    "every knock answered 200 is in the file with the expiry it was told"
[ -z "$missing" ] || kn_diag "missing (entry told got): $(printf '%s' "$missing" | head -5)"
kn_is "$(jq length "$WL")" "$N" "the file holds exactly the $N entries"
kn_is "$(jq -r 'keys[] | select(test(":"))' "$WL" | grep -c '::/64$')" $((N / 10)) \
    "the IPv6 entries are stored as canonical /64 networks"
kn_ok "no temp file is left" test ! -e "$WL.tmp"

kn_is "$(wc -l <"$KN_DIR/verifies.txt")" 400 "all 400 concurrent verifies were answered"
kn_is "$(grep -c '^200 ' "$KN_DIR/verifies.txt")" 0 "no verify of an unknocked address was allowed"
kn_is "$(grep -c '^401 ' "$KN_DIR/verifies.txt")" 400 "every verify of an unknocked address was 401"

# The shared counter: ::1 has used exactly its N successes.
KEY=$KN_ADMIN_KEY kn_knock "$URL6/knock" '{"ip_address":"10.78.0.1"}'
kn_is "$KN_STATUS" 429 "knock $((N + 1)) from the same client is 429 (no knock lost by the shared rate limiter)"
kn_like "$(kn_header Retry-After)" '^[1-9][0-9]*$' "and carries Retry-After"

# Afterwards every knocked entry is allowed, whichever worker answers.
denied=0
for ip in $(awk '$1 == 200 && $2 !~ /:/ {print $2}' "$KN_DIR/knocks.txt" | head -60); do
	[ "$(kn_verify_as "$URL" "$ip")" = 200 ] || denied=$((denied + 1))
done
for i in 0 10 20 290; do
	[ "$(kn_verify_as "$URL" "2001:db8:77:$(printf %x $i)::abcd")" = 200 ] || denied=$((denied + 1))
done
kn_is "$denied" 0 "64 knocked entries (IPv4 and inside IPv6 /64s) are all allowed afterwards"
kn_is "$(kn_verify_as "$URL" 2001:db8:78::1)" 401 "an address outside every knocked /64 is still denied"
kn_is "$(kn_count_alive $pids)" 4 "all 4 workers are still running (same pids)"

kn_done
