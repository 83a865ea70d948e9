#!/bin/bash
# The web app (web/) in Debian's chromium, driven by playwright-core from
# npm, against a real knocker under spawn-fcgi behind real lighttpd
# (conf-examples/lighttpd.conf plus conf-examples/lighttpd-webapp.conf),
# which serves the app on a host name of its own (knock.localhost, an
# origin apart from the protected service on 127.0.0.1) and, for the
# shared-origin warning only, also under /access/ of the service's origin
# (the old layout). The browser checks are in tests/web/webapp.test.mjs;
# each one is a TAP line here.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

kn_init web
kn_need_bin lighttpd spawn-fcgi curl jq node npm
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
	kn__report 1 "chromium is installed at $CHROMIUM"
	kn_bail "chromium is missing: apt-get install chromium"
fi
# Where the phone-sized screenshot goes (docs/web-app.png is a copy of it).
SHOT=${KNOCKER_WEB_SCREENSHOT:-$KN_BUILD/tests/web/web-app.png}
mkdir -p "$(dirname "$SHOT")" "$KN_DIR/www/private"
echo "SECRET-PAGE" >"$KN_DIR/www/private/index.html"

# --- the stack ---------------------------------------------------------------------
# A third key, "long": two days' max_ttl and allowed to whitelist others.
# Successful knocks unlimited: the browser test knocks more than 20 times a
# minute.
LONG_KEY=$(kn_random_key)
kn_make_config "$KN_DIR/knocker.json" \
    '.security.knock_rate_limit.successful_requests = 0' '.api_keys[1].admin = true' \
    ".api_keys += [{\"name\": \"long\", \"key\": \"$LONG_KEY\", \"max_ttl\": 172800, \"allow_remote_whitelist\": true}]"
kn_ok "knocker starts under spawn-fcgi" kn_spawn_knocker "$KN_DIR/knocker.json" 2
PORT=$(kn_port)
HTTP_PORT=$PORT KNOCK_PORT=$KN_APP_PORT AUTHZ_PORT=$KN_APP_PORT BACKEND_PORT=$(kn_port) \
    WWW_DIR=$KN_DIR/www RUN_DIR=$KN_DIR kn_render "$KN_SRC/conf-examples/lighttpd.conf" "$KN_DIR/lighttpd.conf"
# Chromium and curl resolve *.localhost to loopback; chromium treats it as a
# secure context, as it does 127.0.0.1 (service workers need one).
WEB_DIR=$KN_SRC/web WEB_HOST=knock.localhost WEB_HOST_RE='knock\.localhost' \
    kn_render "$KN_SRC/conf-examples/lighttpd-webapp.conf" "$KN_DIR/webapp.conf"
cat >>"$KN_DIR/lighttpd.conf" <<EOF
include "$KN_DIR/webapp.conf"
# not shipped: the old layout, the app under /access/ of the service's origin
server.modules += ( "mod_alias" )
\$HTTP["host"] !~ "^knock\.localhost" { alias.url += ( "/access/" => "$KN_SRC/web/" ) }
EOF
kn_ok "lighttpd serves /knock, the service and the web app" kn_start_lighttpd "$KN_DIR/lighttpd.conf"
SERVICE=http://127.0.0.1:$PORT
APP=http://knock.localhost:$PORT
RES=(--resolve "knock.localhost:$PORT:127.0.0.1")

kn_req GET "$APP/" "${RES[@]}"
kn_is "$KN_STATUS" 200 "GET / on the app's own host serves the app"
kn_like "$(kn_header Content-Type)" '^text/html' "as text/html"
kn_like "$(kn_header Content-Security-Policy)" "script-src 'self'" "with a Content-Security-Policy"
kn_like "$(kn_header Content-Security-Policy)" "frame-ancestors 'none'" "that forbids framing the app"
kn_req GET "$APP/manifest.webmanifest" "${RES[@]}"
kn_is "$(kn_header Content-Type)" "application/manifest+json" "the manifest has its MIME type"
kn_is "$(jq -r '.icons | length' <<<"$KN_BODY")" 3 "the manifest lists three icons"
for path in /private/index.html /app/ /.knocker/health /access/ /make-icons.mjs; do
	kn_is "$(kn_http GET "$APP$path" "${RES[@]}")" 403 "the app's host serves nothing else: $path is 403"
done
kn_is "$(kn_http GET "$APP/knock" "${RES[@]}")" 401 "but /knock answers there (the app's default knock URL)"
kn_is "$(kn_http GET "$SERVICE/private/index.html")" 401 "the service's host still protects /private/"

# --- playwright-core, installed from the lock file into a scratch directory
# (the source tree may be read-only, as under make distcheck) -------------------------
NODE_DIR=$KN_DIR/node
mkdir -p "$NODE_DIR"
cp "$KN_SRC/tests/web/package.json" "$KN_SRC/tests/web/package-lock.json" "$KN_SRC"/tests/web/*.mjs "$NODE_DIR/"
if (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error) >"$KN_DIR/npm.log" 2>&1; then
	kn__report 0 "npm ci installs playwright-core from tests/web/package-lock.json"
else
	kn__report 1 "npm ci installs playwright-core from tests/web/package-lock.json"
	sed 's/^/# /' "$KN_DIR/npm.log" | tail -n 20
	kn_bail "cannot install playwright-core"
fi

# --- the browser -----------------------------------------------------------------------------
# Each *.test.mjs prints one JSON object per check ({"ok", "name", "diag"}).
run_browser_test() {	# FILE
	local results=$KN_DIR/browser-$1.jsonl rc finished=0 line name
	APP_URL=$APP SERVICE_URL=$SERVICE API_KEY=$KN_API_KEY LONG_KEY=$LONG_KEY ADMIN_KEY=$KN_ADMIN_KEY \
	    CHROMIUM=$CHROMIUM SCREENSHOT=$SHOT WHITELIST=$KN_DIR/state/whitelist.json PROFILE_PARENT=$KN_DIR \
	    timeout 180 node "$NODE_DIR/$1" >"$results" 2>"$KN_DIR/node-stderr-$1.log"
	rc=$?
	while IFS= read -r line; do
		case "$line" in
		'{'*) ;;
		*) kn_diag "$line"; continue ;;
		esac
		name=$(jq -r '.name' <<<"$line")
		if [ "$name" = "__finished__" ]; then
			finished=1
			continue
		fi
		if [ "$(jq -r '.ok' <<<"$line")" = true ]; then
			kn__report 0 "$name"
		else
			kn__report 1 "$name"
			kn_diag "$(jq -r '.diag // ""' <<<"$line")"
		fi
	done <"$results"
	kn_is "$rc:$finished" "0:1" "the browser test $1 ran to the end"
	[ "$rc" -eq 0 ] || sed 's/^/# /' "$KN_DIR/node-stderr-$1.log" | tail -n 30
}
run_browser_test webapp.test.mjs
# The admin view (an admin key) on the same stack.
kn_is "$(kn_http GET "$APP/entries" "${RES[@]}")" 401 "/entries answers on the app's host too (the admin view's URL)"
run_browser_test admin.test.mjs

# --- the screenshot -------------------------------------------------------------------------------
kn_is "$(od -An -tx1 -j12 -N12 "$SHOT" 2>/dev/null | tr -d ' \n')" "494844520000030c00000698" \
    "the screenshot is a 780x1688 PNG (390x844 at 2x)"
kn_diag "screenshot: $SHOT"

kn_done
