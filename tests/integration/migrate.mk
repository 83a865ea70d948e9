# Moving over from FarisZR/knocker (issue 15): `knocker -t` on a config like
# the original's (needs python3-yaml for the converter), the original's clients'
# requests against knocker on a host of its own (lighttpd, caddy), and
# scripts/demo run for real (spawn-fcgi, lighttpd, curl).
MIGRATE_TESTS = \
	tests/integration/test_migrate.sh \
	tests/integration/test_demo.sh
TESTS += $(MIGRATE_TESTS)
EXTRA_DIST += \
	docs/MIGRATING.md \
	tests/integration/migrate/knocker.yaml \
	$(MIGRATE_TESTS)
