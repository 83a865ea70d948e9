#!/bin/bash
# Moving over from FarisZR/knocker (issue 15): the real `knocker -t` on a YAML
# config like the original's, on its JSON conversion (the one-line converter
# of docs/MIGRATING.md), and on keys of the original's older versions.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

kn_init migrate
kn_need_bin python3 jq
python3 -c 'import yaml' 2>/dev/null ||
	kn_bail "python3-yaml is missing: install it (see scripts/deps)"

mkdir -m 700 "$KN_DIR/data"
yaml=$KN_DIR/knocker.yaml
json=$KN_DIR/knocker.json
sed "s|@STATE@|$KN_DIR/data|" "$KN_SRC/tests/integration/migrate/knocker.yaml" >"$yaml"
chmod 600 "$yaml"

# -t CONFIG: sets rc, out (stdout) and err (stderr).
check() {
	"$KNOCKER" -t -c "$1" >"$KN_DIR/out" 2>"$KN_DIR/err"
	rc=$?
	out=$(cat "$KN_DIR/out")
	err=$(cat "$KN_DIR/err")
}

# 1. The YAML file as it is: refused, with the way to convert it.
check "$yaml"
kn_is "$rc" 1 "YAML config: knocker -t exits 1"
kn_is "$out" "" "YAML config: nothing on stdout"
kn_is "$(printf '%s\n' "$err" | sed -n 1p)" \
    "$yaml: not valid JSON: syntax error near line 1, column 1 (byte 0)" \
    "YAML config: first the syntax error"
kn_is "$(printf '%s\n' "$err" | sed -n 2p)" \
    "$yaml: this looks like YAML (FarisZR/knocker's format); knocker reads JSON. Convert it with: python3 -c 'import sys,yaml,json; json.dump(yaml.safe_load(sys.stdin), sys.stdout, indent=2)' < knocker.yaml > knocker.json (Debian: apt-get install python3-yaml)" \
    "YAML config: then how to convert it"
kn_is "$(printf '%s\n' "$err" | wc -l)" 2 "YAML config: two lines, nothing else"

# 2. Converted as the hint says: loads; what is ignored is said, with why.
(cd "$KN_DIR" && python3 -c 'import sys,yaml,json; json.dump(yaml.safe_load(sys.stdin), sys.stdout, indent=2)' \
    < knocker.yaml > knocker.json)
kn_is "$?" 0 "the one-line converter runs"
chmod 600 "$json"
kn_is "$(jq -c '[.firewalld.enabled, .documentation.enabled, .api_keys[1].allow_remote_whitelist]' "$json")" \
    '[false,false,true]' "the converter keeps types (booleans stay booleans)"
check "$json"
kn_is "$rc" 0 "converted config: knocker -t exits 0"
kn_is "$out" "$json: ok" "converted config: ok on stdout"
range="is a range of addresses, not one proxy: any host in it can send a forged X-Forwarded-For and choose its client IP"
listen="ignored: spawn-fcgi (-a, -p) or the web server chooses where knocker listens"
kn_is "$err" "warning: $json: server.trusted_proxies[0]: 172.30.5.0/24 $range
warning: $json: server.trusted_proxies[1]: fd12:3456:789a::/64 $range
warning: $json: server.host: $listen
warning: $json: server.port: $listen
warning: $json: firewalld: ignored: knocker does not drive firewalld (this section is disabled; network-level rules are knocker-firewall's job, docs/FIREWALL.md)
warning: $json: documentation: ignored: knocker serves no documentation or OpenAPI endpoints (docs/API.md describes the API)" \
    "converted config: one warning per ignored or risky setting, each naming its key"

# The same settings without the sections knocker ignores: no note left but
# the proxy ranges (the original's example trusts a Docker network too).
jq 'del(.server.host, .server.port, .firewalld, .documentation)' "$json" >"$KN_DIR/plain.json"
chmod 600 "$KN_DIR/plain.json"
check "$KN_DIR/plain.json"
kn_is "$rc:$out" "0:$KN_DIR/plain.json: ok" "without the ignored sections: ok"
kn_is "$(printf '%s\n' "$err" | grep -vc 'is a range of addresses')" 0 \
    "without the ignored sections: no note about them"

# 3. What a config of an older version of the original still needs.
fix() {	# NAME JQ-FILTER WANT-LINE...
	local name=$1 filter=$2 f=$KN_DIR/old.json
	shift 2
	jq "$filter" "$json" >"$f" && chmod 600 "$f"
	check "$f"
	kn_is "$rc:$out" "1:" "$name: refused"
	kn_is "$(printf '%s\n' "$err" | grep -v '^warning: ')" "$(printf "$f: %s\n" "$@")" "$name: says what to write"
}
fix "firewalld enabled" '.firewalld.enabled = true' \
    "firewalld.enabled: knocker does not drive firewalld; network-level rules are knocker-firewall's job (nftables, a \"firewall\" section, docs/FIREWALL.md): set this to false or remove the section"
fix "the logging section" '.logging = {"level": "INFO"}' \
    "logging: unknown key; the original's logging.level is log.level here (\"error\", \"warn\", \"info\" or \"debug\")"
fix "a key's ttl (older name of max_ttl)" '.api_keys[0] |= (.ttl = .max_ttl | del(.max_ttl))' \
    "api_keys[0].ttl: unknown key; the original's old name for max_ttl" \
    "api_keys[0].max_ttl: missing (required)"
fix "the original example's placeholder key" '.api_keys[1].key = "CHANGE_ME_SUPER_SECRET_ADMIN_KEY"' \
    "api_keys[1].key: looks like a placeholder; generate one with: od -An -tx1 -N32 /dev/urandom | tr -d ' \\n' (or: openssl rand -hex 32)"
fix "a key shorter than 16 characters" '.api_keys[0].key = "hunter2hunter2"' \
    "api_keys[0].key: shorter than 16 characters; generate one with: od -An -tx1 -N32 /dev/urandom | tr -d ' \\n' (or: openssl rand -hex 32)"
fix "an unknown key the original ignored" '.security.replay_protection = {"enabled": false}' \
    "security.replay_protection: unknown key"

# 4. The original's whitelist file, copied over as it is, is read: the
# converted config answers a verify (CGI, as a web server runs it) with allow.
now=$(date +%s)
printf '{\n  "198.51.100.23": %d,\n  "2001:db8:4::/64": %d\n}' $((now + 600)) $((now + 600)) \
    >"$KN_DIR/data/whitelist.json"
chmod 600 "$KN_DIR/data/whitelist.json"
verify() {	# REMOTE_ADDR -> the Status line of a GET /verify
	env -i KNOCKER_CONFIG="$plain" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
	    SCRIPT_NAME=/verify REQUEST_URI=/verify REMOTE_ADDR="$1" SERVER_PROTOCOL=HTTP/1.1 \
	    "$KNOCKER" 2>/dev/null </dev/null | tr -d '\r' | sed -n 's/^Status: //p' | cut -c1-3
}
plain=$KN_DIR/plain.json
kn_is "$(verify 198.51.100.23)" 200 "the original's whitelist file: a listed address is allowed"
kn_is "$(verify 2001:db8:4::9)" 200 "the original's whitelist file: an address in a listed range is allowed"
kn_is "$(verify 198.51.100.24)" 401 "the original's whitelist file: another address is denied"

# 5. The original's clients, as they call it, against knocker on a host of
# its own (the lighttpd and Caddy lines of docs/MIGRATING.md): knocker-cli
# knocks <api_url>/knock and needs GET <api_url>/health; knocker-web posts
# JSON to <endpoint>/knock from another origin (a CORS preflight first).
kn_need_bin lighttpd caddy spawn-fcgi curl
kn_ok "spawn-fcgi starts knocker with the converted config" kn_spawn_knocker "$plain" 2
laptop=$(jq -r '.api_keys[0].key' "$plain")
origin=https://knock.home.example

clients() {	# SERVER BASE-URL  (the host is knock.home.example)
	local s=$1 base=$2 host=(-H 'Host: knock.home.example')
	kn_req GET "$base/health" "${host[@]}"
	kn_is "$KN_STATUS:$KN_BODY" '200:{"status":"ok"}' "$s: knocker-cli: GET <api_url>/health is 200"
	kn_req POST "$base/knock" "${host[@]}" -H 'Content-Type: application/json' -H "X-Api-Key: $laptop" \
	    --data-binary '{"ttl":600}'
	kn_like "$KN_STATUS:$KN_BODY" '^200:\{"whitelisted_entry":"127\.0\.0\.1","expires_at":[0-9]+,"expires_in_seconds":600\}$' \
	    "$s: knocker-cli: a knock with a ttl is 200 with the three fields it reads"
	kn_req POST "$base/knock" "${host[@]}" -H 'Content-Type: application/json' -H "X-Api-Key: $laptop" \
	    --data-binary '{}'
	kn_like "$KN_STATUS:$KN_BODY" '^200:.*"expires_in_seconds":7200\}$' \
	    "$s: knocker-cli: ttl 0 sends {}: the key's max_ttl"
	kn_req OPTIONS "$base/knock" "${host[@]}" -H "Origin: $origin" -H 'Access-Control-Request-Method: POST' \
	    -H 'Access-Control-Request-Headers: content-type,x-api-key'
	kn_is "$KN_STATUS" 204 "$s: knocker-web: the CORS preflight is 204"
	kn_is "$(kn_header Access-Control-Allow-Origin)" "$origin" "$s: knocker-web: the configured origin is allowed"
	kn_like "$(kn_header Access-Control-Allow-Headers)" 'X-Api-Key' "$s: knocker-web: X-Api-Key may be sent"
	kn_req POST "$base/knock" "${host[@]}" -H "Origin: $origin" -H 'Content-Type: application/json' \
	    -H "X-Api-Key: $laptop" --data-binary '{}'
	kn_is "$KN_STATUS:$(kn_header Access-Control-Allow-Origin)" "200:$origin" \
	    "$s: knocker-web: its knock is 200, readable cross-origin"
	kn_req POST "$base/knock" "${host[@]}" -H "Origin: $origin" -H 'Content-Type: application/json' \
	    -H 'X-Api-Key: not-the-key' --data-binary '{}'
	kn_is "$KN_STATUS:$KN_BODY" '401:{"error":"Invalid or missing API key."}' \
	    "$s: knocker-web: a wrong key gets the original's message (the app shows it)"
	kn_req GET "$base/verify" "${host[@]}"
	kn_is "$KN_STATUS" 200 "$s: the knocked client passes GET <base>/verify"
}

port=$(kn_port)
mkdir -p "$KN_DIR/www"
cat >"$KN_DIR/lighttpd.conf" <<LIGHTTPD
server.document-root = "$KN_DIR/www"
server.port = $port
server.bind = "127.0.0.1"
server.errorlog = "$KN_DIR/lighttpd-error.log"
server.modules = ( "mod_fastcgi" )
\$HTTP["host"] == "knock.home.example" {
  fastcgi.server = ( "/" => (( "host" => "127.0.0.1", "port" => $KN_APP_PORT,
                               "check-local" => "disable" )) )
}
LIGHTTPD
kn_ok "lighttpd starts with knocker on a host of its own" kn_start_lighttpd "$KN_DIR/lighttpd.conf"
clients lighttpd "http://127.0.0.1:$port"

port=$(kn_port)
mkdir -p "$KN_DIR/caddy"
cat >"$KN_DIR/caddy/Caddyfile" <<CADDY
{
	admin off
	auto_https off
	storage file_system $KN_DIR/caddy/data
}
http://knock.home.example:$port {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:$KN_APP_PORT {
		transport fastcgi
	}
}
CADDY
XDG_DATA_HOME=$KN_DIR/caddy/data XDG_CONFIG_HOME=$KN_DIR/caddy/config caddy run \
    --config "$KN_DIR/caddy/Caddyfile" --adapter caddyfile >>"$KN_DIR/caddy/caddy.log" 2>&1 &
kn_track $!
kn_ok "caddy starts with knocker on a host of its own" kn_wait_port 127.0.0.1 "$port" $! caddy
clients caddy "http://127.0.0.1:$port"

kn_done
