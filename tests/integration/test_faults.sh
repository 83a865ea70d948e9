#!/bin/bash
# Faults under real lighttpd (authorizer mode) and spawn-fcgi workers:
# storage directory not writable (workers as nobody), disk full (tmpfs),
# file size limit (ulimit -f), lock file deleted (between and during
# knocks), whitelist replaced by garbage, by an unreadable file or by a
# FIFO, storage directory gone, whitelist full, config missing. A knock
# that cannot be stored answers 500 with the persistence message and loses
# nothing, verify answers from the last good state or denies (an unknocked
# client always gets 401, never 200), /ready is 503 with a fixed message
# (it is public: no path, no errno text), and the log says what is wrong.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$KN_SRC/tests/integration/robust_lib.sh"

kn_init faults
kn_need_bin lighttpd spawn-fcgi curl jq mount umount dd xargs strace

PERSIST='{"error":"Internal server error: whitelist persistence failed."}'
NOT_READY='{"error":"Whitelist store not ready."}'
UNKNOCKED=198.51.100.99		# never knocked by anyone in this test
FAR=9999999999
PROT=/private/index.html
trusted='.server.trusted_proxies = ["127.0.0.1"]'

# Checks shared by every fault: the authorizer denies an unknocked client,
# a knock for IP answers 500 with the persistence message and does not let
# IP in, /ready is 503 with the fixed message, and LOG names the problem
# (REGEX) on a "ready: not ready" line.
fault_checks() {	# LABEL IP READY-REGEX LOG
	kn_is "$(kn_verify_as "$URL" "$UNKNOCKED")" 401 "$1: the authorizer denies an unknocked client"
	kn_req POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H "X-Forwarded-For: $2" --data-binary ''
	kn_is "$KN_STATUS:$KN_BODY" "500:$PERSIST" "$1: a knock answers 500, persistence failed"
	kn_is "$(kn_verify_as "$URL" "$2")" 401 "$1: the failed knock does not let its client in"
	kn_req GET "$URL/.knocker/ready"
	kn_is "$KN_STATUS:$KN_BODY" "503:$NOT_READY" "$1: /ready is 503 with the fixed message"
	kn_like "$(grep 'ready: not ready' "$4")" "$3" "$1: the log says why /ready is 503"
}

# --- 1. storage directory not writable: workers run as nobody -------------
# The directory belongs to the workers' user (nobody) as it must, but is
# read-only (0500); the whitelist, lock and rate-limit files exist and belong
# to nobody, so what fails is the atomic write itself (the temp file cannot
# be created).
RO=$KN_DIR/ro
mkdir -p "$RO"
printf '{"192.0.2.10":%s}' "$FAR" >"$RO/whitelist.json"
chown nobody:nogroup "$RO/whitelist.json"
chmod 400 "$RO/whitelist.json"
cp "$RO/whitelist.json" "$KN_DIR/ro-before.json"
for f in whitelist.json.lock whitelist.json.shm ro.log; do
	install -o nobody -g nogroup -m 600 /dev/null "$RO/$f"
done
chown nobody:nogroup "$RO"
chmod 500 "$RO"
install -m 755 "$KNOCKER" "$KN_DIR/knocker-bin"	# reachable by nobody wherever the build is
# No rate limits here: the limiter's table (.shm) cannot be made in a
# directory the workers do not own; these parts are about the whitelist.
NOLIMITS=('.security.knock_rate_limit.successful_requests = 0' '.security.knock_rate_limit.failed_requests = 0')
kn_make_config "$KN_DIR/ro.json" "$trusted" ".whitelist.storage_path = \"$RO/whitelist.json\"" \
    ".log.target = \"$RO/ro.log\"" "${NOLIMITS[@]}"
chown nobody:nogroup "$KN_DIR/ro.json"
# Sanitizer builds: nobody cannot write reports into $KN_DIR; collect them
# in a directory it can write, moved to where kn_done looks at the end.
mkdir -m 1777 "$KN_DIR/san-nobody"
KNOCKER=$KN_DIR/knocker-bin ASAN_OPTIONS="${ASAN_OPTIONS-}:log_path=$KN_DIR/san-nobody/sanitizer" \
    UBSAN_OPTIONS="${UBSAN_OPTIONS-}:log_path=$KN_DIR/san-nobody/sanitizer" \
    kn_ok "unwritable dir: 2 workers as nobody start behind lighttpd" kn_stack "$KN_DIR/ro.json" 2 -u nobody -g nogroup
kn_is "$(awk '/^Uid:/ {print $2}' "/proc/${KN_APP_PIDS%% *}/status")" "$(id -u nobody)" \
    "unwritable dir: the workers run as nobody"
fault_checks "unwritable dir" 192.0.2.11 "cannot write to directory $RO" "$RO/ro.log"
kn_ok "unwritable dir: the whitelist file is unchanged" cmp -s "$RO/whitelist.json" "$KN_DIR/ro-before.json"
kn_is "$(kn_verify_as "$URL" 192.0.2.10)" 200 "unwritable dir: verify still answers from the file (knocked client allowed)"
kn_req GET "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H 'X-Forwarded-For: 192.0.2.10'
kn_like "$KN_STATUS:$KN_BODY" '^200:.*"whitelisted":true' "unwritable dir: the status of a knocked client is still right"
kn_is "$(ls "$RO" | grep -c '\.tmp')" 0 "unwritable dir: no temp file left"
kn_like "$(cat "$RO/ro.log")" "temporary file beside $RO/whitelist\\.json: Permission denied" "unwritable dir: the log names the file and the error"

# The lock file deleted and not re-creatable: still 500, nothing lost.
rm -f "$RO/whitelist.json.lock"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H 'X-Forwarded-For: 192.0.2.12' --data-binary ''
kn_is "$KN_STATUS:$KN_BODY" "500:$PERSIST" "unwritable dir, no lock file: a knock answers 500"
kn_like "$(cat "$RO/ro.log")" "lock.*Permission denied" "unwritable dir, no lock file: the log says the lock file cannot be made"
kn_ok "unwritable dir, no lock file: the whitelist file is unchanged" cmp -s "$RO/whitelist.json" "$KN_DIR/ro-before.json"

# The whitelist replaced (new inode) by a file the workers cannot read:
# they cannot know what it holds, so they deny everyone.
cp "$RO/whitelist.json" "$RO/wl.new" && chmod 600 "$RO/wl.new" && mv "$RO/wl.new" "$RO/whitelist.json"
kn_is "$(kn_verify_as "$URL" 192.0.2.10)" 401 "unreadable whitelist: a knocked client is denied (fail closed)"
kn_is "$(kn_verify_as "$URL" "$UNKNOCKED")" 401 "unreadable whitelist: an unknocked client is denied"
kn_req GET "$URL/.knocker/ready"
kn_is "$KN_STATUS:$KN_BODY" "503:$NOT_READY" "unreadable whitelist: /ready is 503 with the fixed message"
kn_like "$(cat "$RO/ro.log")" "whitelist\\.json: Permission denied" "unreadable whitelist: the log says why"
kn_is "$(kn_count_alive $KN_APP_PIDS)" 2 "unwritable dir: both workers are still running"
kn_stop_all
for f in "$KN_DIR"/san-nobody/sanitizer.*; do [ -e "$f" ] && mv "$f" "$KN_DIR/"; done

# --- 2. disk full: a 64 KiB tmpfs (where mount works; part 3 always runs) --
disk_full() {
	kn_make_config "$KN_DIR/small.json" "$trusted" ".whitelist.storage_path = \"$SMALL/whitelist.json\"" \
	    ".log.target = \"$KN_DIR/small.log\"" "${NOLIMITS[@]}"
	kn_ok "disk full: 2 workers start" kn_stack "$KN_DIR/small.json" 2
	for ip in 192.0.2.30 192.0.2.31 192.0.2.32; do
		kn_is "$(kn_knock_as "$URL" "$ip")" 200 "disk full: knock for $ip before the disk fills"
	done
	kn_fill_fs "$SMALL"
	# Workers hold the file they last read open: once every worker has moved
	# on to the current file (a few verifies), older copies are freed; fill again.
	for i in 1 2 3 4 5 6 7 8; do kn_verify_as "$URL" 192.0.2.30 >/dev/null; done
	kn_fill_fs "$SMALL"
	cp "$SMALL/whitelist.json" "$KN_DIR/small-before.json"
	kn_is "$(df -P "$SMALL" | awk 'NR == 2 {print $4}')" 0 "disk full: no space left on the tmpfs"
	fault_checks "disk full" 192.0.2.33 "cannot write" "$KN_DIR/small.log"
	kn_ok "disk full: the whitelist file is unchanged" cmp -s "$SMALL/whitelist.json" "$KN_DIR/small-before.json"
	kn_is "$(kn_verify_as "$URL" 192.0.2.31)" 200 "disk full: earlier knocks are still allowed"
	kn_is "$(ls "$SMALL" | grep -c '\.tmp')" 0 "disk full: no temp file left behind"
	kn_like "$(cat "$KN_DIR/small.log")" "whitelist\\.json\\.tmp-[0-9a-f]+: No space left on device" "disk full: the log says why"
	rm -f "$SMALL"/filler.*
	kn_is "$(kn_knock_as "$URL" 192.0.2.34)" 200 "disk full, space freed: knocks work again"
	kn_is "$(jq -c 'keys' "$SMALL/whitelist.json")" '["192.0.2.30","192.0.2.31","192.0.2.32","192.0.2.34"]' \
	    "disk full, space freed: every entry answered 200 is there, the failed one is not"
	kn_is "$(kn_http GET "$URL/.knocker/ready")" 200 "disk full, space freed: /ready is 200 again"
	kn_stop_all
}
SMALL=$KN_DIR/small
mkdir -p "$SMALL"
if mount -t tmpfs -o size=64k,mode=0700 tmpfs "$SMALL" 2>"$KN_DIR/mount.err"; then
	# The workers keep the whitelist open: stop them before unmounting.
	trap 'rc=$?; kn_stop_all; umount "$SMALL" 2>/dev/null || umount -l "$SMALL"; (exit $rc); kn__cleanup' EXIT
	disk_full
	umount "$SMALL" || umount -l "$SMALL"
	trap kn__cleanup EXIT
else
	kn__report 1 "disk full (tmpfs): cannot mount a tmpfs here: $(head -c 100 "$KN_DIR/mount.err" | tr -s "\n" " ")"
fi

# --- 3. file size limit (RLIMIT_FSIZE, ulimit -f 4 on the workers) ---------
# SIGXFSZ must not kill the worker: the write fails, the knock is a 500.
FS=$KN_DIR/fsize
mkdir -p -m 700 "$FS"
seed=$(for i in $(seq 1 150); do printf '"10.2.0.%d":%s,' "$i" "$FAR"; done)
printf '{%s}' "${seed%,}" >"$FS/whitelist.json"	# ~3.5 KiB: a few knocks from the limit
chmod 600 "$FS/whitelist.json"
kn_make_config "$KN_DIR/fsize.json" "$trusted" ".whitelist.storage_path = \"$FS/whitelist.json\"" \
    ".log.target = \"$KN_DIR/fsize.log\"" '.log.level = "warn"' "${NOLIMITS[@]}"
KN_FSIZE_LIMIT=4 kn_ok "file size limit: 2 workers start under ulimit -f 4" kn_stack "$KN_DIR/fsize.json" 2
pids=$KN_APP_PIDS
: >"$KN_DIR/fsize-ok"
last=""
for i in $(seq 1 80); do
	last=$(kn_knock_as "$URL" "10.3.0.$i")
	[ "$last" = 200 ] && echo "10.3.0.$i" >>"$KN_DIR/fsize-ok"
	[ "$last" = 200 ] || break
done
kn_is "$last" 500 "file size limit: knocks answer 500 once the file would exceed the limit"
kn_ok "file size limit: the whitelist file parses" kn_whitelist_parses "$FS/whitelist.json"
kn_is "$(kn_missing "$FS/whitelist.json" "$KN_DIR/fsize-ok" | wc -l)" 0 \
    "file size limit: every knock answered 200 ($(wc -l <"$KN_DIR/fsize-ok")) is in the file"
kn_is "$(jq length "$FS/whitelist.json")" $((150 + $(wc -l <"$KN_DIR/fsize-ok"))) "file size limit: the seeded entries are all there"
kn_is "$(kn_verify_as "$URL" 10.2.0.77)" 200 "file size limit: a seeded client is allowed"
kn_is "$(kn_verify_as "$URL" "$UNKNOCKED")" 401 "file size limit: an unknocked client is denied"
kn_is "$(kn_count_alive $pids)" 2 "file size limit: no worker was killed by SIGXFSZ (same pids)"
kn_like "$(cat "$KN_DIR/fsize.log")" "File too large" "file size limit: the log says why"
kn_stop_all

# --- 4. lock file deleted, 5. whitelist replaced by garbage -----------------
kn_make_config "$KN_DIR/main.json" "$trusted" \
    '.security.knock_rate_limit.successful_requests = 0' '.security.knock_rate_limit.failed_requests = 0'
kn_ok "4 workers start" kn_stack "$KN_DIR/main.json" 4
WL=$KN_DIR/state/whitelist.json
kn_is "$(kn_knock_as "$URL" 192.0.2.20)" 200 "a first knock"
rm -f "$WL.lock"
kn_is "$(kn_knock_as "$URL" 192.0.2.21)" 200 "lock file deleted between knocks: the next knock works"
kn_is "$(stat -c %a "$WL.lock" 2>&1)" 600 "lock file deleted: re-created with mode 0600"
kn_is "$(jq -c 'keys' "$WL")" '["192.0.2.20","192.0.2.21"]' "lock file deleted between knocks: nothing lost"

# The lock file deleted again and again while 4 workers take 200 knocks
# (16 at a time): two writers at once must never lose a knock, and every
# knock must still get through. Twice: as fast as this disk is, and with
# every fsync of the workers made 15 ms slow by strace (a slow disk: most
# waiters then find their lock file gone and writers overlap often).
export URL6 KN_ADMIN_KEY
knock_one() {	# NET i -> "STATUS ENTRY" (from ::1, untrusted: the body names the entry)
	local ip="10.$1.$(($2 / 250)).$(($2 % 250 + 1))"
	echo "$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "X-Api-Key: $KN_ADMIN_KEY" \
	    -H 'Content-Type: application/json' --data-binary "{\"ip_address\":\"$ip\"}" "$URL6/knock") $ip"
}
export -f knock_one
lock_burst() {	# NET LABEL
	local deleter lost
	( for i in $(seq 1 4000); do rm -f "$WL.lock"; sleep 0.005; done ) &
	deleter=$!
	kn_track $deleter
	seq 0 199 | xargs -P 16 -I{} bash -c "knock_one $1 {}" >"$KN_DIR/lock-knocks-$1.txt"
	kill "$deleter" 2>/dev/null
	wait "$deleter" 2>/dev/null
	kn_untrack "$deleter"
	kn_is "$(grep -c '^200 ' "$KN_DIR/lock-knocks-$1.txt")" 200 \
	    "lock file deleted during 200 concurrent knocks$2: all answered 200"
	[ "$(grep -c '^200 ' "$KN_DIR/lock-knocks-$1.txt")" = 200 ] ||
	    kn_diag "answers: $(awk '{print $1}' "$KN_DIR/lock-knocks-$1.txt" | sort | uniq -c | tr '\n' ' ')"
	kn_ok "lock file deleted during concurrent knocks$2: the file parses" kn_whitelist_parses "$WL"
	awk '$1 == 200 {print $2}' "$KN_DIR/lock-knocks-$1.txt" >"$KN_DIR/lock-ok-$1"
	lost=$(kn_missing "$WL" "$KN_DIR/lock-ok-$1")
	kn_is "$(echo $lost | wc -w)" 0 "lock file deleted during concurrent knocks$2: no knock answered 200 is lost"
	[ -z "$lost" ] || kn_diag "lost: $(echo $lost | head -c 300)"
}
lock_burst 44 ""
traced() {	# every worker has a tracer, waiting up to 10 s
	local p i
	for i in $(seq 1 100); do
		for p in $KN_APP_PIDS; do
			grep -q '^TracerPid:[[:space:]]*[1-9]' "/proc/$p/status" || { sleep 0.1; continue 2; }
		done
		return 0
	done
	return 1
}
slowed=""
for p in $KN_APP_PIDS; do
	strace -qq -f -p "$p" -o /dev/null -e trace=fsync,fdatasync \
	    -e inject=fsync,fdatasync:delay_exit=15000 &
	slowed="$slowed $!"
done
kn_track $slowed
kn_ok "slow fsync: strace is attached to every worker" traced
lock_burst 45 ", 15 ms fsync"
kill $slowed 2>/dev/null
wait $slowed 2>/dev/null
kn_untrack $slowed
kn_is "$(kn_count_alive $KN_APP_PIDS)" 4 "slow fsync: every worker still runs once strace lets go"

# Garbage, replaced atomically (a new inode).
kn_is "$(kn_verify_as "$URL" 192.0.2.20)" 200 "before the garbage: 192.0.2.20 is allowed"
printf 'not json at all \x00\xff{"192.0.2.20":9999999999}' >"$KN_DIR/garbage"
cp "$KN_DIR/garbage" "$WL.new" && mv "$WL.new" "$WL"
sleep 1		# outside edits are seen within a second
kn_is "$(kn_verify_as "$URL" 192.0.2.20)" 401 "garbage whitelist: a knocked client is denied (fail closed)"
kn_is "$(kn_verify_as "$URL" "$UNKNOCKED")" 401 "garbage whitelist: an unknocked client is denied"
kn_req GET "$URL/.knocker/verify" -H 'X-Forwarded-For: 192.0.2.20'
kn_is "$KN_STATUS" 401 "garbage whitelist: the /verify responder denies too"
kn_req GET "$URL/private/health"
kn_is "$KN_STATUS:$KN_BODY" "200:HEALTH-OK" "garbage whitelist: excluded paths still work"
kn_req GET "$URL/.knocker/ready"
kn_is "$KN_STATUS:$KN_BODY" "503:$NOT_READY" "garbage whitelist: /ready is 503 with the fixed message"
kn_like "$(grep 'ready: not ready' "$KN_DIR/state/knocker.log")" 'does not parse' "garbage whitelist: the log says the file does not parse"
kn_req GET "$URL/knock" -H "X-Api-Key: $KN_API_KEY" -H 'X-Forwarded-For: 192.0.2.20'
kn_unlike "$KN_BODY" '"whitelisted":true' "garbage whitelist: status does not claim a whitelisted client ($KN_STATUS)"
kn_is "$(kn_knock_as "$URL" 192.0.2.22)" 200 "garbage whitelist: a new knock succeeds"
corrupt=$(ls "$WL".corrupt-* 2>/dev/null)
kn_like "$corrupt" "^$WL\\.corrupt-[0-9]+\$" "garbage whitelist: kept aside as exactly one .corrupt-<unix time>"
kn_ok "garbage whitelist: the kept file has the original bytes" cmp -s "$corrupt" "$KN_DIR/garbage"
kn_is "$(jq -c 'keys' "$WL")" '["192.0.2.22"]' "garbage whitelist: the new file holds the new knock only"
kn_is "$(kn_verify_as "$URL" 192.0.2.22)" 200 "garbage whitelist: the new knock is allowed by every worker"
kn_is "$(kn_http GET "$URL/.knocker/ready")" 200 "garbage whitelist: /ready is 200 again"
kn_like "$(cat "$KN_DIR/state/knocker.log")" "does not parse; renamed it to $WL\\.corrupt-" "garbage whitelist: the log says so"

# Garbage written in place (same inode, e.g. an editor or a truncated copy).
sleep 1		# another .corrupt-<second> name
printf '{"192.0.2.22":%s,"192.0.2.2' "$FAR" >"$KN_DIR/garbage2"
cat "$KN_DIR/garbage2" >"$WL"
sleep 1
kn_is "$(kn_verify_as "$URL" 192.0.2.22)" 401 "truncated whitelist (written in place): denied (fail closed)"
kn_is "$(kn_knock_as "$URL" 192.0.2.23)" 200 "truncated whitelist: a new knock succeeds"
kn_is "$(ls "$WL".corrupt-* | wc -l)" 2 "truncated whitelist: kept aside too"
kn_ok "truncated whitelist: the kept file has the original bytes" \
    cmp -s "$(ls -t "$WL".corrupt-* | head -1)" "$KN_DIR/garbage2"

# A FIFO in place of the whitelist (a mistake, or a hostile local user):
# a worker must not block opening it; it is not a whitelist, so deny.
cp "$WL" "$KN_DIR/wl-saved"
mkfifo "$KN_DIR/state/fifo" && mv "$KN_DIR/state/fifo" "$WL"
sleep 1
kn_is "$(kn_http GET "$URL$PROT" -H 'X-Forwarded-For: 192.0.2.23' --max-time 5)" 401 \
    "whitelist replaced by a FIFO: the authorizer answers (deny), no worker hangs"
kn_is "$(kn_http GET "$URL$PROT" -H "X-Forwarded-For: $UNKNOCKED" --max-time 5)" 401 \
    "whitelist replaced by a FIFO: an unknocked client is denied"
kn_is "$(kn_http GET "$URL/.knocker/ready" --max-time 5)" 503 "whitelist replaced by a FIFO: /ready is 503"
# Wake up any worker stuck in open() (bounded), then put the file back.
for i in $(seq 1 20); do
	dd of="$WL" oflag=nonblock count=0 status=none 2>/dev/null </dev/null
	sleep 0.1
done
rm -f "$WL"
mv "$KN_DIR/wl-saved" "$WL"
sleep 1
kn_is "$(kn_verify_as "$URL" 192.0.2.23)" 200 "the whitelist file back: its client is allowed again"

kn_is "$(kn_count_alive $KN_APP_PIDS)" 4 "all 4 workers survived the faults"

# The config deleted while workers run: they keep the config they loaded.
rm -f "$KN_DIR/main.json"
kn_is "$(kn_knock_as "$URL" 192.0.2.24)" 200 "config deleted while running: knocks still work"
kn_is "$(kn_verify_as "$URL" 192.0.2.24)" 200 "config deleted while running: verify still works"

# The storage directory moved away (deleted, unmounted): nothing to read,
# nothing to write; it comes back: everything works again.
mv "$KN_DIR/state" "$KN_DIR/state.away"
sleep 1
fault_checks "no storage directory" 192.0.2.25 "storage directory $KN_DIR/state" \
    "$KN_DIR/state.away/knocker.log"
kn_is "$(kn_verify_as "$URL" 192.0.2.24)" 401 "no storage directory: a knocked client is denied (no whitelist to read)"
kn_like "$(cat "$KN_DIR/state.away/knocker.log")" "storage directory $KN_DIR/state: No such file or directory" \
    "no storage directory: the log says why"
mv "$KN_DIR/state.away" "$KN_DIR/state"
sleep 1
kn_is "$(kn_verify_as "$URL" 192.0.2.24)" 200 "storage directory back: the knocked client is allowed again"
kn_is "$(kn_knock_as "$URL" 192.0.2.26)" 200 "storage directory back: knocks work again"
kn_is "$(kn_http GET "$URL/.knocker/ready")" 200 "storage directory back: /ready is 200"
kn_stop_all

# --- 6. whitelist full (max_whitelist_entries) --------------------------------
# The entries expiring soonest make room; whatever is dropped, a knock that
# answers 200 must be in the whitelist (or the knock must not answer 200).
kn_make_config "$KN_DIR/full.json" "$trusted" '.security.max_whitelist_entries = 2' \
    ".whitelist.storage_path = \"$KN_DIR/full/whitelist.json\"" ".log.target = \"$KN_DIR/full.log\""
mkdir -p -m 700 "$KN_DIR/full"
kn_ok "whitelist full: 2 workers start (max_whitelist_entries 2)" kn_stack "$KN_DIR/full.json" 2
for b in '{"ip_address":"192.0.2.41"}' '{"ip_address":"192.0.2.42"}' '{"ip_address":"192.0.2.43","ttl":60}'; do
	KEY=$KN_ADMIN_KEY kn_knock "$URL/knock" "$b" -H 'X-Forwarded-For: 198.51.100.40'
	entry=$(printf '%s' "$KN_BODY" | sed -n 's/.*"whitelisted_entry":"\([^"]*\)".*/\1/p')
	if [ "$KN_STATUS" = 200 ]; then
		kn_is "$(jq --arg e "$entry" 'has($e)' "$KN_DIR/full/whitelist.json")" true \
		    "whitelist full: knock $b answered 200, its entry is in the file"
		kn_is "$(kn_verify_as "$URL" "$entry")" 200 "whitelist full: and its client is allowed"
	else
		kn_like "$KN_STATUS" '^[45]' "whitelist full: knock $b refused ($KN_STATUS)"
	fi
done
kn_is "$(jq length "$KN_DIR/full/whitelist.json")" 2 "whitelist full: the file holds at most 2 entries"
kn_stop_all

# --- 7. config missing at start ----------------------------------------------
out=$("$KNOCKER" -t -c "$KN_DIR/nope.json" 2>&1)
kn_is "$?" 1 "missing config: knocker -t exits 1"
kn_like "$out" "nope\\.json" "missing config: the message names the file"
port=$(kn_port)
spawn-fcgi -a 127.0.0.1 -p "$port" -F 2 -P "$KN_DIR/nc.pid" -- "$KNOCKER" -c "$KN_DIR/nope.json" >/dev/null 2>&1
kn_track $(cat "$KN_DIR/nc.pid" 2>/dev/null)
gone=0
for i in $(seq 1 50); do
	[ "$(kn_count_alive $(cat "$KN_DIR/nc.pid" 2>/dev/null))" = 0 ] && { gone=1; break; }
	sleep 0.1
done
kn_is "$gone" 1 "missing config: the workers refuse to start"
[ "$gone" = 1 ] && kn_untrack $(cat "$KN_DIR/nc.pid" 2>/dev/null)
kn_ok "missing config: lighttpd starts in front of the missing workers" kn_front "$port"
kn_req GET "$URL/private/index.html"
kn_unlike "$KN_STATUS" '^2' "missing config: the protected page is refused ($KN_STATUS)"
kn_unlike "$KN_BODY" SECRET-PAGE "missing config: the protected content does not leak"
kn_req POST "$URL/knock" -H "X-Api-Key: $KN_API_KEY" --data-binary ''
kn_unlike "$KN_STATUS" '^2' "missing config: a knock is refused ($KN_STATUS)"
# As a CGI program (one request, explicit answers even without a config).
cgi() { env -i PATH="$PATH" KNOCKER_CONFIG="$KN_DIR/nope.json" REMOTE_ADDR=127.0.0.1 "$@" "$KNOCKER" </dev/null 2>/dev/null; }
out=$(cgi REQUEST_METHOD=POST SCRIPT_NAME=/knock HTTP_X_API_KEY="$KN_API_KEY")
kn_like "$out" '^Status: 500' "missing config, CGI knock: 500"
kn_like "$out" "$(printf '%s' "$PERSIST" | sed 's/[.]/\\./g')" "missing config, CGI knock: persistence message"
out=$(cgi REQUEST_METHOD=GET SCRIPT_NAME=/verify)
kn_like "$out" '^Status: 401' "missing config, CGI verify: 401"
out=$(cgi FCGI_ROLE=AUTHORIZER REQUEST_METHOD=GET REQUEST_URI=/private/index.html)
kn_like "$out" '^Status: 401' "missing config, authorizer role: 401 (explicit, never empty)"
out=$(cgi REQUEST_METHOD=GET SCRIPT_NAME=/ready)
kn_like "$out" '^Status: 503' "missing config, CGI /ready: 503"

kn_done
