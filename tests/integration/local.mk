# Core integration tests: real spawn-fcgi + lighttpd (tests/integration/lib.sh).
TESTS += tests/integration/test_lighttpd.sh
EXTRA_DIST += \
	tests/integration/lib.sh \
	tests/integration/test_lighttpd.sh \
	conf-examples/knocker.json \
	conf-examples/lighttpd.conf
