#!/bin/bash
# Operating it: knockerctl and the admin API (/entries) on 4 real workers
# (spawn-fcgi, one worker per port, run as nobody with a storage directory
# owned by nobody) behind real lighttpd and nginx from conf-examples/.
# A knock through one worker is listed by knockerctl and the API; a revoke
# by either is seen by every worker's next verify, asked of each worker
# directly (cgi-fcgi) and through nginx's round-robin over all four.
# knockerctl run as root keeps every file owned by nobody, mode 0600.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/flows.sh"

kn_init ops
kn_need_bin spawn-fcgi lighttpd nginx curl jq cgi-fcgi runuser
CTL=$KN_BUILD/knockerctl
[ -x "$CTL" ] || kn_bail "knockerctl not found at $CTL"

CONF=$KN_DIR/knocker.json
kn_make_config "$CONF" '.api_keys[1].admin = true' \
    '.security.knock_rate_limit.failed_requests = 1000' \
    '.security.knock_rate_limit.successful_requests = 1000'
chown -R nobody:nogroup "$KN_DIR/state"
chown nobody:nogroup "$CONF"
kn_flow_www "$KN_DIR/www"
kn_start_backend || kn_bail "backend did not start"

# Four workers, each on its own port, as nobody.
PORTS=""
for i in 1 2 3 4; do
	port=$(kn_port)
	out=$(spawn-fcgi -a 127.0.0.1 -p "$port" -F 1 -u nobody -g nogroup \
	    -P "$KN_DIR/spawn-$port.pid" -- "$KNOCKER" -c "$CONF" 2>&1) ||
	    kn_bail "spawn-fcgi failed: $out"
	pid=$(cat "$KN_DIR/spawn-$port.pid")
	kn_track "$pid"
	kn_wait_port 127.0.0.1 "$port" "$pid" knocker || kn_bail "worker $i did not start"
	PORTS="$PORTS $port"
done
set -- $PORTS
P1=$1
kn_is "$(ps -o user= -p "$(cat "$KN_DIR/spawn-$P1.pid")" | tr -d ' ')" nobody "workers run as nobody"

# lighttpd from the example: every knocker location on worker 1.
kn__example_run lighttpd
LPORT=$(kn_port)
HTTP_PORT=$LPORT KNOCK_PORT=$P1 AUTHZ_PORT=$P1 BACKEND_PORT=$KN_BACKEND_PORT \
    WWW_DIR=$KN_DIR/www RUN_DIR=$KN_RUN kn_render "$KN_SRC/conf-examples/lighttpd.conf" \
    "$KN_RUN/lighttpd.conf"
kn_start_lighttpd "$KN_RUN/lighttpd.conf" || kn_bail "lighttpd did not start"
L=http://127.0.0.1:$LPORT

# nginx from the example: knocker is an upstream of all four (round robin).
kn__example_run nginx
NPORT=$(kn_port)
kn_render_nginx "$KN_RUN" "$NPORT" knocker_pool "$KN_BACKEND_PORT"
pool="upstream knocker_pool {"
for p in $PORTS; do pool="$pool server 127.0.0.1:$p;"; done
sed -i "0,/^http {/s||http {\n  $pool }|" "$KN_RUN/nginx.conf"
grep -q "upstream knocker_pool" "$KN_RUN/nginx.conf" || kn_bail "cannot add the upstream"
kn_start_nginx "$KN_RUN" "$NPORT" || kn_bail "nginx did not start"
N=http://127.0.0.1:$NPORT

# The verify answer of one worker, asked directly over FastCGI.
verify_at() {	# PORT -> 200 or 401
	env -i REQUEST_METHOD=GET SCRIPT_NAME=/.knocker/verify REQUEST_URI=/private/index.html \
	    REMOTE_ADDR=127.0.0.1 HTTP_HOST=localhost \
	    cgi-fcgi -bind -connect "127.0.0.1:$1" 2>/dev/null |
	    sed -n 's/^Status: \([0-9]*\).*/\1/p' | head -1
}
# Every worker, then 40 requests through nginx: prints the distinct statuses.
verify_everywhere() {
	local p n
	{
		for p in $PORTS; do verify_at "$p"; done
		for n in $(seq 1 40); do kn_http GET "$N/private/index.html"; echo; done
	} | sort -u | tr '\n' ' '
}
# One check for "every verify answered WANT".
expect_everywhere() {	# WANT NAME
	kn_is "$(verify_everywhere)" "$1 " "$2"
}
owned_by_nobody() {
	[ -z "$(find "$KN_DIR/state" ! -user nobody)" ] &&
	    [ -z "$(find "$KN_DIR/state" -type f ! -perm 0600 ! -name '*.log')" ]
}
ctl() { "$CTL" -c "$CONF" "$@"; }

expect_everywhere 401 "before any knock every worker denies"

# --- knock through worker 1 (lighttpd), list ---------------------------------------
kn_knock "$L/knock"
kn_is "$KN_STATUS" 200 "knock through lighttpd (worker 1)"
expect_everywhere 200 "every worker allows after the knock"

out=$(ctl list)
kn_like "$out" "^ENTRY +EXPIRES_AT" "knockerctl list: a table with a header"
kn_like "$out" "127\.0\.0\.1 +[0-9T:-]+Z +[0-9]+[hms][0-9]*[ms]? +phone +[0-9T:-]+Z +127\.0\.0\.1" \
    "knockerctl list: entry, expiry, key name, time and client"
json=$(ctl list --json)
kn_is "$(printf '%s' "$json" | jq -c '.entries[0] | [.entry, .key, .client, (.expires_in_seconds > 3500), (.knocked_at > 0)]')" \
    '["127.0.0.1","phone","127.0.0.1",true,true]' "knockerctl list --json: the fields"
kn_is "$(printf '%s' "$json" | jq -c '.entries[0] | keys')" \
    '["client","entry","expires_at","expires_in_seconds","key","knocked_at"]' \
    "knockerctl list --json: exactly the documented fields"
kn_like "$json" '^\{"entries":\[\{"entry":"127\.0\.0\.1","expires_at":[0-9]+,' "knockerctl list --json is compact"
kn_ok "knockerctl list works as the workers' user" runuser -u nobody -- "$CTL" -c "$CONF" list

for base in "$L" "$N"; do
	kn_req GET "$base/entries" -H "X-Api-Key: $KN_ADMIN_KEY"
	kn_is "$KN_STATUS" 200 "GET /entries with the admin key ($base)"
	kn_is "$(printf '%s' "$KN_BODY" | jq -c '.entries[0] | keys')" \
	    '["entry","expires_at","expires_in_seconds","key","knocked_at"]' \
	    "GET /entries: entry, expires_at, expires_in_seconds, key, knocked_at ($base)"
	kn_is "$(printf '%s' "$KN_BODY" | jq -r '.entries[0].key')" phone "GET /entries names the key ($base)"
done
kn_req GET "$L/.knocker/entries" -H "X-Api-Key: $KN_ADMIN_KEY"
kn_is "$KN_STATUS" 200 "GET /.knocker/entries (lighttpd) too"

# --- revoke with knockerctl, as root ---------------------------------------------
out=$(ctl revoke 127.0.0.1)
kn_is "$out" "revoked 1 entry" "knockerctl revoke 127.0.0.1"
expect_everywhere 401 "after knockerctl revoke every worker denies"
kn_ok "knockerctl as root keeps every file nobody's and 0600" owned_by_nobody
kn_is "$(ctl list --json)" '{"entries":[]}' "knockerctl list: empty after the revoke"

# --- revoke through the admin API -------------------------------------------------
kn_knock "$L/knock"
expect_everywhere 200 "knocked again: every worker allows"
kn_req DELETE "$N/entries" -H "X-Api-Key: $KN_ADMIN_KEY" -H 'Content-Type: application/json' \
    --data-binary '{"entry":"127.0.0.1"}'
kn_is "$KN_STATUS $KN_BODY" '200 {"revoked":1}' "DELETE /entries {entry} through nginx"
expect_everywhere 401 "after DELETE /entries every worker denies"

kn_knock "$L/knock"
KEY=$KN_ADMIN_KEY kn_knock "$L/knock" '{"ip_address":"192.0.2.0/24"}'
kn_is "$KN_STATUS" 200 "a remote knock with the admin key"
kn_req DELETE "$L/entries" -H "X-Api-Key: $KN_ADMIN_KEY" -H 'Content-Type: application/json' \
    --data-binary '{"key":"phone"}'
kn_is "$KN_STATUS $KN_BODY" '200 {"revoked":1}' "DELETE /entries {key} through lighttpd"
expect_everywhere 401 "after revoking the key's entries every worker denies"
kn_is "$(ctl list --json | jq -r '[.entries[].entry] | join(",")')" "192.0.2.0/24" \
    "the other key's entry stays"

kn_knock "$L/knock"
out=$(ctl revoke --key phone)
kn_is "$out" "revoked 1 entry" "knockerctl revoke --key phone"
expect_everywhere 401 "after knockerctl revoke --key every worker denies"

kn_knock "$L/knock"
out=$(ctl flush)
kn_is "$out" "revoked 2 entries" "knockerctl flush"
expect_everywhere 401 "after flush every worker denies"
kn_knock "$L/knock"
kn_req DELETE "$N/entries" -H "X-Api-Key: $KN_ADMIN_KEY" -H 'Content-Type: application/json' \
    --data-binary '{"all":true}'
kn_is "$KN_STATUS $KN_BODY" '200 {"revoked":1}' "DELETE /entries {all}"
expect_everywhere 401 "after DELETE all every worker denies"

out=$(ctl add --ttl 600 127.0.0.1)
kn_like "$out" "^added 127\.0\.0\.1 for 600 s" "knockerctl add --ttl 600"
expect_everywhere 200 "after knockerctl add every worker allows"
kn_is "$(ctl list --json | jq -r '.entries[0].key')" knockerctl "an added entry's key name is knockerctl"
kn_ok "knockerctl add as root keeps every file nobody's and 0600" owned_by_nobody
kn_ok "knockerctl revoke works as the workers' user" \
    runuser -u nobody -- "$CTL" -c "$CONF" revoke 127.0.0.1
expect_everywhere 401 "after a revoke by the workers' user every worker denies"

# --- bad input: knockerctl --------------------------------------------------------
check_ctl() {	# WANT-RC STDERR-REGEX NAME args...
	local want=$1 re=$2 name=$3 rc
	shift 3
	err=$("$CTL" "$@" 2>&1 >/dev/null)
	rc=$?
	kn_is "$rc" "$want" "knockerctl $name: exit $want"
	kn_like "$err" "$re" "knockerctl $name: says why"
}
check_ctl 2 "^usage: knockerctl" "(no command)"
check_ctl 2 "^usage: knockerctl" "bogus" -c "$CONF" bogus
check_ctl 2 "^usage: knockerctl" "-x" -x list
check_ctl 2 "^usage: knockerctl" "list --xml" -c "$CONF" list --xml
check_ctl 2 "^usage: knockerctl" "revoke (nothing)" -c "$CONF" revoke
check_ctl 2 "^usage: knockerctl" "revoke --key (no name)" -c "$CONF" revoke --key
check_ctl 2 "^usage: knockerctl" "flush extra" -c "$CONF" flush now
check_ctl 2 "--ttl abc: must be 1 to 315360000 seconds" "add --ttl abc" -c "$CONF" add --ttl abc 192.0.2.1
check_ctl 2 "--ttl 0: must be" "add --ttl 0" -c "$CONF" add --ttl 0 192.0.2.1
check_ctl 2 "^usage: knockerctl" "add (two entries)" -c "$CONF" add 192.0.2.1 192.0.2.2
check_ctl 1 "^knockerctl: 192\.0\.2: not an IP address or CIDR$" "revoke 192.0.2" -c "$CONF" revoke 192.0.2
check_ctl 1 "^knockerctl: 203\.0\.113\.9: not in the whitelist$" "revoke (absent)" -c "$CONF" revoke 203.0.113.9
check_ctl 1 "^knockerctl: 10\.0\.0\.0/8: range too broad" "add 10.0.0.0/8" -c "$CONF" add 10.0.0.0/8
check_ctl 1 "^knockerctl: nope: not an IP address or CIDR$" "add nope" -c "$CONF" add nope
check_ctl 1 "$KN_DIR/missing.json" "-c (missing file)" -c "$KN_DIR/missing.json" list
chmod 755 "$KN_DIR/state"
check_ctl 1 "^knockerctl: list: storage directory .* must be 0700" "list (open storage directory)" -c "$CONF" list
chmod 700 "$KN_DIR/state"
err=$(runuser -u daemon -- "$CTL" -c "$CONF" list 2>&1 >/dev/null)
kn_is "$?" 1 "knockerctl as another user: exit 1"

# --- bad input: the admin API ----------------------------------------------------
api() {	# WANT-STATUS WANT-BODY NAME METHOD [curl args...]
	local want=$1 body=$2 name=$3 method=$4
	shift 4
	kn_req "$method" "$N/entries" "$@"
	kn_is "$KN_STATUS $KN_BODY" "$want $body" "$method /entries: $name"
}
J='Content-Type: application/json'
api 401 '{"error":"Invalid or missing API key."}' "no key" GET
api 401 '{"error":"Invalid or missing API key."}' "wrong key" DELETE -H "X-Api-Key: nope" -H "$J" --data-binary '{"all":true}'
api 403 '{"error":"API key lacks admin permission."}' "non-admin key" GET -H "X-Api-Key: $KN_API_KEY"
api 403 '{"error":"API key lacks admin permission."}' "non-admin key" DELETE -H "X-Api-Key: $KN_API_KEY" -H "$J" --data-binary '{"all":true}'
api 400 '{"error":"Request body required: {\"entry\":\"...\"}, {\"key\":\"...\"} or {\"all\":true}."}' "no body" DELETE -H "X-Api-Key: $KN_ADMIN_KEY"
api 400 '{"error":"Malformed JSON request body."}' "not JSON" DELETE -H "X-Api-Key: $KN_ADMIN_KEY" -H "$J" --data-binary '{"entry":'
api 400 '{"error":"Request body must be a JSON object."}' "array" DELETE -H "X-Api-Key: $KN_ADMIN_KEY" -H "$J" --data-binary '["127.0.0.1"]'
api 400 '{"error":"Give exactly one of entry, key or all."}' "two fields" DELETE -H "X-Api-Key: $KN_ADMIN_KEY" -H "$J" --data-binary '{"entry":"127.0.0.1","all":true}'
api 400 '{"error":"Give exactly one of entry, key or all."}' "empty object" DELETE -H "X-Api-Key: $KN_ADMIN_KEY" -H "$J" --data-binary '{}'
api 400 '{"error":"Unknown field in request body (expected entry, key or all)."}' "unknown field" DELETE -H "X-Api-Key: $KN_ADMIN_KEY" -H "$J" --data-binary '{"ip_address":"127.0.0.1"}'
api 400 '{"error":"Duplicate field in request body."}' "duplicate field" DELETE -H "X-Api-Key: $KN_ADMIN_KEY" -H "$J" --data-binary '{"key":"a","key":"b"}'
api 400 '{"error":"entry must be an IP address or CIDR."}' "bad entry" DELETE -H "X-Api-Key: $KN_ADMIN_KEY" -H "$J" --data-binary '{"entry":"127.0.0"}'
api 400 '{"error":"key must be a key name (1 to 64 bytes)."}' "key not a string" DELETE -H "X-Api-Key: $KN_ADMIN_KEY" -H "$J" --data-binary '{"key":7}'
api 400 '{"error":"all must be true."}' "all false" DELETE -H "X-Api-Key: $KN_ADMIN_KEY" -H "$J" --data-binary '{"all":false}'
api 415 '{"error":"Request body must be JSON."}' "text/plain" DELETE -H "X-Api-Key: $KN_ADMIN_KEY" -H 'Content-Type: text/plain' --data-binary '{"all":true}'
api 413 '{"error":"Request body too large."}' "5000 bytes" DELETE -H "X-Api-Key: $KN_ADMIN_KEY" -H "$J" --data-binary "{\"key\":\"$(head -c 5000 /dev/zero | tr '\0' a)\"}"
kn_req PUT "$N/entries" -H "X-Api-Key: $KN_ADMIN_KEY"
kn_is "$KN_STATUS $(kn_header Allow)" "405 GET, DELETE, OPTIONS" "PUT /entries: 405 with Allow"
kn_req OPTIONS "$N/entries" -H 'Origin: https://app.example' -H 'Access-Control-Request-Method: DELETE'
kn_is "$KN_STATUS $(kn_header Access-Control-Allow-Methods)" "204 GET, DELETE, OPTIONS" \
    "OPTIONS /entries: the preflight allows DELETE"
kn_is "$(kn_header Access-Control-Allow-Origin)" "*" "OPTIONS /entries: CORS origin"
kn_req GET "$N/entries" -H "X-Api-Key: $KN_ADMIN_KEY"
kn_is "$(kn_header Access-Control-Allow-Origin)" "*" "GET /entries: CORS origin as /knock"
kn_unlike "$(cat "$KN_DIR/state/knocker.log")" "$KN_ADMIN_KEY|$KN_API_KEY" "no key in the log"
log=$(cat "$KN_DIR/state/knocker.log")
kn_like "$log" "audit: event=admin result=ok client=127\.0\.0\.1 key=admin status=200 action=revoke target=127\.0\.0\.1 count=1" \
    "audit: an API revoke names the key's name, the client, the target and the count"
kn_like "$log" "audit: event=admin result=ok client=127\.0\.0\.1 key=admin status=200 action=revoke target=key:phone count=1" \
    "audit: an API revoke by key"
kn_like "$log" "audit: event=admin result=denied client=127\.0\.0\.1 key=phone status=403 reason=not_admin action=list" \
    "audit: a plain key's /entries call is denied, not_admin"
kn_like "$log" "audit: event=admin result=ok client=local key=- status=- action=revoke target=127\.0\.0\.1 count=1" \
    "audit: knockerctl revoke (client local), in the workers' log file"
kn_like "$log" "audit: event=admin result=ok client=local key=- status=- action=flush target=all count=2" \
    "audit: knockerctl flush"
kn_like "$log" "audit: event=admin result=ok client=local key=- status=- action=add target=127\.0\.0\.1 count=1" \
    "audit: knockerctl add"
kn_ok "every file still nobody's and 0600" owned_by_nobody

kn_done
