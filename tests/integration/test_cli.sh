#!/bin/bash
# The knock client (client/) against a real knocker under real spawn-fcgi
# behind real lighttpd (conf-examples/lighttpd.conf) on loopback ports.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

kn_init cli
kn_need_bin lighttpd spawn-fcgi curl jq
KNOCK=${KNOCK:-$KN_BUILD/knocker-knock}
[ -x "$KNOCK" ] || kn_bail "knock client not found at $KNOCK"
unset KNOCKER_KEY KNOCKER_URL
# libcurl honours proxy variables; everything here is on loopback
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY
export XDG_CONFIG_HOME=$KN_DIR/xdg HOME=$KN_DIR/home
mkdir -p "$HOME" "$KN_DIR/state2" "$KN_DIR/www/private"
chmod 700 "$KN_DIR/state2"	# a storage directory is private (docs/SECURITY.md)
echo "SECRET-PAGE" >"$KN_DIR/www/private/index.html"

# Runs knock; sets OUT (stdout), ERR (stderr) and RC. Everything it prints
# is kept to check at the end that no key was ever shown.
kk() {
	"$KNOCK" "$@" >"$KN_DIR/out" 2>"$KN_DIR/err" </dev/null
	RC=$?
	OUT=$(cat "$KN_DIR/out")
	ERR=$(cat "$KN_DIR/err")
	cat "$KN_DIR/out" "$KN_DIR/err" >>"$KN_DIR/all-output"
}

# Waits up to SECONDS for a line matching REGEX in FILE.
wait_line() {	# FILE REGEX SECONDS
	local i
	for i in $(seq 1 $(($3 * 10))); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Waits up to SECONDS for COUNT lines matching REGEX in FILE.
wait_count() {	# FILE REGEX COUNT SECONDS
	local i
	for i in $(seq 1 $(($4 * 10))); do
		[ "$(grep -Ec -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# lighttpd (conf-examples/lighttpd.conf) in front of knocker on KNOCK_PORT.
# Extra lines (arguments) are appended to the rendered config; with V4ONLY
# set it does not listen on [::1]; BACKEND is the port behind /app/ (else
# nothing listens there). Sets LT_PORT.
start_front() {	# KNOCK_PORT NAME [config lines...]
	local kport=$1 name=$2 conf=$KN_DIR/lighttpd-$2.conf
	shift 2
	mkdir -p "$KN_DIR/run-$name"
	LT_PORT=$(kn_port)
	HTTP_PORT=$LT_PORT KNOCK_PORT=$kport AUTHZ_PORT=$kport BACKEND_PORT=${BACKEND:-$(kn_port)} \
	    WWW_DIR=$KN_DIR/www RUN_DIR=$KN_DIR/run-$name \
	    kn_render "$KN_SRC/conf-examples/lighttpd.conf" "$conf"
	[ -z "${V4ONLY-}" ] || sed -i '/\[::1\]/d' "$conf"
	printf '%s\n' "$@" >>"$conf"
	kn_start_lighttpd "$conf"
}

# --- the stack -----------------------------------------------------------------
# Successes unlimited (watch knocks often); 4 failures per minute and IP.
kn_make_config "$KN_DIR/knocker.json" \
    '.security.knock_rate_limit.successful_requests = 0' \
    '.security.knock_rate_limit.failed_requests = 4'
kn_ok "knocker starts under spawn-fcgi" kn_spawn_knocker "$KN_DIR/knocker.json" 2
kn_ok "lighttpd starts in front of it" start_front "$KN_APP_PORT" main
PORT=$LT_PORT
URL=http://127.0.0.1:$PORT/knock
DUAL=(--resolve "knock.test:$PORT:127.0.0.1,::1")
DURL=http://knock.test:$PORT/knock

# --- command line ----------------------------------------------------------------
kk --help
kn_is "$RC" 0 "--help exits 0"
kn_like "$OUT" 'exit status: 0 success.*' "--help documents the exit statuses"
kk --bogus "$URL"
kn_is "$RC" 2 "an unknown option is a usage error (2)"
kk -k "$KN_API_KEY"
kn_is "$RC:$ERR" "2:knocker-knock: no URL: give the knock endpoint (e.g. https://home.example.org/knock), set KNOCKER_URL, or run 'knocker-knock setup'
Try 'knocker-knock --help'." "no URL: exit 2 and what to do"
kk --ttl 0 -k "$KN_API_KEY" "$URL"
kn_is "$RC" 2 "--ttl 0 is a usage error"
kk "$URL"
kn_is "$RC" 2 "no key anywhere is a usage error"
kn_like "$ERR" 'no API key: use --key-file' "and says where a key can come from"

# --- knock and status ---------------------------------------------------------------
kn_is "$(kn_http GET "http://127.0.0.1:$PORT/private/index.html")" 401 "before the knock the protected page is 401"
kk status -k "$KN_API_KEY" "$URL"
kn_is "$RC:$OUT" "8:IPv4: 127.0.0.1 is not whitelisted" "status before the knock: exit 8, not whitelisted"
kk -k "$KN_API_KEY" "$URL"
kn_is "$RC" 0 "knock exits 0"
kn_like "$OUT" '^IPv4: whitelisted 127\.0\.0\.1 for 1h \(until [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} [A-Z]+\)$' \
    "knock prints the entry, the TTL and when it expires"
kn_is "$(kn_http GET "http://127.0.0.1:$PORT/private/index.html")" 200 "after the knock the protected page is 200"
kk check "http://127.0.0.1:$PORT/private/index.html"
kn_is "$RC" 10 "check from a whitelisted machine: exit 10, nothing to conclude"
kn_like "$ERR" 'already allowed \(HTTP 200\)\. Either this machine.s address is whitelisted or always allowed, or the deployment lets everyone through \(fails open\); knocker-knock check cannot tell which\.' \
    "and it says so plainly"
kn_is "$OUT" "" "and prints no probe"
kk status -k "$KN_API_KEY" "$URL"
kn_like "$RC:$OUT" '^0:IPv4: 127\.0\.0\.1 is whitelisted for (1h|59m [0-9]+s) more \(until ' "status: whitelisted, time left"

t0=$(date +%s)
kk --json --ttl 120 -k "$KN_API_KEY" "$URL"
kn_is "$RC" 0 "knocker-knock --json exits 0"
kn_is "$(jq -r '[.command, .exit_code, (.results | length), .results[0].family, .results[0].ok,
    .results[0].http_status, .results[0].whitelisted_entry, .results[0].expires_in_seconds] | join(" ")' <<<"$OUT")" \
    "knock 0 1 ipv4 true 200 127.0.0.1 120" "--json: the entry and the TTL that --ttl asked for"
exp=$(jq -r '.results[0].expires_at' <<<"$OUT")
t1=$(date +%s)
kn_ok "--json: expires_at is now + 120 s ($exp, asked between $t0 and $t1)" test $((exp - 120)) -ge $((t0 - 1)) -a $((exp - 120)) -le $((t1 + 1))
kn_is "$(jq -c . <<<"$OUT" | wc -l)" 1 "--json prints one compact line"
kk status --json -k "$KN_API_KEY" "$URL"
kn_is "$(jq -r '[.exit_code, .results[0].client_ip, .results[0].whitelisted, .results[0].expires_in_seconds <= 120] | join(" ")' <<<"$OUT")" \
    "0 127.0.0.1 true true" "status --json: client_ip, whitelisted, expiry"

# --- dual stack ------------------------------------------------------------------------
kk "${DUAL[@]}" -k "$KN_API_KEY" --ttl 600 "$DURL"
kn_is "$RC" 0 "dual stack: exit 0"
kn_like "$OUT" '^IPv4: whitelisted 127\.0\.0\.1 for 10m ' "dual stack: the IPv4 entry"
kn_like "$OUT" $'\nIPv6: whitelisted ::1 for 10m ' "dual stack: the IPv6 entry"
kn_is "$(jq -r '[has("127.0.0.1"), has("::1")] | join(" ")' "$KN_DIR/state/whitelist.json")" "true true" \
    "dual stack: the whitelist holds 127.0.0.1 and ::1"
kn_is "$(kn_http GET "http://[::1]:$PORT/private/index.html")" 200 "the IPv6 knock opened the page over IPv6"
kk status --json "${DUAL[@]}" -k "$KN_API_KEY" "$DURL"
kn_is "$(jq -r '[.results[] | .family + "=" + .client_ip] | join(" ")' <<<"$OUT")" "ipv4=127.0.0.1 ipv6=::1" \
    "status over both families"
kk -6 --json "${DUAL[@]}" -k "$KN_API_KEY" "$DURL"
kn_is "$(jq -r '[(.results | length), .results[0].family, .results[0].whitelisted_entry] | join(" ")' <<<"$OUT")" "1 ipv6 ::1" \
    "-6 knocks over IPv6 only"
kk -4 -6 -k "$KN_API_KEY" "$DURL"
kn_is "$RC" 2 "-4 with -6 is a usage error"

# --- errors and their exit statuses ---------------------------------------------------------
kk -k wrong-key "$URL"
kn_is "$RC" 5 "wrong key: exit 5"
kn_is "$ERR" "knocker-knock: IPv4: HTTP 401: Invalid or missing API key. Check the API key (--key-file, KNOCKER_KEY or the config file)." \
    "wrong key: the server's message and what to do"
kk -k "$KN_API_KEY" --ip 203.0.113.5 "$URL"
kn_is "$RC" 6 "--ip with a key lacking permission: exit 6"
kn_like "$ERR" 'HTTP 403: API key lacks remote whitelist permission\. .*allow_remote_whitelist' "403: message and advice"
kk -k "$KN_ADMIN_KEY" --ip 203.0.113.5 --ttl 60 "$URL"
kn_is "$RC:$OUT" "0:whitelisted 203.0.113.5 for 1m (until $(date -d @"$(jq -r '."203.0.113.5"' "$KN_DIR/state/whitelist.json")" '+%Y-%m-%d %H:%M:%S %Z'))" \
    "--ip with a permitted key whitelists that address, once"
kk -k "$KN_API_KEY" "http://127.0.0.1:$(kn_port)/knock"
kn_is "$RC" 4 "server down: exit 4"
kn_like "$ERR" '^knocker-knock: IPv4: network error: .*Check the URL and your network connection\.$' "server down: says so"
kk -k "$KN_API_KEY" "http://127.0.0.1:$PORT/nope"
kn_is "$RC" 1 "a URL that is not knocker (404): exit 1"
kn_like "$ERR" 'HTTP 404: not an answer from knocker\. Is the URL the knock endpoint' "404: says to check the URL"
kk -k "$KN_API_KEY" "ftp://127.0.0.1:$PORT/knock"
kn_is "$RC" 2 "an ftp:// URL is a usage error"

# --- compatibility with knocker-cli habits (issue 15) -------------------------------------------
kk --json -k "$KN_API_KEY" "http://127.0.0.1:$PORT"
kn_is "$RC:$(jq -r .url <<<"$OUT")" "0:http://127.0.0.1:$PORT/knock" "a base URL gets /knock appended"
kk --json -k "$KN_API_KEY" "http://127.0.0.1:$PORT/"
kn_is "$RC:$(jq -r .url <<<"$OUT")" "0:http://127.0.0.1:$PORT/knock" "so does a base URL with a slash"
kk status --json -k "$KN_API_KEY" "http://127.0.0.1:$PORT/.knocker/"
kn_is "$RC:$(jq -r .url <<<"$OUT")" "0:http://127.0.0.1:$PORT/.knocker/knock" "and a prefix: /.knocker/ -> /.knocker/knock"
kk --json -k "$KN_API_KEY" "http://127.0.0.1:$PORT/knock?x=1"
kn_is "$(jq -r .url <<<"$OUT")" "http://127.0.0.1:$PORT/knock?x=1" "a URL ending in /knock stays as it is"
KNOCKER_API_URL=$URL KNOCKER_API_KEY=$KN_API_KEY kk status
kn_is "$RC" 0 "KNOCKER_API_URL and KNOCKER_API_KEY (knocker-cli's names) work"
KNOCKER_KEY=$KN_API_KEY KNOCKER_API_KEY=wrong-key kk status "$URL"
kn_is "$RC" 0 "KNOCKER_KEY comes before KNOCKER_API_KEY"
KNOCKER_URL=$URL KNOCKER_API_URL=http://127.0.0.1:$(kn_port)/knock KNOCKER_KEY=$KN_API_KEY kk status
kn_is "$RC" 0 "KNOCKER_URL comes before KNOCKER_API_URL"
kk -k "$KN_API_KEY" "127.0.0.1:$PORT/knock"
kn_is "$RC" 4 "no scheme against a plain-http server: network error (exit 4)"
kn_like "$ERR" 'No scheme was given, so https:// was assumed; if the server speaks plain http, use http://127\.0\.0\.1:[0-9]+/knock\.$' \
    "with a hint to use http://"
kk --ttl 7200 -k "$KN_API_KEY" "$URL"
kn_like "$RC:$OUT" '^0:IPv4: whitelisted 127\.0\.0\.1 for 1h \(until ' "a TTL above the key's max_ttl is granted as max_ttl"
kn_is "$ERR" "knocker-knock: note: IPv4: the key's max_ttl capped the lifetime at 1h (you asked for 2h)" \
    "and knock says it was capped"
kk --json --ttl 7200 -k "$KN_API_KEY" "$URL"
kn_is "$(jq -r '[.results[0].expires_in_seconds, .results[0].requested_ttl, .results[0].ttl_capped] | join(" ")' <<<"$OUT")" \
    "3600 7200 true" "--json: requested_ttl and ttl_capped"
kk --json --ttl 60 -k "$KN_API_KEY" "$URL"
kn_is "$(jq -r '.results[0].ttl_capped' <<<"$OUT"):$ERR" "false:" "an uncapped TTL: ttl_capped false, no note"

# --- a hostile server cannot reach the terminal ------------------------------------------
# lighttpd serving fixed answers: GET /status/knock is a 200 status answer, a
# POST to /deny/knock is 403 with an "error" text (server.errorfile-prefix). Both carry C0,
# DEL and C1 controls (U+009B is CSI for terminals), raw 0x9b bytes (not
# UTF-8), bidi overrides (U+202E, U+2066, U+200F) and U+2028, and valid
# non-ASCII letters, which must pass.
mkdir -p "$KN_DIR/evil/status"
printf '{"client_ip":"\xc3\xa9\\u009b31m\x9b[2J\\u001b]0;x\\u0007\x7f\xc2\x85\xe2\x80\x9b","whitelisted":false,"expires_at":null,"expires_in_seconds":null}' \
    >"$KN_DIR/evil/status/knock"
printf '{"error":"bad\\u009b[2Jthing\x9b[1m\xc2\x9d\xc0\xaf\xed\xa0\x80 ok\xe2\x82\xac \xe2\x80\xaeevil\xe2\x81\xa6\\u2028\\u200f"}' >"$KN_DIR/evil/status-403.html"
EVIL_PORT=$(kn_port)
cat >"$KN_DIR/lighttpd-evil.conf" <<EOF
server.modules = ( "mod_access" )
server.document-root = "$KN_DIR/evil"
server.port = $EVIL_PORT
server.bind = "127.0.0.1"
server.errorlog = "$KN_DIR/lighttpd-evil-error.log"
server.errorfile-prefix = "$KN_DIR/evil/status-"
\$HTTP["url"] =~ "^/deny/" { url.access-deny = ( "" ) }
EOF
kn_ok "a lighttpd with hostile answers starts" kn_start_lighttpd "$KN_DIR/lighttpd-evil.conf"
kk status -k "$KN_API_KEY" "http://127.0.0.1:$EVIL_PORT/status/knock"
kn_is "$RC:$OUT" $'8:IPv4: \xc3\xa9?31m?[2J?]0;x???\xe2\x80\x9b is not whitelisted' \
    "status: C0, DEL and C1 (UTF-8 and raw bytes) in client_ip become '?', valid UTF-8 stays"
kk -k "$KN_API_KEY" "http://127.0.0.1:$EVIL_PORT/deny/knock"
kn_is "$RC:$ERR" $'6:knocker-knock: IPv4: HTTP 403: bad?[2Jthing?[1m?????? ok\xe2\x82\xac ?evil??? Whitelisting another address (--ip) needs a key with allow_remote_whitelist.' \
    "error text: C1 controls, raw 0x80-0x9f, overlong and surrogate bytes, bidi overrides and line separators become '?'"

# --- knocker-knock check: the deployment self-check ------------------------------------------------------
# A knocker that always allows 192.168.1.10 and excludes /health (and
# /status for media.test), with a real backend behind lighttpd's /app/.
# The broken fronts below leak by their own configuration, never by a
# knocker bug: lighttpd believes a forged address (mod_extforward trusting
# anyone, or trusting an underscore X_Forwarded_For), or a host route skips
# the authorizer.
mkdir -p -m 700 "$KN_DIR/state3"
kn_ok "a backend service starts" kn_start_backend
kn_make_config "$KN_DIR/knocker-chk.json" \
    ".whitelist.storage_path = \"$KN_DIR/state3/whitelist.json\"" \
    '.security.always_allowed_ips = ["192.168.1.10"]' \
    '.security.excluded_paths = ["/health"]' \
    '.security.excluded_paths_by_host = {"media.test": ["/status"]}'
kn_ok "a knocker for the checks starts" kn_spawn_knocker "$KN_DIR/knocker-chk.json" 1
CHK=$KN_APP_PORT

kk check
kn_is "$RC" 2 "check without a URL is a usage error"
kn_like "$ERR" 'check wants the URL of a protected page' "and says what it wants"
kk check --excluded health "http://127.0.0.1:$PORT/app/"
kn_is "$RC" 2 "check: --excluded must be a path"
kk --excluded /health "$URL"
kn_is "$RC" 2 "--excluded goes with check only"
kk check -k "$KN_API_KEY" "http://127.0.0.1:$PORT/app/"
kn_is "$RC" 2 "check sends no key: --key is a usage error"

BACKEND=$KN_BACKEND_PORT kn_ok "the shipped lighttpd example starts in front of it" start_front "$CHK" chk-ok
CHK_PORT=$LT_PORT
kn_is "$(kn_http GET "http://127.0.0.1:$LT_PORT/app/" -H 'X-Forwarded-For: 192.168.1.10')" 401 \
    "(the shipped example ignores X-Forwarded-For: 401)"
kk check --excluded /health --host media.test "http://127.0.0.1:$LT_PORT/app/"
kn_is "$RC" 0 "check: the shipped lighttpd example denies every forged request: exit 0"
kn_like "$OUT" $'^knocker-knock check: http://127\\.0\\.0\\.1:[0-9]+/app/\nplain request without a knock: denied \\(HTTP 401\\)\n' \
    "check: first the plain request, denied"
kn_like "$OUT" $'\nknock check: OK: all [0-9]+ forged requests were denied\\.$' "check: the summary says all were denied"
kn_unlike "$OUT" $'(^|\n)(LEAK|ODD)' "check: no LEAK or ODD line"
for probe in 'X-Forwarded-For: 127.0.0.1' 'X_Forwarded_For: 192.168.1.10' 'X-Real-IP: ::1' \
    'Forwarded: for="[::1]"' 'X-Forwarded-For: 172.16.0.1' 'X_Original_URI: /health' 'X-Forwarded-Uri: /' \
    'Host: media.test' 'Host: media.test + X-Original-URI: /health' 'X_Forwarded_Host: media.test + X_Forwarded_Uri: /health'; do
	kn_ok "check: probe '$probe' denied, one line" grep -qxF "OK    denied   HTTP 401  $probe" "$KN_DIR/out"
done
kn_ok "check: 80 probes or more ($(grep -c '^OK ' "$KN_DIR/out"))" test "$(grep -c '^OK ' "$KN_DIR/out")" -ge 80
kk check --json --excluded /health "http://127.0.0.1:$LT_PORT/private/index.html"
kn_is "$(jq -r '[.command, .exit_code, .plain_http_status, .leaked, .other, (.denied == (.probes | length)),
    ([.probes[] | select(.verdict != "denied")] | length)] | join(" ")' <<<"$OUT")" "check 0 401 0 0 true 0" \
    "check --json on /private/: every probe denied"

BACKEND=$KN_BACKEND_PORT kn_ok "a lighttpd whose mod_extforward trusts any X-Forwarded-For starts" start_front "$CHK" chk-xff \
    'server.modules += ( "mod_extforward" )' 'extforward.forwarder = ( "all" => "trust" )'
kk check "http://127.0.0.1:$LT_PORT/app/"
kn_is "$RC" 9 "check: a front that believes X-Forwarded-For leaks: exit 9"
kn_ok "check: LEAK line for X-Forwarded-For: 192.168.1.10 (always allowed)" \
    grep -qxF 'LEAK  allowed  HTTP 200  X-Forwarded-For: 192.168.1.10' "$KN_DIR/out"
kn_ok "check: other forged addresses stay denied" grep -qxF 'OK    denied   HTTP 401  X-Forwarded-For: 10.0.0.1' "$KN_DIR/out"
kn_like "$OUT" $'\nknock check: LEAK: [0-9]+ of [0-9]+ forged requests were let through \\(the LEAK lines\\): this deployment lets people in without a knock\\.$' \
    "check: the summary says LEAK"
kk check --json "http://127.0.0.1:$LT_PORT/app/"
kn_is "$(jq -r '[.exit_code, .leaked > 0, ([.probes[] | select(.verdict == "allowed") | .probe] | index("X-Forwarded-For: 192.168.1.10") != null)] | join(" ")' <<<"$OUT")" \
    "9 true true" "check --json names the leaking probe"

BACKEND=$KN_BACKEND_PORT kn_ok "a lighttpd that takes the client from an underscore X_Forwarded_For starts" start_front "$CHK" chk-us \
    'server.modules += ( "mod_extforward" )' 'extforward.forwarder = ( "127.0.0.1" => "trust", "::1" => "trust" )' \
    'extforward.headers = ( "X_Forwarded_For" )'
kk check "http://127.0.0.1:$LT_PORT/app/"
kn_is "$RC" 9 "check: the underscore spelling leaks: exit 9"
kn_ok "check: LEAK line for X_Forwarded_For: 192.168.1.10" \
    grep -qxF 'LEAK  allowed  HTTP 200  X_Forwarded_For: 192.168.1.10' "$KN_DIR/out"
kn_ok "check: the dash spelling is denied there" grep -qxF 'OK    denied   HTTP 401  X-Forwarded-For: 192.168.1.10' "$KN_DIR/out"

BACKEND=$KN_BACKEND_PORT kn_ok "a lighttpd whose media.test route skips the authorizer starts" start_front "$CHK" chk-host \
    '$HTTP["host"] =~ "^media\.test(:[0-9]+)?$" {' '  fastcgi.server = ( )' \
    "  proxy.server = ( \"\" => (( \"host\" => \"127.0.0.1\", \"port\" => $KN_BACKEND_PORT )) )" '}'
kk check --host media.test "http://127.0.0.1:$LT_PORT/app/"
kn_is "$RC" 9 "check --host: a host route around the authorizer leaks: exit 9"
kn_ok "check: LEAK line for Host: media.test" grep -qxF 'LEAK  allowed  HTTP 200  Host: media.test' "$KN_DIR/out"

# watch gives up on a wrong key (exit 5) instead of retrying forever; a
# capped TTL is logged. (On the check knocker: its failure limit is far.)
CHK_URL=http://127.0.0.1:$CHK_PORT/knock
timeout 20 "$KNOCK" watch --poll 0 -k wrong-key "$CHK_URL" >"$KN_DIR/watch-401.log" 2>&1
kn_is "$?" 5 "watch with a wrong key exits 5 (401) instead of retrying"
kn_like "$(cat "$KN_DIR/watch-401.log")" 'knock failed \(IPv4\): HTTP 401: .* Giving up: retrying cannot fix the key\.' \
    "and says why it stops"
"$KNOCK" watch --poll 0 --ttl 7200 -k "$KN_API_KEY" "$CHK_URL" >"$KN_DIR/watch-cap.log" 2>&1 &
WC=$!
kn_track $WC
kn_ok "watch logs a capped TTL" wait_line "$KN_DIR/watch-cap.log" \
    'knocked: 127\.0\.0\.1 whitelisted \(IPv4\) for 1h \(the key.s max_ttl; you asked for 2h\); next knock in 48m' 20
kill -TERM $WC
wait $WC
kn_is "$?" 0 "(it stops on SIGTERM)"
cat "$KN_DIR/watch-401.log" "$KN_DIR/watch-cap.log" >>"$KN_DIR/all-output"

# --- keys from a file, the environment and the settings file ----------------------------------
printf '%s\n' "$KN_API_KEY" >"$KN_DIR/key"
chmod 644 "$KN_DIR/key"
kk --key-file "$KN_DIR/key" "$URL"
kn_is "$RC" 3 "a key file readable by others is refused: exit 3"
kn_is "$ERR" "knocker-knock: key file $KN_DIR/key: refused: it holds a secret but other users can access it (mode 0644); run: chmod 600 $KN_DIR/key" \
    "and the message says why and what to do"
chmod 600 "$KN_DIR/key"
kk --key-file "$KN_DIR/key" "$URL"
kn_is "$RC" 0 "a key file with mode 0600 works"
KNOCKER_KEY=$KN_API_KEY kk "$URL"
kn_is "$RC" 0 "KNOCKER_KEY works"
KNOCKER_KEY=$KN_API_KEY KNOCKER_URL=$URL kk status
kn_is "$RC" 0 "KNOCKER_URL works"

kk setup --key-file "$KN_DIR/key" --ttl 300 "$URL"
kn_is "$RC" 0 "knocker-knock setup checks the key and saves"
CONF=$XDG_CONFIG_HOME/knocker/config
kn_is "$(stat -c %a "$CONF"):$(stat -c %a "$XDG_CONFIG_HOME/knocker")" "600:700" "the settings file is 0600 in a 0700 directory"
kn_is "$(grep -v '^#' "$CONF" | sed 's/^key = .*/key = KEY/')" "url = $URL
key = KEY
ttl = 300" "the settings file holds url, key and ttl"
kk --json
kn_is "$RC:$(jq -r '.results[0].expires_in_seconds' <<<"$OUT")" "0:300" "a bare 'knock' uses the saved URL, key and TTL"
chmod 640 "$CONF"
kk status
kn_is "$RC" 3 "a settings file readable by the group is refused: exit 3"
kn_like "$ERR" 'mode 0640\); run: chmod 600' "and says how to fix it"
chmod 600 "$CONF"
kk setup -k wrong-key "$URL"
kn_is "$RC" 5 "setup with a wrong key: exit 5"
kn_like "$(grep '^key' "$CONF")" "^key = $KN_API_KEY\$" "and the saved key is not replaced"
XDG_CONFIG_HOME=$KN_DIR/xdg2 kk --save --ttl 200 -k "$KN_API_KEY" "$URL"
kn_is "$RC:$(stat -c %a "$KN_DIR/xdg2/knocker/config"):$(grep '^ttl' "$KN_DIR/xdg2/knocker/config")" "0:600:ttl = 200" \
    "--save after a knock writes a 0600 settings file"

# --- rate limit: 4 failures per minute from ::1, the 5th is 429 --------------------------------------
codes=""
for i in 1 2 3 4 5; do
	kk -6 "${DUAL[@]}" -k wrong-key "$DURL"
	codes="$codes$RC "
done
kn_is "$codes" "5 5 5 5 7 " "rate limit: four 401s (exit 5), then 429 (exit 7)"
kn_like "$ERR" '^knocker-knock: IPv6: HTTP 429: Too many knock attempts\. Retry after [0-9]+ s\.$' "429: says when to retry (Retry-After)"
kk -6 --json "${DUAL[@]}" -k wrong-key "$DURL"
kn_like "$(jq -r '[.results[0].http_status, .results[0].exit_code, .results[0].retry_after] | join(" ")' <<<"$OUT")" \
    '^429 7 [1-9][0-9]*$' "--json: 429 with retry_after"

# --- one family down: the other still counts -----------------------------------------------------
# A second knocker that trusts 127.0.0.1 as a proxy, behind a lighttpd that
# listens on IPv4 only and reports the client as X-Forwarded-For (the
# "public IP", changed below by reloading lighttpd).
kn_make_config "$KN_DIR/knocker2.json" \
    ".whitelist.storage_path = \"$KN_DIR/state2/whitelist.json\"" \
    '.server.trusted_proxies = ["127.0.0.1"]' \
    '.security.knock_rate_limit.successful_requests = 0'
echo 'setenv.set-request-header = ( "X-Forwarded-For" => "198.51.100.7" )' >"$KN_DIR/xff.conf"
kn_ok "a second knocker starts" kn_spawn_knocker "$KN_DIR/knocker2.json" 1
V4ONLY=1 kn_ok "an IPv4-only lighttpd starts in front of it" start_front "$KN_APP_PORT" edge \
    'server.modules += ( "mod_setenv" )' "include \"$KN_DIR/xff.conf\""
EDGE_PID=$KN_LIGHTTPD_PID
PORT2=$LT_PORT
URL2=http://127.0.0.1:$PORT2/knock
kk --json --resolve "edge.test:$PORT2:127.0.0.1,::1" -k "$KN_API_KEY" "http://edge.test:$PORT2/knock"
kn_is "$RC" 0 "IPv4 works and IPv6 cannot connect: exit 0"
kn_is "$(jq -r '[.results[] | "\(.family):\(.ok):\(.ignored // false)"] | join(" ")' <<<"$OUT")" \
    "ipv4:true:false ipv6:false:true" "--json reports both outcomes, the IPv6 failure as ignored"
kk --resolve "edge.test:$PORT2:127.0.0.1,::1" -k "$KN_API_KEY" "http://edge.test:$PORT2/knock"
kn_like "$OUT" '^IPv4: whitelisted 198\.51\.100\.7 ' "the IPv4 entry is printed"
kn_like "$ERR" 'warning: IPv6: network error: .*\(the other address family worked\)' "the IPv6 failure is a warning"
kk -6 --resolve "edge.test:$PORT2:127.0.0.1,::1" -k "$KN_API_KEY" "http://edge.test:$PORT2/knock"
kn_is "$RC" 4 "with -6 alone the same failure is exit 4"

# --- watch ------------------------------------------------------------------------------------------------
# Three at once: a 3 s TTL over both families, errors against a closed port,
# and IP-change detection on the edge stack.
"$KNOCK" watch --ttl 3 --poll 1 "${DUAL[@]}" -k "$KN_API_KEY" "$DURL" >"$KN_DIR/watch-ttl.log" 2>&1 &
W1=$!
"$KNOCK" watch --max-backoff 4 -k "$KN_API_KEY" "http://127.0.0.1:$(kn_port)/knock" >"$KN_DIR/watch-down.log" 2>&1 &
W2=$!
"$KNOCK" watch --poll 1 --ttl 600 -k "$KN_API_KEY" "$URL2" >"$KN_DIR/watch-ip.log" 2>&1 &
W3=$!
kn_track $W1 $W2 $W3

kn_ok "watch (edge) knocks for 198.51.100.7" wait_line "$KN_DIR/watch-ip.log" 'knocked: 198\.51\.100\.7 whitelisted' 20
cmdline=$(tr '\0' ' ' <"/proc/$W3/cmdline")
kn_is "$(grep -c -e "$KN_API_KEY" <<<"$cmdline"):$(grep -c -e ' -k xxxxxxxx' <<<"$cmdline")" "0:1" \
    "a running knock shows x's instead of the --key value in ps"
echo 'setenv.set-request-header = ( "X-Forwarded-For" => "198.51.100.8" )' >"$KN_DIR/xff.conf"
kill -USR1 "$EDGE_PID"		# graceful restart: lighttpd re-reads its config
t0=$(now_ms)
kn_ok "watch notices the new public IP" wait_line "$KN_DIR/watch-ip.log" 'IP changed \(IPv4\): 198\.51\.100\.7 -> 198\.51\.100\.8; knocking' 20
kn_ok "and knocks for it" wait_line "$KN_DIR/watch-ip.log" 'knocked: 198\.51\.100\.8 whitelisted' 20
kn_diag "IP change to knock: $(($(now_ms) - t0)) ms"
kn_is "$(jq -r 'has("198.51.100.8")' "$KN_DIR/state2/whitelist.json")" true "the new IP is in the whitelist"
# Lose the entry behind watch's back: it knocks again within seconds.
printf '{}' >"$KN_DIR/state2/wl.tmp" && mv "$KN_DIR/state2/wl.tmp" "$KN_DIR/state2/whitelist.json"
kn_ok "watch re-knocks when the server no longer lists the IP" \
    wait_line "$KN_DIR/watch-ip.log" '198\.51\.100\.8 \(IPv4\) is no longer whitelisted; knocking' 20

kn_ok "watch with a 3 s TTL knocks three times (waited up to 20 s)" \
    wait_count "$KN_DIR/watch-ttl.log" '::1 whitelisted \(IPv6\) for 3s' 3 20
kn_ok "watch against a closed port retries three times (waited up to 20 s)" \
    wait_count "$KN_DIR/watch-down.log" 'Retrying in' 3 20
kill -TERM $W1 $W2 $W3
t0=$(now_ms)
wait $W1; r1=$?
wait $W2; r2=$?
wait $W3; r3=$?
kn_is "$r1 $r2 $r3" "0 0 0" "watch exits 0 on SIGTERM"
dt=$(($(now_ms) - t0))
kn_ok "all three stopped within 3.5 s of the signal ($dt ms; one was in a 4 s back-off)" test "$dt" -lt 3500
n4=$(grep -c 'knocked: 127\.0\.0\.1 whitelisted (IPv4) for 3s' "$KN_DIR/watch-ttl.log")
n6=$(grep -c 'knocked: ::1 whitelisted (IPv6) for 3s' "$KN_DIR/watch-ttl.log")
kn_ok "watch with a 3 s TTL knocked at least 3 times over both families (IPv4 $n4, IPv6 $n6)" \
    test "$n4" -ge 3 -a "$n6" -ge 3
ts=$(grep 'knocked: 127\.0\.0\.1' "$KN_DIR/watch-ttl.log" | head -n 3 | cut -d' ' -f1)
t1=$(date -d "$(echo "$ts" | head -n 1)" +%s)
t3=$(date -d "$(echo "$ts" | tail -n 1)" +%s)
kn_ok "the re-knocks follow each other: 3 knocks in $((t3 - t1)) s (every 2.4 s plus the request)" \
    test $((t3 - t1)) -ge 4 -a $((t3 - t1)) -le 10
kn_like "$(grep -m 1 'knocked:' "$KN_DIR/watch-ttl.log")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-][0-9]{4} knocker-knock: knocked: .*next knock in 2s$' \
    "watch logs one timestamped line per event, with the next knock at 80% of the TTL"
kn_like "$(tail -n 1 "$KN_DIR/watch-ttl.log")" 'stopping on signal$' "watch logs its stop"
kn_is "$(grep -o 'Retrying in [0-9]*s' "$KN_DIR/watch-down.log" | head -n 3 | tr '\n' ' ')" \
    "Retrying in 2s Retrying in 4s Retrying in 4s " "watch backs off on errors: 2 s, 4 s, capped by --max-backoff"
kn_like "$(head -n 2 "$KN_DIR/watch-down.log" | tail -n 1)" 'knock failed \(IPv4\): network error: ' "watch logs each failure"

# --- secrets ------------------------------------------------------------------------------------------------
cat "$KN_DIR"/watch-*.log >>"$KN_DIR/all-output"
kn_is "$(grep -c -e "$KN_API_KEY" -e "$KN_ADMIN_KEY" "$KN_DIR/all-output")" 0 "no output of knock ever shows an API key"

kn_done
