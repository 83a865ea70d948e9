# Robustness (issue 5): nothing lost, nobody let in. Real spawn-fcgi workers
# behind real lighttpd (and nginx in test_hostile.sh), run as root (they use
# spawn-fcgi -u nobody and mount a tmpfs). Beyond the servers they need jq,
# curl, util-linux (mount, umount) and coreutils (timeout, dd, install).
ROBUSTNESS_TESTS = \
	tests/integration/test_concurrency.sh \
	tests/integration/test_crash.sh \
	tests/integration/test_faults.sh \
	tests/integration/test_ratelimit_workers.sh \
	tests/integration/test_reload.sh \
	tests/integration/test_hostile.sh \
	tests/integration/test_secrets.sh
TESTS += $(ROBUSTNESS_TESTS)
EXTRA_DIST += \
	tests/integration/robust_lib.sh \
	$(ROBUSTNESS_TESTS)
