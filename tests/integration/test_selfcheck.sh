#!/bin/bash
# Start-up failures are never silent (issue 10 item 10). `knocker -t` checks
# what a worker checks at start (the log target opened for append, the
# whitelist directory), `-t -u USER` does it as the workers' user; workers
# refuse to start on those problems and say so on stderr, and in syslog
# when their stderr is /dev/null (spawn-fcgi). No syslog daemon runs here:
# the syslog checks run spawn-fcgi in a mount namespace of this test whose
# /dev holds the real null/zero/urandom and a /dev/log socket read by a
# python3 listener.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

kn_init selfcheck
kn_need_bin spawn-fcgi setpriv unshare timeout pgrep python3 jq

AS_NOBODY="setpriv --reuid=nobody --regid=nogroup --init-groups"
chmod 755 "$KN_DIR"
chown nobody:nogroup "$KN_DIR/state"
chmod 700 "$KN_DIR/state"
mkdir -m 755 "$KN_DIR/rootlogs"	# root's: nobody cannot create a log file here
ROOTLOG=$KN_DIR/rootlogs/knocker.log
kn_make_config "$KN_DIR/bad-log.json" ".log.target = \"$ROOTLOG\""
kn_make_config "$KN_DIR/good.json" ".log.target = \"$KN_DIR/state/knocker.log\""
kn_make_config "$KN_DIR/no-dir.json" ".whitelist.storage_path = \"$KN_DIR/missing/whitelist.json\"" \
    ".log.target = \"$KN_DIR/state/knocker.log\""
chown nobody:nogroup "$KN_DIR"/*.json

# --- knocker -t ----------------------------------------------------------------------
out=$("$KNOCKER" -t -c "$KN_DIR/bad-log.json" 2>&1)
kn_is "$?:$out" "0:$KN_DIR/bad-log.json: ok" "-t as root: root can write that log file"
kn_ok "-t did not create the log file" test ! -e "$ROOTLOG"
out=$($AS_NOBODY "$KNOCKER" -t -c "$KN_DIR/bad-log.json" 2>&1)
kn_is "$?:$out" "1:$KN_DIR/bad-log.json: log.target: cannot open $ROOTLOG: Permission denied" \
    "-t as nobody: a log target nobody cannot open fails the check (was: ok)"
out=$("$KNOCKER" -t -u nobody -c "$KN_DIR/bad-log.json" 2>&1)
kn_is "$?:$out" "1:$KN_DIR/bad-log.json: log.target: cannot open $ROOTLOG: Permission denied" \
    "-t -u nobody (as root): the same check as that user"
echo "root's old line" >"$ROOTLOG"
chmod 644 "$ROOTLOG"
out=$("$KNOCKER" -t -u nobody -c "$KN_DIR/bad-log.json" 2>&1)
kn_is "$?:$out" "1:$KN_DIR/bad-log.json: log.target: cannot open $ROOTLOG: Permission denied" \
    "-t -u nobody: an existing log file nobody cannot append to fails too"
chown nobody "$ROOTLOG"
out=$("$KNOCKER" -t -u nobody -c "$KN_DIR/bad-log.json" 2>&1)
kn_is "$?:$out" "0:$KN_DIR/bad-log.json: ok" "-t -u nobody: once nobody owns the file, ok"
kn_is "$(cat "$ROOTLOG")" "root's old line" "-t opened the log file without truncating or writing it"
rm -f "$ROOTLOG"

out=$("$KNOCKER" -t -u nobody -c "$KN_DIR/good.json" 2>&1)
kn_is "$?:$out" "0:$KN_DIR/good.json: ok" "-t -u nobody: a good config is ok"
out=$("$KNOCKER" -t -u nobody -c "$KN_DIR/no-dir.json" 2>&1)
kn_like "$?:$out" "^1:.*whitelist\\.storage_path: storage directory $KN_DIR/missing: No such file or directory" \
    "-t -u nobody: a missing whitelist directory fails the check"
out=$($AS_NOBODY "$KNOCKER" -t -u nobody -c "$KN_DIR/good.json" 2>&1)
kn_is "$?:$out" "1:knocker: -u nobody: only root can check as another user" "-t -u as non-root: refused"
out=$("$KNOCKER" -t -u no-such-user-kn -c "$KN_DIR/good.json" 2>&1)
kn_is "$?:$out" "1:knocker: -u no-such-user-kn: no such user" "-t -u with an unknown user: refused"
"$KNOCKER" -u nobody -c "$KN_DIR/good.json" </dev/null >/dev/null 2>&1
kn_is "$?" 2 "-u without -t is a usage error"
out=$(FCGI_WEB_SERVER_ADDRS=127.0.0.1 "$KNOCKER" -t -c "$KN_DIR/good.json" 2>&1)
kn_is "$?:$out" "1:knocker: FCGI_WEB_SERVER_ADDRS is not supported: listen on loopback or a unix socket" \
    "-t: libfcgi's FCGI_WEB_SERVER_ADDRS filter is refused, not silently ignored"
out=$("$KNOCKER" -h)
kn_like "$out" '-t \[-c FILE\] \[-u USER\]' "-h shows -u"
kn_is "$("$KNOCKER" --help)" "$out" "--help is -h"
kn_like "$("$KNOCKER" --version)" '^knocker [0-9]+\.[0-9]+\.[0-9]+$' "--version prints the version"
kn_is "$("$KNOCKER" --version)" "$("$KNOCKER" -V)" "--version is -V"
# On a terminal (fd 0 a tty, no CGI environment) there is no request: a
# one-line hint and exit 2, not a raw "Status: ..." CGI answer. script(1)
# gives it a pseudo-terminal; -e passes its exit status on.
out=$(script -qec "env -u GATEWAY_INTERFACE $KNOCKER -c $KN_DIR/good.json" /dev/null </dev/null 2>&1)
kn_like "$?:$(printf '%s' "$out" | tr -d '\r')" '^2:knocker: not a CGI request or FastCGI socket: run it under spawn-fcgi' \
    "on a terminal: a hint how to run it, exit 2"
kn_unlike "$out" 'Status:' "on a terminal: no raw CGI answer"

# --- workers: stderr when it is a file ------------------------------------------------
port=$(kn_port)
timeout 30 spawn-fcgi -n -a 127.0.0.1 -p "$port" -u nobody -g nogroup -- "$KNOCKER" -c "$KN_DIR/bad-log.json" \
    >/dev/null 2>"$KN_DIR/worker-stderr.log"
kn_is "$?" 1 "worker (spawn-fcgi -n): an unwritable log target: it refuses to start"
kn_is "$(cat "$KN_DIR/worker-stderr.log")" \
    "knocker: $KN_DIR/bad-log.json: log.target: cannot open $ROOTLOG: Permission denied; refusing to start" \
    "worker: and says why on stderr"
port=$(kn_port)
timeout 30 spawn-fcgi -n -a 127.0.0.1 -p "$port" -u nobody -g nogroup -- "$KNOCKER" -c "$KN_DIR/no-dir.json" \
    >/dev/null 2>"$KN_DIR/worker-stderr2.log"
kn_is "$?" 1 "worker: a missing whitelist directory: it refuses to start (was: started)"
kn_like "$(cat "$KN_DIR/worker-stderr2.log")" \
    "^knocker: $KN_DIR/no-dir.json: whitelist\\.storage_path: cannot use directory $KN_DIR/missing: No such file or directory; refusing to start\$" \
    "worker: and says why on stderr"
kn_like "$(cat "$KN_DIR/state/knocker.log")" "error: main: .*cannot use directory $KN_DIR/missing" \
    "worker: and in its log file"

port=$(kn_port)
FCGI_WEB_SERVER_ADDRS=127.0.0.1 timeout 30 spawn-fcgi -n -a 127.0.0.1 -p "$port" -u nobody -g nogroup \
    -- "$KNOCKER" -c "$KN_DIR/good.json" >/dev/null 2>"$KN_DIR/worker-stderr3.log"
kn_is "$?:$(cat "$KN_DIR/worker-stderr3.log")" \
    "1:knocker: FCGI_WEB_SERVER_ADDRS is not supported: listen on loopback or a unix socket; refusing to start" \
    "worker: FCGI_WEB_SERVER_ADDRS set: it refuses to start and says why"

# --- workers: syslog when stderr is /dev/null ---------------------------------------------
FAKEDEV=$KN_DIR/dev
mkdir -m 755 "$FAKEDEV"
for n in null zero random urandom; do touch "$FAKEDEV/$n"; done
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536) + b"\n")
' "$FAKEDEV/log" "$KN_DIR/syslog.txt" >"$KN_DIR/syslog-listener.out" 2>&1 &
kn_track $!
for _ in $(seq 1 50); do [ -S "$FAKEDEV/log" ] && break; sleep 0.1; done
chmod 666 "$FAKEDEV/log"
kn_ok "a /dev/log listener of this test runs" test -S "$FAKEDEV/log"

# spawn-fcgi -F 2 (workers' stdio: /dev/null) with this test's /dev.
spawn_fakedev() {	# CONFIG: prints spawn-fcgi's output
	local port
	port=$(kn_port)
	rm -f "$KN_DIR/fakedev.pid"
	unshare -m bash -c '
		for n in null zero random urandom; do mount --bind "/dev/$n" "$1/$n" || exit 1; done
		mount --rbind "$1" /dev || exit 1
		shift
		exec "$@"' _ "$FAKEDEV" spawn-fcgi -a 127.0.0.1 -p "$port" -F 2 -u nobody -g nogroup \
	    -P "$KN_DIR/fakedev.pid" -- "$KNOCKER" -c "$1" 2>&1
}

# Says 1 when both workers spawn_fakedev started are gone: those spawn-fcgi
# saw exit ("child exited with: 1", OUT) and those it saw running (its PID
# file), waited for up to 20 s. spawn-fcgi looks only 0.1 s after a fork, so on
# a slow machine a worker that is about to refuse is reported as spawned.
fakedev_workers_gone() {	# OUT
	local i p alive seen
	seen=$(( $(grep -c 'child exited with: 1' <<<"$1") + $(wc -w <"$KN_DIR/fakedev.pid" 2>/dev/null || echo 0) ))
	[ "$seen" = 2 ] || { kn_diag "spawn-fcgi saw $seen workers, not 2"; echo 0; return; }
	for i in $(seq 1 200); do
		alive=0
		for p in $(cat "$KN_DIR/fakedev.pid" 2>/dev/null); do kn_alive "$p" && alive=1; done
		[ "$alive" = 0 ] && { echo 1; return; }
		sleep 0.1
	done
	kn_diag "still running: $(cat "$KN_DIR/fakedev.pid" 2>/dev/null)"
	echo 0
}

out=$(spawn_fakedev "$KN_DIR/bad-log.json")
kn_track $(cat "$KN_DIR/fakedev.pid" 2>/dev/null)
kn_is "$(fakedev_workers_gone "$out")" 1 "spawn-fcgi -F 2, unwritable log target: the workers exit"
kn_diag "spawn-fcgi said: $out"
for _ in $(seq 1 100); do [ "$(grep -c 'refusing' "$KN_DIR/syslog.txt" 2>/dev/null)" -ge 2 ] && break; sleep 0.1; done
kn_like "$(cat "$KN_DIR/syslog.txt" 2>/dev/null)" \
    "^<27>.* knocker\\[[0-9]+\\]: $KN_DIR/bad-log.json: log.target: cannot open $ROOTLOG: Permission denied; refusing to start\$" \
    "their stderr is /dev/null: the reason is in syslog (daemon.err, ident knocker)"
kn_is "$(grep -c 'refusing' "$KN_DIR/syslog.txt" 2>/dev/null)" 2 "one syslog line from each of the 2 workers"
: >"$KN_DIR/syslog.txt"
out=$(spawn_fakedev "$KN_DIR/no-dir.json")
kn_track $(cat "$KN_DIR/fakedev.pid" 2>/dev/null)
kn_is "$(fakedev_workers_gone "$out")" 1 "spawn-fcgi -F 2, missing whitelist directory: the workers exit"
kn_diag "spawn-fcgi said: $out"
for _ in $(seq 1 100); do [ "$(grep -c 'refusing' "$KN_DIR/syslog.txt" 2>/dev/null)" -ge 2 ] && break; sleep 0.1; done
kn_like "$(cat "$KN_DIR/syslog.txt" 2>/dev/null)" \
    "knocker\\[[0-9]+\\]: $KN_DIR/no-dir.json: whitelist\\.storage_path: cannot use directory $KN_DIR/missing: No such file or directory; refusing to start" \
    "and that reason is in syslog too"
: >"$KN_DIR/syslog.txt"
out=$(spawn_fakedev "$KN_DIR/good.json")
kn_unlike "$out" "child exited" "a good config: the workers start"
pids=$(pgrep -f -- "$KNOCKER -c $KN_DIR/good.json" | tr '\n' ' ')
kn_track $pids
kn_is "$(echo $pids | wc -w)" 2 "two workers run"
kn_is "$(cat "$KN_DIR/syslog.txt" 2>/dev/null)" "" "and nothing went to syslog"

kn_done
