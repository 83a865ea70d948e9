#!/bin/bash
# knocker as a CGI program under REAL Apache mod_cgi (issue 10 item 6).
# mod_cgi turns a query string without '=' into command-line arguments
# (the PHP-CGI CVE-2012-1823 class): GET /health?-t would run knocker's
# checker, GET /health?-c+/etc/passwd would point it at another file. A CGI
# knocker ignores its command line: every such request gets the normal
# answer of the endpoint.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

kn_init cgi-apache
kn_need_bin apache2 setsid curl jq

# Apache runs CGI programs as nobody: the state and the config are theirs.
chown nobody:nogroup "$KN_DIR/state"
chmod 700 "$KN_DIR/state"
chmod 1777 "$KN_DIR"	# sanitizer reports from CGI processes run as nobody
kn_make_config "$KN_DIR/knocker.json"
chown nobody:nogroup "$KN_DIR/knocker.json"
echo SECRET-CONFIG-LINE >"$KN_DIR/other.json"
chmod 644 "$KN_DIR/other.json"

run=$KN_DIR/apache
mkdir -p "$run"
port=$(kn_port)
cat >"$run/apache2.conf" <<EOF
ServerRoot "$run"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$run/httpd.pid"
DefaultRuntimeDir "$run"
Mutex file:$run default
ErrorLog "$run/apache-error.log"
LogLevel warn
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module  /usr/lib/apache2/modules/mod_authz_core.so
LoadModule alias_module       /usr/lib/apache2/modules/mod_alias.so
LoadModule env_module         /usr/lib/apache2/modules/mod_env.so
LoadModule cgi_module         /usr/lib/apache2/modules/mod_cgi.so
User nobody
Group nogroup
DocumentRoot "$KN_DIR/www"
# The endpoint is the last segment of SCRIPT_NAME: /health and /ready.
ScriptAlias /health "$KNOCKER"
ScriptAlias /ready "$KNOCKER"
SetEnv KNOCKER_CONFIG "$KN_DIR/knocker.json"
SetEnv ASAN_OPTIONS "log_path=$KN_DIR/sanitizer"
SetEnv UBSAN_OPTIONS "log_path=$KN_DIR/sanitizer:print_stacktrace=1"
<Location "/">
    Require all granted
</Location>
EOF
out=$(apache2 -t -f "$run/apache2.conf" 2>&1)
kn_is "$?" 0 "apache2 -t accepts the mod_cgi config" || kn_diag "$out"
# Its own session: prefork signals its whole process group on shutdown.
setsid apache2 -f "$run/apache2.conf" -DFOREGROUND 2>>"$run/apache-stderr.log" &
kn_track $!
kn_wait_port 127.0.0.1 "$port" $! apache2 || kn_bail "apache2 did not start"
URL=http://127.0.0.1:$port

kn_req GET "$URL/health"
kn_is "$KN_STATUS:$KN_BODY" '200:{"status":"ok"}' "mod_cgi: /health answers 200"
kn_req GET "$URL/ready"
kn_is "$KN_STATUS:$KN_BODY" '200:{"status":"ok"}' "mod_cgi: /ready answers 200 (the CGI, as nobody, reads the store)"

# Each query string becomes argv for mod_cgi ('+' separates arguments).
for q in '-t' '-c+/etc/passwd' "-c+$KN_DIR/other.json" '-V' '-h' '-t+-u+root' '--' '-x'; do
	kn_req GET "$URL/health?$q"
	kn_is "$KN_STATUS:$KN_BODY" '200:{"status":"ok"}' "mod_cgi: /health?$q is the normal answer, not the command line's"
done
kn_req GET "$URL/ready?-c+/etc/passwd"
kn_is "$KN_STATUS:$KN_BODY" '200:{"status":"ok"}' "mod_cgi: /ready?-c+/etc/passwd still uses KNOCKER_CONFIG"
errors=$(cat "$run/apache-error.log" "$run/apache-stderr.log" 2>/dev/null)
kn_unlike "$errors" 'malformed header|usage: knocker|knocker [0-9]|: ok$|SECRET-CONFIG' \
    "mod_cgi: knocker printed no checker, version or usage output"

kn_done
