# Core integration tests: real spawn-fcgi + lighttpd (tests/integration/lib.sh,
# the library every integration test sources). They run the example configs
# users copy, so those are distributed with them. test_contract.sh checks
# the contract's edges there (it also sources robust_lib.sh, distributed by
# robustness.mk).
TESTS += \
	tests/integration/test_lighttpd.sh \
	tests/integration/test_contract.sh
dist_check_SCRIPTS += \
	tests/integration/lib.sh \
	tests/integration/test_lighttpd.sh \
	tests/integration/test_contract.sh
EXTRA_DIST += \
	conf-examples/knocker.json \
	conf-examples/lighttpd.conf
