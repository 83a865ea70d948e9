#!/bin/bash
# spawn-fcgi deployments: the systemd unit's command line (TCP, -F 4, an
# unprivileged user), and a unix socket with a restricted mode, each behind
# real lighttpd.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

kn_init spawnfcgi
kn_need_bin spawn-fcgi lighttpd curl jq

mkdir -p "$KN_DIR/www/private" "$KN_DIR/data"
echo SECRET-PAGE >"$KN_DIR/www/private/index.html"
chown nobody:nogroup "$KN_DIR/data"
chmod 700 "$KN_DIR/data"
kn_make_config "$KN_DIR/knocker.json" ".whitelist.storage_path = \"$KN_DIR/data/whitelist.json\"" \
    ".log.target = \"$KN_DIR/data/knocker.log\""
chown root:nogroup "$KN_DIR/knocker.json"
chmod 640 "$KN_DIR/knocker.json"

# The unit's ExecStart, with this test's paths, port and user.
port=$(kn_port)
cmd=$(sed -n 's/^ExecStart=//p' "$KN_SRC/conf-examples/knocker-spawn-fcgi.service")
cmd=${cmd//\/usr\/local\/sbin\/knocker/$KNOCKER}
cmd=${cmd//\/etc\/knocker\/knocker.json/$KN_DIR/knocker.json}
cmd=${cmd//-p 9000/-p $port -P $KN_DIR/unit.pid}
cmd=${cmd//-u knocker -g knocker/-u nobody -g nogroup}
cmd=${cmd//\/usr\/bin\/spawn-fcgi/$(command -v spawn-fcgi)}
kn_diag "unit command: $cmd"
check=$(sed -n 's/^ExecStartPre=//p' "$KN_SRC/conf-examples/knocker-spawn-fcgi.service")
check=${check//\/usr\/local\/sbin\/knocker/$KNOCKER}
check=${check//\/etc\/knocker\/knocker.json/$KN_DIR/knocker.json}
kn_like "$($check 2>&1)" ': ok$' "the unit's ExecStartPre config check passes"
kn_ok "the unit's ExecStart starts the workers" $cmd
pids=$(tr '\n' ' ' <"$KN_DIR/unit.pid")
kn_track $pids
kn_is "$(echo $pids | wc -w)" 4 "-F 4 gives four workers"
users=$(for p in $pids; do awk '/^Uid:/ {print $2}' /proc/$p/status; done | sort -u)
kn_is "$users" "$(id -u nobody)" "every worker runs as nobody"
kn_ok "workers listen" kn_wait_port 127.0.0.1 "$port" "${pids%% *}" knocker

HTTP_PORT=$(kn_port) KNOCK_PORT=$port AUTHZ_PORT=$port BACKEND_PORT=1 WWW_DIR=$KN_DIR/www RUN_DIR=$KN_DIR \
    kn_render "$KN_SRC/conf-examples/lighttpd.conf" "$KN_DIR/lighttpd.conf"
kn_ok "lighttpd starts" kn_start_lighttpd "$KN_DIR/lighttpd.conf"
URL=http://127.0.0.1:$(sed -n 's/^server.port *= *//p' "$KN_DIR/lighttpd.conf")
kn_req GET "$URL/private/index.html"
kn_is "$KN_STATUS" 401 "TCP: denied before a knock"
kn_knock "$URL/knock"
kn_is "$KN_STATUS" 200 "TCP: knock taken by an unprivileged worker"
kn_req GET "$URL/private/index.html"
kn_is "$KN_STATUS" 200 "TCP: allowed after the knock"
kn_is "$(stat -c '%U %a' "$KN_DIR/data/whitelist.json")" "nobody 600" "the whitelist file is owned by nobody, mode 0600"
kn_is "$(stat -c '%U %a' "$KN_DIR/data/whitelist.json.lock")" "nobody 600" "the lock file too"

# Unix socket, mode 0660, group nogroup: lighttpd (root here) connects.
kn_ok "spawn-fcgi on a unix socket starts" kn_spawn_knocker_socket "$KN_DIR/knocker.json" 2 \
    -u nobody -g nogroup -U nobody -G nogroup
kn_is "$(stat -c '%a %U %G' "$KN_APP_SOCKET")" "660 nobody nogroup" "socket mode 0660, owned by the given user and group"
port2=$(kn_port)
sed -e "s|\"host\" => \"127.0.0.1\", \"port\" => $port|\"socket\" => \"$KN_APP_SOCKET\"|" \
    -e "s|^server.port *= *[0-9]*|server.port = $port2|" -e "s|\\[::1\\]:[0-9]*|[::1]:$port2|" \
    -e "s|lighttpd.pid|lighttpd2.pid|" "$KN_DIR/lighttpd.conf" >"$KN_DIR/socket.conf"
kn_ok "lighttpd uses the socket" grep -q '"socket" =>' "$KN_DIR/socket.conf"
kn_ok "a second lighttpd starts" kn_start_lighttpd "$KN_DIR/socket.conf"
URL2=http://127.0.0.1:$(sed -n 's/^server.port *= *//p' "$KN_DIR/socket.conf")
kn_req GET "$URL2/private/index.html"
kn_is "$KN_STATUS" 200 "socket: the knock taken over TCP is honoured"
kn_req GET "http://[::1]:$port2/private/index.html"
kn_is "$KN_STATUS" 401 "socket: ::1 is denied"

# Stopping: SIGTERM ends every worker.
for p in $pids; do kill -TERM "$p"; done
sleep 1
gone=0
for p in $pids; do kn_alive "$p" || gone=$((gone + 1)); done
kn_is "$gone" 4 "SIGTERM stops all four workers"
kn_like "$(cat "$KN_DIR/data/knocker.log")" "worker [0-9]+ stopping" "workers log their clean stop"

kn_done
