# Helpers for the robustness tests (bash, sourced after lib.sh).

# Starts knocker (spawn-fcgi, WORKERS) with CONFIG behind lighttpd from
# conf-examples/lighttpd.conf; sets URL (http://127.0.0.1:PORT) and URL6.
kn_stack() {	# CONFIG WORKERS [extra spawn-fcgi args...]
	local conf=$1 n=$2 port
	shift 2
	kn_spawn_knocker "$conf" "$n" || return 1
	mkdir -p "$KN_DIR/www/private" "$KN_DIR/run-$KN_APP_PORT"
	[ -f "$KN_DIR/www/private/index.html" ] || echo SECRET-PAGE >"$KN_DIR/www/private/index.html"
	[ -f "$KN_DIR/www/private/health" ] || echo HEALTH-OK >"$KN_DIR/www/private/health"
	port=$(kn_port)
	HTTP_PORT=$port KNOCK_PORT=$KN_APP_PORT AUTHZ_PORT=$KN_APP_PORT BACKEND_PORT=1 \
	    WWW_DIR=$KN_DIR/www RUN_DIR=$KN_DIR/run-$KN_APP_PORT \
	    kn_render "$KN_SRC/conf-examples/lighttpd.conf" "$KN_DIR/lighttpd-$KN_APP_PORT.conf"
	kn_start_lighttpd "$KN_DIR/lighttpd-$KN_APP_PORT.conf" || return 1
	URL=http://127.0.0.1:$port
	URL6=http://[::1]:$port
}

# Verify through lighttpd's authorizer for a client named by X-Forwarded-For
# (knocker must trust 127.0.0.1). Prints the status.
kn_verify_as() {	# URL CLIENT-IP
	kn_http GET "$1/private/index.html" -H "X-Forwarded-For: $2"
}

# Knock for a client named by X-Forwarded-For. Prints the status.
kn_knock_as() {	# URL CLIENT-IP
	curl -g -s -o /dev/null -w '%{http_code}' --max-time 20 -H "X-Api-Key: $KN_API_KEY" \
	    -H "X-Forwarded-For: $2" --data-binary '' "$1/knock"
}

# True if the whitelist file parses as a JSON object of numbers.
kn_whitelist_parses() {	# FILE
	jq -e 'type == "object" and ([.[] | type == "number"] | all)' "$1" >/dev/null 2>&1
}
