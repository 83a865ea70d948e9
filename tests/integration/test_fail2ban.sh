#!/bin/bash
# The audit trail and conf-examples/fail2ban: real spawn-fcgi workers behind
# real lighttpd write audit lines to log.target (a file) for good and bad
# knocks, status calls and verifies; the real fail2ban-regex with our filter
# must count exactly the wrong-key and rate-limited requests, per address,
# and nothing else, in the file's format and in the syslog format; and
# fail2ban-client -t must accept our jail.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/robust_lib.sh"

kn_init fail2ban
kn_need_bin lighttpd spawn-fcgi curl jq fail2ban-regex fail2ban-client

LOG=$KN_DIR/state/knocker.log
# 127.0.0.1 (lighttpd) is a trusted proxy: X-Forwarded-For names the client.
kn_make_config "$KN_DIR/knocker.json" '.server.trusted_proxies = ["127.0.0.1"]' \
    '.security.knock_rate_limit.failed_requests = 4'
kn_ok "2 workers behind lighttpd start" kn_stack "$KN_DIR/knocker.json" 2

status_as() {	# CLIENT [key]
	kn_http GET "$URL/knock" -H "X-Api-Key: ${2:-$KN_API_KEY}" -H "X-Forwarded-For: $1"
}

codes=""
codes="$codes $(kn_knock_as "$URL" 198.51.100.1) $(kn_knock_as "$URL" 198.51.100.2)"
codes="$codes $(kn_verify_as "$URL" 198.51.100.1) $(kn_verify_as "$URL" 203.0.113.50)"
codes="$codes $(status_as 198.51.100.1)"
kn_is "$codes" " 200 200 200 401 200" "good knocks, a verify each way, a status call"
codes=""
for i in 1 2 3; do codes="$codes $(KEY=wrong-key-$i kn_knock_as "$URL" 203.0.113.7)"; done
codes="$codes $(KEY=x kn_knock_as "$URL" 2001:db8::66) $(KEY=y kn_knock_as "$URL" 2001:db8::66)"
codes="$codes $(status_as 2001:db8::66 not-the-key)"
for i in 1 2 3 4 5 6; do codes="$codes $(KEY=bad kn_knock_as "$URL" 203.0.113.8)"; done
kn_is "$codes" " 401 401 401 401 401 401 401 401 401 401 429 429" \
    "wrong keys from 203.0.113.7 (3) and 2001:db8::66 (3, one a status call); 203.0.113.8: 4 then 429"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H "X-Forwarded-For: 198.51.100.3" \
    -H 'Content-Type: application/json' --data-binary '{"ip_address":"192.0.2.1"}'
kn_is "$KN_STATUS" 403 "a valid key without remote permission: 403 (not a guess: not counted)"

# --- the lines themselves ------------------------------------------------------
audit=$(grep -o 'audit: .*' "$LOG" | sed 's/^audit: //')
kn_is "$(printf '%s\n' "$audit" | grep -c .)" 16 "16 audit lines: one per knock and status call, none per verify"
kn_like "$audit" "(^|$(printf '\n'))event=knock result=ok client=198\.51\.100\.1 key=phone status=200 entry=198\.51\.100\.1 ttl=3600" \
    "an accepted knock: key name, entry, ttl"
kn_like "$(grep 'client=203.0.113.7 ' "$LOG" | head -n 1)" \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z knocker\[[0-9]+\]: warn: audit: event=knock result=denied client=203\.0\.113\.7 key=- status=401 reason=bad_key$' \
    "a wrong key: the exact line at warn, key=-"
kn_like "$audit" 'event=status result=denied client=2001:db8::66 key=- status=401 reason=bad_key' "a status call with a wrong key"
kn_like "$audit" 'event=knock result=limited client=203\.0\.113\.8 key=- status=429 reason=rate_limited' "a rate-limited knock"
kn_unlike "$(cat "$LOG")" "$KN_API_KEY|$KN_ADMIN_KEY|wrong-key-|not-the-key" "no key, good or bad, is in the log"

# --- fail2ban-regex --------------------------------------------------------------
# fail2ban's own configuration (common.conf, ...) with our filter and jail,
# the jail reading this test's log.
F2B=$KN_DIR/fail2ban
cp -r /etc/fail2ban "$F2B"
rm -f "$F2B"/jail.d/*
cp "$KN_SRC/conf-examples/fail2ban/filter.d/knocker.conf" "$F2B/filter.d/"
sed "s#^logpath  = .*#logpath  = $LOG#" "$KN_SRC/conf-examples/fail2ban/jail.d/knocker.local" \
    >"$F2B/jail.d/knocker.local"

# Prints "N matched" and then "ADDRESS COUNT" per banned-to-be address.
f2b_matches() {	# LOGFILE
	local out
	out=$(fail2ban-regex -c "$F2B" -v "$1" knocker 2>&1) || { kn_diag "$out"; return 1; }
	printf '%s\n' "$out" | sed -n 's/^Lines: .* \([0-9]*\) matched.*/\1 matched/p'
	printf '%s\n' "$out" | awk '/^\|   1\) \[/ { on = 1; next } on && /^`-/ { on = 0 }
	    on && $1 == "|" && NF >= 3 { print $2 }' | sort | uniq -c | awk '{ print $2, $1 }'
}

want="12 matched
2001:db8::66 3
203.0.113.7 3
203.0.113.8 6"
kn_is "$(f2b_matches "$LOG")" "$want" \
    "fail2ban-regex (file target): exactly the 12 wrong-key/429 lines, per address"

# The same lines as rsyslog writes them (log.target "syslog"): the file's
# time stamp and level become the syslog time stamp and host name.
sed -E 's/^([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9:]{8})Z (knocker\[[0-9]+\]): [a-z]+: /\1 \2 \3: /' "$LOG" |
    while read -r d t rest; do
	printf '%s myhost %s\n' "$(date -u -d "$d $t" '+%b %e %H:%M:%S')" "$rest"
    done >"$KN_DIR/syslog"
kn_like "$(grep -m 1 audit: "$KN_DIR/syslog")" '^[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} myhost knocker\[[0-9]+\]: audit: event=knock ' \
    "syslog form of the lines"
kn_is "$(f2b_matches "$KN_DIR/syslog")" "$want" "fail2ban-regex (syslog lines): the same 12, per address"

# Good knocks, status calls and verifies alone match nothing.
grep -v -e 'status=401' -e 'status=429' "$LOG" >"$KN_DIR/good.log"
kn_is "$(f2b_matches "$KN_DIR/good.log" | head -n 1)" "0 matched" \
    "fail2ban-regex: successful knocks, status calls and the 403 do not match"

out=$(fail2ban-client -c "$F2B" -t 2>&1)
kn_is "$?" 0 "fail2ban-client -t accepts the jail with our filter" || kn_diag "$out"
out=$(fail2ban-client -c "$F2B" -d 2>&1)
kn_like "$out" "\['set', 'knocker', 'maxretry', 5\]" "the jail bans after 5 matches"
kn_like "$out" "\['add', 'knocker', 'auto'\]" "the jail is enabled"

kn_done
