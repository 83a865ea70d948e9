# A real redis-server for the Redis store backend's tests (bash, sourced
# after lib.sh): loopback TCP on a free port, its own directory, no
# persistence, the default user off, an ACL user "knocker" with only the
# commands docs/SCALING.md lists (what knocker uses) and a user "admin"
# for the test's own inspections.
# Stopped by pid (kn_track).

kn_redis_init() {	# sets KN_REDIS_PORT, KN_REDIS_PASS, KN_REDIS_PASSFILE, KN_REDIS_DIR
	kn_need_bin redis-server redis-cli
	KN_REDIS_DIR=$KN_DIR/redis
	mkdir -p "$KN_REDIS_DIR"
	chmod 700 "$KN_REDIS_DIR"
	KN_REDIS_PORT=$(kn_port)
	KN_REDIS_PASS=$(kn_random_key)
	KN_REDIS_PASSFILE=$KN_DIR/redis.pass
	printf '%s\n' "$KN_REDIS_PASS" >"$KN_REDIS_PASSFILE"
	chmod 600 "$KN_REDIS_PASSFILE"
	cat >"$KN_REDIS_DIR/redis.conf" <<-EOF2
	bind 127.0.0.1
	port $KN_REDIS_PORT
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
	kn_wait_port 127.0.0.1 "$KN_REDIS_PORT" "$KN_REDIS_PID" redis-server
}

kn_redis_cli() {	# redis-cli as the test's admin user (knocker's user may do less)
	redis-cli -h 127.0.0.1 -p "$KN_REDIS_PORT" --user admin --pass "$KN_REDIS_PASS" \
	    --no-auth-warning "$@"
}

# The jq filter that moves a config to the Redis backend; the prefix is the
# storage file's name, so configs with their own whitelist file keep their
# own whitelist in Redis too. timeout_ms is 1000, not the default 200: a
# loaded test machine can stall redis-server that long, and a 503 from that
# is not what the tests look for.
kn_redis_filter() {
	printf '.store = {"backend":"redis","address":"127.0.0.1:%s","username":"knocker","password_file":"%s","timeout_ms":1000,"prefix":((.whitelist.storage_path|split("/")|last) + ":")}' \
	    "$KN_REDIS_PORT" "$KN_REDIS_PASSFILE"
}
