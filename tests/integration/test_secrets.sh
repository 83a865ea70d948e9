#!/bin/bash
# Secrets: API keys never appear in any log; the files knocker creates are
# 0600; the config warns when readable by others or when a trusted proxy is
# wider than one address.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/robust_lib.sh"

kn_init secrets
kn_need_bin lighttpd spawn-fcgi curl jq

kn_make_config "$KN_DIR/knocker.json" '.log.level = "debug"'
kn_ok "knocker behind lighttpd starts" kn_stack "$KN_DIR/knocker.json" 2
umask 022
kn_knock "$URL/knock"
kn_is "$KN_STATUS" 200 "knock with the right key"
KEY=${KN_API_KEY:0:60}ffff kn_knock "$URL/knock"
kn_is "$KN_STATUS" 401 "knock with a near-miss key"
KEY=$KN_ADMIN_KEY kn_knock "$URL/knock" '{"ip_address":"203.0.113.0/24","ttl":60}'
kn_is "$KN_STATUS" 200 "remote knock with the admin key"
kn_req GET "$URL/knock" -H "X-Api-Key: $KN_API_KEY"
kn_req GET "$URL/private/index.html"
kill -TERM $KN_APP_PIDS
sleep 0.5

logs=$(find "$KN_DIR" -name '*.log' -type f)
kn_ok "logs were collected ($(echo $logs | wc -w) files)" test -n "$logs"
kn_like "$(cat $logs)" "whitelisted 127.0.0.1" "the knocker log records the knock"
kn_like "$(cat $logs)" "key phone" "the knocker log names the key by its name"
found=$(grep -l -e "$KN_API_KEY" -e "$KN_ADMIN_KEY" -e "${KN_API_KEY:0:16}" -e "${KN_ADMIN_KEY:0:16}" $logs 2>/dev/null)
kn_is "$found" "" "no API key (nor a 16-character piece of one) appears in any log"

for f in whitelist.json whitelist.json.lock whitelist.json.ratelimit; do
	kn_is "$(stat -c %a "$KN_DIR/state/$f")" 600 "$f is created 0600 (umask 022)"
done

cp "$KN_DIR/knocker.json" "$KN_DIR/open.json"
chmod 644 "$KN_DIR/open.json"
out=$("$KNOCKER" -t -c "$KN_DIR/open.json" 2>&1)
kn_is "$?" 0 "a world-readable config still passes -t"
kn_like "$out" "open.json: readable by other users" "but gets a warning"
kn_unlike "$out" "$KN_API_KEY" "the warning does not show the key"
kn_make_config "$KN_DIR/wide.json" '.server.trusted_proxies = ["10.0.0.0/8", "127.0.0.1"]'
out=$("$KNOCKER" -t -c "$KN_DIR/wide.json" 2>&1)
kn_is "$?" 0 "a wide trusted proxy range still passes -t"
kn_like "$out" 'trusted_proxies\[0\].*X-Forwarded-For' "but gets a warning about forged X-Forwarded-For"
kn_unlike "$out" 'trusted_proxies\[1\]' "a single trusted address gets no warning"

kn_done
