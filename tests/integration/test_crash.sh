#!/bin/bash
# Workers killed with SIGKILL at random moments during a knock storm: the
# whitelist file always parses, nothing answered 200 is lost, a leftover
# temp file is harmless, and restarted workers serve correctly.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/robust_lib.sh"

kn_init crash
kn_need_bin lighttpd spawn-fcgi curl jq xargs

kn_make_config "$KN_DIR/knocker.json" '.server.trusted_proxies = ["127.0.0.1"]' \
    '.security.knock_rate_limit.successful_requests = 0' '.security.knock_rate_limit.failed_requests = 0'
kn_ok "4 workers behind lighttpd start" kn_stack "$KN_DIR/knocker.json" 4
WL=$KN_DIR/state/whitelist.json
export URL KN_ADMIN_KEY
N=400

knock_one() {
	local ip="10.55.$(($1 / 250)).$(($1 % 250 + 1))"
	echo "$(curl -g -s -o /dev/null -w '%{http_code}' --max-time 30 -H "X-Api-Key: $KN_ADMIN_KEY" \
	    -H 'Content-Type: application/json' --data-binary "{\"ip_address\":\"$ip\"}" \
	    -H 'X-Forwarded-For: 192.0.2.1' "$URL/knock") $ip"
}
export -f knock_one
seq 0 $((N - 1)) | xargs -P 8 -I{} bash -c 'knock_one {}' >"$KN_DIR/knocks.txt" &
storm=$!

# Kill the workers one by one at random moments, checking the file between
# kills; when all are dead, start new ones on the same port.
parsed_every_time=0 checks=0 kills=0
for round in 1 2; do
	for p in $KN_APP_PIDS; do
		sleep "0.$((RANDOM % 4 + 1))"
		kill -KILL "$p" 2>/dev/null && kills=$((kills + 1))
		checks=$((checks + 1))
		if [ ! -e "$WL" ] || kn_whitelist_parses "$WL"; then
			parsed_every_time=$((parsed_every_time + 1))
		fi
	done
	sleep 0.3
	port=$KN_APP_PORT
	spawn-fcgi -a 127.0.0.1 -p "$port" -F 4 -P "$KN_DIR/respawn-$round.pid" -- "$KNOCKER" -c "$KN_DIR/knocker.json" >/dev/null 2>&1
	KN_APP_PIDS=$(tr '\n' ' ' <"$KN_DIR/respawn-$round.pid")
	kn_track $KN_APP_PIDS
done
wait $storm

kn_is "$kills" 8 "8 workers were killed with SIGKILL during the storm"
kn_is "$parsed_every_time" "$checks" "the whitelist file parsed at every one of $checks checks"
kn_ok "the whitelist file parses after the storm" kn_whitelist_parses "$WL"
answered=$(grep -c '^200 ' "$KN_DIR/knocks.txt")
kn_diag "$answered of $N knocks were answered 200 (the others hit a killed or restarting worker)"
kn_ok "some knocks succeeded around the kills" test "$answered" -gt 0
lost=0
for ip in $(awk '$1 == 200 {print $2}' "$KN_DIR/knocks.txt"); do
	jq -e --arg ip "$ip" 'has($ip)' "$WL" >/dev/null || { lost=$((lost + 1)); kn_diag "lost: $ip"; }
done
kn_is "$lost" 0 "no knock answered 200 was lost"
kn_is "$(grep -cE '^(2[0-9][0-9]|4[0-9][0-9]) ' "$KN_DIR/knocks.txt" | tr -d ' ')" "$answered" \
    "no knock got a success other than 200 nor a 4xx"

# A temp file left by a kill is harmless: the next knock replaces it.
echo '{"6.6.6.6":9999999999}' >"$WL.tmp"
[ "$(kn_knock_as "$URL" 192.0.2.77)" = 200 ]
kn_ok "a knock after a leftover temp file succeeds" test $? -eq 0
kn_ok "the leftover temp file is gone" test ! -e "$WL.tmp"
kn_is "$(jq 'has("6.6.6.6")' "$WL")" false "the leftover temp file's content was not taken"

kn_is "$(kn_verify_as "$URL" 192.0.2.77)" 200 "a restarted worker allows a knocked client"
kn_is "$(kn_verify_as "$URL" "$(awk '$1 == 200 {print $2; exit}' "$KN_DIR/knocks.txt")")" 200 \
    "a restarted worker allows a client knocked before the kills"
kn_is "$(kn_verify_as "$URL" 192.0.2.78)" 401 "a restarted worker denies an unknocked client"

kn_done
