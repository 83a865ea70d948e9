# The command-line client (issue 7): client/, its man page, the systemd
# user unit for "knocker-knock watch", and its integration test. Installed
# as knocker-knock (sources keep the name knock*): Debian's knockd owns
# /usr/bin/knock and knock(1).
if BUILD_CLIENT
bin_PROGRAMS += knocker-knock
knocker_knock_SOURCES = \
	client/knock.c \
	client/kcheck.c client/kcheck.h \
	client/kconf.c client/kconf.h \
	client/khttp.c client/khttp.h \
	client/kreport.c client/kreport.h \
	client/ktext.c client/ktext.h \
	client/watch.c client/watch.h
knocker_knock_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(CJSON_CFLAGS) $(LIBBSD_CFLAGS)
knocker_knock_LDADD = $(CURL_LIBS) $(CJSON_LIBS) $(LIBBSD_LIBS)
dist_man_MANS += client/knocker-knock.1

# The unit names the installed binary: generated with this build's $(bindir)
# (the file in the source tree says /usr/local/bin, the default prefix).
systemduserunitdir = $(prefix)/lib/systemd/user
systemduserunit_DATA = client/unit/knock-watch.service
client/unit/knock-watch.service: $(srcdir)/client/knock-watch.service
	$(AM_V_GEN)$(MKDIR_P) client/unit && \
	sed 's|/usr/local/bin/knocker-knock|$(bindir)/knocker-knock|' $(srcdir)/client/knock-watch.service >$@.tmp && \
	mv $@.tmp $@
CLEANFILES += client/unit/knock-watch.service

TESTS += tests/integration/test_cli.sh
endif
EXTRA_DIST += \
	client/knock-watch.service \
	tests/integration/test_cli.sh
