# The web app (issue 7): static files, no build step, installed to $(webdir)
# for the web server to serve on a host name of its own, next to /knock
# (conf-examples/lighttpd-webapp.conf).
webdir = $(datadir)/knocker/web
dist_web_DATA = \
	web/index.html \
	web/app.js \
	web/style.css \
	web/sw.js \
	web/manifest.webmanifest
webiconsdir = $(webdir)/icons
dist_webicons_DATA = \
	web/icons/icon-192.png \
	web/icons/icon-512.png \
	web/icons/icon-maskable-512.png

# The browser test: real chromium (Debian) driven by playwright-core (npm).
TESTS += tests/integration/test_web.sh
EXTRA_DIST += \
	web/make-icons.mjs \
	conf-examples/lighttpd-webapp.conf \
	tests/integration/test_web.sh \
	tests/web/package.json \
	tests/web/package-lock.json \
	tests/web/webapp.test.mjs \
	tests/web/admin.test.mjs \
	tests/web/report.mjs
CLEANFILES += tests/web/web-app.png
