#!/bin/bash
# spawn-fcgi deployments, unprivileged (workers as nobody:nogroup, the state
# directory owned by nobody):
#   plain:   the ExecStart line of conf-examples/knocker-spawn-fcgi.service
#            (spawn-fcgi -n, TCP), with this test's binary, config, port and
#            user, behind conf-examples/lighttpd.conf;
#   trusted: a unix socket (-M 0660 -U/-G), -F 3 workers, behind
#            conf-examples/nginx.conf (its workers run as nobody).
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/flows.sh"

kn_init spawnfcgi
kn_need_bin spawn-fcgi lighttpd nginx cgi-fcgi setpriv pgrep curl jq

UNIT=$KN_SRC/conf-examples/knocker-spawn-fcgi.service
SPAWN_FCGI=$(command -v spawn-fcgi)
SETPRIV=$(command -v setpriv)
# The whitelist directory belongs to the workers' user, like /var/lib/knocker.
chown nobody:nogroup "$KN_DIR/state"
chmod 700 "$KN_DIR/state"
# Sanitizer builds write their reports to $KN_DIR/sanitizer.*: let the
# unprivileged workers create them (sticky, like /tmp).
chmod 1777 "$KN_DIR"

unit_line() {	# KEY: the value of KEY= in the unit
	sed -n "s/^$1=//p" "$UNIT"
}

# A command line of the unit with this test's binary, config, port and user.
unit_cmd() {	# COMMAND CONFIG PORT
	local c=$1
	c=${c//\/usr\/local\/sbin\/knocker/$KNOCKER}
	c=${c//\/etc\/knocker\/knocker.json/$2}
	c=${c//-p 9000/-p $3}
	c=${c//-u knocker -g knocker/-u nobody -g nogroup}
	c=${c//--reuid=knocker --regid=knocker/--reuid=nobody --regid=nogroup}
	c=${c//\/usr\/bin\/spawn-fcgi/$SPAWN_FCGI}
	c=${c//\/usr\/bin\/setpriv/$SETPRIV}
	printf '%s' "$c"
}

start_spawnfcgi() {	# NAME CONFIG; sets URL4, URL6
	local run=$KN_DIR/$1 port http out
	mkdir -p "$run"
	# Like /etc/knocker/knocker.json: root:<workers' group>, 0640.
	chown root:nogroup "$2"
	chmod 640 "$2"
	port=$(kn_port)
	http=$(kn_port)
	if [ "$1" = plain ]; then
		UNIT_CMD=$(unit_cmd "$(unit_line ExecStart)" "$2" "$port")
		kn_diag "unit ExecStart: $UNIT_CMD"
		$UNIT_CMD >>"$run/spawn-fcgi.log" 2>&1 &
		UNIT_PID=$!
		kn_track "$UNIT_PID"
		kn_wait_port 127.0.0.1 "$port" "$UNIT_PID" "knocker (unit)" || return 1
		HTTP_PORT=$http KNOCK_PORT=$port AUTHZ_PORT=$port BACKEND_PORT=$KN_BACKEND_PORT \
		    WWW_DIR=$KN_DIR/www RUN_DIR=$run kn_render "$KN_SRC/conf-examples/lighttpd.conf" "$run/lighttpd.conf"
		kn_start_lighttpd "$run/lighttpd.conf" || return 1
	else
		SOCK=$KN_DIR/run/knocker.sock
		mkdir -p "$KN_DIR/run"
		out=$(spawn-fcgi -s "$SOCK" -M 0660 -U nobody -G nogroup -F 3 -P "$run/spawn.pid" \
		    -u nobody -g nogroup -- "$KNOCKER" -c "$2" 2>&1) || { kn_diag "spawn-fcgi failed: $out"; return 1; }
		SOCK_PIDS=$(tr '\n' ' ' <"$run/spawn.pid")
		kn_track $SOCK_PIDS
		[ -S "$SOCK" ] || return 1
		kn_render_nginx "$run" "$http" "unix:$SOCK" "$KN_BACKEND_PORT"
		kn_start_nginx "$run" "$http" || return 1
	fi
	URL4=http://127.0.0.1:$http
	URL6="http://[::1]:$http"
}

uid_of() {	# PID -> "uid gid"
	awk '/^Uid:/ {u = $2} /^Gid:/ {g = $2} END {print u, g}' "/proc/$1/status"
}

# --- the unit file -------------------------------------------------------------
exec_start=$(unit_line ExecStart)
kn_like "$exec_start" '^/usr/bin/spawn-fcgi -n ' "unit: ExecStart runs spawn-fcgi in the foreground (-n)"
kn_like "$exec_start" ' -u knocker -g knocker -- /usr/local/sbin/knocker -c /etc/knocker/knocker.json$' \
    "unit: the workers drop to the knocker user; knocker gets its config with -c"
cmd=$(unit_cmd "$exec_start" /X.json 12345)
kn_is "$(printf '%s' "$cmd" | grep -o -e "$KNOCKER " -e ' /X.json' -e '-p 12345' -e '-u nobody -g nogroup' | wc -l)" 4 \
    "unit: this test can put its own binary, config, port and user into ExecStart"
for want in 'Type=exec' 'ProtectSystem=strict' 'ReadWritePaths=/var/lib/knocker' 'NoNewPrivileges=yes'; do
	kn_ok "unit: $want" grep -qx "$want" "$UNIT"
done
if command -v systemd-analyze >/dev/null 2>&1; then
	sed "s|/usr/local/sbin/knocker|$KNOCKER|g" "$UNIT" >"$KN_DIR/knocker.service"
	out=$(systemd-analyze verify "$KN_DIR/knocker.service" 2>&1)
	kn_is "$?:$out" "0:" "unit: systemd-analyze verify finds nothing to complain about"
else
	kn_diag "systemd-analyze is not installed: unit syntax not verified"
fi

# --- both deployments through the shared flow ------------------------------------
kn_make_config "$KN_DIR/check.json"
chown root:nogroup "$KN_DIR/check.json"
chmod 640 "$KN_DIR/check.json"
pre=$(unit_line ExecStartPre)
kn_like "$pre" '^/usr/bin/setpriv --reuid=knocker --regid=knocker --init-groups /usr/local/sbin/knocker -t ' \
    "unit: ExecStartPre checks the config as the workers' user"
cmd=$(unit_cmd "$pre" "$KN_DIR/check.json" 0)
kn_like "$($cmd 2>&1)" "^$KN_DIR/check.json: ok\$" \
    "unit: its ExecStartPre (knocker -t as nobody) passes for a good config"
mkdir -m 755 "$KN_DIR/rootonly"
kn_make_config "$KN_DIR/check2.json" ".whitelist.storage_path = \"$KN_DIR/rootonly/whitelist.json\""
chown root:nogroup "$KN_DIR/check2.json"
chmod 640 "$KN_DIR/check2.json"
cmd=$(unit_cmd "$pre" "$KN_DIR/check2.json" 0)
out=$($cmd 2>&1)
kn_is "$?" 1 "unit: ExecStartPre fails when the workers' user cannot write the whitelist directory"
kn_like "$out" "whitelist.storage_path: storage directory $KN_DIR/rootonly has group or other permissions" "unit: and says why"

kn_flow spawnfcgi /knock start_spawnfcgi

# --- what spawn-fcgi set up ------------------------------------------------------
kn_is "$(readlink -f "/proc/$UNIT_PID/exe")" "$(readlink -f "$KNOCKER")" \
    "-n: spawn-fcgi became knocker (the unit's main process is the worker)"
kn_is "$(pgrep -P "$UNIT_PID" | wc -l)" 0 "-n: one process, no children"
kn_is "$(uid_of "$UNIT_PID")" "$(id -u nobody) $(id -g nobody)" "-n -u nobody -g nogroup: the worker runs as nobody:nogroup"
kn_is "$(echo $SOCK_PIDS | wc -w)" 3 "-F 3: three workers"
kn_is "$(for p in $SOCK_PIDS; do uid_of "$p"; done | sort -u)" "$(id -u nobody) $(id -g nobody)" \
    "-F 3 -u nobody: every worker runs as nobody:nogroup"
kn_is "$(stat -c '%a %U %G' "$SOCK")" "660 nobody nogroup" "-M 0660 -U nobody -G nogroup: the socket's mode and owner"
out=$(setpriv --reuid=www-data --regid=nogroup --clear-groups env REQUEST_METHOD=GET SCRIPT_NAME=/health \
    cgi-fcgi -bind -connect "$SOCK" 2>&1)
kn_like "$out" '\{"status":"ok"\}' "socket: a member of its group can talk FastCGI to it"
out=$(setpriv --reuid=www-data --regid=www-data --clear-groups env REQUEST_METHOD=GET SCRIPT_NAME=/health \
    cgi-fcgi -bind -connect "$SOCK" 2>&1)
kn_is "$?:$out" "13:Could not connect to $SOCK" "socket: any other user cannot connect (EACCES)"
for f in whitelist.json whitelist.json.lock trusted-whitelist.json trusted-whitelist.json.lock; do
	kn_is "$(stat -c '%U %a' "$KN_DIR/state/$f" 2>&1)" "nobody 600" "$f: owned by the workers' user, mode 0600"
done

# --- stopping: SIGTERM, as systemctl stop does -------------------------------------
kill -TERM "$UNIT_PID"
wait "$UNIT_PID"
kn_is "$?" 0 "-n: the worker exits 0 on SIGTERM (a clean stop for systemd)"
for p in $SOCK_PIDS; do kill -TERM "$p"; done
for i in $(seq 1 50); do
	left=0
	for p in $SOCK_PIDS; do kn_alive "$p" && left=$((left + 1)); done
	[ "$left" -eq 0 ] && break
	sleep 0.1
done
kn_is "$left" 0 "SIGTERM stops every worker"
for p in $UNIT_PID $SOCK_PIDS; do
	kn_ok "worker $p logged its clean stop" grep -q "worker $p stopping" "$KN_DIR/state/knocker.log"
done

kn_done
