#!/bin/bash
# knocker-firewall with the Redis store backend: it follows the whitelist in
# Redis (written by a knock through lighttpd and knocker, and by knockerctl)
# instead of whitelist.json. Real nftables in network namespaces
# (fw_lib.sh), a real redis-server on a unix socket (redis_lib.sh): the
# firewall runs inside the server namespace, where the host's loopback TCP
# ports are out of reach, and a unix socket is not.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/fw_lib.sh"
. "$KN_SRC/tests/integration/redis_lib.sh"

kn_init firewall_redis
export LC_ALL=C
kn_need_bin ip nft python3 spawn-fcgi lighttpd curl jq
FW=${KNOCKER_FIREWALL:-$KN_BUILD/knocker-firewall}
CTL=$KN_BUILD/knockerctl
[ -x "$FW" ] || kn_bail "knocker-firewall not found at $FW"
[ -x "$CTL" ] || kn_bail "knockerctl not found at $CTL"
[ "$(id -u)" = 0 ] || kn_bail "this test makes network namespaces: run it as root (CI does)"

fw_net kfr
fw_peer
start_bg "$SRV" python3 "$PEER" tcp-serve 2222
kn_is "$(fw_wait_probes "tcp 192.0.2.2 192.0.2.1 2222" "tcp 2001:db8::2 2001:db8::1 2222")" "OK OK" \
    "without knocker-firewall the service answers (the test network works)"

kn_redis_init unix
kn_ok "redis-server starts (unix socket, ACL user, no persistence)" kn_redis_start || kn_bail "no redis-server"
FIREWALL='.firewall = {"table": "knocker", "ports": ["2222/tcp"], "docker": false}'
kn_make_config "$KN_DIR/knocker.json" "$FIREWALL" '.security.always_allowed_ips = ["192.0.2.130"]' \
    "$(kn_redis_filter)"
ctl() { "$CTL" -c "$KN_DIR/knocker.json" "$@" >/dev/null; }
# The firewall's own log lines of the run of $FW_PID.
fw_lines() {	# LEVEL
	grep -E "knocker\[$FW_PID\]: $1: firewall: " "$FWLOG"
}

# --- -n reads Redis ------------------------------------------------------------------
kn_ok "knockerctl add 198.51.100.7 (into Redis)" ctl add --ttl 600 198.51.100.7
out=$("$FW" -n -c "$KN_DIR/knocker.json" 2>"$KN_DIR/dry.err")
kn_is "$?" 0 "-n with the Redis store exits 0"
kn_like "$out" 'allow4 \{ 198\.51\.100\.7 timeout (9m[0-9]+s|10m)' "-n: the ruleset holds the entry read from Redis"
kn_ok "-n: its output is a valid nft script (nft -c -f)" in_srv nft -c -f - <<<"$out"
kn_ok "knockerctl revoke 198.51.100.7" ctl revoke 198.51.100.7
kn_unlike "$("$FW" -n -c "$KN_DIR/knocker.json" 2>/dev/null)" '198\.51\.100\.7' "-n after the revoke: gone"

BAD_PASS=$(kn_random_key)
printf '%s\n' "$BAD_PASS" >"$KN_DIR/bad.pass"
chmod 600 "$KN_DIR/bad.pass"
kn_make_config "$KN_DIR/badpass.json" "$FIREWALL" "$(kn_redis_filter)" ".store.password_file = \"$KN_DIR/bad.pass\""
out=$("$FW" -n -c "$KN_DIR/badpass.json" 2>&1)
kn_like "$? $(grep '^knocker-firewall:' <<<"$out")" "^1 knocker-firewall: redis unix:$KN_REDIS_SOCK: AUTH refused: WRONGPASS" \
    "-n with a wrong password: exits 1, naming the server and the refusal"
kn_unlike "$out" "$BAD_PASS|$KN_REDIS_PASS" "and prints no password"
kn_make_config "$KN_DIR/nosock.json" "$FIREWALL" "$(kn_redis_filter)" \
    ".store.address = \"unix:$KN_DIR/no-such.sock\""
out=$("$FW" -n -c "$KN_DIR/nosock.json" 2>&1)
kn_like "$? $(grep '^knocker-firewall:' <<<"$out")" "^1 knocker-firewall: redis unix:$KN_DIR/no-such\\.sock: connect: " \
    "-n with Redis unreachable: exits 1, naming the address"
kn_is "$(in_srv nft list tables | grep -c knocker)" 0 "-n: no table was created"

# --- follows Redis ---------------------------------------------------------------------
kn_ok "knocker-firewall starts in the server namespace" start_fw "$KN_DIR/knocker.json" || kn_bail "no firewall"
kn_like "$(fw_lines info)" 'guarding 1 port entry in table inet knocker \(input\), following the Redis store' \
    "it says it follows the Redis store"
kn_is "$(elems allow4)|$(elems allow6)|$(elems always4)" "||192.0.2.130" \
    "an empty whitelist: empty allow sets; always4 holds the always allowed address"
kn_is "$(probe tcp 192.0.2.2 192.0.2.1 2222) $(probe tcp 192.0.2.130 192.0.2.1 2222)" "FAIL OK" \
    "before a knock 192.0.2.2 is dropped; the always allowed 192.0.2.130 gets in"

fw_start_knocker "$KN_DIR/knocker.json"
t0=$(date +%s%N)
ans=$(knock 4)
kn_like "$ans" '^\{"whitelisted_entry":"192\.0\.2\.2","expires_at":[0-9]+,' \
    "a knock through lighttpd and knocker (Redis store) whitelists 192.0.2.2"
kn_is "$(wait_elems allow4 192.0.2.2)" 192.0.2.2 "soon after the knock the allow4 set holds 192.0.2.2"
kn_diag "the knock was in the set $((($(date +%s%N) - t0) / 1000000)) ms after it was sent (about 1 s or less expected on a quiet machine)"
kn_like "$(in_srv nft list set inet knocker allow4)" '192\.0\.2\.2 timeout (59m[0-9]+s|1h)' \
    "its timeout is the entry's remaining TTL (3600 s)"
kn_is "$(probe tcp 192.0.2.2 192.0.2.1 2222) $(probe tcp 192.0.2.66 192.0.2.1 2222)" "OK FAIL" \
    "after the knock 192.0.2.2 gets in, another address of the client still does not"

kn_ok "knockerctl add --ttl 600 2001:db8::2" ctl add --ttl 600 2001:db8::2
kn_is "$(wait_elems allow6 2001:db8::2)" 2001:db8::2 "soon the allow6 set holds 2001:db8::2"
kn_like "$(in_srv nft list set inet knocker allow6)" '2001:db8::2 timeout (9m[0-9]+s|10m)' \
    "with the TTL knockerctl gave"
kn_is "$(probe tcp 2001:db8::2 2001:db8::1 2222)" OK "2001:db8::2 gets in over IPv6"

t0=$(date +%s%N)
kn_ok "knockerctl revoke 192.0.2.2" ctl revoke 192.0.2.2
kn_is "$(wait_elems allow4 "")" "" "soon after the revoke the allow4 set is empty"
kn_diag "the revoke was applied $((($(date +%s%N) - t0) / 1000000)) ms after knockerctl started"
kn_is "$(probe tcp 192.0.2.2 192.0.2.1 2222)" FAIL "192.0.2.2 is dropped again"
kn_is "$(elems allow6)" 2001:db8::2 "the other entry stays"

# --- Redis stops answering: the last good sets stay ----------------------------------
# Lines counted from here: a loaded machine may have stalled Redis before.
errors_before=$(fw_lines error | wc -l)
again_before=$(fw_lines info | grep -c 'whitelist applied again')
kill -STOP "$KN_REDIS_PID"
for i in $(seq 1 200); do
	[ "$(fw_lines error | wc -l)" -gt "$errors_before" ] && break
	sleep 0.05
done
kn_is "$(($(fw_lines error | wc -l) - errors_before))" 1 "Redis stopped (SIGSTOP): the firewall logs an error"
kn_like "$(fw_lines error)" "WHITELIST NOT APPLIED: redis unix:$KN_REDIS_SOCK: .*keeps the last good whitelist \\(1 entries" \
    "naming the server and what it keeps"
sleep 3	# many more ticks, and Redis retries, while it stays stopped
kn_is "$(($(fw_lines error | wc -l) - errors_before))" 1 "one error line for the outage, not one per tick"
kn_is "$(elems allow6)" 2001:db8::2 "the sets keep the last good whitelist"
kn_is "$(probe tcp 2001:db8::2 2001:db8::1 2222)" OK "so 2001:db8::2 still gets in"
kill -CONT "$KN_REDIS_PID"
kn_ok "Redis continued (SIGCONT); knockerctl add 192.0.2.66" ctl add --ttl 600 192.0.2.66
kn_is "$(wait_elems allow4 192.0.2.66)" 192.0.2.66 "a new entry is applied again"
kn_ok "the recovery is logged" wait_log "$FWLOG" "knocker\\[$FW_PID\\]: info: firewall: whitelist applied again: [12] entries"
kn_is "$(($(fw_lines info | grep -c 'whitelist applied again') - again_before))" 1 "once"
kn_is "$(probe tcp 192.0.2.66 192.0.2.1 2222)" OK "192.0.2.66 gets in"

# --- Redis down at start ----------------------------------------------------------------
stop_fw
kn_is "$FW_RC" 0 "SIGTERM: exits 0"
kn_ok "redis-server stopped" kn_stop_pid "$KN_REDIS_PID"
kn_ok "with Redis down knocker-firewall starts all the same" start_fw "$KN_DIR/knocker.json"
kn_is "$(elems allow4)|$(elems allow6)|$(elems always4)" "||192.0.2.130" \
    "with empty allow sets (nothing is known), the always allowed address loaded"
kn_like "$(fw_lines error)" "WHITELIST NOT APPLIED: redis unix:$KN_REDIS_SOCK: connect: " "and logs why"
kn_is "$(probe tcp 192.0.2.66 192.0.2.1 2222) $(probe tcp 192.0.2.130 192.0.2.1 2222)" "FAIL OK" \
    "192.0.2.66 is dropped, 192.0.2.130 still gets in"
kn_ok "redis-server starts again (empty: no persistence)" kn_redis_start
kn_ok "knockerctl add 192.0.2.2" ctl add --ttl 600 192.0.2.2
kn_is "$(wait_elems allow4 192.0.2.2)" 192.0.2.2 "it kept trying: the entry is applied once Redis is back"
kn_is "$(fw_lines error | wc -l)" 1 "one error line for the whole outage"

# --- the whitelist file's directory is not watched ---------------------------------------
stop_fw
kn_make_config "$KN_DIR/nodir.json" "$FIREWALL" "$(kn_redis_filter)" \
    ".whitelist.storage_path = \"$KN_DIR/absent/whitelist.json\""
kn_ok "with the Redis store the storage directory need not exist (no inotify watch)" \
    start_fw "$KN_DIR/nodir.json"
kn_is "$(elems allow4)" 192.0.2.2 "and the sets come from Redis"

# --- a wrong password -------------------------------------------------------------------
stop_fw
kn_ok "with a wrong password it starts" start_fw "$KN_DIR/badpass.json"
kn_like "$(fw_lines error)" "WHITELIST NOT APPLIED: redis unix:$KN_REDIS_SOCK: AUTH refused: WRONGPASS" \
    "and the error says Redis refused the password"
kn_is "$(elems allow4)" "" "its sets start empty"
stop_fw
kn_is "$FW_RC" 0 "SIGTERM: exits 0"
kn_unlike "$(cat "$FWLOG")" "$BAD_PASS|$KN_REDIS_PASS" "no password in its log"

kn_done
