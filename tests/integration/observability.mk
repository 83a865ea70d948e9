# Audit trail and metrics (issue 12 items 5 and 6): real spawn-fcgi workers
# behind real lighttpd; the fail2ban example checked with the real
# fail2ban-regex and fail2ban-client, the exposition with the real promtool
# (Debian fail2ban and prometheus, in scripts/deps).
OBSERVABILITY_TESTS = \
	tests/integration/test_fail2ban.sh \
	tests/integration/test_metrics.sh
TESTS += $(OBSERVABILITY_TESTS)
EXTRA_DIST += \
	$(OBSERVABILITY_TESTS) \
	conf-examples/fail2ban/filter.d/knocker.conf \
	conf-examples/fail2ban/jail.d/knocker.local \
	docs/OPERATIONS.md
