# knocker-firewall's integration tests (bash, sourced after lib.sh, then
# fw_net after kn_init): network namespaces the test makes, joined by veth
# pairs, documentation addresses only:
#
#   cli  192.0.2.2, .66, .130        2001:db8::2, ::1:66, ::2:66
#    |  veth
#   srv  192.0.2.1  2001:db8::1      knocker-firewall, the echo services,
#                                    lighttpd + spawn-fcgi knocker (knocks)
#
# Every reachability answer is a real packet exchange from cli (bound to one
# of its addresses); every set claim is read back from `nft -j list`. The
# namespaces are deleted and the processes stopped by pid at exit.

# Makes srv and cli (named TAG-srv-PID, TAG-cli-PID: two tests running at
# once never share one) and the link between them; sets SRV, CLI, NSS and
# FWLOG (knocker-firewall's output).
fw_net() {	# TAG
	local a
	FW_TAG=$1
	SFX=$$
	NSS=""
	FWLOG=$KN_DIR/firewall.log
	trap fw_cleanup EXIT
	fw_netns SRV srv
	fw_netns CLI cli
	ip link add ${FW_TAG}c$SFX netns "$CLI" type veth peer name ${FW_TAG}s$SFX netns "$SRV" ||
	    kn_bail "veth failed"
	ip -n "$CLI" link set ${FW_TAG}c$SFX name eth0
	ip -n "$SRV" link set ${FW_TAG}s$SFX name eth0
	for a in 192.0.2.2/24 192.0.2.66/24 192.0.2.130/24; do ip -n "$CLI" addr add $a dev eth0; done
	for a in 2001:db8::2/64 2001:db8::1:66/64 2001:db8::2:66/64; do
		ip -n "$CLI" addr add $a dev eth0 nodad
	done
	ip -n "$SRV" addr add 192.0.2.1/24 dev eth0
	ip -n "$SRV" addr add 2001:db8::1/64 dev eth0 nodad
	ip -n "$CLI" link set eth0 up
	ip -n "$SRV" link set eth0 up
}

# One more namespace, TAG-NAME-PID, in the variable VAR (deleted at exit).
fw_netns() {	# VAR NAME
	local ns=$FW_TAG-$2-$SFX
	ip netns add "$ns" || kn_bail "ip netns add $ns failed"
	ip -n "$ns" link set lo up
	NSS="$NSS $ns"
	printf -v "$1" '%s' "$ns"
}

fw_cleanup() {
	local rc=$? ns
	kn_stop_all || rc=1
	for ns in $NSS; do
		ip netns del "$ns" 2>/dev/null
	done
	(exit $rc)
	kn__cleanup
}

in_srv() { ip netns exec "$SRV" "$@"; }
in_cli() { ip netns exec "$CLI" "$@"; }

# One small program for every end: echo servers and probes ($PEER).
fw_peer() {
	PEER=$KN_DIR/peer.py
	cat >"$PEER" <<'PY'
import socket, sys, threading
mode = sys.argv[1]
def fam(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET
def echo(c):
    with c:
        while True:
            try:
                d = c.recv(100)
                if not d:
                    return
                c.sendall(d)
            except OSError:
                return
if mode == "tcp-serve":
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", int(sys.argv[2])))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()
elif mode == "udp-serve":
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", int(sys.argv[2])))
    while True:
        d, a = s.recvfrom(100)
        s.sendto(d, a)
else:
    # tcp|udp|session DST PORT SRC: prints OK when the echo comes back
    dst, port, src = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    s = socket.socket(fam(dst), socket.SOCK_DGRAM if mode == "udp" else socket.SOCK_STREAM)
    s.settimeout(0.8)
    try:
        s.bind((src, 0))
        s.connect((dst, port))
        s.send(b"ping")
        ok = s.recv(100) == b"ping"
    except OSError:
        ok = False
    print("OK" if ok else "FAIL", flush=True)
    if mode == "session" and ok:
        sys.stdin.readline()    # the test changes the whitelist meanwhile
        try:
            s.send(b"ping")
            ok = s.recv(100) == b"ping"
        except OSError:
            ok = False
        print("OK" if ok else "FAIL", flush=True)
PY
}

start_bg() {	# NS cmd... (tracked; ip netns exec execs the command itself)
	local ns=$1
	shift
	ip netns exec "$ns" "$@" >>"$KN_DIR/bg.log" 2>&1 &
	kn_track $!
}

probe() {	# tcp|udp SRC DST PORT -> OK / FAIL
	in_cli python3 "$PEER" "$1" "$3" "$4" "$2"
}

# Waits up to 5 s until the probes (each "tcp|udp SRC DST PORT") all answer
# while nothing filters (IPv6 neighbour discovery on a fresh veth can take
# a moment); prints their answers, space-separated.
fw_wait_probes() {	# PROBE...
	local i p got
	for i in $(seq 1 50); do
		got=""
		for p in "$@"; do
			got="$got $(probe $p)"
		done
		got=${got# }
		[[ "$got" != *FAIL* ]] && break
		sleep 0.1
	done
	printf '%s' "$got"
}

# knocker behind lighttpd in srv on port LISTEN_PORT, for knock.
fw_start_knocker() {	# CONFIG
	local out i
	LISTEN_PORT=8088
	APP_PORT=9000
	out=$(in_srv spawn-fcgi -a 127.0.0.1 -p $APP_PORT -F 1 -P "$KN_DIR/spawn.pid" -- "$KNOCKER" -c "$1" 2>&1) ||
	    kn_bail "spawn-fcgi in the server namespace failed: $out"
	kn_track $(cat "$KN_DIR/spawn.pid")
	cat >"$KN_DIR/lighttpd.conf" <<-LC
	server.modules = ( "mod_fastcgi" )
	server.document-root = "$KN_DIR/www"
	server.port = $LISTEN_PORT
	server.bind = "0.0.0.0"
	\$SERVER["socket"] == "[::]:$LISTEN_PORT" { }
	server.errorlog = "$KN_DIR/lighttpd-error.log"
	fastcgi.server = ( "/knock" => (( "host" => "127.0.0.1", "port" => $APP_PORT, "check-local" => "disable" )) )
	LC
	start_bg "$SRV" lighttpd -D -f "$KN_DIR/lighttpd.conf"
	for i in $(seq 1 50); do
		in_cli curl -s -o /dev/null --max-time 1 "http://192.0.2.1:$LISTEN_PORT/" && break
		sleep 0.1
	done
}

knock() {	# 4|6 [body] [key]: a knock from 192.0.2.2 or 2001:db8::2; prints the answer
	local url="http://192.0.2.1:$LISTEN_PORT/knock" src=192.0.2.2
	[ "$1" = 6 ] && url="http://[2001:db8::1]:$LISTEN_PORT/knock" src=2001:db8::2
	in_cli curl -g -s --max-time 5 --interface "$src" -X POST -H "X-Api-Key: ${3:-$KN_API_KEY}" \
	    -H 'Content-Type: application/json' --data-binary "${2:-}" "$url"
}

# The elements of a set: "addr" or "addr/len", sorted, space-separated.
elems() {	# SET [TABLE]
	in_srv nft -j list set inet "${2:-knocker}" "$1" 2>/dev/null | jq -r '.nftables[] | select(.set) |
	    (.set.elem // [])[] | (if type == "object" and has("elem") then .elem.val else . end) |
	    if type == "object" then "\(.prefix.addr)/\(.prefix.len)" else . end' | sort | tr '\n' ' ' | sed 's/ $//'
}

# Waits for a set to hold exactly WANT. The firewall applies a change within
# 1 s on a quiet machine; the test waits up to 10 s, because a loaded one
# (sanitizers, parallel tests) is slower, and slowness is not the fault looked for.
wait_elems() {	# SET WANT
	local i got
	for i in $(seq 1 200); do
		got=$(elems "$1")
		[ "$got" = "$2" ] && break
		sleep 0.05
	done
	printf '%s' "$got"
}

# Waits up to 10 s for `nft list set` to match REGEX; prints the listing.
wait_like() {	# SET REGEX
	local i got
	for i in $(seq 1 200); do
		got=$(in_srv nft list set inet knocker "$1" 2>&1)
		printf '%s' "$got" | grep -Eq -- "$2" && break
		sleep 0.05
	done
	printf '%s' "$got"
}

# Waits up to 10 s for FILE to have a line matching REGEX.
wait_log() {	# FILE REGEX
	local i
	for i in $(seq 1 200); do
		grep -Eq -- "$2" "$1" && return 0
		sleep 0.05
	done
	return 1
}

start_fw() {	# CONFIG: starts knocker-firewall in srv, waits for its table
	local i
	ip netns exec "$SRV" "$FW" -c "$1" >>"$FWLOG" 2>&1 &
	FW_PID=$!
	kn_track $FW_PID
	for i in $(seq 1 200); do
		grep -q "knocker\[$FW_PID\]: info: firewall: guarding" "$FWLOG" && return 0
		kn_alive $FW_PID || { kn_diag "knocker-firewall died at start:" "$(tail -n 5 "$FWLOG")"; return 1; }
		sleep 0.1
	done
	return 1
}
stop_fw() {	# sends SIGTERM; its exit status in FW_RC
	kill -TERM "$FW_PID"
	wait "$FW_PID"
	FW_RC=$?
}
