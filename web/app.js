// knocker web app: knocks (POST with X-Api-Key) when opened, when the Knock
// button is pressed and when the page comes back to the foreground, and
// counts down to the expiry. URL and TTL live in localStorage; the key only
// in this page's memory, unless the user ticks "Remember the key on this
// device" (then in localStorage too). Not sessionStorage: every page of the
// origin in the same tab can read that, and it brings no safety that memory
// lacks. Plain JS, no build step; the HTTP contract is knocker's POST /knock.
//
// Web storage is walled off by origin, not by path: the app belongs on an
// origin of its own. It warns when it is not at the root path "/", the sign
// that it shares its origin with other content (docs/CLIENTS.md).
'use strict';

(() => {
	const STORAGE_KEY = 'knocker.settings.v1';
	const DEFAULT_URL = '/knock';		// relative to the page: same origin
	const MAX_TTL = 315360000;
	const REKNOCK_GAP_MS = 2000;		// foreground knocks closer than this are skipped

	const $ = (id) => document.getElementById(id);
	const ui = {
		status: $('status'), ip: $('ip'), whitelisted: $('whitelisted'),
		countdown: $('countdown'), expiresAt: $('expires-at'), knock: $('knock'),
		error: $('error'), errorText: $('error-text'), errorHelp: $('error-help'),
		settings: $('settings'), form: $('settings-form'), url: $('url'), key: $('key'),
		showKey: $('show-key'), ttl: $('ttl'), settingsError: $('settings-error'),
		forget: $('forget'), remember: $('remember'), shared: $('shared-origin'),
		sharedName: $('shared-origin-name'), auto: $('auto'),
		otherForm: $('other-form'), otherIp: $('other-ip'), otherKnock: $('other-knock'),
		otherResult: $('other-result'),
		admin: $('admin'), adminList: $('admin-list'), adminEmpty: $('admin-empty'),
		adminResult: $('admin-result'), adminRefresh: $('admin-refresh'),
	};

	let settings = loadSettings();
	let expiry = null;		// { localMs, serverAt } of the current entry
	let timer = null;
	let busy = false;
	let again = null;		// a knock asked for while one was running: its options
	let gen = 0;			// bumped when the server or key changes: older answers are stale
	let lastKnockEnd = 0;

	// --- settings ---------------------------------------------------------------------
	const NO_SETTINGS = { url: '', key: '', ttl: null, remember: false, auto: true };

	// A stored key without remember: true (written by a version that always
	// stored it) is used for this visit and dropped from storage.
	function loadSettings() {
		try {
			const s = JSON.parse(localStorage.getItem(STORAGE_KEY) || '{}');
			const loaded = {
				url: typeof s.url === 'string' ? s.url : '',
				key: typeof s.key === 'string' ? s.key : '',
				ttl: Number.isInteger(s.ttl) && s.ttl > 0 ? s.ttl : null,
				remember: s.remember === true,
				auto: s.auto !== false,
			};
			if (!loaded.remember && 'key' in s)
				storeSettings(loaded);
			return loaded;
		} catch {
			return { ...NO_SETTINGS };
		}
	}

	// Writes the settings, with the key only when the user asked for it.
	// Returns false when the browser refuses.
	function storeSettings(s) {
		const out = { url: s.url, ttl: s.ttl, remember: s.remember, auto: s.auto };
		if (s.remember)
			out.key = s.key;
		try {
			localStorage.setItem(STORAGE_KEY, JSON.stringify(out));
			return true;
		} catch {
			return false;
		}
	}

	// The app at "/" (or /index.html) is taken to own its origin; under any
	// other path it shares the origin with whatever else the server serves.
	function sharesOrigin() {
		return location.pathname !== '/' && location.pathname !== '/index.html';
	}

	function knockUrl() {
		return new URL(settings.url || DEFAULT_URL, document.baseURI).href;
	}

	// The admin endpoint beside the knock URL: its last path segment
	// replaced (https://h/knock -> https://h/entries).
	function entriesUrl() {
		const u = new URL(knockUrl());
		u.pathname = u.pathname.replace(/[^/]*$/, 'entries');
		u.search = '';
		u.hash = '';
		return u.href;
	}

	// Returns { settings } or { field, message }.
	function readForm() {
		const url = ui.url.value.trim();
		const key = ui.key.value.trim();
		const ttlText = ui.ttl.value.trim();
		if (url) {
			let u = null;
			try { u = new URL(url, document.baseURI); } catch { /* below */ }
			if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:'))
				return { field: ui.url, message: 'The knock URL must be a path like /knock or start with https://.' };
		}
		if (!key)
			return { field: ui.key, message: 'Enter the API key you got for this device.' };
		if (!/^[\x21-\x7e]+$/.test(key))
			return { field: ui.key, message: 'The API key may contain only letters, digits and punctuation (no spaces).' };
		let ttl = null;
		if (ttlText) {
			if (!/^[0-9]+$/.test(ttlText) || Number(ttlText) < 1 || Number(ttlText) > MAX_TTL)
				return { field: ui.ttl, message: `The lifetime must be a whole number of seconds from 1 to ${MAX_TTL}, or empty.` };
			ttl = Number(ttlText);
		}
		return { settings: { url, key, ttl, remember: ui.remember.checked, auto: ui.auto.checked } };
	}

	function fillForm() {
		ui.url.value = settings.url;
		ui.key.value = settings.key;
		ui.ttl.value = settings.ttl ?? '';
		ui.remember.checked = settings.remember;
		ui.auto.checked = settings.auto;
	}

	function settingsProblem(field, message) {
		for (const f of [ui.url, ui.key, ui.ttl])
			f.removeAttribute('aria-invalid');
		if (!field) {
			ui.settingsError.hidden = true;
			ui.settingsError.textContent = '';
			return;
		}
		field.setAttribute('aria-invalid', 'true');
		ui.settingsError.textContent = message;
		ui.settingsError.hidden = false;
		field.focus();
	}

	// --- display --------------------------------------------------------------------------
	function setStatus(kind, text) {
		ui.status.className = `status status-${kind}`;
		ui.status.textContent = text;
	}

	function showError(text, help) {
		ui.errorText.textContent = text;
		ui.errorHelp.textContent = help;
		ui.error.hidden = false;
	}

	function hideError() {
		ui.error.hidden = true;
		ui.errorText.textContent = '';
		ui.errorHelp.textContent = '';
	}

	function duration(secs) {
		const d = Math.floor(secs / 86400);
		const h = Math.floor((secs % 86400) / 3600);
		const m = Math.floor((secs % 3600) / 60);
		const s = secs % 60;
		const two = (n) => String(n).padStart(2, '0');
		if (d > 0) return `${d} d ${two(h)}:${two(m)}:${two(s)}`;
		if (h > 0) return `${h}:${two(m)}:${two(s)}`;
		return `${m}:${two(s)}`;
	}

	function spoken(secs) {
		if (secs >= 7200) return `${Math.round(secs / 3600)} hours`;
		if (secs >= 120) return `${Math.round(secs / 60)} minutes`;
		return `${secs} seconds`;
	}

	function tick() {
		if (!expiry) return;
		const left = Math.max(0, Math.ceil((expiry.localMs - Date.now()) / 1000));
		ui.countdown.textContent = duration(left);
		if (left === 0) {
			stopCountdown();
			ui.whitelisted.textContent = 'No (expired)';
			setStatus('bad', 'Expired. Knock again to get back in.');
		}
	}

	// The time of an expiry; with the date when it is more than a day away.
	function whenText(serverAt, secsLeft) {
		const at = new Date(serverAt * 1000);
		return secsLeft > 86400 ? at.toLocaleString() : at.toLocaleTimeString();
	}

	// "Whitelisted X for N minutes.", and when the key's max_ttl granted less
	// than the lifetime asked for, says so.
	function grantedText(data, asked) {
		let t = `Whitelisted ${data.whitelisted_entry} for ${spoken(data.expires_in_seconds)}.`;
		if (asked && data.expires_in_seconds < asked)
			t += ` Your key allows at most ${spoken(data.expires_in_seconds)} (you asked for ${spoken(asked)}).`;
		return t;
	}

	function startCountdown(localMs, serverAt) {
		expiry = { localMs, serverAt };
		ui.expiresAt.textContent = `(at ${whenText(serverAt, (localMs - Date.now()) / 1000)})`;
		clearInterval(timer);
		timer = setInterval(tick, 1000);
		tick();
	}

	function stopCountdown() {
		clearInterval(timer);
		timer = null;
		expiry = null;
		ui.countdown.textContent = '–';
		ui.expiresAt.textContent = '';
	}

	// --- talking to knocker -----------------------------------------------------------------
	async function readJson(res) {
		try {
			const text = await res.text();
			return text.length <= 16384 ? JSON.parse(text) : null;
		} catch {
			return null;
		}
	}

	function retryAfter(res) {
		const v = res.headers.get('Retry-After');
		if (!v) return null;
		if (/^[0-9]+$/.test(v.trim())) return Number(v.trim());
		const when = Date.parse(v);
		return Number.isNaN(when) ? null : Math.max(0, Math.ceil((when - Date.now()) / 1000));
	}

	// What went wrong and what to do, from an answer that is not a success.
	function explain(res, data) {
		const msg = data && typeof data.error === 'string' ? data.error : '';
		const code = res.status;
		if (res.type === 'opaqueredirect')
			return ['The knock URL redirects somewhere else.',
				'Put the final address (for example with https://) in Settings.'];
		switch (code) {
		case 401:
			return [msg || 'Invalid or missing API key.', 'Check the API key in Settings.'];
		case 403:
			return [msg || 'Forbidden.', 'This key may not do that; ask the server\'s administrator.'];
		case 429: {
			const wait = retryAfter(res);
			return [msg || 'Too many knock attempts.', wait !== null
				? `Wait ${wait} s, then knock again.` : 'Wait a minute, then knock again.'];
		}
		case 400:
			return [msg || 'The server refused the request.', /TTL/.test(msg)
				? 'Check the lifetime in Settings: whole seconds, or empty for your key\'s maximum.'
				: 'Check the settings.'];
		case 404:
		case 405:
			return [`The knock URL did not answer as knocker (HTTP ${code}).`,
				'Check the Knock URL in Settings, e.g. https://home.example.org/knock.'];
		default:
			if (code >= 500)
				return [msg || `The server failed (HTTP ${code}).`,
					'Try again later; if it keeps failing, tell the server\'s administrator.'];
			if (res.ok)
				return ['The knock URL did not answer as knocker.', 'Check the Knock URL in Settings.'];
			return [msg || `Unexpected answer (HTTP ${code}).`, 'Check the Knock URL in Settings.'];
		}
	}

	// Forgets what the last knock showed (another server or key now).
	function resetState() {
		stopCountdown();
		hideAdmin();
		hideError();
		ui.ip.textContent = '–';
		ui.whitelisted.textContent = '–';
	}

	function failed(text, help) {
		showError(text, help);
		if (expiry && expiry.localMs > Date.now())
			setStatus('bad', `Knock failed. The last knock still holds until ${whenText(expiry.serverAt, (expiry.localMs - Date.now()) / 1000)}.`);
		else
			setStatus('bad', `Knock failed: ${text}`);
	}

	// POSTs a knock with the current key; fields (ip_address) and the TTL
	// setting form the body. Returns { res, data }; throws when no answer came.
	async function postKnock(fields) {
		const headers = { 'X-Api-Key': settings.key };
		const obj = { ...fields };
		if (settings.ttl)
			obj.ttl = settings.ttl;
		let body;
		if (Object.keys(obj).length > 0) {
			headers['Content-Type'] = 'application/json';
			body = JSON.stringify(obj);
		}
		const res = await fetch(knockUrl(), {
			method: 'POST', headers, body, cache: 'no-store', credentials: 'omit',
			redirect: 'manual', referrerPolicy: 'no-referrer',
		});
		return { res, data: await readJson(res) };
	}

	const isGrant = (res, data) => res.status === 200 && data && typeof data.whitelisted_entry === 'string' &&
		Number.isInteger(data.expires_in_seconds) && Number.isInteger(data.expires_at);

	const unreachable = () => (navigator.onLine === false
		? ['You are offline.', 'Connect to the internet, then knock again.']
		: ['Could not reach the knock URL.',
			'Check your connection and the Knock URL in Settings. A knock URL on another site must allow this page (cors.allowed_origin).']);

	// Knocks for this device. opts.fromForm: after "Save and knock", which
	// closes the settings on success.
	async function knock(opts = {}) {
		if (busy) {
			again = opts;
			return;
		}
		if (!settings.key) {
			ui.settings.open = true;
			setStatus('idle', 'Enter your API key in Settings, then press “Save and knock”.');
			ui.key.focus();
			return;
		}
		busy = true;
		ui.knock.disabled = true;
		ui.knock.setAttribute('aria-busy', 'true');
		ui.knock.textContent = 'Knocking…';
		hideError();
		setStatus('idle', 'Knocking…');
		const started = Date.now();
		const myGen = gen;
		const asked = settings.ttl;
		try {
			let answer;
			try {
				answer = await postKnock({});
			} catch {
				if (myGen === gen)
					failed(...unreachable());
				return;
			}
			if (myGen !== gen)
				return;		// the settings changed meanwhile: the queued knock reports
			const { res, data } = answer;
			if (isGrant(res, data)) {
				ui.ip.textContent = data.whitelisted_entry;
				ui.whitelisted.textContent = 'Yes';
				startCountdown(started + data.expires_in_seconds * 1000, data.expires_at);
				setStatus('ok', grantedText(data, asked));
				if (opts.fromForm)
					ui.settings.open = false;
				loadAdmin();
				return;
			}
			const [text, help] = explain(res, data);
			if (res.status === 401)
				ui.settings.open = true;
			failed(text, help);
		} finally {
			busy = false;
			lastKnockEnd = Date.now();
			ui.knock.disabled = false;
			ui.knock.removeAttribute('aria-busy');
			ui.knock.textContent = 'Knock';
			if (again) {
				const next = again;
				again = null;
				knock(next);
			}
		}
	}

	// Whitelists another address or range (a key with allow_remote_whitelist).
	async function knockOther(ip) {
		const show = (kind, text) => {
			ui.otherResult.className = `status status-${kind}`;
			ui.otherResult.textContent = text;
		};
		if (!settings.key) {
			show('bad', 'Enter your API key in Settings first.');
			return;
		}
		if (!/^[0-9A-Fa-f:.]+(\/[0-9]{1,3})?$/.test(ip) || ip.length > 100) {
			show('bad', 'Enter an IPv4 or IPv6 address, optionally with a prefix (203.0.113.0/24).');
			ui.otherIp.setAttribute('aria-invalid', 'true');
			ui.otherIp.focus();
			return;
		}
		ui.otherIp.removeAttribute('aria-invalid');
		ui.otherKnock.disabled = true;
		show('idle', 'Knocking…');
		try {
			const { res, data } = await postKnock({ ip_address: ip });
			if (isGrant(res, data)) {
				show('ok', `${grantedText(data, settings.ttl)} Until ${whenText(data.expires_at, data.expires_in_seconds)}.`);
				if (!ui.admin.hidden)
					loadAdmin();
				return;
			}
			const [text] = explain(res, data);
			show('bad', res.status === 403
				? `${text} This key may not whitelist other addresses (it needs allow_remote_whitelist).`
				: text);
		} catch {
			show('bad', unreachable()[0]);
		} finally {
			ui.otherKnock.disabled = false;
		}
	}


	// --- the admin view (admin keys: GET/DELETE …/entries) ----------------------------
	let adminEntries = [];		// [{ entry, key, knocked_at, localMs }]
	let adminTimer = null;
	let adminGen = 0;

	function hideAdmin() {
		ui.admin.hidden = true;
		clearInterval(adminTimer);
		adminTimer = null;
		adminEntries = [];
		ui.adminList.replaceChildren();
		ui.adminResult.textContent = '';
	}

	function adminShow(kind, text) {
		ui.adminResult.className = `status status-${kind}`;
		ui.adminResult.textContent = text;
	}

	function adminTick() {
		for (const li of ui.adminList.children) {
			const left = Math.max(0, Math.ceil((Number(li.dataset.expires) - Date.now()) / 1000));
			li.querySelector('.entry-left').textContent = left > 0 ? `expires in ${duration(left)}` : 'expired';
		}
	}

	function entryRow(e) {
		const li = document.createElement('li');
		li.dataset.entry = e.entry;
		li.dataset.expires = String(e.localMs);
		const name = document.createElement('div');
		name.className = 'entry-name';
		name.textContent = e.entry;
		const facts = document.createElement('div');
		facts.className = 'entry-facts';
		const left = document.createElement('span');
		left.className = 'entry-left';
		left.setAttribute('role', 'timer');
		const by = document.createElement('span');
		by.className = 'entry-key';
		by.textContent = e.key ? `key ${e.key}` : 'key unknown';
		const when = Number.isInteger(e.knocked_at)
			? `, knocked ${new Date(e.knocked_at * 1000).toLocaleString()}` : '';
		facts.append(left, ' · ', by, when);
		const buttons = document.createElement('div');
		buttons.className = 'buttons';
		const revoke = document.createElement('button');
		revoke.type = 'button';
		revoke.className = 'revoke';
		revoke.textContent = 'Revoke';
		revoke.setAttribute('aria-label', `Revoke ${e.entry}`);
		revoke.addEventListener('click', () => adminRevoke({ entry: e.entry }, e.entry));
		buttons.append(revoke);
		if (e.key) {
			const all = document.createElement('button');
			all.type = 'button';
			all.className = 'secondary revoke-key';
			all.textContent = `Revoke all by ${e.key}`;
			all.addEventListener('click', () => adminRevoke({ key: e.key }, `every entry of key ${e.key}`));
			buttons.append(all);
		}
		li.append(name, facts, buttons);
		return li;
	}

	function renderAdmin() {
		ui.adminList.replaceChildren(...adminEntries.map(entryRow));
		ui.adminEmpty.hidden = adminEntries.length > 0;
		adminTick();
		clearInterval(adminTimer);
		adminTimer = setInterval(adminTick, 1000);
	}

	// Asks for the entries with the current key: shows the view on a 200,
	// hides it for any other answer (a key without admin permission: 403).
	async function loadAdmin() {
		const myGen = ++adminGen;
		if (!settings.key) {
			hideAdmin();
			return;
		}
		let res, data;
		const asked = Date.now();
		try {
			res = await fetch(entriesUrl(), {
				method: 'GET', headers: { 'X-Api-Key': settings.key }, cache: 'no-store',
				credentials: 'omit', redirect: 'manual', referrerPolicy: 'no-referrer',
			});
			data = res.status === 200 ? JSON.parse(await res.text()) : null;
		} catch {
			data = null;
		}
		if (myGen !== adminGen)
			return;
		if (!res || res.status !== 200 || !data || !Array.isArray(data.entries)) {
			hideAdmin();
			return;
		}
		adminEntries = data.entries.filter((e) => e && typeof e.entry === 'string' &&
			Number.isInteger(e.expires_in_seconds)).map((e) => ({
			entry: e.entry, key: typeof e.key === 'string' ? e.key : '',
			knocked_at: e.knocked_at, localMs: asked + e.expires_in_seconds * 1000,
		}));
		ui.admin.hidden = false;
		renderAdmin();
	}

	async function adminRevoke(body, what) {
		for (const b of ui.adminList.querySelectorAll('button'))
			b.disabled = true;
		adminShow('idle', `Revoking ${what}…`);
		try {
			const res = await fetch(entriesUrl(), {
				method: 'DELETE', headers: { 'X-Api-Key': settings.key, 'Content-Type': 'application/json' },
				body: JSON.stringify(body), cache: 'no-store', credentials: 'omit',
				redirect: 'manual', referrerPolicy: 'no-referrer',
			});
			const data = await readJson(res);
			if (res.status === 200 && data && Number.isInteger(data.revoked))
				adminShow('ok', `Revoked ${what} (${data.revoked} ${data.revoked === 1 ? 'entry' : 'entries'}).`);
			else
				adminShow('bad', explain(res, data)[0]);
		} catch {
			adminShow('bad', unreachable()[0]);
		}
		await loadAdmin();
	}

	// --- events -------------------------------------------------------------------------------
	ui.knock.addEventListener('click', () => knock());
	ui.adminRefresh.addEventListener('click', () => loadAdmin());

	ui.otherForm.addEventListener('submit', (ev) => {
		ev.preventDefault();
		knockOther(ui.otherIp.value.trim());
	});

	// Not secret, and a switch: it applies (and is stored) at once.
	ui.auto.addEventListener('change', () => {
		settings.auto = ui.auto.checked;
		storeSettings(settings);
	});

	ui.form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		const r = readForm();
		if (!r.settings) {
			settingsProblem(r.field, r.message);
			return;
		}
		settingsProblem(null);
		if (r.settings.url !== settings.url || r.settings.key !== settings.key) {
			gen++;		// what the old server or key answered no longer applies
			resetState();
		}
		settings = r.settings;
		if (!storeSettings(settings))
			settingsProblem(ui.key, 'This browser refused to store the settings (private mode?). They last until you close the page.');
		knock({ fromForm: true });
	});

	ui.forget.addEventListener('click', () => {
		localStorage.removeItem(STORAGE_KEY);
		settings = { ...NO_SETTINGS };
		gen++;
		fillForm();
		settingsProblem(null);
		resetState();
		setStatus('idle', 'Settings forgotten. This browser no longer holds the key.');
	});

	ui.showKey.addEventListener('change', () => {
		ui.key.type = ui.showKey.checked ? 'text' : 'password';
	});

	// Back in the foreground (switched apps, unlocked the phone): knock again,
	// the public IP may have changed meanwhile.
	document.addEventListener('visibilitychange', () => {
		if (document.visibilityState === 'visible' && settings.key && settings.auto &&
		    Date.now() - lastKnockEnd > REKNOCK_GAP_MS)
			knock();
	});
	window.addEventListener('online', () => {
		if (settings.key && settings.auto) knock();
	});

	if ('serviceWorker' in navigator)
		navigator.serviceWorker.register('sw.js').catch(() => { /* the app works without it */ });

	if (sharesOrigin()) {
		ui.sharedName.textContent = location.origin;
		ui.shared.hidden = false;
	}
	fillForm();
	if (settings.key && settings.auto) {
		knock();
	} else if (settings.key) {
		setStatus('idle', 'Press Knock to whitelist this device.');
	} else {
		ui.settings.open = true;
		setStatus('idle', 'Enter your API key in Settings to knock.');
	}
})();
