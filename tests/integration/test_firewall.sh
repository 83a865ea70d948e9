#!/bin/bash
# knocker-firewall end to end, with real nftables in network namespaces
# this test makes (veth pairs; documentation addresses only):
#
#   cli  192.0.2.2, .66, .130        2001:db8::2, ::1:66, ::2:66
#    |  veth
#   srv  192.0.2.1  2001:db8::1      lighttpd + spawn-fcgi knocker (knocks),
#    |  veth                         TCP 2222 and UDP 5151 echo services,
#   ctr  198.51.100.2 (gw .1)        knocker-firewall; a "container" behind a
#                                    Docker-style DNAT of srv:8080 to ctr:80
#
# Every reachability answer is a real packet exchange from cli (bound to
# one of its addresses); every set and table claim is read back from
# `nft list` / `nft -j list`.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/fw_lib.sh"

kn_init firewall
export LC_ALL=C
kn_need_bin ip nft python3 spawn-fcgi lighttpd curl jq setpriv
FW=${KNOCKER_FIREWALL:-$KN_BUILD/knocker-firewall}
[ -x "$FW" ] || kn_bail "knocker-firewall not found at $FW"
[ "$(id -u)" = 0 ] || kn_bail "this test makes network namespaces: run it as root (CI does)"

fw_net kfw
fw_netns CTR ctr
fw_netns CAP cap
ip link add kfwd$SFX netns "$CTR" type veth peer name kfwb$SFX netns "$SRV" || kn_bail "veth failed"
ip -n "$SRV" link set kfwb$SFX name br0
ip -n "$CTR" link set kfwd$SFX name eth0
ip -n "$SRV" addr add 198.51.100.1/24 dev br0
ip -n "$CTR" addr add 198.51.100.2/24 dev eth0
ip -n "$CTR" link set eth0 up
ip -n "$SRV" link set br0 up
ip -n "$CTR" route add default via 198.51.100.1
ip -n "$CLI" route add 198.51.100.0/24 via 192.0.2.1
in_srv sysctl -qw net.ipv4.ip_forward=1

fw_peer
start_bg "$SRV" python3 "$PEER" tcp-serve 2222
start_bg "$SRV" python3 "$PEER" udp-serve 5151
start_bg "$CTR" python3 "$PEER" tcp-serve 80
start_bg "$CLI" python3 "$PEER" tcp-serve 2222

kn_is "$(fw_wait_probes "tcp 192.0.2.130 192.0.2.1 2222" "udp 192.0.2.130 192.0.2.1 5151" "tcp 2001:db8::2:66 2001:db8::1 2222")" \
    "OK OK OK" "without knocker-firewall the services answer (the test network works)"
kn_is "$(probe tcp 192.0.2.130 192.0.2.1 8080)" FAIL "port 8080 is closed before the Docker-style DNAT rule"

# Docker's rules, as Docker (iptables-nft) writes them: table ip nat,
# PREROUTING jumps to DOCKER for local destinations, DOCKER DNATs the
# published port to the container.
in_srv nft -f - <<'EOF' || kn_bail "the Docker-style nat table does not load"
table ip nat {
	chain DOCKER {
		iifname != "br0" tcp dport 8080 dnat to 198.51.100.2:80
	}
	chain PREROUTING {
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local counter jump DOCKER
	}
}
EOF
kn_is "$(probe tcp 192.0.2.130 192.0.2.1 8080)" OK "the published port 8080 reaches the container through the DNAT"
# Somebody else's table, which must come through untouched.
in_srv nft -f - <<'EOF' || kn_bail "the other table does not load"
table inet other {
	set friends { type ipv4_addr; elements = { 203.0.113.9 } }
	chain input {
		type filter hook input priority 10; policy accept;
		ip saddr @friends tcp dport 2222 counter accept
		tcp dport 9999 counter drop
	}
}
EOF
other_before=$(in_srv nft -s list table inet other; in_srv nft -s list table ip nat)

# --- knocker behind lighttpd, in the server namespace ---------------------------
kn_make_config "$KN_DIR/knocker.json" \
    '.firewall = {"table": "knocker", "ports": ["2222/tcp", "5151/udp"], "docker": false}'
fw_start_knocker "$KN_DIR/knocker.json"

WL=$KN_DIR/state/whitelist.json
# An outside edit of the whitelist (what an admin or a future
# "knockerctl revoke" does): a new file, then an atomic rename as the store does.
wl_write() {	# TEXT
	local tmp=$KN_DIR/state/.edit.tmp
	printf '%s' "$1" >"$tmp"
	chmod 600 "$tmp"
	mv "$tmp" "$WL"
}
wl_edit() {	# jq-filter
	local text
	text=$({ [ -s "$WL" ] && cat "$WL" || echo '{}'; } | jq -c "$1") || kn_bail "jq $1 failed"
	wl_write "$text"
}

# --- -n and config errors --------------------------------------------------------
out=$("$FW" -n -c "$KN_DIR/knocker.json")
kn_is "$?" 0 "-n prints the ruleset and exits 0 without touching the kernel"
kn_like "$out" $'chain guard \\{\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 2222 jump check\n\t\tudp dport 5151 jump check\n' \
    "-n: the guard chain sends TCP 2222 and UDP 5151 to the check"
kn_is "$(in_srv nft list tables | grep -c knocker)" 0 "-n: no table was created"
kn_ok "-n: its output is a valid nft script (nft -c -f)" in_srv nft -c -f - <<<"$out"

kn_make_config "$KN_DIR/badport.json" '.firewall = {"ports": ["22/tcp", "ssh"]}'
out=$("$FW" -n -c "$KN_DIR/badport.json" 2>&1)
kn_is "$?" 1 "a bad port exits 1"
kn_like "$out" 'firewall\.ports\[1\]: unknown port syntax "ssh"' "and the error names the key"
kn_make_config "$KN_DIR/nofw.json"
out=$("$FW" -n -c "$KN_DIR/nofw.json" 2>&1)
kn_like "$?:$out" '^1:.*firewall: missing' "a config without a firewall section is refused, naming the section"
out=$(ip netns exec "$CAP" setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
    --bounding-set=-all "$FW" -c "$KN_DIR/knocker.json" 2>&1)
kn_like "$?:$out" '^1:knocker-firewall: missing capability CAP_NET_ADMIN' "without CAP_NET_ADMIN it refuses to start and says why"
in_srv nft add table inet knocker
out=$(in_srv "$FW" -c "$KN_DIR/knocker.json" 2>&1)
kn_like "$?:$out" "^1:.*firewall\\.table: table inet knocker already exists and was not made by knocker-firewall" \
    "a table of the same name that is not ours: refused, naming firewall.table"
kn_is "$(in_srv nft list table inet knocker | tr -d '\n\t ')" "tableinetknocker{}" "and that table is left as it was"
in_srv nft delete table inet knocker

# --- no knock: closed -------------------------------------------------------------
kn_ok "knocker-firewall starts in the server namespace" start_fw "$KN_DIR/knocker.json" || kn_bail "no firewall"
json=$(in_srv nft -j list table inet knocker)
kn_is "$(jq -r '.nftables[] | select(.chain.name == "guard") | .chain | "\(.type) \(.hook) \(.prio) \(.policy)"' <<<"$json")" \
    "filter input 0 accept" "nft -j: the guard chain is a filter chain on input"
kn_is "$(jq -r '[.nftables[] | select(.set) | "\(.set.name):\(.set.flags | join(","))"] | join(" ")' <<<"$json")" \
    "allow4:interval,timeout allow6:interval,timeout always4:interval always6:interval" \
    "nft -j: whitelist sets have interval+timeout, always sets interval only"
kn_like "$(in_srv nft list table inet knocker)" $'^table inet knocker \\{\n\tcomment "managed by knocker-firewall"' \
    "the table carries its owner comment"
kn_is "$(probe tcp 192.0.2.2 192.0.2.1 2222) $(probe udp 192.0.2.2 192.0.2.1 5151)" "FAIL FAIL" \
    "before a knock the client cannot reach TCP 2222 nor UDP 5151"
kn_is "$(probe tcp 2001:db8::2 2001:db8::1 2222) $(probe udp 2001:db8::2 2001:db8::1 5151)" "FAIL FAIL" \
    "nor over IPv6"
kn_is "$(in_cli curl -s -o /dev/null -w '%{http_code}' -H "X-Api-Key: $KN_API_KEY" "http://192.0.2.1:$LISTEN_PORT/knock")" 200 \
    "the knock endpoint itself stays reachable"
kn_is "$(in_srv python3 "$PEER" tcp 127.0.0.1 2222 127.0.0.1)" OK "loopback is never blocked"
kn_is "$(ip netns exec "$CTR" python3 "$PEER" tcp 192.0.2.2 2222 198.51.100.2)" OK \
    "traffic routed through the host to another host's port 2222 is not touched"

# --- knock (IPv4): open --------------------------------------------------
ans=$(knock 4)
kn_like "$ans" '^\{"whitelisted_entry":"192\.0\.2\.2","expires_at":[0-9]+,' "a knock through lighttpd whitelists 192.0.2.2"
kn_is "$(wait_elems allow4 192.0.2.2)" 192.0.2.2 "soon after the knock the allow4 set holds 192.0.2.2"
kn_like "$(in_srv nft list set inet knocker allow4)" '192\.0\.2\.2 timeout (59m[0-9]+s|1h)' \
    "its timeout is the entry's remaining TTL (3600 s)"
kn_is "$(probe tcp 192.0.2.2 192.0.2.1 2222) $(probe udp 192.0.2.2 192.0.2.1 5151)" "OK OK" \
    "after the knock 192.0.2.2 reaches TCP 2222 and UDP 5151"
kn_is "$(probe tcp 192.0.2.130 192.0.2.1 2222) $(probe udp 192.0.2.130 192.0.2.1 5151)" "FAIL FAIL" \
    "another address of the same client host is still dropped"
kn_is "$(probe tcp 2001:db8::2 2001:db8::1 2222)" FAIL "and the IPv6 address needs its own knock"

# --- knock (IPv6) -------------------------------------------------------------------
ans=$(knock 6)
kn_like "$ans" '^\{"whitelisted_entry":"2001:db8::2",' "an IPv6 knock whitelists 2001:db8::2"
kn_is "$(wait_elems allow6 2001:db8::2)" 2001:db8::2 "soon after the knock the allow6 set holds it"
kn_is "$(probe tcp 2001:db8::2 2001:db8::1 2222) $(probe udp 2001:db8::2 2001:db8::1 5151)" "OK OK" \
    "2001:db8::2 reaches both services over IPv6"
kn_is "$(probe tcp 2001:db8::2:66 2001:db8::1 2222)" FAIL "another IPv6 address is still dropped"

# --- expiry -------------------------------------------------------------------------
# ttl 4, not less: expiry is in whole seconds, so up to a second of it may
# be gone at the knock, and a busy machine may take the rest before the
# firewall is seen to apply it (nft then prints "950ms", or nothing at all).
ans=$(knock 4 '{"ttl":4}' "$KN_ADMIN_KEY")
kn_like "$ans" '"expires_in_seconds":4\}$' "a knock with ttl 4 shortens the entry"
kn_like "$(wait_like allow4 '192\.0\.2\.2 timeout ([1-4]s|[0-9]{1,3}ms)')" \
    '192\.0\.2\.2 timeout ([1-4]s|[0-9]{1,3}ms)' "the set element's timeout follows (at most 4 s)"
sleep 4.5
kn_is "$(elems allow4)" "" "after expiry the kernel has dropped the element (whitelist.json still lists it)"
kn_like "$(jq -r '."192.0.2.2"' "$WL")" '^[0-9]+$' "(the expired entry is still in the file)"
kn_is "$(probe tcp 192.0.2.2 192.0.2.1 2222) $(probe udp 192.0.2.2 192.0.2.1 5151)" "FAIL FAIL" \
    "after expiry 192.0.2.2 is dropped again"
kn_is "$(probe tcp 2001:db8::2 2001:db8::1 2222)" OK "2001:db8::2's own entry still admits it"

# --- revoke by an outside edit: also ends an established connection ------------------
knock 4 >/dev/null
kn_is "$(wait_elems allow4 192.0.2.2)" 192.0.2.2 "a new knock puts 192.0.2.2 back"
coproc SESSION { in_cli python3 "$PEER" session 192.0.2.1 2222 192.0.2.2; }
read -r -t 20 first <&"${SESSION[0]}"
kn_is "$first" OK "a TCP session from 192.0.2.2 is open"
wl_edit 'del(."192.0.2.2")'
kn_is "$(wait_elems allow4 "")" "" "soon after the entry leaves whitelist.json the set is empty"
echo >&"${SESSION[1]}"
read -r -t 20 second <&"${SESSION[0]}"
kn_is "$second" FAIL "the established session gets no answer after the revoke (every packet is checked)"
wait $SESSION_PID 2>/dev/null
kn_is "$(probe tcp 192.0.2.2 192.0.2.1 2222)" FAIL "new connections from the revoked address are dropped"

# --- CIDR entries -------------------------------------------------------------------
exp=$(($(date +%s) + 600))
wl_edit ". + {\"192.0.2.64/26\": $exp, \"2001:db8::1:0/112\": $exp}"
kn_is "$(wait_elems allow4 192.0.2.64/26)" 192.0.2.64/26 "a CIDR entry becomes one interval element"
kn_is "$(probe tcp 192.0.2.66 192.0.2.1 2222) $(probe udp 192.0.2.66 192.0.2.1 5151)" "OK OK" \
    "192.0.2.66 inside 192.0.2.64/26 is admitted"
kn_is "$(probe tcp 192.0.2.130 192.0.2.1 2222) $(probe tcp 192.0.2.2 192.0.2.1 2222)" "FAIL FAIL" \
    "192.0.2.130 and 192.0.2.2, outside it, are not"
kn_is "$(wait_elems allow6 "2001:db8::1:0/112 2001:db8::2")" "2001:db8::1:0/112 2001:db8::2" "the IPv6 CIDR is in allow6"
kn_is "$(probe tcp 2001:db8::1:66 2001:db8::1 2222) $(probe tcp 2001:db8::2:66 2001:db8::1 2222)" "OK FAIL" \
    "2001:db8::1:66 inside 2001:db8::1:0/112 is admitted, 2001:db8::2:66 outside is not"
# Nested entries with different expiries (an interval set refuses overlaps).
wl_edit ". + {\"192.0.2.66\": $((exp + 600))}"
kn_like "$(wait_like allow4 '192\.0\.2\.66 timeout 1[89]m')" '192\.0\.2\.66 timeout 1[89]m' \
    "a host inside the CIDR with a later expiry gets its own element"
kn_is "$(probe tcp 192.0.2.66 192.0.2.1 2222) $(probe tcp 192.0.2.130 192.0.2.1 2222)" "OK FAIL" \
    "the nested entries admit what they should and no more"

# --- a whitelist that does not parse keeps the last good sets ------------------------
before=$(elems allow4)
printf '{"192.0.2.130": oops' >"$KN_DIR/state/.bad"
chmod 600 "$KN_DIR/state/.bad"
mv "$KN_DIR/state/.bad" "$WL"
for i in $(seq 1 200); do grep -q 'WHITELIST NOT APPLIED' "$FWLOG" && break; sleep 0.05; done
kn_like "$(cat "$FWLOG")" 'error: firewall: WHITELIST NOT APPLIED: .*whitelist\.json: not a valid whitelist file' \
    "an unparsable whitelist is logged as an error"
kn_is "$(elems allow4)" "$before" "and the sets keep the last good whitelist"
kn_is "$(probe tcp 192.0.2.66 192.0.2.1 2222)" OK "so 192.0.2.66 still gets in"
wl_write "{\"192.0.2.64/26\": $exp}"
kn_is "$(wait_elems allow4 192.0.2.64/26)" 192.0.2.64/26 "a good file is applied again"

# --- hands off other tables; a deleted or edited table comes back ---------------------
kn_is "$(in_srv nft -s list table inet other; in_srv nft -s list table ip nat)" "$other_before" \
    "the other tables' rules and sets are exactly as before"
in_srv nft delete table inet knocker
for i in $(seq 1 100); do [ "$(elems allow4)" = 192.0.2.64/26 ] && break; sleep 0.1; done
kn_is "$(elems allow4)" 192.0.2.64/26 "a table deleted by hand is recreated, with its elements"
kn_is "$(probe tcp 192.0.2.130 192.0.2.1 2222) $(probe tcp 192.0.2.66 192.0.2.1 2222)" "FAIL OK" \
    "and enforces again"
in_srv nft flush chain inet knocker check
# The full comparison runs every 5 s (listing the table costs its elements).
for i in $(seq 1 150); do in_srv nft list chain inet knocker check | grep -q 'counter.*drop' && break; sleep 0.1; done
kn_is "$(probe tcp 192.0.2.130 192.0.2.1 2222)" FAIL "a chain flushed by hand is restored"
kn_like "$(cat "$FWLOG")" 'table inet knocker was changed outside knocker-firewall' "the change is logged"
kn_like "$(cat "$FWLOG")" 'table inet knocker was deleted outside knocker-firewall' "the deletion is logged"

# --- stop, change while stopped, restart: converges ----------------------------------
stop_fw
kn_is "$FW_RC" 0 "SIGTERM: exits 0"
kn_like "$(in_srv nft list table inet knocker)" 'chain check' "its table stays in place after a stop"
wl_edit "del(.\"192.0.2.64/26\") + {\"192.0.2.130\": $exp}"
kn_ok "it starts again" start_fw "$KN_DIR/knocker.json"
kn_is "$(elems allow4)" 192.0.2.130 "at start the table is rebuilt from the store: only what the file holds now"
kn_is "$(probe tcp 192.0.2.130 192.0.2.1 2222) $(probe tcp 192.0.2.66 192.0.2.1 2222)" "OK FAIL" \
    "and it is enforced"
kill -KILL "$FW_PID"
wait "$FW_PID" 2>/dev/null
wl_edit "del(.\"192.0.2.130\") + {\"192.0.2.2\": $exp}"
kn_ok "after a crash (SIGKILL) it starts again" start_fw "$KN_DIR/knocker.json"
kn_is "$(elems allow4)" 192.0.2.2 "and converges to the store"

# --- Docker: the published port is only covered with "docker": true ------------------
kn_make_config "$KN_DIR/docker-off.json" '.firewall = {"ports": ["2222/tcp", "8080/tcp"], "docker": false}'
kn_make_config "$KN_DIR/docker-on.json" '.firewall = {"ports": ["2222/tcp", "8080/tcp"], "docker": true}'
stop_fw
kn_ok "docker false: starts" start_fw "$KN_DIR/docker-off.json"
kn_is "$(probe tcp 192.0.2.130 192.0.2.1 8080)" OK \
    "docker false: the DNATed port 8080 is NOT covered (the packet is forwarded, never reaches input)"
kn_is "$(probe tcp 192.0.2.130 192.0.2.1 2222)" FAIL "docker false: the local port is"
stop_fw
kn_ok "docker true: starts" start_fw "$KN_DIR/docker-on.json"
json=$(in_srv nft -j list chain inet knocker guard)
kn_is "$(jq -r '.nftables[] | select(.chain) | .chain | "\(.hook) \(.prio)"' <<<"$json")" "prerouting -150" \
    "docker true: nft -j shows the guard chain on prerouting at -150, before Docker's dstnat (-100)"
kn_is "$(probe tcp 192.0.2.130 192.0.2.1 8080)" FAIL "docker true: the published port is dropped for 192.0.2.130"
kn_is "$(probe tcp 192.0.2.2 192.0.2.1 8080)" OK "docker true: and reachable for the whitelisted 192.0.2.2"
kn_is "$(probe tcp 192.0.2.130 192.0.2.1 2222) $(probe tcp 192.0.2.2 192.0.2.1 2222)" "FAIL OK" \
    "docker true: local services are guarded too"
kn_is "$(ip netns exec "$CTR" python3 "$PEER" tcp 192.0.2.2 2222 198.51.100.2)" OK \
    "docker true: a container's own outgoing connection to a guarded port elsewhere passes"
kn_is "$(in_srv nft -s list table inet other; in_srv nft -s list table ip nat)" "$other_before" \
    "after every restart the other tables are still exactly as before"
stop_fw
kn_is "$FW_RC" 0 "docker true: SIGTERM exits 0"

# --- the systemd unit; only CAP_NET_ADMIN, as the workers' user ------------------------
UNIT=$KN_SRC/conf-examples/knocker-firewall.service
for want in 'Type=exec' 'User=knocker' 'AmbientCapabilities=CAP_NET_ADMIN' 'CapabilityBoundingSet=CAP_NET_ADMIN' \
    'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ReadOnlyPaths=/var/lib/knocker'; do
	kn_ok "unit: $want" grep -qx "$want" "$UNIT"
done
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
kn_is "$exec_start" "/usr/local/sbin/knocker-firewall -c /etc/knocker/knocker.json" "unit: ExecStart runs it in the foreground"
if command -v systemd-analyze >/dev/null 2>&1; then
	# Documentation= names the man page, which is not installed here.
	sed -e "s|/usr/local/sbin/knocker-firewall|$FW|" -e '/^Documentation=/d' "$UNIT" >"$KN_DIR/knocker-firewall.service"
	out=$(systemd-analyze verify "$KN_DIR/knocker-firewall.service" 2>&1)
	kn_is "$?:$out" "0:" "unit: systemd-analyze verify finds nothing to complain about"
else
	kn_diag "systemd-analyze is not installed: unit syntax not verified"
fi
mkdir -m 700 "$KN_DIR/capstate"
chown nobody:nogroup "$KN_DIR/capstate"
kn_make_config "$KN_DIR/cap.json" ".whitelist.storage_path = \"$KN_DIR/capstate/whitelist.json\"" \
    '.firewall = {"ports": ["22/tcp", "40000/udp", "40001-40002/udp"]}' ".log.target = \"stderr\""
chown nobody:nogroup "$KN_DIR/cap.json"
printf '{"192.0.2.9": %s}' "$exp" >"$KN_DIR/capstate/whitelist.json"
chown nobody:nogroup "$KN_DIR/capstate/whitelist.json"
chmod 600 "$KN_DIR/capstate/whitelist.json"
ip netns exec "$CAP" sysctl -qw net.ipv4.ip_local_port_range="32768 60999" \
    net.ipv4.ip_local_reserved_ports=40001-40002
# The unit's User=, AmbientCapabilities= and CapabilityBoundingSet=, by setpriv.
cmd=${exec_start//\/usr\/local\/sbin\/knocker-firewall/$FW}
cmd=${cmd//\/etc\/knocker\/knocker.json/$KN_DIR/cap.json}
ip netns exec "$CAP" setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all,+net_admin \
    --ambient-caps=-all,+net_admin --bounding-set=-all,+net_admin $cmd >>"$KN_DIR/cap.log" 2>&1 &
CAP_PID=$!
kn_track $CAP_PID
for i in $(seq 1 150); do
	ip netns exec "$CAP" nft list set inet knocker allow4 2>/dev/null | grep -q 192.0.2.9 && break
	sleep 0.1
done
kn_like "$(ip netns exec "$CAP" nft list set inet knocker allow4 2>&1)" '192\.0\.2\.9 timeout' \
    "the unit's command as nobody with only CAP_NET_ADMIN (ambient) loads the table from the workers' store"
kn_is "$(awk '/^CapEff:/ {print $2}' /proc/$CAP_PID/status)" 0000000000001000 "and holds no other capability"
kn_like "$(cat "$KN_DIR/cap.log")" 'warn: firewall: firewall\.ports\[1\] \(40000/udp\) lies in the local ephemeral port range 32768-60999: .* reserve it: add 40000 to net\.ipv4\.ip_local_reserved_ports' \
    "a guarded port the kernel may give to outgoing connections is warned about, naming the key"
kn_unlike "$(cat "$KN_DIR/cap.log")" 'firewall\.ports\[[02]\]' "ports outside that range or reserved (40001-40002) are not"
kill -TERM $CAP_PID
wait $CAP_PID
kn_is "$?" 0 "and exits 0 on SIGTERM"

kn_done
