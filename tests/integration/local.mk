# Core integration tests: real spawn-fcgi + lighttpd (tests/integration/lib.sh,
# the library every integration test sources). They run the example configs
# users copy, so those are distributed with them.
TESTS += tests/integration/test_lighttpd.sh
dist_check_SCRIPTS += \
	tests/integration/lib.sh \
	tests/integration/test_lighttpd.sh
EXTRA_DIST += \
	conf-examples/knocker.json \
	conf-examples/lighttpd.conf
