// The reporting of the browser tests (tests/web/*.test.mjs): one JSON object
// per check on stdout, {"ok": bool, "name": str, "diag": str}, read by
// tests/integration/test_web.sh. Every secret given is replaced by its label
// in names and diagnostics, so no API key is ever printed.
export function reporter(secrets) {
	const hide = (s) => Object.entries(secrets).reduce(
		(t, [label, value]) => (value ? t.split(value).join(label) : t), String(s));
	function report(ok, name, diag) {
		console.log(JSON.stringify({ ok: !!ok, name: hide(name), diag: ok ? '' : hide(diag ?? '') }));
	}
	const is = (got, want, name) =>
		report(got === want, name, `got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
	const like = (got, re, name) =>
		report(re.test(String(got)), name, `got ${JSON.stringify(got)}, expected to match ${re}`);
	async function step(name, fn) {
		try {
			await fn();
		} catch (err) {
			report(false, `${name}: ran without error`, err && err.stack ? err.stack : err);
		}
	}
	return { report, is, like, step };
}
