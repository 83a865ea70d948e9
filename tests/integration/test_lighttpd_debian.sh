#!/bin/bash
# conf-examples/lighttpd-05-knocker.conf in Debian's lighttpd layout: the
# installed /etc/lighttpd/lighttpd.conf and conf-available/ copied to a
# temporary directory (only ports and paths changed, bound to 127.0.0.1),
# 10-proxy.conf (and 10-fastcgi.conf) and our snippet enabled by symlinks
# as lighty-enable-mod makes them. The authorizer must run before mod_proxy:
# the reverse-proxied /app/ is 401 without a knock. The same snippet named
# to sort after 10-proxy.conf shows what the name prevents (lighttpd
# proxies without asking knocker). knocker listens on a unix socket that
# only lighttpd's group (www-data) can open.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/flows.sh"

kn_init lighttpd-debian
kn_need_bin lighttpd spawn-fcgi curl jq setpriv
[ -f /etc/lighttpd/lighttpd.conf ] && [ -d /etc/lighttpd/conf-available ] ||
    kn_bail "Debian's /etc/lighttpd (package lighttpd) is not installed"

kn_flow_www "$KN_DIR/www"
kn_ok "the backend service starts" kn_start_backend || kn_bail "no backend"
kn_make_config "$KN_DIR/knocker.json"
kn_ok "knocker starts on a unix socket (owner daemon, group www-data, 0660)" \
    kn_spawn_knocker_socket "$KN_DIR/knocker.json" 2 -U daemon -G www-data || kn_bail "no knocker"
kn_is "$(stat -c '%a %U %G' "$KN_APP_SOCKET")" "660 daemon www-data" "the socket is 0660 daemon:www-data"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
    curl -s -o /dev/null --max-time 5 --unix-socket "$KN_APP_SOCKET" http://localhost/knock 2>/dev/null
kn_is "$?" 7 "another user (nobody) cannot connect to the socket (curl: could not connect)"

# A Debian-like /etc/lighttpd under $KN_DIR/NAME/etc with SNIPPET enabled
# under the name SNIPPET, and the files of conf-available/ named after it
# enabled too. Sets ETC and PORT.
debian_layout() {	# NAME SNIPPET [ENABLED...]
	local dir=$KN_DIR/$1 snippet=$2 f
	ETC=$dir/etc
	PORT=$(kn_port)
	mkdir -p "$ETC/conf-enabled" "$dir/uploads" "$dir/log"
	cp /etc/lighttpd/lighttpd.conf "$ETC/"
	cp -r /etc/lighttpd/conf-available "$ETC/"
	KNOCKER_SOCKET=$KN_APP_SOCKET BACKEND_PORT=$KN_BACKEND_PORT WWW_DIR=$KN_DIR/www \
	    kn_render "$KN_SRC/conf-examples/lighttpd-05-knocker.conf" "$ETC/conf-available/$snippet"
	shift 2
	for f in "$snippet" "$@"; do
		ln -s "../conf-available/$f" "$ETC/conf-enabled/$f"
	done
	chown -R www-data "$dir/log" "$dir/uploads"
	sed -i -e "s|^server.document-root .*|server.document-root = \"$KN_DIR/www\"|" \
	    -e "s|^server.upload-dirs .*|server.upload-dirs = ( \"$dir/uploads\" )|" \
	    -e "s|^server.errorlog .*|server.errorlog = \"$dir/log/error.log\"|" \
	    -e "s|^server.pid-file .*|server.pid-file = \"$dir/lighttpd.pid\"|" \
	    -e "s|^server.port .*|server.port = $PORT\nserver.bind = \"127.0.0.1\"|" \
	    -e "/use-ipv6.pl/d" \
	    -e "s|/etc/lighttpd/conf-enabled/|$ETC/conf-enabled/|" "$ETC/lighttpd.conf"
}

# The check DEPLOY.md gives: the first of the two modules lighttpd loads.
first_module() {	# CONF
	lighttpd -p -f "$1" 2>&1 | grep -o '"mod_\(fastcgi\|proxy\)"' | head -n 1
}

# --- the hazard: the same snippet sorting after 10-proxy.conf ---
debian_layout late 50-knocker.conf 10-proxy.conf
kn_is "$(first_module "$ETC/lighttpd.conf")" '"mod_proxy"' \
    "named 50-knocker.conf, mod_proxy is loaded first (the check shows it)"
kn_ok "lighttpd -tt accepts it all the same" lighttpd -tt -f "$ETC/lighttpd.conf"
base=$KN_PIDS
kn_ok "Debian's lighttpd starts with 50-knocker.conf" kn_start_lighttpd "$ETC/lighttpd.conf"
kn_req GET "http://127.0.0.1:$PORT/app/x"
kn_is "$KN_STATUS:$KN_BODY" "200:BACKEND-OK" \
    "then lighttpd proxies /app/ without asking knocker (fail-open: why the snippet is 05-)"
kn_ok "that lighttpd stops" kn_stop_pid ${KN_PIDS#"$base"}
KN_PIDS=$base

# --- the shipped way: 05-knocker.conf ---
debian_layout early 05-knocker.conf 10-proxy.conf 10-fastcgi.conf
kn_is "$(first_module "$ETC/lighttpd.conf")" '"mod_fastcgi"' \
    "named 05-knocker.conf, mod_fastcgi is loaded before mod_proxy (the check shows it)"
kn_ok "Debian's lighttpd starts with 05-knocker.conf, 10-fastcgi.conf and 10-proxy.conf" \
    kn_start_lighttpd "$ETC/lighttpd.conf"
kn_like "$(ps -o user= -p "$KN_LIGHTTPD_PID")" '^www-data$' "lighttpd runs as www-data (Debian's server.username)"
URL=http://127.0.0.1:$PORT
kn_req GET "$URL/app/x"
kn_is "$KN_STATUS" 401 "the reverse-proxied /app/ is 401 without a knock"
kn_unlike "$KN_BODY" BACKEND-OK "and the backend's page is not in it"
kn_req GET "$URL/private/index.html"
kn_is "$KN_STATUS" 401 "a protected static file is 401 without a knock"
kn_req GET "$URL/private/health"
kn_is "$KN_STATUS:$KN_BODY" "200:HEALTH-OK" "the excluded path is 200"
kn_req GET "$URL/.knocker/health"
kn_is "$KN_STATUS:$KN_BODY" '200:{"status":"ok"}' "/.knocker/health answers through the socket"
kn_knock "$URL/knock"
kn_like "$KN_STATUS:$KN_BODY" '^200:\{"whitelisted_entry":"127\.0\.0\.1",' "a knock through lighttpd (www-data) and the socket"
kn_req GET "$URL/app/x"
kn_is "$KN_STATUS:$KN_BODY" "200:BACKEND-OK" "then /app/ is served"
kn_req GET "$URL/private/index.html"
kn_is "$KN_STATUS:$KN_BODY" "200:SECRET-PAGE" "and the protected file"

kn_done
