#!/bin/bash
# Secrets: API keys never appear in any log (knocker at debug level,
# lighttpd's error and access logs) nor in the files knocker writes or its
# processes' command lines, whatever the answer (200, 401, 413, 415, 429,
# 500); the whitelist, lock and rate-limit files are created 0600 even
# under umask 000; knocker -t warns (exit 0) for a config readable or
# writable by other users and for a trusted_proxies entry wider than one
# address.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/robust_lib.sh"

kn_init secrets
kn_need_bin lighttpd spawn-fcgi curl jq

umask 000	# the modes below must come from knocker, not from the umask
kn_make_config "$KN_DIR/knocker.json" '.log.level = "debug"' '.server.trusted_proxies = ["::1"]' \
    '.security.knock_rate_limit.successful_requests = 2'
kn_ok "knocker (2 workers) behind lighttpd starts under umask 000" kn_stack "$KN_DIR/knocker.json" 2
ST=$KN_DIR/state
NEAR=${KN_API_KEY:0:60}ffff	# a wrong key that shares 60 characters with the right one

kn_knock "$URL/knock"
kn_is "$KN_STATUS" 200 "knock with the right key"
KEY=$NEAR kn_knock "$URL/knock"
kn_is "$KN_STATUS" 401 "knock with a near-miss key: 401"
KEY=$KN_ADMIN_KEY kn_knock "$URL/knock" '{"ip_address":"203.0.113.0/24","ttl":60}'
kn_is "$KN_STATUS" 200 "remote knock with the admin key"
kn_req GET "$URL/knock" -H "X-Api-Key: $KN_API_KEY"
kn_is "$KN_STATUS" 429 "a status request over the success limit: 429"
kn_req POST "$URL6/knock" -H "X-Api-Key: $KN_API_KEY" -H 'X-Forwarded-For: 198.51.100.7' \
    -H 'Content-Type: text/plain' --data-binary 'x'
kn_is "$KN_STATUS" 415 "knock with a text body: 415"
head -c 5000 /dev/zero >"$KN_DIR/5k"
kn_req POST "$URL6/knock" -H "X-Api-Key: $KN_API_KEY" -H 'X-Forwarded-For: 198.51.100.7' \
    -H 'Content-Type: application/json' --data-binary @"$KN_DIR/5k"
kn_is "$KN_STATUS" 413 "knock with a 5000-byte body: 413"
kn_req POST "$URL6/knock" -H "X-Api-Key: $KN_API_KEY" -H "X-Api-Key: $NEAR" -H 'X-Forwarded-For: 198.51.100.8' --data-binary ''
kn_is "$KN_STATUS:$KN_BODY" '401:{"error":"Invalid or missing API key."}' \
    "knock with the key twice (one near miss): 401, the repeated key is no key"
kn_req GET "$URL/private/index.html"
kn_is "$KN_STATUS" 200 "the knocked client passes the authorizer"
# A failing store (the whitelist replaced by a directory) must not log the key either.
mv "$ST/whitelist.json" "$ST/whitelist.saved"
mkdir "$ST/whitelist.json"
kn_req POST "$URL6/knock" -H "X-Api-Key: $KN_API_KEY" -H 'X-Forwarded-For: 198.51.100.9' --data-binary ''
kn_is "$KN_STATUS" 500 "knock while the whitelist is a directory: 500"
rmdir "$ST/whitelist.json"
mv "$ST/whitelist.saved" "$ST/whitelist.json"
# A corrupt whitelist is renamed aside: the kept copy is not world-readable.
printf 'garbage' >"$ST/whitelist.json"
chmod 600 "$ST/whitelist.json"
kn_req POST "$URL6/knock" -H "X-Api-Key: $KN_API_KEY" -H 'X-Forwarded-For: 198.51.100.10' --data-binary ''
kn_is "$KN_STATUS" 200 "knock over a corrupt whitelist: 200"
kn_stop_all

logs=$(find "$KN_DIR" -name '*.log' -type f)
kn_ok "logs were collected: knocker, lighttpd error and access ($(echo $logs | wc -w) files)" \
    test -s "$ST/knocker.log" -a -s "$KN_RUN/lighttpd-error.log" -a -s "$KN_RUN/lighttpd-access.log"
kn_like "$(cat "$ST/knocker.log")" "audit: event=knock result=ok client=127\\.0\\.0\\.1 " "the knocker log records the knock"
kn_like "$(cat "$ST/knocker.log")" "audit: event=knock result=ok client=127\\.0\\.0\\.1 key=phone " "the knocker log names the key by its name"
kn_like "$(cat "$ST/knocker.log")" "401" "the knocker log records the refused knock"
secrets_in() {	# FILE... -> files holding a key or a 16-character piece of one
	local k pats=()
	for k in "$KN_API_KEY" "$KN_ADMIN_KEY" "$NEAR"; do
		pats+=(-e "${k:0:16}" -e "${k:24:16}" -e "${k: -16}")
	done
	grep -l -a -F "${pats[@]}" "$@" 2>/dev/null
}
kn_is "$(secrets_in $logs)" "" "no API key (nor a 16-character piece of one) appears in any log"
kn_is "$(secrets_in "$ST"/whitelist.json* "$KN_DIR"/last-* "$KN_DIR/curl.log")" "" \
    "nor in the whitelist, lock, rate-limit or corrupt-copy files, nor in any answer"

kn_ok "workers start again" kn_stack "$KN_DIR/knocker.json" 2
found=""
for p in $KN_APP_PIDS; do
	tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -e "$KN_API_KEY" -e "$KN_ADMIN_KEY" && found="$found cmdline:$p"
done
kn_is "$found" "" "the keys are not in the workers' command lines"

for f in whitelist.json whitelist.json.lock whitelist.json.shm; do
	kn_is "$(stat -c %a "$ST/$f" 2>&1)" 600 "$f is mode 0600 (umask 000)"
done
kn_is "$(stat -c %a "$ST"/whitelist.json.corrupt-* 2>&1)" 600 "the corrupt copy is mode 0600"
kn_unlike "$(stat -c %A "$ST/knocker.log")" '^.{7}r' "the knocker log is not world-readable"

# --- knocker -t ---------------------------------------------------------------------
check() {	# MODE FILE -> knocker -t output; status in $rc
	chmod "$1" "$2"
	out=$("$KNOCKER" -t -c "$2" 2>&1)
	rc=$?
}
cp "$KN_DIR/knocker.json" "$KN_DIR/c.json"
check 644 "$KN_DIR/c.json"
kn_is "$rc" 0 "a world-readable config still passes -t (exit 0)"
kn_like "$out" "c\\.json: readable by other users" "but gets a warning"
kn_like "$out" "c\\.json: ok" "and the ok line"
kn_unlike "$out" "${KN_API_KEY:0:16}|${KN_ADMIN_KEY:0:16}" "the output does not show a key"
check 604 "$KN_DIR/c.json"
kn_like "$rc:$(echo $out)" "^0:.*readable by other users" "a config readable by others but not the group: warning, exit 0"
check 606 "$KN_DIR/c.json"
kn_like "$rc:$(echo $out)" "^0:.*writable by other users" "a world-writable config: warning, exit 0"
check 640 "$KN_DIR/c.json"
kn_unlike "$out" "warning" "a config readable by its group only: no warning"
check 600 "$KN_DIR/c.json"
kn_is "$rc:$out" "0:$KN_DIR/c.json: ok" "a 0600 config: just ok"
out=$(cd / && env -i REQUEST_METHOD=GET SCRIPT_NAME=/health KNOCKER_CONFIG="$KN_DIR/c.json" "$KNOCKER" 2>&1 >/dev/null </dev/null)
kn_is "$out" "" "serving with a 0600 config: nothing on stderr"
chmod 644 "$KN_DIR/c.json"
out=$(cd / && env -i REQUEST_METHOD=GET SCRIPT_NAME=/health KNOCKER_CONFIG="$KN_DIR/c.json" "$KNOCKER" 2>&1 >/dev/null </dev/null)
kn_like "$out" "readable by other users" "serving with a world-readable config: a warning at start too"

kn_make_config "$KN_DIR/wide.json" \
    '.server.trusted_proxies = ["10.0.0.0/8", "127.0.0.1", "127.0.0.1/32", "::1/128", "2001:db8::/127", "0.0.0.0/0"]'
out=$("$KNOCKER" -t -c "$KN_DIR/wide.json" 2>&1)
kn_is "$?" 0 "wide trusted proxy ranges still pass -t (exit 0)"
kn_like "$out" 'trusted_proxies\[0\].*X-Forwarded-For' "10.0.0.0/8 gets a warning about forged X-Forwarded-For"
kn_like "$out" 'trusted_proxies\[4\]' "2001:db8::/127 (two addresses) gets a warning"
kn_like "$out" 'trusted_proxies\[5\]' "0.0.0.0/0 gets a warning"
kn_unlike "$out" 'trusted_proxies\[[123]\]' "single addresses (127.0.0.1, 127.0.0.1/32, ::1/128) get none"
kn_like "$out" 'wide\.json: ok' "and the config is ok"

kn_done
