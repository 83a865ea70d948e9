// Browser test of the knocker web app, run by tests/integration/test_web.sh
// against a real knocker behind lighttpd that serves web/ at the root of its
// own origin (APP_URL) and, for the shared-origin warning, under /access/ of
// the protected service's origin (SERVICE_URL).
// Prints one JSON object per check: {"ok": bool, "name": str, "diag": str},
// then {"name": "__finished__"}. Never prints the API key.
//
// Environment: APP_URL (http://knock.localhost:PORT), SERVICE_URL
// (http://127.0.0.1:PORT), API_KEY (max_ttl 3600), LONG_KEY (max_ttl
// 172800, allow_remote_whitelist), CHROMIUM (path), SCREENSHOT (PNG to
// write), WHITELIST (knocker's whitelist file), PROFILE_PARENT (directory for
// the fresh chromium profile).
import { chromium } from 'playwright-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { reporter } from './report.mjs';

const { APP_URL, SERVICE_URL, API_KEY, LONG_KEY, CHROMIUM, SCREENSHOT, WHITELIST } = process.env;
const APP = `${APP_URL}/`;
const SHARED_APP = `${SERVICE_URL}/access/`;	// the old layout: warned about
const PROTECTED = `${SERVICE_URL}/private/index.html`;
const STORE = 'knocker.settings.v1';
// The app's host name always over IPv4, as the service's 127.0.0.1, so that
// a knock from the app opens the service (chromium would pick ::1 or
// 127.0.0.1 for a *.localhost name).
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync',
	`--host-resolver-rules=MAP ${new URL(APP_URL).hostname} 127.0.0.1`];

// --- reporting ------------------------------------------------------------------------
const { report, is, like, step } = reporter({ '<API_KEY>': API_KEY, '<LONG_KEY>': LONG_KEY });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const seconds = (mmss) => mmss.split(':').reduce((a, b) => a * 60 + Number(b), 0);

// --- the browser --------------------------------------------------------------------------
const profile = mkdtempSync(join(process.env.PROFILE_PARENT || '/tmp', 'chromium-profile-'));
const ctx = await chromium.launchPersistentContext(profile, {
	executablePath: CHROMIUM,
	headless: true,
	args: CHROMIUM_ARGS,
	viewport: { width: 390, height: 844 },
	deviceScaleFactor: 2,
	isMobile: true,
	hasTouch: true,
	timeout: 60000,
});
const page = ctx.pages()[0] ?? await ctx.newPage();
page.setDefaultTimeout(10000);

const knocks = [];		// requests to /knock: { method, fromSW }
const consoleErrors = [];
page.on('request', (r) => {
	if (new URL(r.url()).pathname === '/knock')
		knocks.push({ method: r.method() });
});
page.on('console', (m) => {
	// Failed fetches (401s we cause on purpose, offline) are logged by the browser itself.
	if (m.type() === 'error' && !/Failed to load resource|net::ERR_/.test(m.text()))
		consoleErrors.push(m.text());
});
page.on('pageerror', (e) => consoleErrors.push(e.message));

const isKnock = (r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/knock');
// Runs action and returns the POST /knock response it caused.
async function knockDuring(action) {
	const resp = page.waitForResponse(isKnock);
	await action();
	return resp;
}
const text = (sel) => page.textContent(sel).then((t) => t.trim());
const whitelisted = () => page.waitForFunction(() =>
	document.querySelector('#status').textContent.startsWith('Whitelisted'));
// Opens a page of the protected service (another origin than the app) in a
// new tab; runs fn in it (if given). Returns { status, body, result }.
async function servicePage(fn, arg) {
	const p = await ctx.newPage();
	try {
		const resp = await p.goto(PROTECTED, { waitUntil: 'load' });
		const result = fn ? await p.evaluate(fn, arg) : undefined;
		return { status: resp.status(), body: (await p.textContent('body')).trim(), result };
	} finally {
		await p.close();
	}
}
const serviceStatus = async () => { const r = await servicePage(); return `${r.status} ${r.body}`; };
// Everything a page can read from its origin's web storage, as one string.
const readStorage = () => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } });
const stored = () => page.evaluate((k) => JSON.parse(localStorage.getItem(k)), STORE);
const holdsKey = (s) => s.includes(API_KEY);

try {
	await step('first visit', async () => {
		await page.goto(APP, { waitUntil: 'load' });
		is(await page.title(), 'Knock – knocker', 'the app opens at the root of its own origin');
		like(await text('#status'), /^Enter your API key in Settings to knock\.$/, 'first visit: the app asks for the key');
		is(await page.getAttribute('#settings', 'open'), '', 'first visit: the settings are open');
		is(knocks.length, 0, 'first visit: no knock without a key');
		is(await page.isChecked('#remember'), false, 'first visit: "Remember the key on this device" is off');
		is(await page.isHidden('#shared-origin'), true, 'on its own origin the app shows no shared-origin warning');
		like(await serviceStatus(), /^401 /, 'before knocking, the protected service is 401');
	});

	await step('accessibility', async () => {
		const unlabeled = await page.$$eval('input', (els) => els.filter((e) => e.labels.length === 0).map((e) => e.id));
		is(unlabeled.join(','), '', 'every input has a label');
		is(await page.getAttribute('#status', 'aria-live'), 'polite', 'the status is an aria-live region');
		is(await page.getAttribute('#countdown', 'role'), 'timer', 'the countdown is a timer (not read out every second)');
		is(await page.getAttribute('#error', 'role'), 'alert', 'errors are announced (role=alert)');
		is(await page.getAttribute('html', 'lang'), 'en', 'the page declares its language');
		const c = await page.evaluate(() => {
			const rgb = (s) => s.match(/[\d.]+/g).slice(0, 3).map(Number);
			const lum = ([r, g, b]) => {
				const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
				return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
			};
			const ratio = (a, b) => { const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
			const k = getComputedStyle(document.querySelector('#knock'));
			const card = getComputedStyle(document.querySelector('.card'));
			const muted = getComputedStyle(document.querySelector('.help'));
			return { button: ratio(k.color, k.backgroundColor), text: ratio(card.color, card.backgroundColor),
				muted: ratio(muted.color, card.backgroundColor) };
		});
		report(c.button >= 4.5 && c.text >= 4.5 && c.muted >= 4.5,
			`text contrast at least 4.5:1 (button ${c.button.toFixed(1)}, text ${c.text.toFixed(1)}, help ${c.muted.toFixed(1)})`,
			JSON.stringify(c));
		const layout = await page.evaluate(() => {
			const b = document.querySelector('#knock').getBoundingClientRect();
			return { overflow: document.documentElement.scrollWidth > window.innerWidth, w: b.width, h: b.height };
		});
		report(!layout.overflow && layout.w >= 300 && layout.h >= 48,
			`phone layout: no sideways scrolling, a big Knock button (${Math.round(layout.w)}x${Math.round(layout.h)} px)`,
			JSON.stringify(layout));
	});

	await step('settings validation', async () => {
		await page.fill('#key', API_KEY);
		await page.fill('#ttl', '0');
		const before = knocks.length;
		await page.click('#save');
		is(await page.isVisible('#settings-error'), true, 'a bad TTL is refused by the form');
		like(await text('#settings-error'), /whole number of seconds/, 'and the message says what is allowed');
		is(await page.getAttribute('#ttl', 'aria-invalid'), 'true', 'the field is marked invalid');
		is(knocks.length, before, 'no knock with invalid settings');
	});

	await step('wrong key', async () => {
		await page.fill('#key', 'wrong-key');
		await page.fill('#ttl', '120');
		const resp = await knockDuring(() => page.click('#save'));
		is(resp.status(), 401, 'a wrong key gets 401');
		await page.waitForSelector('#error:not([hidden])');
		is(await text('#error-text'), 'Invalid or missing API key.', 'wrong key: the server\'s error text is shown');
		is(await text('#error-help'), 'Check the API key in Settings.', 'wrong key: and what to do');
		like(await page.getAttribute('#status', 'class'), /status-bad/, 'wrong key: the status turns red');
	});

	await step('knock', async () => {
		await page.fill('#key', API_KEY);
		await page.fill('#ttl', '120');
		const t0 = Math.floor(Date.now() / 1000);
		const resp = await knockDuring(() => page.press('#ttl', 'Enter'));	// the keyboard submits the form
		const tAnswered = Math.ceil(Date.now() / 1000);
		const req = resp.request();
		is(req.headers()['x-api-key'] === API_KEY, true, 'the knock sends the key in X-Api-Key');
		is(req.postData(), '{"ttl":120}', 'the knock sends the TTL as a JSON body');
		is(resp.status(), 200, 'the knock is answered 200');
		await whitelisted();
		is(await text('#status'), 'Whitelisted 127.0.0.1 for 2 minutes.', 'the status says whitelisted (announced)');
		is(await page.isHidden('#error'), true, 'the earlier error is gone');
		is(await text('#ip'), '127.0.0.1', 'the current IP is shown');
		is(await text('#whitelisted'), 'Yes', 'the whitelisted state is shown');
		like(await text('#expires-at'), /^\(at .+\)$/, 'the expiry time is shown');
		report(!/\d{4}/.test(await text('#expires-at')), 'within a day, the expiry is a time without a date',
			await text('#expires-at'));
		is(await page.getAttribute('#settings', 'open'), null, 'a successful "Save and knock" closes the settings');
		const c1 = await text('#countdown');
		like(c1, /^(2:00|1:5\d)$/, `the countdown starts at the TTL (${c1})`);
		await sleep(2200);
		const c2 = await text('#countdown');
		report(/^\d+:\d\d$/.test(c2) && seconds(c2) < seconds(c1) && seconds(c1) - seconds(c2) <= 6,
			`the countdown runs (${c1} -> ${c2})`, `${c1} -> ${c2}`);
		const wl = JSON.parse(readFileSync(WHITELIST, 'utf8'));
		const left = wl['127.0.0.1'] - t0;
		report(left >= 118 && wl['127.0.0.1'] <= tAnswered + 121, `knocker's whitelist holds 127.0.0.1 for 120 s (${left} s after the key press)`,
			JSON.stringify(wl));
		like(await serviceStatus(), /^200 SECRET-PAGE$/, 'after the knock the protected service is 200');
		const saved = await stored();
		is(`${saved.url}|${saved.ttl}|${saved.remember}|${'key' in saved}`, '|120|false|false',
			'without "Remember", localStorage holds URL and TTL but no key');
		is(holdsKey(await page.evaluate(readStorage)), false, 'the key is nowhere in the app\'s local or session storage');
	});

	await step('key in memory only', async () => {
		const before = knocks.length;
		await page.reload({ waitUntil: 'load' });
		await sleep(500);
		is(knocks.length, before, 'after a reload without "Remember" the app does not knock');
		like(await text('#status'), /^Enter your API key in Settings to knock\.$/, 'it asks for the key again');
		is(`${await page.inputValue('#key')}|${await page.inputValue('#ttl')}`, '|120', 'the key field is empty, the TTL kept');
		is(holdsKey(await page.evaluate(readStorage)), false, 'with the opt-out the key is not in storage after a reload');
	});

	await step('remember', async () => {
		await page.fill('#key', API_KEY);
		await page.check('#remember');
		const resp = await knockDuring(() => page.click('#save'));
		is(resp.status(), 200, 'with "Remember" ticked, Save and knock knocks');
		await whitelisted();
		const saved = await stored();
		is(`${saved.remember}|${saved.key === API_KEY}`, 'true|true', 'and the key is in the app origin\'s localStorage');
	});

	await step('another origin cannot read the key', async () => {
		const r = await servicePage(async (app) => {
			const out = { storage: JSON.stringify({ ...localStorage, ...sessionStorage }) };
			const w = window.open(app);
			// Until the app's page has loaded, w still shows this origin's
			// about:blank; wait (up to 15 s) for the navigation to commit.
			for (let i = 0; i < 150; i++) {
				try {
					if (w.document.querySelector('#key')) {
						out.window = String(w.document.querySelector('#key').value);
						break;
					}
				} catch (e) {
					out.window = `blocked: ${e.name}`;
					break;
				}
				await new Promise((res) => setTimeout(res, 100));
			}
			out.window ??= 'the app window never loaded';
			try {
				out.fetch = await (await fetch(app)).text();
			} catch (e) {
				out.fetch = `blocked: ${e.name}`;
			}
			w.close();
			return out;
		}, APP);
		is(r.status, 200, 'a page of the protected service opens (200)');
		is(holdsKey(r.result.storage), false, 'that page finds no key in its own storage');
		like(r.result.window, /^blocked: SecurityError$/, 'the app window it opens is closed to its scripts');
		like(r.result.fetch, /^blocked: TypeError$/, 'and it cannot read the app\'s origin with fetch');
	});

	await step('knock on open', async () => {
		const resp = await knockDuring(() => page.reload());
		is(resp.status(), 200, 'opening the page knocks');
		await whitelisted();
		is(await page.getAttribute('#settings', 'open'), null, 'with saved settings the settings stay closed');
	});

	await step('keyboard', async () => {
		await page.evaluate(() => document.activeElement && document.activeElement.blur());
		let reached = false;
		for (let i = 0; i < 10 && !reached; i++) {
			await page.keyboard.press('Tab');
			reached = await page.evaluate(() => document.activeElement && document.activeElement.id === 'knock');
		}
		is(reached, true, 'Tab reaches the Knock button');
		const resp = await knockDuring(() => page.keyboard.press('Enter'));
		is(resp.status(), 200, 'Enter on the Knock button knocks');
		await whitelisted();
	});

	await step('foreground', async () => {
		await sleep(2200);	// the app skips foreground knocks within 2 s of the last one
		// Headless chromium never hides a page, so flip what the app reads.
		const flip = (state) => page.evaluate((s) => {
			Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
			document.dispatchEvent(new Event('visibilitychange'));
		}, state);
		const before = knocks.length;
		await flip('hidden');
		await sleep(300);
		is(knocks.length, before, 'going to the background does not knock');
		const resp = await knockDuring(() => flip('visible'));
		is(resp.status(), 200, 'coming back to the foreground knocks again');
		await whitelisted();
	});

	await step('service worker', async () => {
		await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
		const shell = page.waitForResponse((r) => new URL(r.url()).pathname === '/app.js');
		const resp = await knockDuring(() => page.reload());
		is(await page.evaluate(() => !!navigator.serviceWorker.controller), true, 'a service worker controls the page');
		is((await shell).fromServiceWorker(), true, 'the app shell goes through the service worker');
		is(resp.fromServiceWorker(), false, 'the knock (POST) bypasses the service worker');
		const status = page.waitForResponse((r) => new URL(r.url()).pathname === '/knock' && r.request().method() === 'GET');
		await page.evaluate((key) => fetch('/knock', { headers: { 'X-Api-Key': key } }), API_KEY);
		is((await status).fromServiceWorker(), false, 'the status (GET /knock) bypasses the service worker');
		const cached = await page.evaluate(async () => {
			const out = [];
			for (const k of await caches.keys())
				for (const r of await (await caches.open(k)).keys())
					out.push(new URL(r.url).pathname);
			return out.sort();
		});
		report(cached.includes('/') && cached.includes('/app.js') && cached.includes('/manifest.webmanifest'),
			'the app shell is cached', cached.join(' '));
		const shellFiles = new Set(['/', '/index.html', '/app.js', '/style.css', '/manifest.webmanifest',
			'/icons/icon-192.png', '/icons/icon-512.png', '/icons/icon-maskable-512.png']);
		is(cached.filter((p) => !shellFiles.has(p)).join(' '), '', 'nothing else is cached (no /knock, no protected URL)');
		const cdp = await ctx.newCDPSession(page);
		const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
		is(installabilityErrors.map((e) => e.errorId).join(','), '', 'chromium finds the app installable');
		await cdp.detach();
	});

	await step('manifest', async () => {
		const m = await page.evaluate(async () => {
			const href = document.querySelector('link[rel=manifest]').href;
			const man = await (await fetch(href)).json();
			const icons = [];
			for (const i of man.icons) {
				const b = new DataView(await (await fetch(new URL(i.src, href))).arrayBuffer());
				icons.push(`${i.sizes}/${i.purpose}=${b.getUint32(0) === 0x89504e47 ? 'png' : '?'}` +
					`${b.getUint32(16)}x${b.getUint32(20)}`);
			}
			return { display: man.display, start: man.start_url, icons: icons.join(' ') };
		});
		is(m.display, 'standalone', 'the manifest opens the app standalone');
		is(m.icons, '192x192/any=png192x192 512x512/any=png512x512 512x512/maskable=png512x512',
			'the icons are PNGs of the sizes the manifest states, one maskable');
	});

	await step('offline', async () => {
		await ctx.setOffline(true);
		await page.reload();
		is(await page.title(), 'Knock – knocker', 'offline, the app still opens (from the service worker cache)');
		await page.waitForSelector('#error:not([hidden])');
		is(await text('#error-text'), 'You are offline.', 'offline, the knock fails with a clear message');
		is(await text('#error-help'), 'Connect to the internet, then knock again.', 'and says what to do');
		const resp = await knockDuring(() => ctx.setOffline(false));
		is(resp.status(), 200, 'back online, the app knocks by itself');
		await whitelisted();
	});

	await step('screenshot', async () => {
		await sleep(1100);	// let the countdown tick once after the knock
		await page.screenshot({ path: SCREENSHOT });
		report(true, 'screenshot taken (390x844 at 2x)');
	});

	// Opens the settings (if closed), fills the given fields, saves, and
	// returns the knock's response.
	async function openSettings() {
		if (await page.getAttribute('#settings', 'open') === null)
			await page.click('#settings > summary');
	}
	async function saveSettings(fields) {
		await openSettings();
		for (const [sel, v] of Object.entries(fields))
			await page.fill(sel, v);
		return knockDuring(() => page.click('#save'));
	}

	await step('capped TTL', async () => {
		const resp = await saveSettings({ '#ttl': '7200' });
		is(resp.status(), 200, 'a TTL above the key\'s max_ttl is still a knock');
		await whitelisted();
		is(await text('#status'), 'Whitelisted 127.0.0.1 for 60 minutes. Your key allows at most 60 minutes (you asked for 2 hours).',
			'the app says the key\'s max_ttl capped it');
	});

	await step('long TTL', async () => {
		const resp = await saveSettings({ '#key': LONG_KEY, '#ttl': '172800' });
		is(resp.status(), 200, 'a key with a two-day max_ttl knocks for two days');
		await whitelisted();
		like(await text('#countdown'), /^(2 d 00:00:00|1 d 23:59:\d\d)$/, 'the countdown counts days');
		like(await text('#expires-at'), /^\(at .*\d{4}.*\)$/, 'beyond a day, the expiry shows the date');
	});

	await step('another address', async () => {
		await page.click('#other > summary');
		const before = knocks.length;
		await page.fill('#other-ip', 'not an address');
		await page.click('#other-knock');
		like(await text('#other-result'), /^Enter an IPv4 or IPv6 address/, 'a malformed address is refused by the form');
		is(knocks.length, before, 'without a request');
		await page.fill('#other-ip', '203.0.113.0/24');
		const resp = await knockDuring(() => page.click('#other-knock'));
		is(resp.request().postData(), '{"ip_address":"203.0.113.0/24","ttl":172800}', 'it sends ip_address and the TTL');
		is(resp.status(), 200, 'a key with allow_remote_whitelist whitelists the range');
		// The response can arrive before the app has shown it ("Knocking…").
		await page.waitForFunction(() => !/^Knocking/.test(document.querySelector('#other-result').textContent));
		like(await text('#other-result'), /^Whitelisted 203\.0\.113\.0\/24 for 48 hours\. Until .*\d{4}.*\.$/,
			'and the app says so, with the expiry date');
		const wl = JSON.parse(readFileSync(WHITELIST, 'utf8'));
		is(typeof wl['203.0.113.0/24'], 'number', 'knocker\'s whitelist holds the range');
		is(await text('#ip'), '127.0.0.1', 'this device\'s own entry is still the one shown above');
		const r2 = await saveSettings({ '#key': API_KEY, '#ttl': '120' });
		is(r2.status(), 200, '(back to the key without the right)');
		await whitelisted();
		await page.fill('#other-ip', '198.51.100.7');
		const r3 = await knockDuring(() => page.click('#other-knock'));
		is(r3.status(), 403, 'with a key lacking allow_remote_whitelist: 403');
		await page.waitForFunction(() => !/^Knocking/.test(document.querySelector('#other-result').textContent));
		is(await text('#other-result'), 'API key lacks remote whitelist permission. This key may not whitelist other addresses (it needs allow_remote_whitelist).',
			'and the app says why');
	});

	await step('switching servers', async () => {
		const resp = await saveSettings({ '#url': '/elsewhere/knock' });
		is(resp.status(), 403, 'a knock URL that is not knocker (403 on the app\'s host)');
		await page.waitForSelector('#error:not([hidden])');
		like(await text('#status'), /^Knock failed: /, 'after switching the URL the status is about the new server');
		is(`${await text('#ip')}|${await text('#whitelisted')}|${await text('#countdown')}`, '–|–|–',
			'the previous server\'s entry and countdown are gone');
		const back = await saveSettings({ '#url': '' });
		is(back.status(), 200, 'back to /knock, the knock works again');
		await whitelisted();
	});

	await step('switching servers during a knock', async () => {
		// A slow server (answered by the test) still busy when the URL changes:
		// its late answer must not show up as the new server's.
		let release = null;
		await page.route('**/slow/knock', async (route) => {
			await new Promise((r) => { release = r; });
			await route.fulfill({ status: 200, contentType: 'application/json',
				body: JSON.stringify({ whitelisted_entry: '192.0.2.1', expires_at: Math.floor(Date.now() / 1000) + 999,
					expires_in_seconds: 999 }) });
		});
		await page.evaluate(() => {
			window.ipSeen = [];
			new MutationObserver(() => window.ipSeen.push(document.querySelector('#ip').textContent))
				.observe(document.querySelector('#ip'), { childList: true, characterData: true, subtree: true });
		});
		await openSettings();
		await page.fill('#url', '/slow/knock');
		await page.click('#save');
		await page.waitForFunction(() => document.querySelector('#knock').disabled);
		for (let i = 0; i < 50 && !release; i++)
			await sleep(100);
		is(release !== null, true, 'the knock to the slow server is under way');
		await openSettings();
		await page.fill('#url', '');
		await page.click('#save');
		const resp = page.waitForResponse((r) => isKnock(r) && new URL(r.url()).pathname === '/knock');
		release?.();
		is((await resp).status(), 200, 'the knock to the new URL follows');
		await whitelisted();
		await sleep(300);
		is(`${await text('#ip')}|${await text('#status')}`, '127.0.0.1|Whitelisted 127.0.0.1 for 2 minutes.',
			'the slow server\'s late answer is not shown');
		is((await page.evaluate(() => window.ipSeen)).includes('192.0.2.1'), false, 'not even for a moment');
		await page.unroute('**/slow/knock');
	});

	await step('auto-knock off', async () => {
		await page.click('#settings > summary');
		await page.uncheck('#auto');
		is((await stored()).auto, false, 'unticking "Knock automatically" is stored at once');
		const before = knocks.length;
		await page.reload({ waitUntil: 'load' });
		await sleep(700);
		is(knocks.length, before, 'with it off, opening the app does not knock');
		is(await text('#status'), 'Press Knock to whitelist this device.', 'the app says how to knock');
		await page.evaluate(() => {
			Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
			document.dispatchEvent(new Event('visibilitychange'));
		});
		await sleep(500);
		is(knocks.length, before, 'nor does coming back to the foreground');
		const resp = await knockDuring(() => page.click('#knock'));
		is(resp.status(), 200, 'the Knock button still knocks');
		await whitelisted();
		await page.click('#settings > summary');
		await page.check('#auto');
		const r2 = await knockDuring(() => page.reload());
		is(r2.status(), 200, 'ticked again, opening the app knocks');
		await whitelisted();
	});

	await step('opt out again', async () => {
		await page.click('#settings > summary');
		await page.uncheck('#remember');
		const resp = await knockDuring(() => page.click('#save'));
		is(resp.status(), 200, 'unticking "Remember" and saving knocks');
		is('key' in await stored(), false, 'and removes the key from localStorage');
		await page.reload({ waitUntil: 'load' });
		is(holdsKey(await page.evaluate(readStorage)), false, 'after a reload the key is still not stored');
		is(await page.inputValue('#key'), '', 'and the app asks for it again');
	});

	await step('shared origin', async () => {
		// What an older version of the app left there: the key, always stored.
		await servicePage((arg) => localStorage.setItem(arg.store, JSON.stringify({ url: '', key: arg.key, ttl: null })),
			{ store: STORE, key: API_KEY });
		const p = await ctx.newPage();
		try {
			const resp = p.waitForResponse(isKnock);
			await p.goto(SHARED_APP, { waitUntil: 'load' });
			is((await resp).status(), 200, 'a key stored by an older version is used once');
			is(holdsKey(await p.evaluate(readStorage)), false, 'and removed from storage');
			is(await p.isVisible('#shared-origin'), true, 'served under /access/ of the service\'s origin, the app warns');
			like((await p.textContent('#shared-origin')).replace(/\s+/g, ' ').trim(), /shares its origin \(http:\/\/127\.0\.0\.1:\d+\) with other pages/,
				'the warning names the shared origin');
			// Why it warns: there, a remembered key is open to the service's pages.
			await p.click('#settings > summary');
			await p.fill('#key', API_KEY);
			await p.check('#remember');
			await p.click('#save');
			await p.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Whitelisted'));
			const r = await servicePage(readStorage);
			is(holdsKey(r.result), true, '(that is why: on a shared origin a service page reads a remembered key)');
			await p.click('#settings > summary');	// closed by the successful save
			await p.click('#forget');
		} finally {
			await p.close();
		}
	});

	await step('forget', async () => {
		await page.fill('#key', API_KEY);
		await page.check('#remember');
		await page.click('#save');
		await whitelisted();
		if (await page.getAttribute('#settings', 'open') === null)
			await page.click('#settings > summary');
		await page.click('#forget');
		is(await page.evaluate(() => localStorage.getItem('knocker.settings.v1')), null, '"Forget settings" removes the key from localStorage');
		is(await page.inputValue('#key'), '', 'and clears the form');
	});

	is(consoleErrors.join(' | '), '', 'no script errors or CSP violations in the console');
} finally {
	await ctx.close();
	rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify({ ok: true, name: '__finished__' }));
