#!/bin/bash
# The deployment flow every server test runs (flows.sh: deny, knock, allow,
# expiry, exclusions, IPv6, X-Forwarded-For through a trusted proxy) with
# the whitelist in Redis instead of the file: both backends pass the same
# behavioural test. lighttpd from conf-examples, knocker under spawn-fcgi.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/flows.sh"
. "$KN_SRC/tests/integration/redis_lib.sh"

kn_init redis-flow
kn_need_bin lighttpd spawn-fcgi curl jq
kn_redis_init
kn_ok "redis-server starts (loopback, ACL user, no persistence)" kn_redis_start || kn_bail "no redis-server"
KN_CONFIG_FILTER=$(kn_redis_filter)
export KN_CONFIG_FILTER

kn_flow lighttpd-redis /knock kn_example_lighttpd

# The flow's knocks are in Redis, not in a file.
kn_like "$(kn_redis_cli ZRANGE whitelist.json:index 0 -1)" '::1' \
    "the plain deployment's entries are in Redis (its prefix: whitelist.json:)"
kn_like "$(kn_redis_cli ZRANGE trusted-whitelist.json:index 0 -1)" '203\.0\.113\.7' \
    "the trusted deployment's are under its own prefix"
kn_is "$(ls "$KN_DIR/state" | grep -c '^whitelist\.json$')" 0 "no whitelist file was written"

kn_done
