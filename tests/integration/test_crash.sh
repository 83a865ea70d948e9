#!/bin/bash
# Workers killed with SIGKILL during a knock storm (4 workers behind real
# lighttpd, 3 rounds: each round kills every worker, one of them while it
# is writing the temp file if we can catch it, then starts 4 new ones on
# the same port), while unknocked clients ask the authorizer (never
# allowed). Throughout, a reader checks that the whitelist file always
# parses and never shrinks; afterwards nothing answered 200 is lost, a
# leftover temp file is harmless, and the restarted workers serve correctly.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/robust_lib.sh"

kn_init crash
kn_need_bin lighttpd spawn-fcgi curl jq xargs

FAR=9999999999
SEED=3000	# a ~75 KB file: each write takes long enough to be hit by a kill
WL=$KN_DIR/state/whitelist.json
{
	printf '{'
	for i in $(seq 1 $SEED); do
		printf '"10.66.%d.%d":%s' $((i / 250)) $((i % 250)) "$FAR"
		[ "$i" -lt $SEED ] && printf ','
	done
	printf '}'
} >"$WL"
chmod 600 "$WL"
# Rate limits on (high), so the rate-limit file is written during the kills too.
kn_make_config "$KN_DIR/knocker.json" '.server.trusted_proxies = ["127.0.0.1"]' \
    '.security.knock_rate_limit = {"window_seconds": 600, "successful_requests": 100000, "failed_requests": 100000}'
kn_ok "4 workers behind lighttpd start" kn_stack "$KN_DIR/knocker.json" 4
export URL6 KN_ADMIN_KEY
N=400

knock_one() {	# i -> "STATUS ENTRY EXPIRES_AT"
	local ip="10.55.$(($1 / 250)).$(($1 % 250 + 1))" out
	out=$(curl -g -s -w ' %{http_code}' --max-time 60 -H "X-Api-Key: $KN_ADMIN_KEY" \
	    -H 'Content-Type: application/json' --data-binary "{\"ip_address\":\"$ip\"}" "$URL6/knock")
	printf '%s %s %s\n' "${out##* }" "$ip" "$(printf '%s' "$out" | sed -n 's/.*"expires_at":\([0-9]*\).*/\1/p')"
}
verify_one() {	# i: an address nobody knocks, through the authorizer
	local ip="10.98.$(($1 / 250)).$(($1 % 250 + 1))"
	echo "$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 -H "X-Forwarded-For: $ip" "$URL/private/index.html") $ip"
}
export -f knock_one verify_one
export URL
seq 0 $((N - 1)) | xargs -P 8 -I{} bash -c 'knock_one {}' >"$KN_DIR/knocks.txt" &
storm=$!
kn_track $storm
# Verifies of never-knocked addresses during the kills: a worker killed
# while answering must never turn into an allow.
seq 0 299 | xargs -P 4 -I{} bash -c 'verify_one {}' >"$KN_DIR/verifies.txt" &
verifies=$!
kn_track $verifies

# The reader: while the storm runs, parse the file again and again and
# record its entry count ("bad" if it does not parse).
(
	for i in $(seq 1 3000); do
		kill -0 $storm 2>/dev/null || break
		jq -e 'if type == "object" then length else error end' "$WL" 2>/dev/null || echo bad
		sleep 0.01
	done
) >"$KN_DIR/reads.txt" &
reader=$!
kn_track $reader

# Is PID writing the temp file right now?
writing() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'whitelist\.json\.tmp'; }

kills=0 midwrite=0
for round in 1 2 3; do
	victims=$KN_APP_PIDS
	# one victim caught with the temp file open (polling up to ~3 s)...
	for i in $(seq 1 600); do
		for p in $victims; do
			if writing "$p" && kill -KILL "$p" 2>/dev/null; then
				kn_untrack "$p"
				midwrite=$((midwrite + 1)) kills=$((kills + 1))
				victims=$(echo " $victims " | sed "s/ $p / /")
				break 2
			fi
		done
		sleep 0.005
	done
	# ...the others at random moments
	for p in $victims; do
		sleep "0.$((RANDOM % 3 + 1))"
		kill -KILL "$p" 2>/dev/null && kills=$((kills + 1))
		kn_untrack "$p"
	done
	sleep 0.2
	kn_respawn "$KN_DIR/knocker.json" 4 || kn_diag "respawn $round failed"
done
wait $storm
wait $verifies
wait $reader
kn_untrack $storm $verifies $reader
# lighttpd keeps a backend it could not reach disabled for a moment after the
# last restart: wait until it talks to the restarted workers again (a faster
# store ends the storm sooner, inside that moment).
# Each fastcgi.server entry (the knock route, /.knocker/, the authorizer) has
# its own disabled state: wait for all three.
for i in $(seq 1 100); do
	[ "$(kn_http GET "$URL/.knocker/health")" = 200 ] &&
	    [ "$(kn_http OPTIONS "$URL/knock")" = 204 ] &&
	    [ "$(kn_http GET "$URL/private/")" = 401 ] && break
	sleep 0.1
done

kn_is "$kills" 12 "12 workers were killed with SIGKILL during the storm"
kn_diag "$midwrite of them while writing the temp file"
kn_ok "at least one worker was killed while writing the temp file" test "$midwrite" -ge 1
reads=$(wc -l <"$KN_DIR/reads.txt")
kn_ok "the reader read the file during the storm ($reads times)" test "$reads" -ge 10
kn_is "$(grep -c bad "$KN_DIR/reads.txt")" 0 "the whitelist file parsed at every one of $reads reads"
kn_is "$(awk 'NR > 1 && $1 < prev {print} {prev = $1}' "$KN_DIR/reads.txt" | head -1)" "" \
    "the number of entries never went down"
kn_ok "the whitelist file parses after the storm" kn_whitelist_parses "$WL"

answered=$(grep -c '^200 ' "$KN_DIR/knocks.txt")
kn_diag "$answered of $N knocks were answered 200 (the others hit a killed or restarting worker)"
kn_ok "knocks succeeded around the kills" test "$answered" -gt 0
awk '$1 == 200 {print $2, $3}' "$KN_DIR/knocks.txt" >"$KN_DIR/answered"
lost=$(kn_missing_expiry "$WL" "$KN_DIR/answered")
kn_is "$(printf '%s' "$lost" | grep -c .)" 0 "no knock answered 200 was lost (entry and expiry)"
[ -z "$lost" ] || kn_diag "lost: $(printf '%s' "$lost" | head -5)"
kn_is "$(jq '[to_entries[] | select(.key | startswith("10.66."))] | length' "$WL")" "$SEED" \
    "none of the $SEED entries from before the storm was lost"
kn_is "$(awk '$1 !~ /^(200|5[0-9][0-9])$/' "$KN_DIR/knocks.txt" | head -3)" "" \
    "every knock got 200 or a 5xx (no 4xx, nothing else)"

kn_is "$(wc -l <"$KN_DIR/verifies.txt")" 300 "300 verifies of unknocked addresses were answered during the kills"
kn_is "$(grep -c '^200 ' "$KN_DIR/verifies.txt")" 0 "none of them was allowed"
kn_diag "their answers: $(awk '{print $1}' "$KN_DIR/verifies.txt" | sort | uniq -c | tr -s ' \n' ' ')"

# A leftover temp file (as a kill leaves it) is harmless: the next knock
# replaces it and does not take its content.
printf '{"6.6.6.6":%s' "$FAR" >"$WL.tmp-0123456789abcdef"
touch -d '1 hour ago' "$WL.tmp-0123456789abcdef"	# a killed writer's, not a live one's
kn_is "$(kn_knock_as "$URL" 192.0.2.77)" 200 "a knock after a leftover (partial) temp file succeeds"
kn_ok "the leftover temp file is gone" test ! -e "$WL.tmp-0123456789abcdef"
kn_is "$(jq 'has("6.6.6.6")' "$WL")" false "the leftover temp file's content was not taken"
# Even a symlink there is not followed.
echo "victim" >"$KN_DIR/victim"
ln -s "$KN_DIR/victim" "$WL.tmp-0123456789abcdef"
kn_is "$(kn_knock_as "$URL" 192.0.2.78)" 200 "a knock after a leftover temp symlink succeeds"
kn_is "$(cat "$KN_DIR/victim")" victim "the symlink's target was not written"
kn_ok "the whitelist is a regular file, not the symlink" test -f "$WL" -a ! -L "$WL"

kn_is "$(kn_verify_as "$URL" 192.0.2.77)" 200 "restarted workers allow a client knocked after the storm"
ip=$(awk '$1 == 200 {print $2; exit}' "$KN_DIR/knocks.txt")
kn_is "$(kn_verify_as "$URL" "$ip")" 200 "restarted workers allow a client knocked during the storm ($ip)"
kn_is "$(kn_verify_as "$URL" 10.66.3.7)" 200 "restarted workers allow a client from before the storm"
kn_is "$(kn_verify_as "$URL" 192.0.2.79)" 401 "restarted workers deny an unknocked client"
kn_req GET "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H 'X-Forwarded-For: 192.0.2.77'
kn_like "$KN_STATUS:$KN_BODY" '^200:.*"whitelisted":true' "restarted workers answer a status request (rate-limit file usable)"
kn_is "$(kn_http GET "$URL/.knocker/ready")" 200 "restarted workers are ready"
kn_is "$(kn_count_alive $KN_APP_PIDS)" 4 "the 4 restarted workers are running"

# A graceful stop (SIGTERM) in the middle of knocks: the workers finish what
# they are doing and exit; nothing answered 200 is lost.
knock_two() {	# i
	local ip="10.56.$(($1 / 250)).$(($1 % 250 + 1))"
	echo "$(curl -g -s -o /dev/null -w '%{http_code}' --max-time 60 -H "X-Api-Key: $KN_ADMIN_KEY" \
	    -H 'Content-Type: application/json' --data-binary "{\"ip_address\":\"$ip\"}" "$URL6/knock") $ip"
}
export -f knock_two
seq 0 149 | xargs -P 8 -I{} bash -c 'knock_two {}' >"$KN_DIR/knocks2.txt" &
storm=$!
sleep 0.5
old=$KN_APP_PIDS
kill -TERM $old
for i in $(seq 1 100); do
	[ "$(kn_count_alive $old)" = 0 ] && break
	sleep 0.1
done
kn_is "$(kn_count_alive $old)" 0 "SIGTERM during knocks: all 4 workers exit"
[ "$(kn_count_alive $old)" = 0 ] && kn_untrack $old
kn_respawn "$KN_DIR/knocker.json" 4
wait $storm
kn_untrack $storm
awk '$1 == 200 {print $2}' "$KN_DIR/knocks2.txt" >"$KN_DIR/answered2"
kn_diag "$(wc -l <"$KN_DIR/answered2") of 150 knocks were answered 200 around the SIGTERM"
kn_is "$(kn_missing "$WL" "$KN_DIR/answered2" | wc -l)" 0 "SIGTERM during knocks: no knock answered 200 is lost"
kn_ok "SIGTERM during knocks: the file parses" kn_whitelist_parses "$WL"
kn_like "$(cat "$KN_DIR/state/knocker.log")" "worker [0-9]+ stopping" "the workers logged their stop"

kn_done
