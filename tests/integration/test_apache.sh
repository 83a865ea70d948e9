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

# Rewrites (SECURITY.md, "Apache rewrites"): mod_authnz_fcgi gives knocker
# the URI of the request line as REQUEST_URI, never the result of a rewrite.
# An internal rewrite of the excluded /private/health onto protected content
# is therefore let in, as docs/DEPLOY.md says; an external redirect ([R]) is
# a new request that knocker checks.
kn_make_config "$KN_DIR/rewrite.json" ".whitelist.storage_path = \"$KN_DIR/state/rewrite.json\""
KN_APACHE_SITE_LINES='LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so
RewriteEngine On
RewriteRule "^/private/health/secret$" "/private/index.html" [PT]
RewriteRule "^/private/health/moved$" "/private/index.html" [R=302]' \
    kn_ok "apache: the example with a site's rewrite rules starts" kn_example_apache rewrite "$KN_DIR/rewrite.json"
kn_req GET "$URL4/private/index.html"
kn_is "$KN_STATUS" 401 "apache+rewrite: the protected file is 401 without a knock"
kn_req GET "$URL4/private/health/secret"
kn_is "$KN_STATUS:$KN_BODY" "200:SECRET-PAGE" \
    "apache+rewrite: an internal rewrite from an excluded path serves the protected file (knocker saw /private/health/secret)"
kn_req GET "$URL4/private/health/moved" -L
kn_is "$KN_STATUS" 401 "apache+rewrite: an external redirect from an excluded path is checked again: 401"
kn_unlike "$KN_BODY" SECRET-PAGE "apache+rewrite: and the file is not served"

# What closes it: the exclusion in Apache instead of knocker. Apache matches
# <Location> on the path after its rewrites; knocker (no excluded_paths now)
# decides on the rest.
kn_make_config "$KN_DIR/rewrite2.json" ".whitelist.storage_path = \"$KN_DIR/state/rewrite2.json\"" \
    '.security.excluded_paths = []'
KN_APACHE_SITE_LINES='LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so
RewriteEngine On
RewriteRule "^/private/health/secret$" "/private/index.html" [PT]
<Location "/private/health">
    Require all granted
</Location>' \
    kn_ok "apache: the example with the exclusion in Apache and the same rewrite starts" \
    kn_example_apache rewrite2 "$KN_DIR/rewrite2.json"
kn_req GET "$URL4/private/health"
kn_is "$KN_STATUS:$KN_BODY" "200:HEALTH-OK" "apache+exclusion in Apache: the excluded path is 200 without a knock"
kn_req GET "$URL4/private/health/secret"
kn_is "$KN_STATUS" 401 "apache+exclusion in Apache: the internal rewrite onto protected content is 401"
kn_unlike "$KN_BODY" SECRET-PAGE "apache+exclusion in Apache: and the file is not served"
kn_req GET "$URL4/private/index.html"
kn_is "$KN_STATUS" 401 "apache+exclusion in Apache: the protected file is 401"

kn_done
