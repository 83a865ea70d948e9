# The Redis store backend (issue 14): a real redis-server started by each
# test (tests/integration/redis_lib.sh).
TESTS += \
	tests/integration/test_redis_flow.sh \
	tests/integration/test_redis.sh
EXTRA_DIST += \
	tests/integration/redis_lib.sh \
	tests/integration/test_redis_flow.sh \
	tests/integration/test_redis.sh
