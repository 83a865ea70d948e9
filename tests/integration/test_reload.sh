#!/bin/bash
# Live reload (README "Reload"): 4 spawn-fcgi workers behind real lighttpd
# and nginx, under continuous load (verifies and knocks with a key that
# stays), while the config changes: a key added (atomic replace) works on
# every worker 1 s later; removed, it gets 401 everywhere 1 s later; a
# broken config (bad JSON, then a bad value) is refused with the file and
# key logged and the old config stays; storms of SIGHUP kill no worker; the
# systemd unit's ExecReload lines, run as they stand, reload the workers;
# knocker -t still checks. No request of the load fails.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/robust_lib.sh"

kn_init reload
kn_need_bin lighttpd nginx spawn-fcgi curl jq setpriv xargs

CONF=$KN_DIR/knocker.json
LOG=$KN_DIR/state/knocker.log
NEW_KEY=$(kn_random_key)
BASE=('.server.trusted_proxies = ["127.0.0.1", "::1"]'
    '.security.knock_rate_limit = {"window_seconds": 60, "successful_requests": 100000, "failed_requests": 100000}')
NEW_KEY_FILTER=".api_keys += [{\"name\": \"laptop\", \"key\": \"$NEW_KEY\", \"max_ttl\": 600}]"

# Writes a config with kn_make_config's arguments next to CONF and renames
# it over CONF (an editor's atomic save).
put_config() {	# [jq-filter...]
	kn_make_config "$CONF.new" "${BASE[@]}" "$@"
	mv "$CONF.new" "$CONF"
}
# Number of lines of the log matching REGEX.
log_count() { grep -Ec -- "$1" "$LOG"; }
# Distinct worker pids with a log line matching REGEX after line FROM.
log_pids() {	# FROM REGEX
	tail -n +"$(($1 + 1))" "$LOG" | grep -E -- "$2" | sed -n 's/.*knocker\[\([0-9]*\)\].*/\1/p' | sort -u | tr '\n' ' '
}
lines() { wc -l <"$LOG"; }
# Waits (up to 10 s) until every worker logged REGEX after line FROM.
wait_all_workers() {	# FROM REGEX
	local i
	for i in $(seq 1 100); do
		[ "$(log_pids "$1" "$2" | wc -w)" -ge 4 ] && return 0
		sleep 0.1
	done
	return 1
}
# Statuses of N knocks (key KEY) through URL for 203.0.113.M, one per line.
knocks() {	# URL KEY N
	local i urls=()
	for i in $(seq 1 "$3"); do urls+=(-o /dev/null "$1/knock"); done
	curl -g -s -w '%{http_code}\n' --max-time 20 -H "X-Api-Key: $2" \
	    -H 'X-Forwarded-For: 203.0.113.50' --data-binary '' "${urls[@]}"
}
sorted() { sort | uniq -c | awk '{print $2 ":" $1}' | tr '\n' ' '; }

put_config
kn_ok "4 workers behind lighttpd start" kn_stack "$CONF" 4
PIDS=$KN_APP_PIDS
PIDFILE=$(ls "$KN_DIR"/spawn-"$KN_APP_PORT"-*.pid)
run=$KN_DIR/nginx
np=$(kn_port)
kn_render_nginx "$run" "$np" "127.0.0.1:$KN_APP_PORT"
kn_ok "nginx starts in front of the same workers" kn_start_nginx "$run" "$np"
N=http://127.0.0.1:$np

# The load's client is knocked with the key that never changes.
KEY=$KN_ADMIN_KEY kn_is "$(kn_knock_as "$URL" 203.0.113.5)" 200 "the load's client is knocked"

# --- the load: until $KN_DIR/stop exists (at most 3 min) ---------------------------------
load() {	# NAME URL-PATH [curl args...]: batches of 10 requests
	local name=$1 path=$2 i end=$((SECONDS + 180)) urls=()
	shift 2
	for i in $(seq 1 10); do urls+=(-o /dev/null "$path"); done
	while [ ! -e "$KN_DIR/stop" ] && [ $SECONDS -lt $end ]; do
		curl -g -s -w '%{http_code}\n' --max-time 20 "$@" "${urls[@]}"
	done >"$KN_DIR/load-$name.txt" 2>>"$KN_DIR/curl.log"
}
load verify-l "$URL/private/index.html" -H 'X-Forwarded-For: 203.0.113.5' &
L1=$!
load verify-n "$N/private/index.html" -H 'X-Forwarded-For: 203.0.113.5' &
L2=$!
load knock-l "$URL/knock" -H "X-Api-Key: $KN_ADMIN_KEY" -H 'X-Forwarded-For: 198.51.100.7' --data-binary '' &
L3=$!
load knock-n "$N/knock" -H "X-Api-Key: $KN_ADMIN_KEY" -H 'X-Forwarded-For: 198.51.100.8' --data-binary '' &
L4=$!
kn_track $L1 $L2 $L3 $L4
sleep 1

# --- (a) a new key ------------------------------------------------------------------------
kn_is "$(knocks "$URL" "$NEW_KEY" 8 | sorted)" "401:8 " "before: the new key is unknown (401)"
from=$(lines)
put_config "$NEW_KEY_FILTER"
sleep 1.05
kn_is "$(knocks "$URL" "$NEW_KEY" 80 | sorted)" "200:80 " \
    "1 s after the new config is renamed into place, 80 knocks with the new key through lighttpd succeed"
kn_is "$(knocks "$N" "$NEW_KEY" 80 | sorted)" "200:80 " "... and 80 through nginx"
kn_ok "every worker logged the reload" wait_all_workers "$from" 'event=reload result=ok'
kn_diag "workers that reloaded: $(log_pids "$from" 'config reloaded')"
# Which worker takes a connection is the kernel's choice: said, not asserted.
kn_diag "knocks with the new key were answered by: $(log_pids "$from" 'event=knock result=ok client=203\.0\.113\.50 key=laptop')"

# --- (b) the key removed --------------------------------------------------------------------
from=$(lines)
put_config
sleep 1.05
kn_is "$(knocks "$URL" "$NEW_KEY" 80 | sorted)" "401:80 " \
    "1 s after the key is removed, 80 knocks with it through lighttpd get 401"
kn_is "$(knocks "$N" "$NEW_KEY" 80 | sorted)" "401:80 " "... and 80 through nginx"
kn_ok "every worker logged the reload" wait_all_workers "$from" 'event=reload result=ok'
kn_diag "knocks with the removed key were refused by: $(log_pids "$from" 'event=knock result=denied client=203\.0\.113\.50 .*status=401')"

# --- (c) broken configs ---------------------------------------------------------------------
from=$(lines)
printf '{"api_keys": [\n' >"$CONF.new"
chmod 600 "$CONF.new"
mv "$CONF.new" "$CONF"
kn_ok "bad JSON: every worker logged the refusal" wait_all_workers "$from" \
    "event=reload result=error .*reason=invalid file=$CONF error=.*not valid JSON"
kn_like "$(tail -n +"$((from + 1))" "$LOG" | grep -m1 'the config in force stays')" "$CONF" \
    "bad JSON: the log names the file"
kn_is "$(knocks "$URL" "$KN_ADMIN_KEY" 8 | sorted)" "200:8 " "bad JSON: the old config stays (its key knocks)"
kn_is "$(knocks "$URL" "$KN_API_KEY" 8 | sorted)" "200:8 " "bad JSON: ... its other key too"

# A bad value in a config that, applied, would lock the load's key out.
from=$(lines)
put_config '.api_keys = [.api_keys[0], {"name": "short", "key": "abc"}]'
kn_ok "bad value: every worker logged the refusal" wait_all_workers "$from" \
    'event=reload result=error .*api_keys\[1\]\.key'
kn_is "$(knocks "$URL" "$KN_ADMIN_KEY" 40 | sorted)" "200:40 " \
    "bad value: the old config stays (the key it would remove still knocks)"
kn_is "$(knocks "$N" "$KN_ADMIN_KEY" 40 | sorted)" "200:40 " "bad value: ... through nginx too"
sleep 1.1
kn_is "$(tail -n +"$((from + 1))" "$LOG" | grep -c 'event=reload result=error')" 4 \
    "the same refused file is reported once per worker, not every second"

# --- (e) knocker -t -------------------------------------------------------------------------
out=$("$KNOCKER" -t -c "$CONF" 2>&1)
kn_like "$?:$out" '^1:.*api_keys\[1\]\.key' "knocker -t refuses the bad config, naming the key"
put_config
out=$("$KNOCKER" -t -c "$CONF" 2>&1)
kn_is "$?:$out" "0:$CONF: ok" "knocker -t accepts the good config"

# --- (d) SIGHUP storms ----------------------------------------------------------------------
sleep 1.1
from=$(lines)
for i in $(seq 1 300); do
	kill -HUP $PIDS
done
kn_is "$(kn_count_alive $PIDS)" 4 "300 SIGHUPs to each of the 4 workers under load: all 4 still run (same pids)"
kn_is "$(tr '\n' ' ' <"$PIDFILE")" "$PIDS" "the pid file still names the same 4 workers"
kn_ok "every worker reloaded on SIGHUP" wait_all_workers "$from" 'event=reload result=ok'
hups=$(tail -n +"$((from + 1))" "$LOG" | grep -c 'event=reload result=ok')
kn_diag "reloads done for 1200 SIGHUPs (several signals fold into one): $hups"
for i in $(seq 1 200); do
	kill -HUP $PIDS
	[ $((i % 20)) = 0 ] && sleep 0.05
done
kn_is "$(kn_count_alive $PIDS)" 4 "a second storm, spread out: all 4 still run"

# --- the systemd unit's ExecReload, as it stands ----------------------------------------------
UNIT=$KN_SRC/conf-examples/knocker-spawn-fcgi.service
reload_cmd() {	# the ExecReload= lines, paths of this test put in
	sed -n "s/^$1//p" "$UNIT" | sed -e "s#/usr/local/sbin/knocker#$KNOCKER#g" \
	    -e "s#/etc/knocker/knocker.json#$CONF#g" -e "s#--reuid=knocker --regid=knocker#--reuid=0 --regid=0#" \
	    -e "s#/run/knocker/knocker.pid#$PIDFILE#g" -e "s#\\\$MAINPID#${PIDS%% *}#g"
}
run_lines() {	# run each line (as systemd does: stop at the first failure)
	local l
	while IFS= read -r l; do
		[ -n "$l" ] || continue
		eval "$l" >>"$KN_DIR/execreload.log" 2>&1 || return 1
	done
}
single=$(reload_cmd 'ExecReload=')
multi=$(reload_cmd '#   ExecReload=')
kn_like "$single" 'kill -HUP' "the unit has ExecReload lines (one worker: \$MAINPID)"
kn_like "$multi" 'kill -HUP' "the unit's N-worker variant has ExecReload lines (pid file)"
sleep 1.1
from=$(lines)
kn_ok "the N-worker ExecReload lines succeed" run_lines <<<"$multi"
kn_ok "... and every worker reloads" wait_all_workers "$from" 'event=reload result=ok'
sleep 1.1
from=$(lines)
kn_ok "the one-worker ExecReload lines succeed" run_lines <<<"$single"
for i in $(seq 1 100); do
	[ -n "$(log_pids "$from" 'event=reload result=ok')" ] && break
	sleep 0.1
done
kn_is "$(log_pids "$from" 'event=reload result=ok')" "${PIDS%% *} " "... and \$MAINPID reloads"
printf '{"api_keys": [\n' >"$CONF.new"
chmod 600 "$CONF.new"
# Not renamed into place yet: ExecReload checks the file it names.
CONF_SAVED=$CONF
CONF=$CONF.new
multi_bad=$(reload_cmd '#   ExecReload=')
CONF=$CONF_SAVED
from=$(lines)
kn_ok "ExecReload fails on a bad config..." test "$(run_lines <<<"$multi_bad"; echo $?)" = 1
sleep 0.3
kn_is "$(tail -n +"$((from + 1))" "$LOG" | grep -c 'event=reload')" 0 "... before signalling any worker"
rm -f "$CONF.new"

# --- (f) the load -------------------------------------------------------------------------------
touch "$KN_DIR/stop"
wait $L1 $L2 $L3 $L4
kn_untrack $L1 $L2 $L3 $L4
for f in verify-l verify-n knock-l knock-n; do
	n=$(wc -l <"$KN_DIR/load-$f.txt")
	kn_ok "load $f: requests were made during all of it ($n)" test "$n" -ge 100
	kn_is "$(sort -u "$KN_DIR/load-$f.txt" | tr '\n' ' ')" "200 " "load $f: every one of the $n answers was 200"
done
kn_is "$(kn_count_alive $PIDS)" 4 "the 4 workers still run"
kn_is "$(grep -c 'stopping' "$LOG")" 0 "no worker stopped"

# The reload counters, summed over the workers, match the audit lines.
kn_req GET "$URL/.knocker/metrics"
for r in ok error; do
	got=$(printf '%s\n' "$KN_BODY" | sed -n "s/^knocker_config_reloads_total{result=\"$r\"} //p")
	kn_is "$got" "$(log_count "event=reload result=$r ")" "metrics: knocker_config_reloads_total{result=\"$r\"} counts every audit line ($got)"
done

kn_done
