#!/bin/bash
# scripts/demo, run for real (install-deps, spawn-fcgi, two lighttpd) from a
# source tree that was configured in place (./configure there). Its build
# step is the tree's own `make`: here a Makefile that copies the knocker and
# knock this build made, so the test does not compile everything again.
# Then the lines it prints are pasted as a user would, and `scripts/demo stop`
# must stop every process it started, also when a worker is already gone.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

kn_init demo
kn_need_bin lighttpd spawn-fcgi curl ss

top=$KN_DIR/src
state=$KN_DIR/demo
mkdir -p "$top/scripts"
cp "$KN_SRC/scripts/demo" "$KN_SRC/scripts/deps" "$KN_SRC/scripts/install-deps" "$top/scripts/"
ln -s "$KN_SRC/conf-examples" "$top/conf-examples"
ln -s "$KN_SRC/web" "$top/web"
# The knock client, unless this build left it out (--disable-client).
knock_bin=""
[ -x "$KN_BUILD/knocker-knock" ] && knock_bin=$KN_BUILD/knocker-knock
echo "# made by ./configure" >"$top/config.status"
printf 'all:\n\tcp %s %s .\n' "$KNOCKER" "$knock_bin" >"$top/Makefile"

# A base port with the two after it free too (the demo uses all three).
while :; do
	port=$(kn_port)
	[ -z "$(ss -Htln "( sport = :$((port + 1)) or sport = :$((port + 2)) )")" ] && break
done

PORT=$port KNOCKER_DEMO_DIR=$state "$top/scripts/demo" >"$KN_DIR/demo.out" 2>"$KN_DIR/demo.err"
rc=$?
# Whatever happened, what it started is stopped when the test ends.
# (awk, not cat: spawn-fcgi ends its pid file without a newline.)
pids=$(awk 1 "$state"/run/*.pid 2>/dev/null)
kn_track $pids
kn_is "$rc" 0 "scripts/demo in a tree configured in place exits 0" ||
	kn_diag "$(cat "$KN_DIR/demo.err")"
kn_like "$(cat "$KN_DIR/demo.out")" "== building knocker in $top \(configured there\)" \
    "it builds where the tree was configured"
kn_is "$(echo $pids | wc -w)" 4 "it started 2 workers and 2 lighttpd (pid files)"

key_line=$(sed -n 's/^  API key: *\([0-9a-f]*\) .*/\1/p' "$KN_DIR/demo.out")
kn_like "$key_line" '^[0-9a-f]{64}$' "it prints the API key"
kn_is "$(stat -c %a "$state/api-key")" 600 "the key file is mode 0600"
kn_is "$(cat "$state/api-key")" "$key_line" "the key file holds the printed key"
paste=$(sed -n 's/^  \(KEY=.*\)$/\1/p' "$KN_DIR/demo.out")
kn_is "$paste" "KEY=\$(cat $state/api-key)" "it prints a line that sets \$KEY"

# The README's session: its KEY line reads where the demo writes by default.
kn_like "$(cat "$KN_SRC/README.md")" 'KEY=\$\(cat /tmp/knocker-demo/api-key\)' \
    "the README sets KEY before using it"
kn_like "$(cat "$KN_SRC/scripts/demo")" 'state=\$\{KNOCKER_DEMO_DIR:-/tmp/knocker-demo\}' \
    "and the demo writes there by default"

# Paste the printed lines (KEY=..., then the three curl commands).
KEY=""
eval "$paste"
kn_is "$KEY" "$key_line" "the pasted line sets KEY"
url=http://127.0.0.1:$port
kn_req GET "$url/private/"
kn_is "$KN_STATUS" 401 "before the knock: 401"
kn_req POST "$url/knock" -d '' -H "X-Api-Key: $KEY"
kn_like "$KN_STATUS:$KN_BODY" '^200:\{"whitelisted_entry":"127\.0\.0\.1",' "the knock with \$KEY whitelists 127.0.0.1"
kn_req GET "$url/private/"
kn_is "$KN_STATUS" 200 "after the knock: 200"
if [ -n "$knock_bin" ]; then
	out=$("$top/knocker-knock" --key-file "$state/api-key" "$url/knock" 2>&1)
	kn_is "$?" 0 "the printed knock client line works with the key file" || kn_diag "$out"
fi

# One worker gone before the stop: no stray message, everything else stopped.
worker=$(head -n 1 "$state/run/knocker.pid")
kn_stop_pid "$worker"
KNOCKER_DEMO_DIR=$state "$top/scripts/demo" stop >"$KN_DIR/stop.out" 2>"$KN_DIR/stop.err"
kn_is "$?" 0 "scripts/demo stop exits 0"
kn_is "$(cat "$KN_DIR/stop.out")" "knocker demo stopped" "it says so"
kn_is "$(cat "$KN_DIR/stop.err")" "" "nothing on stderr, though a worker was already gone"
left=""
for p in $pids; do
	kn_alive "$p" && left="$left $p"
done
kn_is "$left" "" "no process of the demo is left"
kn_is "$(ls "$state/run/"*.pid 2>/dev/null)" "" "its pid files are gone"
KNOCKER_DEMO_DIR=$state "$top/scripts/demo" stop >"$KN_DIR/stop.out" 2>"$KN_DIR/stop.err"
kn_is "$?:$(cat "$KN_DIR/stop.err")" "0:" "a second stop is quiet too"

# A pid file naming a process the demo did not start (a knocker of someone
# else, say): left alone.
(exec -a knocker-of-someone-else sleep 300) &
other=$!
kn_track $other
mkdir -p "$state/run"
echo "$other" >"$state/run/knocker.pid"
KNOCKER_DEMO_DIR=$state "$top/scripts/demo" stop >/dev/null 2>&1
kn_ok "a stale pid file never stops another process" kn_alive "$other"
echo 999999999 >"$state/run/knocker.pid"
KNOCKER_DEMO_DIR=$state "$top/scripts/demo" stop >/dev/null 2>"$KN_DIR/stop.err"
kn_is "$(cat "$KN_DIR/stop.err")" "" "a pid file naming no process: nothing on stderr"

kn_done
