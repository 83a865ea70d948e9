# What an admin needs beside the binaries (issue 16): man pages, the example
# config, the system unit and the web-server snippets where Debian's servers
# look for them, and the docs. The installed files are made from the tested
# examples with this build's paths; the Debian package (debian/) installs
# them with ./configure --prefix=/usr --sysconfdir=/etc --localstatedir=/var.
dist_man_MANS += man/knocker.8 man/knocker.json.5

knocker_statedir = $(localstatedir)/lib/knocker
# ([@] so that configure does not replace the markers in this very rule)
KN_SUBST = sed -e 's|[@]sbindir[@]|$(sbindir)|g' -e 's|[@]bindir[@]|$(bindir)|g' \
	-e 's|[@]sysconfdir[@]|$(sysconfdir)|g' -e 's|[@]statedir[@]|$(knocker_statedir)|g'

# The example config: no test fixtures, and a key knocker refuses
# ("CHANGE_ME"); the package's postinst puts a generated key in its place.
pkgdata_DATA = conf-examples/gen/knocker.json.example
conf-examples/gen/knocker.json.example: $(srcdir)/conf-examples/knocker.json.example.in
	$(AM_V_GEN)$(MKDIR_P) conf-examples/gen && $(KN_SUBST) $(srcdir)/conf-examples/knocker.json.example.in >$@.tmp && \
	  ! grep -n '@[a-z]*@' $@.tmp && mv $@.tmp $@

systemdsystemunit_DATA = conf-examples/gen/knocker.service
conf-examples/gen/knocker.service: $(srcdir)/conf-examples/knocker.service.in
	$(AM_V_GEN)$(MKDIR_P) conf-examples/gen && $(KN_SUBST) $(srcdir)/conf-examples/knocker.service.in >$@.tmp && \
	  ! grep -n '@[a-z]*@' $@.tmp && mv $@.tmp $@

# knocker-firewall's unit (firewall/, docs/FIREWALL.md), with this build's
# paths. The package installs it disabled: it needs a "firewall" section.
if BUILD_FIREWALL
systemdsystemunit_DATA += conf-examples/gen/knocker-firewall.service
conf-examples/gen/knocker-firewall.service: $(srcdir)/conf-examples/knocker-firewall.service
	$(AM_V_GEN)$(MKDIR_P) conf-examples/gen && \
	sed -e 's|/usr/local/sbin/|$(sbindir)/|g' -e 's|/etc/knocker/|$(sysconfdir)/knocker/|g' \
	    $(srcdir)/conf-examples/knocker-firewall.service >$@.tmp && mv $@.tmp $@
CLEANFILES += conf-examples/gen/knocker-firewall.service
endif

# lighttpd (conf-available/, "lighty-enable-mod knocker"): the tested
# lighttpd-05-knocker.conf on the service's TCP address, without the /app/
# example (which needs a backend).
lighttpdconfdir = $(sysconfdir)/lighttpd/conf-available
lighttpdconf_DATA = conf-examples/gen/lighttpd/05-knocker.conf
conf-examples/gen/lighttpd/05-knocker.conf: $(srcdir)/conf-examples/lighttpd-05-knocker.conf
	$(AM_V_GEN)$(MKDIR_P) conf-examples/gen/lighttpd && { \
	  echo '# Installed by knocker: enable with "lighty-enable-mod knocker", then reload lighttpd.'; \
	  echo '# knocker: the knocker service on 127.0.0.1:9000. Protects /private/ (change the path).'; \
	  sed -e '/^# A service on another port/,/^}/d' \
	      -e 's|"socket" => "@KNOCKER_SOCKET@"|"host" => "127.0.0.1", "port" => 9000|' \
	      -e '/^# Placeholders between/,/^# WWW_DIR/d' -e 's|@WWW_DIR@|/var/www/html|' \
	      -e 's|/usr/local/sbin/|$(sbindir)/|g' -e 's|/etc/knocker/|$(sysconfdir)/knocker/|g' $(srcdir)/conf-examples/lighttpd-05-knocker.conf; \
	} >$@.tmp && ! grep -n '@[A-Z_]*@' $@.tmp && mv $@.tmp $@

# Apache (conf-available/, "a2enconf knocker"): provider at server level.
apacheconfdir = $(sysconfdir)/apache2/conf-available
apacheconf_DATA = conf-examples/gen/apache2/knocker.conf
conf-examples/gen/apache2/knocker.conf: $(srcdir)/conf-examples/apache2-knocker.conf
	$(AM_V_GEN)$(MKDIR_P) conf-examples/gen/apache2 && cp $(srcdir)/conf-examples/apache2-knocker.conf $@

# nginx (snippets/, "include snippets/knocker.conf;" in a server block): the
# verify, /knock and /entries locations of the tested nginx.conf.
nginxsnippetdir = $(sysconfdir)/nginx/snippets
nginxsnippet_DATA = conf-examples/gen/nginx/knocker.conf
conf-examples/gen/nginx/knocker.conf: $(srcdir)/conf-examples/nginx-knocker-snippet.head $(srcdir)/conf-examples/nginx.conf
	$(AM_V_GEN)$(MKDIR_P) conf-examples/gen/nginx && { \
	  cat $(srcdir)/conf-examples/nginx-knocker-snippet.head; \
	  $(AWK) '/^    # The verify sub-request/ || /^    # POST \/knock/ || /^    # GET \/entries/ { on = 1 } \
	          on { sub(/^    /, ""); print } on && /^}$$/ { on = 0; print "" }' \
	      $(srcdir)/conf-examples/nginx.conf | sed 's|@KNOCKER@|127.0.0.1:9000|'; \
	} >$@.tmp && ! grep -n '@[A-Z_]*@' $@.tmp && mv $@.tmp $@

# Made again when configure's paths change.
conf-examples/gen/knocker.json.example conf-examples/gen/knocker.service \
conf-examples/gen/knocker-firewall.service conf-examples/gen/lighttpd/05-knocker.conf: Makefile

CLEANFILES += $(pkgdata_DATA) $(systemdsystemunit_DATA) $(lighttpdconf_DATA) \
	$(apacheconf_DATA) $(nginxsnippet_DATA)

dist_doc_DATA = README.md docs/INSTALL.md docs/API.md docs/DEPLOY.md docs/CLIENTS.md \
	docs/SECURITY.md docs/MIGRATING.md

EXTRA_DIST += \
	conf-examples/knocker.json.example.in \
	conf-examples/knocker.service.in \
	conf-examples/apache2-knocker.conf \
	conf-examples/nginx-knocker-snippet.head
