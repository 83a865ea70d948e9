# Every deployment (issue 4): each test runs its conf-examples/ file through
# the shared flow of tests/integration/flows.sh against real servers.
TESTS += \
	tests/integration/test_nginx.sh \
	tests/integration/test_apache.sh \
	tests/integration/test_caddy.sh \
	tests/integration/test_cgi.sh \
	tests/integration/test_spawnfcgi.sh \
	tests/integration/test_attacks.sh \
	tests/integration/test_lighttpd_debian.sh \
	tests/integration/test_apache_port.sh
EXTRA_DIST += \
	tests/integration/flows.sh \
	tests/integration/test_nginx.sh \
	tests/integration/test_apache.sh \
	tests/integration/test_caddy.sh \
	tests/integration/test_cgi.sh \
	tests/integration/test_spawnfcgi.sh \
	tests/integration/test_attacks.sh \
	tests/integration/test_lighttpd_debian.sh \
	tests/integration/test_apache_port.sh \
	conf-examples/nginx.conf \
	conf-examples/apache2.conf \
	conf-examples/Caddyfile \
	conf-examples/lighttpd-cgi.conf \
	conf-examples/lighttpd-behind-proxy.conf \
	conf-examples/lighttpd-05-knocker.conf \
	conf-examples/knocker-spawn-fcgi.service \
	conf-examples/www/knock-help.html \
	docs/DEPLOY.md
