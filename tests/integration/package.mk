# The Debian package test (issue 16): builds the packages, installs them as
# root, runs real web servers against the installed files, purges them. Slow
# and it changes the machine, so it is not in TESTS (not in the ASan run,
# not in distcheck): scripts/test runs "make check-package" once, in the
# plain build.
EXTRA_DIST += \
	tests/integration/test_package.sh \
	debian/changelog debian/control debian/copyright debian/rules debian/source/format \
	debian/knocker.install debian/knocker-client.install debian/knocker.postinst \
	debian/knocker.postrm debian/knocker.lintian-overrides
check-package: all
	$(MAKE) $(AM_MAKEFLAGS) check TESTS=tests/integration/test_package.sh
.PHONY: check-package
