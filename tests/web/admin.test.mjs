// Browser test of the web app's admin view, run by tests/integration/test_web.sh
// after webapp.test.mjs, against the same stack: knocker behind lighttpd,
// the app at the root of its own origin (APP_URL). With a key that is not
// an admin key the view stays hidden; with an admin key it lists every
// entry (entry, key name, a countdown) and its buttons revoke one entry or
// every entry of a key, which the whitelist file and the protected service
// then show.
// Prints one JSON object per check, like webapp.test.mjs. Never prints a key.
//
// Environment: APP_URL, SERVICE_URL, API_KEY (not admin), ADMIN_KEY (admin,
// allow_remote_whitelist), LONG_KEY (allow_remote_whitelist, not admin),
// CHROMIUM, WHITELIST (knocker's whitelist file), PROFILE_PARENT.
import { chromium } from 'playwright-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { reporter } from './report.mjs';

const { APP_URL, SERVICE_URL, API_KEY, ADMIN_KEY, LONG_KEY, CHROMIUM, WHITELIST } = process.env;
const APP = `${APP_URL}/`;
const PROTECTED = `${SERVICE_URL}/private/index.html`;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync',
	`--host-resolver-rules=MAP ${new URL(APP_URL).hostname} 127.0.0.1`];

const { report, is, like, step } = reporter({ '<API_KEY>': API_KEY, '<ADMIN_KEY>': ADMIN_KEY, '<LONG_KEY>': LONG_KEY });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const onDisk = () => Object.keys(JSON.parse(readFileSync(WHITELIST, 'utf8'))).sort().join(',');

const profile = mkdtempSync(join(process.env.PROFILE_PARENT || '/tmp', 'chromium-admin-'));
const ctx = await chromium.launchPersistentContext(profile, {
	executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS,
	viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
	timeout: 60000,
});
const page = ctx.pages()[0] ?? await ctx.newPage();
page.setDefaultTimeout(10000);
const consoleErrors = [];
page.on('console', (m) => {
	if (m.type() === 'error' && !/Failed to load resource|net::ERR_/.test(m.text()))
		consoleErrors.push(m.text());
});
page.on('pageerror', (e) => consoleErrors.push(e.message));

const entriesAnswer = () => page.waitForResponse((r) => r.request().method() === 'GET' &&
	new URL(r.url()).pathname === '/entries');
async function saveKey(key) {
	if (await page.getAttribute('#settings', 'open') === null)
		await page.click('#settings > summary');
	await page.fill('#key', key);
	const answer = entriesAnswer();
	await page.click('#save');
	return answer;
}
const rows = () => page.$$eval('#admin-list li', (lis) => lis.map((li) => ({
	entry: li.querySelector('.entry-name').textContent,
	key: li.querySelector('.entry-key').textContent,
	left: li.querySelector('.entry-left').textContent,
})));
// From here, not the browser (whose cache may answer): the same client address.
const serviceStatus = () => fetch(PROTECTED, { cache: 'no-store' }).then((r) => r.status);
// A knock for another address with key, straight to knocker (not the browser).
const remoteKnock = (key, ip) => fetch(`${SERVICE_URL}/knock`, {
	method: 'POST', headers: { 'X-Api-Key': key, 'Content-Type': 'application/json' },
	body: JSON.stringify({ ip_address: ip }),
}).then((r) => r.status);

try {
	await step('start from an empty whitelist', async () => {
		const r = await fetch(`${SERVICE_URL}/entries`, {
			method: 'DELETE', headers: { 'X-Api-Key': ADMIN_KEY, 'Content-Type': 'application/json' },
			body: '{"all":true}',
		});
		is(r.status, 200, 'DELETE /entries {"all":true} empties the whitelist left by the other test');
	});

	await step('a key without admin permission', async () => {
		await page.goto(APP, { waitUntil: 'load' });
		const answer = await saveKey(API_KEY);
		is(answer.status(), 403, 'a knock with a plain key asks for /entries and gets 403');
		await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Whitelisted'));
		is(await page.isHidden('#admin'), true, 'the admin view stays hidden for a plain key');
	});

	await step('an admin key', async () => {
		is(await remoteKnock(LONG_KEY, '192.0.2.0/24'), 200, 'a remote knock by the key "long"');
		is(await remoteKnock(LONG_KEY, '198.51.100.7'), 200, 'a second remote knock by "long"');
		const answer = await saveKey(ADMIN_KEY);
		is(answer.status(), 200, 'the admin key gets 200 from /entries');
		await page.waitForSelector('#admin:not([hidden])');
		is(await page.isVisible('#admin'), true, 'the admin view shows for an admin key');
		await page.waitForFunction(() => document.querySelectorAll('#admin-list li').length === 3);
		const r = await rows();
		is(r.map((x) => x.entry).sort().join(','), '127.0.0.1,192.0.2.0/24,198.51.100.7',
			'it lists every entry');
		is(r.find((x) => x.entry === '127.0.0.1')?.key, 'key admin', 'with the key that made it (the admin key re-knocked this device)');
		is(r.find((x) => x.entry === '192.0.2.0/24')?.key, 'key long', 'and the other key\'s name');
		like(r[0].left, /^expires in (\d+ d )?\d+:\d\d(:\d\d)?$/, 'and a countdown');
		const before = await page.textContent('#admin-list li[data-entry="127.0.0.1"] .entry-left');
		await sleep(2100);
		const after = await page.textContent('#admin-list li[data-entry="127.0.0.1"] .entry-left');
		report(before !== after, 'the countdown counts down', `${before} -> ${after}`);
		is(await page.$$eval('#admin-list button.revoke', (b) => b.length), 3, 'a Revoke button per entry');
		is(await page.getAttribute('#admin-list li[data-entry="192.0.2.0/24"] button.revoke', 'aria-label'),
			'Revoke 192.0.2.0/24', 'the Revoke buttons name their entry for screen readers');
	});

	await step('revoke one entry', async () => {
		const del = page.waitForResponse((r) => r.request().method() === 'DELETE');
		await page.click('#admin-list li[data-entry="198.51.100.7"] button.revoke');
		const res = await del;
		is(`${res.status()} ${await res.text()}`, '200 {"revoked":1}', 'Revoke sends DELETE /entries {"entry"} and gets {"revoked":1}');
		await page.waitForFunction(() => document.querySelectorAll('#admin-list li').length === 2);
		like(await page.textContent('#admin-result'), /^Revoked 198\.51\.100\.7 \(1 entry\)\.$/, 'the view says what was revoked');
		is(onDisk(), '127.0.0.1,192.0.2.0/24', 'the whitelist file no longer holds it');
	});

	await step('revoke all by a key', async () => {
		await page.click('#admin-list li[data-entry="192.0.2.0/24"] button.revoke-key');
		await page.waitForFunction(() => document.querySelectorAll('#admin-list li').length === 1);
		like(await page.textContent('#admin-result'), /^Revoked every entry of key long \(1 entry\)\.$/,
			'"Revoke all by long" revokes that key\'s entries');
		is(onDisk(), '127.0.0.1', 'the whitelist file keeps only this device');
	});

	await step('revoke this device', async () => {
		is(await serviceStatus(), 200, 'before: the protected service opens');
		await page.click('#admin-list li[data-entry="127.0.0.1"] button.revoke');
		await page.waitForSelector('#admin-empty:not([hidden])');
		is(await page.$$eval('#admin-list li', (l) => l.length), 0, 'the list is empty');
		is(await serviceStatus(), 401, 'after: the protected service is 401 at once');
		is(onDisk(), '', 'the whitelist file is empty');
	});

	await step('forget hides the view', async () => {
		if (await page.getAttribute('#settings', 'open') === null)
			await page.click('#settings > summary');
		await page.click('#forget');
		is(await page.isHidden('#admin'), true, '"Forget settings" hides the admin view');
	});

	is(consoleErrors.join(' | '), '', 'admin view: no script errors or CSP violations in the console');
} finally {
	await ctx.close();
	rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify({ ok: true, name: '__finished__' }));
