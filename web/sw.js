// Service worker of the knocker web app: makes it installable and opens it
// offline. It answers ONLY for the app shell listed below (network first,
// the cached copy when offline). Every other request, above all the knock
// URL (POST and GET /knock, wherever it lives) and the services behind
// knocker, is not touched: the browser sends it to the network as usual.
'use strict';

const CACHE = 'knocker-shell-v1';
const SHELL = [
	'./',
	'index.html',
	'app.js',
	'style.css',
	'manifest.webmanifest',
	'icons/icon-192.png',
	'icons/icon-512.png',
	'icons/icon-maskable-512.png',
];
const SHELL_PATHS = new Set(SHELL.map((p) => new URL(p, self.registration.scope).pathname));

self.addEventListener('install', (event) => {
	event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
	event.waitUntil(caches.keys()
		.then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
		.then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
	const req = event.request;
	const url = new URL(req.url);
	if (req.method !== 'GET' || url.origin !== self.location.origin || url.search !== '' ||
	    !SHELL_PATHS.has(url.pathname))
		return;		// not ours: straight to the network, never cached
	event.respondWith((async () => {
		try {
			const res = await fetch(req, { cache: 'no-cache' });
			if (res.ok) {
				const cache = await caches.open(CACHE);
				await cache.put(req, res.clone());
			}
			return res;
		} catch (err) {
			const cached = await caches.match(req);
			if (cached) return cached;
			throw err;
		}
	})());
});
