# Hardening (issue 10 items 2, 6, 10, 13; issue 11 item 1): real servers
# and raw slow peers (tests/integration/slowpeer.py, python3), run as root
# (Apache runs the CGI as nobody; some tests switch users or namespaces).
HARDENING_TESTS = \
	tests/integration/test_cgi_apache.sh \
	tests/integration/test_slowclient.sh \
	tests/integration/test_slowbody.sh \
	tests/integration/test_closefast.sh \
	tests/integration/test_selfcheck.sh
TESTS += $(HARDENING_TESTS)
EXTRA_DIST += \
	tests/integration/slowpeer.py \
	$(HARDENING_TESTS)
