# knockerctl: the admin program (list, revoke, flush, add) beside knocker.
# Included by the top-level Makefile.am.
sbin_PROGRAMS += knockerctl
knockerctl_SOURCES = ctl/knockerctl.c
knockerctl_CFLAGS = $(AM_CFLAGS) $(LIBBSD_CFLAGS) $(CJSON_CFLAGS) $(HIREDIS_CFLAGS)
knockerctl_LDADD = $(CORE_LIBS)
dist_man_MANS += ctl/knockerctl.8

TESTS += tests/integration/test_ops.sh
dist_check_SCRIPTS += tests/integration/test_ops.sh
