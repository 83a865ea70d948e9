# knocker-firewall (issue 13): firewall/, its man page, the systemd unit,
# unit tests of the ruleset builder and the namespace integration tests
# (the whitelist file; the Redis store).
if BUILD_FIREWALL
sbin_PROGRAMS += knocker-firewall
FIREWALL_CORE = \
	firewall/fwset.c firewall/fwset.h \
	firewall/nftrules.c firewall/nftrules.h
knocker_firewall_SOURCES = \
	firewall/main.c \
	$(FIREWALL_CORE) \
	firewall/enforce.c firewall/enforce.h \
	firewall/nftctl.c firewall/nftctl.h \
	firewall/watch.c firewall/watch.h
knocker_firewall_CFLAGS = $(AM_CFLAGS) $(NFTABLES_CFLAGS) $(LIBBSD_CFLAGS)
knocker_firewall_LDADD = $(CORE_LIBS) $(NFTABLES_LIBS)
dist_man_MANS += firewall/knocker-firewall.8

check_PROGRAMS += tests/unit/test_nftrules
TESTS += tests/unit/test_nftrules tests/integration/test_firewall.sh \
	tests/integration/test_firewall_redis.sh
tests_unit_test_nftrules_SOURCES = tests/unit/test_nftrules.c $(FIREWALL_CORE)
tests_unit_test_nftrules_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/firewall
tests_unit_test_nftrules_CFLAGS = $(AM_CFLAGS) $(LIBBSD_CFLAGS)
tests_unit_test_nftrules_LDADD = $(UNIT_LDADD)
endif
EXTRA_DIST += \
	docs/FIREWALL.md \
	firewall/knocker-firewall.8 \
	conf-examples/knocker-firewall.service \
	tests/integration/fw_lib.sh \
	tests/integration/test_firewall.sh \
	tests/integration/test_firewall_redis.sh
