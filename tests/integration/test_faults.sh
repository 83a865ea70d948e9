#!/bin/bash
# Faults: unwritable storage, full disk, missing lock file, garbage whitelist,
# missing config. A knock answers 500 and loses nothing, verify answers from
# the last good state or denies, /ready turns 503, the log says why; every
# failure goes through real lighttpd and an unknocked client always gets 401.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/robust_lib.sh"

kn_init faults
kn_need_bin lighttpd spawn-fcgi curl jq mount

PERSIST='{"error":"Internal server error: whitelist persistence failed."}'
trusted='.server.trusted_proxies = ["127.0.0.1"]'

# --- 1. storage directory not writable (workers run as nobody) ---
mkdir -p "$KN_DIR/ro"
chmod 755 "$KN_DIR/ro"
echo '{"192.0.2.10":9999999999}' >"$KN_DIR/ro/whitelist.json"
chmod 644 "$KN_DIR/ro/whitelist.json"
kn_make_config "$KN_DIR/ro.json" "$trusted" ".whitelist.storage_path = \"$KN_DIR/ro/whitelist.json\"" \
    ".log.target = \"$KN_DIR/ro.log\""
chmod 644 "$KN_DIR/ro.json"
touch "$KN_DIR/ro.log" && chown nobody "$KN_DIR/ro.log"
kn_ok "workers as nobody start on a root-owned directory" kn_stack "$KN_DIR/ro.json" 2
# spawn-fcgi -u: restart the same config unprivileged on a new port
kn_stop_all
out=$(spawn-fcgi -a 127.0.0.1 -p "$KN_APP_PORT" -F 2 -u nobody -g nogroup -P "$KN_DIR/ro.pid" -- \
    "$KNOCKER" -c "$KN_DIR/ro.json" 2>&1)
kn_track $(cat "$KN_DIR/ro.pid")
kn_start_lighttpd "$KN_DIR/lighttpd-$KN_APP_PORT.conf"
kn_wait_port 127.0.0.1 "$KN_APP_PORT" "$(head -1 "$KN_DIR/ro.pid")" knocker
kn_is "$(kn_knock_as "$URL" 192.0.2.11)" 500 "unwritable directory: knock answers 500"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H 'X-Forwarded-For: 192.0.2.11' --data-binary ''
kn_is "$KN_BODY" "$PERSIST" "unwritable directory: the 500 says persistence failed"
kn_is "$(cat "$KN_DIR/ro/whitelist.json")" '{"192.0.2.10":9999999999}' "unwritable directory: nothing lost"
kn_is "$(kn_verify_as "$URL" 192.0.2.10)" 200 "unwritable directory: verify still answers from the file"
kn_is "$(kn_verify_as "$URL" 192.0.2.11)" 401 "unwritable directory: the failed knock does not allow"
# The rate-limit state cannot be kept either: status fails closed rather
# than answer without a limit (it could be used to guess keys).
kn_req GET "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H 'X-Forwarded-For: 192.0.2.10'
kn_is "$KN_STATUS:$KN_BODY" "500:$PERSIST" "unwritable directory: status fails closed (no rate-limit state)"
kn_like "$(cat "$KN_DIR/ro.log")" "Permission denied" "unwritable directory: the log says why"
kn_stop_all

# /ready is a responder endpoint: reach it with cgi-fcgi-free CGI mode.
ready=$(REQUEST_METHOD=GET SCRIPT_NAME=/ready KNOCKER_CONFIG=$KN_DIR/ro.json setpriv --reuid=nobody --regid=nogroup --clear-groups "$KNOCKER" </dev/null 2>/dev/null)
kn_like "$ready" '^Status: 503' "unwritable directory: /ready is 503"
kn_like "$ready" 'cannot write to directory' "unwritable directory: /ready says which directory"

# --- 2. disk full (a 16 KiB tmpfs) ---
mkdir -p "$KN_DIR/small"
mount -t tmpfs -o size=16k,mode=0700 tmpfs "$KN_DIR/small" || kn_bail "cannot mount a tmpfs"
trap 'umount "$KN_DIR/small" 2>/dev/null; kn__cleanup' EXIT
kn_make_config "$KN_DIR/small.json" "$trusted" ".whitelist.storage_path = \"$KN_DIR/small/whitelist.json\"" \
    '.security.knock_rate_limit.successful_requests = 0' '.security.knock_rate_limit.failed_requests = 0'
kn_ok "workers on a tiny file system start" kn_stack "$KN_DIR/small.json" 2
codes=""
for i in $(seq 1 400); do
	c=$(kn_knock_as "$URL" "10.33.$((i / 250)).$((i % 250 + 1))")
	codes="$codes$c
"
	[ "$c" = 500 ] && break
done
kn_like "$codes" '500' "disk full: a knock eventually answers 500"
before=$(cat "$KN_DIR/small/whitelist.json")
kn_ok "disk full: the whitelist file still parses" kn_whitelist_parses "$KN_DIR/small/whitelist.json"
n_ok=$(printf '%s' "$codes" | grep -c '^200$')
kn_is "$(jq length "$KN_DIR/small/whitelist.json")" "$n_ok" "disk full: every knock answered 200 is still there"
kn_is "$(kn_knock_as "$URL" 10.34.0.1)" 500 "disk full: the next knock is 500 too"
kn_is "$(cat "$KN_DIR/small/whitelist.json")" "$before" "disk full: the file is unchanged by failed knocks"
kn_is "$(kn_verify_as "$URL" 10.33.0.2)" 200 "disk full: earlier knocks still allowed"
kn_is "$(kn_verify_as "$URL" 10.34.0.1)" 401 "disk full: the failed knock does not allow"
kn_ok "disk full: no temp file left behind" test ! -e "$KN_DIR/small/whitelist.json.tmp"
kn_like "$(cat "$KN_DIR/state/knocker.log")" "No space left on device|File too large" "disk full: the log says why"
kn_stop_all
umount "$KN_DIR/small"
trap kn__cleanup EXIT

# --- 3. lock file missing, 4. garbage whitelist ---
kn_make_config "$KN_DIR/main.json" "$trusted"
kn_ok "workers start" kn_stack "$KN_DIR/main.json" 2
WL=$KN_DIR/state/whitelist.json
kn_is "$(kn_knock_as "$URL" 192.0.2.20)" 200 "a first knock"
rm -f "$WL.lock"
kn_is "$(kn_knock_as "$URL" 192.0.2.21)" 200 "lock file deleted: the next knock still works"
kn_is "$(stat -c %a "$WL.lock")" 600 "lock file deleted: recreated with mode 0600"
kn_is "$(jq -c 'keys' "$WL")" '["192.0.2.20","192.0.2.21"]' "lock file deleted: nothing lost"

printf 'not json at all \x00\xff' >"$WL.garbage"
cp "$WL.garbage" "$WL.new" && mv "$WL.new" "$WL"
kn_is "$(kn_verify_as "$URL" 192.0.2.20)" 401 "garbage whitelist: a knocked client is denied (fail closed)"
kn_is "$(kn_verify_as "$URL" 192.0.2.99)" 401 "garbage whitelist: an unknocked client is denied"
kn_req GET "$URL/private/health"
kn_is "$KN_STATUS" 200 "garbage whitelist: excluded paths still work"
ready=$(REQUEST_METHOD=GET SCRIPT_NAME=/ready KNOCKER_CONFIG=$KN_DIR/main.json "$KNOCKER" </dev/null 2>/dev/null)
kn_like "$ready" '^Status: 503' "garbage whitelist: /ready is 503"
kn_is "$(kn_knock_as "$URL" 192.0.2.22)" 200 "garbage whitelist: a new knock succeeds"
corrupt=$(ls "$WL".corrupt-* 2>/dev/null | head -1)
kn_ok "garbage whitelist: kept aside as .corrupt-<time>" test -n "$corrupt"
kn_ok "garbage whitelist: its bytes are preserved" cmp -s "$corrupt" "$WL.garbage"
kn_is "$(jq -c 'keys' "$WL")" '["192.0.2.22"]' "garbage whitelist: the new file holds the new knock"
kn_is "$(kn_verify_as "$URL" 192.0.2.22)" 200 "garbage whitelist: the new knock is allowed"
kn_like "$(cat "$KN_DIR/state/knocker.log")" "does not parse" "garbage whitelist: the log says so"

# An unreadable whitelist (workers as nobody, file 0600 root): deny.
kn_stop_all
chmod 755 "$KN_DIR/state"
chmod 644 "$KN_DIR/main.json"
chown nobody "$KN_DIR/state/knocker.log"
spawn-fcgi -a 127.0.0.1 -p "$KN_APP_PORT" -F 1 -u nobody -g nogroup -P "$KN_DIR/nr.pid" -- \
    "$KNOCKER" -c "$KN_DIR/main.json" >/dev/null 2>&1
kn_track $(cat "$KN_DIR/nr.pid")
kn_start_lighttpd "$KN_DIR/lighttpd-$KN_APP_PORT.conf"
kn_wait_port 127.0.0.1 "$KN_APP_PORT" "$(head -1 "$KN_DIR/nr.pid")" knocker
kn_is "$(kn_verify_as "$URL" 192.0.2.22)" 401 "unreadable whitelist: a knocked client is denied (fail closed)"
kn_stop_all

# --- 5. config missing ---
out=$("$KNOCKER" -t -c "$KN_DIR/nope.json" 2>&1)
kn_is "$?" 1 "missing config: knocker -t exits 1"
kn_like "$out" "nope.json" "missing config: the message names the file"
port=$(kn_port)
spawn-fcgi -a 127.0.0.1 -p "$port" -F 1 -P "$KN_DIR/nc.pid" -- "$KNOCKER" -c "$KN_DIR/nope.json" >/dev/null 2>&1
sleep 0.3
kn_ok "missing config: the worker refuses to start" sh -c "! kill -0 \$(cat '$KN_DIR/nc.pid') 2>/dev/null || grep -q 'State:.*Z' /proc/\$(cat '$KN_DIR/nc.pid')/status"
mkdir -p "$KN_DIR/nc"
HTTP_PORT=$(kn_port) KNOCK_PORT=$port AUTHZ_PORT=$port BACKEND_PORT=1 WWW_DIR=$KN_DIR/www RUN_DIR=$KN_DIR/nc \
    kn_render "$KN_SRC/conf-examples/lighttpd.conf" "$KN_DIR/nc.conf"
kn_start_lighttpd "$KN_DIR/nc.conf"
NC=http://127.0.0.1:$(sed -n 's/^server.port *= *//p' "$KN_DIR/nc.conf")
kn_req GET "$NC/private/index.html"
kn_unlike "$KN_STATUS" '^2' "missing config: the protected page is not served (got $KN_STATUS)"
kn_unlike "$KN_BODY" SECRET-PAGE "missing config: the protected content does not leak"

kn_done
