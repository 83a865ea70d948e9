# Nothing lost, nobody let in (issue 5).
TESTS += \
	tests/integration/test_concurrency.sh \
	tests/integration/test_crash.sh \
	tests/integration/test_faults.sh \
	tests/integration/test_ratelimit_workers.sh \
	tests/integration/test_hostile.sh \
	tests/integration/test_secrets.sh
EXTRA_DIST += \
	tests/integration/robust_lib.sh \
	tests/integration/test_concurrency.sh \
	tests/integration/test_crash.sh \
	tests/integration/test_faults.sh \
	tests/integration/test_ratelimit_workers.sh \
	tests/integration/test_hostile.sh \
	tests/integration/test_secrets.sh
