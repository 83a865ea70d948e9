#!/bin/bash
# docs/DEPLOY.md "Who may talk to knocker", Apache: mod_authnz_fcgi reaches
# knocker over TCP only, so an nftables rule lets only Apache's user connect
# to knocker's port. The three nft lines are taken from DEPLOY.md (Apache's
# user and knocker's port filled in) and loaded in a private network
# namespace (unshare -n: the host's firewall is never touched), in front of
# the Apache example: Apache (user nobody) still asks knocker, another user
# (daemon) and root are refused.
if [ -z "${KN_IN_NETNS-}" ]; then
	KN_IN_NETNS=1 exec unshare -n "$BASH" "$0" "$@"
fi
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/flows.sh"

kn_init apache-port
kn_need_bin apache2 spawn-fcgi lighttpd curl jq nft ip setpriv
kn_ok "loopback is up in the test's own network namespace" ip link set lo up

kn_flow_www "$KN_DIR/www"
kn_ok "the backend service starts" kn_start_backend || kn_bail "no backend"
kn_make_config "$KN_DIR/knocker.json"
kn_ok "the Apache example starts (User nobody, knocker on TCP)" kn_example_apache apache "$KN_DIR/knocker.json" ||
    kn_bail "apache did not start"

# connect PORT as USER (root: no setpriv): 0 if the connection is accepted
connect_as() {	# USER PORT
	local cmd=(bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$2")
	[ "$1" = root ] || cmd=(setpriv --reuid="$1" --regid="$(id -gn "$1")" --clear-groups "${cmd[@]}")
	"${cmd[@]}" 2>/dev/null
}
refused_as() {	# USER PORT
	! connect_as "$@"
}
kn_ok "before the rule, another user (daemon) can connect to knocker's port" connect_as daemon "$KN_APP_PORT"

rules=$(sed -n 's/^ *\(nft add .*knocker_port.*\)$/\1/p' "$KN_SRC/docs/DEPLOY.md")
kn_is "$(printf '%s\n' "$rules" | wc -l)" 3 "DEPLOY.md has the three nft lines"
rules=$(printf '%s\n' "$rules" | sed -e "s/skuid != www-data/skuid != nobody/" -e "s/dport 9000/dport $KN_APP_PORT/")
out=$(eval "$rules" 2>&1)
kn_is "$?:$out" "0:" "they load (Apache's user nobody, port $KN_APP_PORT)"

kn_req GET "$URL4/private/index.html"
kn_is "$KN_STATUS" 401 "Apache still asks knocker: 401 before a knock"
kn_knock "$URL4/knock"
kn_is "$KN_STATUS" 200 "a knock through Apache (mod_proxy_fcgi, as nobody) is 200"
kn_req GET "$URL4/private/index.html"
kn_is "$KN_STATUS:$KN_BODY" "200:SECRET-PAGE" "then Apache's check (mod_authnz_fcgi, as nobody) allows"
kn_ok "another user (daemon) cannot connect to knocker's port" refused_as daemon "$KN_APP_PORT"
kn_ok "nor can root (only nobody's connections pass)" refused_as root "$KN_APP_PORT"
kn_ok "nobody can" connect_as nobody "$KN_APP_PORT"

kn_done
