#!/bin/bash
# The Debian packages (debian/, docs/INSTALL.md): build them with
# dpkg-buildpackage, lintian without errors, install them beside Debian's
# knockd with apt, check what postinst made, run the service's commands, put
# real lighttpd, Apache and nginx in front of it with the INSTALLED snippets
# and the packaged config (deny, knock, allow), then purge and check nothing
# is left.
#
# Root only, and it changes the machine (installs and purges the packages,
# a system user, port 9000): CI's throwaway machine. Slow (a package build),
# so it is not part of "make check": "make check-package" runs it, and
# scripts/test calls that once, after the plain build's make check.
#
# systemd is not PID 1 in CI's containers: then the unit's ExecStartPre,
# ExecStart and ExecReload lines are run by hand, as systemd would run them.
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

kn_init package
kn_need_bin dpkg-buildpackage lintian apt-get spawn-fcgi lighttpd apache2 nginx curl jq

[ "$(id -u)" = 0 ] || kn_bail "test_package.sh must run as root (it installs the packages)"
if dpkg-query -W -f '${Status}' knocker 2>/dev/null | grep -q 'ok installed'; then
	kn_bail "the knocker package is installed already: this test would purge it"
fi
getent passwd knocker >/dev/null && kn_bail "a user 'knocker' exists already: this test would remove it"
[ -z "$(ss -Htln 'sport = :9000')" ] || kn_bail "port 9000 is busy: the packaged service listens there"

UNIT=/lib/systemd/system/knocker.service
unit_cmd_raw() {	# KEY
	sed -n "s/^$1=//p" "$UNIT"
}
CONF=/etc/knocker/knocker.json
WWW=/var/www/html/private
PAGE=knocker-package-test.html
made_www=0
installed=0

pkg_cleanup() {
	local p
	if [ -f /run/knocker/knocker.pid ]; then
		for p in $(cat /run/knocker/knocker.pid); do
			kill "$p" 2>/dev/null
		done
	fi
	lighty-disable-mod knocker >/dev/null 2>&1
	[ "$installed" = 1 ] && DEBIAN_FRONTEND=noninteractive apt-get purge -y -q knocker knocker-client >>"$KN_DIR/apt.log" 2>&1
	rm -f "$WWW/$PAGE"
	[ "$made_www" = 1 ] && rmdir "$WWW" 2>/dev/null
	rm -rf /run/knocker
}
trap 'pkg_cleanup; kn__cleanup' EXIT

# --- build and lintian -----------------------------------------------------
# In a copy of the source (dh_autoreconf and the build write into it).
mkdir -p "$KN_DIR/src"
tar -C "$KN_SRC" --exclude=./_build --exclude=./.git --exclude=./debian/build --exclude=./debian/tmp \
    --exclude=./autom4te.cache -cf - . | tar -C "$KN_DIR/src" -xf - || kn_bail "copying the source failed"
(cd "$KN_DIR/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) >"$KN_DIR/build.log" 2>&1
kn_is "$?" 0 "dpkg-buildpackage -us -uc -b builds the packages" || { tail -n 30 "$KN_DIR/build.log" | sed 's/^/# /'; kn_bail "no packages"; }
deb=$(ls "$KN_DIR"/knocker_*_*.deb)
cdeb=$(ls "$KN_DIR"/knocker-client_*_*.deb)
# What "make install" laid out (debian/tmp: configure --prefix=/usr
# --sysconfdir=/etc --localstatedir=/var), before the split into packages.
tmp=$KN_DIR/src/debian/tmp
for f in usr/sbin/knocker usr/bin/knocker-knock usr/share/man/man8/knocker.8 usr/share/man/man5/knocker.json.5 \
    usr/share/man/man1/knocker-knock.1 usr/share/knocker/knocker.json.example lib/systemd/system/knocker.service \
    usr/lib/systemd/user/knock-watch.service etc/lighttpd/conf-available/05-knocker.conf \
    etc/apache2/conf-available/knocker.conf etc/nginx/snippets/knocker.conf usr/share/knocker/web/index.html \
    usr/share/doc/knocker/INSTALL.md usr/share/doc/knocker/DEPLOY.md usr/share/doc/knocker/API.md; do
	kn_ok "make install: $f" test -s "$tmp/$f"
done
kn_unlike "$(cat "$tmp"/lib/systemd/system/*.service "$tmp"/etc/*/*/*knocker.conf "$tmp"/usr/share/knocker/knocker.json.example)" \
    '@[A-Za-z_]+@|/usr/local' "make install: no @marker@ and no /usr/local left in the unit, snippets and example"
lint=$(lintian "$KN_DIR"/knocker_*.changes 2>&1)
kn_unlike "$lint" '^E: ' "lintian: no errors" || kn_diag "$lint"

# --- install beside knockd ------------------------------------------------
DEBIAN_FRONTEND=noninteractive apt-get install -y -q knockd >>"$KN_DIR/apt.log" 2>&1
kn_is "$?" 0 "knockd (Debian's, with /usr/bin/knock) is installed"
installed=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" "$cdeb" >>"$KN_DIR/apt.log" 2>&1
kn_is "$?" 0 "apt-get install ./knocker_*.deb ./knocker-client_*.deb beside knockd" || kn_diag "$(tail -n 20 "$KN_DIR/apt.log")"
kn_is "$(dpkg-query -S /usr/bin/knock 2>/dev/null)" "knockd: /usr/bin/knock" "/usr/bin/knock is still knockd's"
kn_ok "knocker-knock is on PATH and answers --version" knocker-knock --version
kn_is "$(man -w knocker-knock 2>/dev/null)" /usr/share/man/man1/knocker-knock.1.gz "man knocker-knock"
for page in knocker.8 knocker.json.5; do
	kn_ok "man page $page is installed" test -f "/usr/share/man/man${page##*.}/$page.gz"
done
kn_ok "the web app is under /usr/share/knocker/web" test -f /usr/share/knocker/web/index.html
kn_ok "the docs are under /usr/share/doc/knocker" test -f /usr/share/doc/knocker/INSTALL.md.gz

WANTS=/etc/systemd/system/multi-user.target.wants
kn_ok "knocker.service is enabled (multi-user.target wants it)" test -L "$WANTS/knocker.service"
kn_ok "knockerctl is installed" test -x /usr/sbin/knockerctl
kn_ok "man page knockerctl.8 is installed" test -f /usr/share/man/man8/knockerctl.8.gz
kn_ok "knocker-firewall is installed" test -x /usr/sbin/knocker-firewall
kn_like "$(grep '^ExecStart=' /lib/systemd/system/knocker-firewall.service)" '^ExecStart=/usr/sbin/knocker-firewall -c /etc/knocker/knocker.json$' \
    "knocker-firewall.service names the installed binary and config"
kn_ok "knocker-firewall.service is NOT enabled (it needs a firewall section first)" test ! -e "$WANTS/knocker-firewall.service"

# --- what postinst made ------------------------------------------------------
kn_like "$(getent passwd knocker)" '^knocker:x:[0-9]+:[0-9]+:.*:/var/lib/knocker:/usr/sbin/nologin$' "a system user knocker"
kn_is "$(stat -c '%a %U:%G' "$CONF")" "640 root:knocker" "$CONF: 0640 root:knocker"
kn_is "$(stat -c '%a %U:%G' /var/lib/knocker)" "700 knocker:knocker" "/var/lib/knocker: 0700 knocker:knocker"
KEY=$(jq -r '.api_keys[0].key' "$CONF")
# INSTALL.md's line, without jq (a fresh Debian has none)
kn_is "$(sed -n 's/.*"key": "\([0-9a-f]*\)".*/\1/p' /etc/knocker/knocker.json)" "$KEY" "INSTALL.md's sed prints the key"
kn_like "$KEY" '^[0-9a-f]{64}$' "the config has a freshly generated 64-hex-digit key"
kn_unlike "$(cat "$CONF")" 'CHANGE_ME|@[A-Z_]+@' "no placeholder is left in the config"
kn_is "$(/usr/sbin/knocker -t -c "$CONF" -u knocker 2>&1)" "$CONF: ok" "knocker -t passes on the packaged config as the workers' user"
example_check=$(/usr/sbin/knocker -t -c /usr/share/knocker/knocker.json.example 2>&1)
kn_like "$example_check" 'placeholder' "the shipped example's key is refused as a placeholder"
kn_is "$(dpkg-query -W -f '${Conffiles}' knocker | grep -c knocker.json)" 0 "the generated config is not a conffile"

# --- the service ------------------------------------------------------------
kn_is "$(systemd-analyze verify "$UNIT" 2>&1)" "" "systemd-analyze verify: the installed unit is clean"
kn_like "$(systemd-analyze security --offline=true "$UNIT" 2>&1 | tail -n 1)" \
    'Overall exposure level for knocker.service: [0-3]\.[0-9] OK' "systemd-analyze security: exposure below 4 (OK), as INSTALL.md says"
kn_like "$(unit_cmd_raw ExecStart)" '^/usr/bin/spawn-fcgi .* -- /usr/sbin/knocker -c /etc/knocker/knocker.json$' \
    "the unit names the installed knocker and /etc/knocker/knocker.json"

# Environment= lines and the Exec lines of the installed unit, run as systemd
# would (sh's word splitting of $KNOCKER_LISTEN is systemd's for $VAR).
unit_env=$(sed -n 's/^Environment=//p' "$UNIT" | sed 's/^"\(.*\)"$/\1/')
run_unit_cmd() {	# KEY
	local line
	line=$(unit_cmd_raw "$1")
	[ -n "$line" ] || return 1
	(
		while IFS= read -r kv; do export "${kv%%=*}=${kv#*=}"; done <<<"$unit_env"
		eval "$line"
	)
}
if [ "$(ps -p 1 -o comm=)" = systemd ]; then
	kn_ok "systemctl start knocker" systemctl start knocker
else
	kn_diag "systemd is not PID 1 here: running the unit's commands by hand"
	install -d -m 0755 /run/knocker	# RuntimeDirectory=
	kn_ok "ExecStartPre (knocker -t as the workers' user) passes" run_unit_cmd ExecStartPre
	kn_ok "ExecStart (spawn-fcgi, forking) starts" run_unit_cmd ExecStart
fi
pids=$(tr '\n' ' ' </run/knocker/knocker.pid 2>/dev/null)
pids=${pids% }
kn_is "$(echo $pids | wc -w)" 4 "the PID file names 4 workers (KNOCKER_WORKERS)"
kn_track $pids
owners=$(for p in $pids; do ps -o user= -p "$p"; done | sort -u)
kn_is "$owners" knocker "every worker runs as knocker"
kn_ok "the workers listen on 127.0.0.1:9000" kn_wait_port 127.0.0.1 9000 "${pids%% *}" knocker

# ExecReload's first line checks the config as the workers' user: a broken
# file fails the reload before any worker is signalled.
reload_check=$(unit_cmd_raw ExecReload | head -n 1)
kn_like "$reload_check" 'knocker -t -c /etc/knocker/knocker.json$' "ExecReload checks the config first"
kn_ok "ExecReload's check passes on the packaged config" sh -c "$reload_check"
cp -p "$CONF" "$KN_DIR/knocker.json.saved"
echo '{ "whitelist": ' >"$CONF"
kn_ok "ExecReload's check fails on a broken config (the reload signals nobody)" sh -c "! { $reload_check; } 2>/dev/null"
cp -p "$KN_DIR/knocker.json.saved" "$CONF"

# --- the web servers, with the installed snippets ----------------------------
[ -d "$WWW" ] || { mkdir -p "$WWW" && made_www=1; }
echo SECRET-PAGE >"$WWW/$PAGE"
mkdir -p "$KN_DIR/www/private"
echo SECRET-PAGE >"$KN_DIR/www/private/$PAGE"

flow() {	# TAG BASE-URL SOURCE-ADDRESS
	local tag=$1 url=$2 src=$3
	kn_req GET "$url/private/$PAGE" --interface "$src"
	kn_is "$KN_STATUS" 401 "$tag: before the knock, /private/ is 401"
	kn_req POST "$url/knock" --interface "$src" -H "X-Api-Key: wrong-key-wrong-key" --data-binary ''
	kn_is "$KN_STATUS" 401 "$tag: a knock with a wrong key is 401"
	kn_req POST "$url/knock" --interface "$src" -H "X-Api-Key: $KEY" --data-binary ''
	kn_like "$KN_STATUS:$KN_BODY" "^200:\\{\"whitelisted_entry\":\"$src\"," "$tag: the knock with the generated key whitelists $src"
	kn_req GET "$url/private/$PAGE" --interface "$src"
	kn_is "$KN_STATUS:$KN_BODY" "200:SECRET-PAGE" "$tag: after the knock, /private/ is 200"
}

# lighttpd: the Debian way is one command; its config must still pass -tt.
kn_ok "lighty-enable-mod knocker" lighty-enable-mod knocker
kn_ok "lighttpd -tt of Debian's lighttpd.conf with knocker enabled" lighttpd -tt -f /etc/lighttpd/lighttpd.conf
kn_like "$(lighttpd -p -f /etc/lighttpd/lighttpd.conf 2>/dev/null | grep -o '"mod_\(fastcgi\|proxy\)"' | head -n 1)" \
    mod_fastcgi "lighttpd: mod_fastcgi comes before mod_proxy"
lighty-disable-mod knocker >/dev/null 2>&1
port=$(kn_port)
cat >"$KN_DIR/lighttpd.conf" <<EOF
server.port = $port
server.bind = "127.0.0.1"
server.document-root = "/var/www/html"
server.errorlog = "$KN_DIR/lighttpd-error.log"
server.pid-file = "$KN_DIR/lighttpd.pid"
include "/etc/lighttpd/conf-available/05-knocker.conf"
EOF
kn_ok "lighttpd starts with the installed 05-knocker.conf" kn_start_lighttpd "$KN_DIR/lighttpd.conf"
flow lighttpd "http://127.0.0.1:$port" 127.0.0.11

# Apache, the Debian way (INSTALL.md): a2enmod + a2enconf, and Debian's
# apache2.conf must still pass -t; then undone (only what this test enabled).
a2_undo=""
for mod in authnz_fcgi proxy_fcgi proxy; do
	[ -e "/etc/apache2/mods-enabled/$mod.load" ] || a2_undo="$a2_undo $mod"
done
kn_ok "a2enmod authnz_fcgi proxy_fcgi && a2enconf knocker" sh -c 'a2enmod -q authnz_fcgi proxy_fcgi && a2enconf -q knocker'
kn_ok "apache2ctl configtest of Debian's apache2.conf with knocker enabled" apache2ctl configtest
a2disconf -q knocker >/dev/null 2>&1
[ -z "$a2_undo" ] || a2dismod -q -f $a2_undo >/dev/null 2>&1

# nginx, the Debian way (INSTALL.md's sed) on a copy of the default site.
sed '0,/server_name _;/s//server_name _;\n\tinclude snippets\/knocker.conf;/' \
    /etc/nginx/sites-available/default >"$KN_DIR/default-site"
kn_like "$(grep -n 'include snippets/knocker.conf;' "$KN_DIR/default-site")" '^[0-9]+:' "INSTALL.md's sed puts the include into the default site"
printf 'pid %s/nginx-t.pid;\nerror_log %s/nginx-t.log;\nevents { }\nhttp { include /etc/nginx/mime.types; include %s; }\n' \
    "$KN_DIR" "$KN_DIR" "$KN_DIR/default-site" >"$KN_DIR/nginx-default.conf"
# (relative includes resolve against the config's directory: run it from /etc/nginx's point of view)
sed -i 's|include snippets/knocker.conf;|include /etc/nginx/snippets/knocker.conf;|' "$KN_DIR/default-site"
kn_ok "nginx -t of the default site with the include" nginx -t -q -c "$KN_DIR/nginx-default.conf"

# Apache: the snippet at server level, the site in a <VirtualHost>.
port=$(kn_port)
m=/usr/lib/apache2/modules
cat >"$KN_DIR/apache2.conf" <<EOF
ServerRoot "$KN_DIR"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$KN_DIR/httpd.pid"
DefaultRuntimeDir "$KN_DIR"
Mutex file:$KN_DIR default
ErrorLog "$KN_DIR/apache-error.log"
LoadModule mpm_event_module   $m/mod_mpm_event.so
LoadModule authn_core_module  $m/mod_authn_core.so
LoadModule authz_core_module  $m/mod_authz_core.so
LoadModule authnz_fcgi_module $m/mod_authnz_fcgi.so
LoadModule proxy_module       $m/mod_proxy.so
LoadModule proxy_fcgi_module  $m/mod_proxy_fcgi.so
User nobody
Group nogroup
Include /etc/apache2/conf-available/knocker.conf
<VirtualHost *:$port>
    DocumentRoot "$KN_DIR/www"
    <Directory "$KN_DIR/www">
        Require all granted
    </Directory>
</VirtualHost>
EOF
kn_ok "apache2 -t with the installed conf-available/knocker.conf" apache2 -t -f "$KN_DIR/apache2.conf"
apache2 -f "$KN_DIR/apache2.conf" -DFOREGROUND 2>>"$KN_DIR/apache-stderr.log" &
kn_track $!
kn_ok "apache2 listens" kn_wait_port 127.0.0.1 "$port" $! apache2
flow apache "http://127.0.0.1:$port" 127.0.0.12

# nginx: one include in a server block.
port=$(kn_port)
mkdir -p "$KN_DIR/nginx"
cat >"$KN_DIR/nginx.conf" <<EOF
pid $KN_DIR/nginx.pid;
error_log $KN_DIR/nginx-error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $KN_DIR/nginx/body;
  fastcgi_temp_path $KN_DIR/nginx/fastcgi;
  proxy_temp_path $KN_DIR/nginx/proxy;
  scgi_temp_path $KN_DIR/nginx/scgi;
  uwsgi_temp_path $KN_DIR/nginx/uwsgi;
  server {
    listen 127.0.0.1:$port;
    root $KN_DIR/www;
    include /etc/nginx/snippets/knocker.conf;
  }
}
EOF
kn_ok "nginx -t with the installed snippets/knocker.conf" nginx -t -q -c "$KN_DIR/nginx.conf"
nginx -c "$KN_DIR/nginx.conf" -g 'daemon off;' 2>>"$KN_DIR/nginx-stderr.log" &
kn_track $!
kn_ok "nginx listens" kn_wait_port 127.0.0.1 "$port" $! nginx
flow nginx "http://127.0.0.1:$port" 127.0.0.13

# knockerctl on the packaged config (its built-in path): the three knocks.
out=$(knockerctl list 2>&1)
kn_like "$out" '127\.0\.0\.11' "knockerctl list (default config path) shows lighttpd's knock" || kn_diag "$out"
kn_like "$out" '127\.0\.0\.13' "knockerctl list shows nginx's knock"

# --- upgrade: reinstalling keeps the config ----------------------------------
before=$(sha256sum "$CONF")
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall "$deb" >>"$KN_DIR/apt.log" 2>&1
kn_is "$?" 0 "reinstalling the package (as an upgrade does) works"
kn_is "$(sha256sum "$CONF")" "$before" "the config and its key survive the reinstall"

# --- stop, purge, nothing left -----------------------------------------------
if [ "$(ps -p 1 -o comm=)" = systemd ]; then
	kn_ok "systemctl stop knocker" systemctl stop knocker
else
	kn_stop_pid $pids
	rm -rf /run/knocker	# RuntimeDirectory= goes with the unit
fi
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q knocker knocker-client >>"$KN_DIR/apt.log" 2>&1
kn_is "$?" 0 "apt-get purge knocker knocker-client"
installed=0
kn_is "$(dpkg-query -W -f '${Status}' knocker knocker-client 2>/dev/null)" "" "knocker and knocker-client are purged (dpkg knows them no more)"
kn_is "$(getent passwd knocker; getent group knocker)" "" "no user or group knocker is left"
for f in /etc/knocker /var/lib/knocker /etc/lighttpd/conf-available/05-knocker.conf \
    /etc/apache2/conf-available/knocker.conf /etc/nginx/snippets/knocker.conf "$UNIT" /usr/sbin/knocker \
    /usr/bin/knocker-knock /usr/share/knocker; do
	kn_ok "purged: $f is gone" test ! -e "$f"
done
kn_ok "purged: the unit's enablement link is gone" test ! -e "$WANTS/knocker.service"
kn_ok "knockd's /usr/bin/knock is still there" test -x /usr/bin/knock

kn_done
