# A real redis-server for the Redis store backend's tests (bash, sourced
# after lib.sh): loopback TCP on a free port (or, with kn_redis_init unix,
# a unix socket, which a process in another network namespace reaches
# too), its own directory, no persistence, the default user off, an ACL user "knocker" with only the
# commands docs/SCALING.md lists (what knocker uses) and a user "admin"
# for the test's own inspections.
# Stopped by pid (kn_track).

# Sets KN_REDIS_PASS, KN_REDIS_PASSFILE, KN_REDIS_DIR and KN_REDIS_PORT
# (TCP) or KN_REDIS_SOCK (unix).
kn_redis_init() {	# [unix]
	local listen
	kn_need_bin redis-server redis-cli
	KN_REDIS_DIR=$KN_DIR/redis
	mkdir -p "$KN_REDIS_DIR"
	chmod 700 "$KN_REDIS_DIR"
	KN_REDIS_PORT=
	KN_REDIS_SOCK=
	if [ "${1-}" = unix ]; then
		KN_REDIS_SOCK=$KN_REDIS_DIR/redis.sock
		listen=$(printf 'port 0\nunixsocket %s\nunixsocketperm 700' "$KN_REDIS_SOCK")
	else
		KN_REDIS_PORT=$(kn_port)
		listen=$(printf 'bind 127.0.0.1\nport %s' "$KN_REDIS_PORT")
	fi
	KN_REDIS_PASS=$(kn_random_key)
	KN_REDIS_PASSFILE=$KN_DIR/redis.pass
	printf '%s\n' "$KN_REDIS_PASS" >"$KN_REDIS_PASSFILE"
	chmod 600 "$KN_REDIS_PASSFILE"
	cat >"$KN_REDIS_DIR/redis.conf" <<-EOF2
	$listen
	dir $KN_REDIS_DIR
	save ""
	appendonly no
	logfile $KN_REDIS_DIR/redis.log
	user default off
	user admin on >$KN_REDIS_PASS ~* &* +@all
	user knocker on >$KN_REDIS_PASS resetkeys ~* resetchannels -@all +ping +select +get +eval +zrangebyscore +zremrangebyscore +zrem +set +zadd +zcard +zrange +zrevrange +del +incr +expire
	EOF2
	chmod 600 "$KN_REDIS_DIR/redis.conf"
}

kn_redis_start() {	# sets KN_REDIS_PID
	redis-server "$KN_REDIS_DIR/redis.conf" >>"$KN_REDIS_DIR/stdout.log" 2>&1 &
	KN_REDIS_PID=$!
	kn_track "$KN_REDIS_PID"
	[ -z "$KN_REDIS_SOCK" ] &&
	    { kn_wait_port 127.0.0.1 "$KN_REDIS_PORT" "$KN_REDIS_PID" redis-server; return; }
	local i
	for i in $(seq 1 100); do
		kn_alive "$KN_REDIS_PID" || { kn_diag "redis-server died while starting"; return 1; }
		[ "$(kn_redis_cli PING 2>/dev/null)" = PONG ] && return 0
		sleep 0.1
	done
	kn_diag "redis-server did not answer on $KN_REDIS_SOCK"
	return 1
}

kn_redis_cli() {	# redis-cli as the test's admin user (knocker's user may do less)
	if [ -n "$KN_REDIS_SOCK" ]; then
		set -- -s "$KN_REDIS_SOCK" "$@"
	else
		set -- -h 127.0.0.1 -p "$KN_REDIS_PORT" "$@"
	fi
	redis-cli --user admin --pass "$KN_REDIS_PASS" --no-auth-warning "$@"
}

# The jq filter that moves a config to the Redis backend; the prefix is the
# storage file's name, so configs with their own whitelist file keep their
# own whitelist in Redis too. timeout_ms is 1000, not the default 200: a
# loaded test machine can stall redis-server that long, and a 503 from that
# is not what the tests look for.
kn_redis_filter() {
	local address=127.0.0.1:$KN_REDIS_PORT
	[ -n "$KN_REDIS_SOCK" ] && address=unix:$KN_REDIS_SOCK
	printf '.store = {"backend":"redis","address":"%s","username":"knocker","password_file":"%s","timeout_ms":1000,"prefix":((.whitelist.storage_path|split("/")|last) + ":")}' \
	    "$address" "$KN_REDIS_PASSFILE"
}
