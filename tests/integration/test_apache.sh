#!/bin/bash
# conf-examples/apache2.conf: mod_authnz_fcgi asks knocker (FastCGI
# authorizer, TCP) about /private/ (static files) and /app/ (a
# reverse-proxied service); /knock goes to knocker through mod_proxy_fcgi.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/flows.sh"

kn_init apache
kn_need_bin apache2 spawn-fcgi lighttpd curl jq

# NAME CONFIG: knocker (TCP, 2 workers) and apache2 from the example.
start_apache() {
	kn_example_apache "$@"
}

kn_flow apache /knock start_apache

kn_req GET "$URL4/private/index.html" -H "X-Forwarded-For: 203.0.113.7"
kn_is "$KN_STATUS:$KN_BODY" "200:SECRET-PAGE" "apache: allowed (sanity)"
kn_unlike "$(tr -d '\r' <"$KN_HEADERS_FILE")" '^(Variable-|X-Knocker)' "apache: no authorizer header leaks into an allowed answer"
kn_req GET "$URL4/private/index.html" -H "X-Forwarded-For: 198.51.100.7"
kn_is "$KN_STATUS" 401 "apache: denied (sanity)"
kn_like "$KN_BODY" "Knock first" "apache: the 401 tells a human to knock"
kn_like "$(cat "$KN_DIR/trusted/apache-access.log")" ' knocker "GET /private/index.html ' \
    "apache: an allowed request gets the user 'knocker' (DefaultUser)"

kn_done
