#!/usr/bin/env node
// Draws the web app's icons (a door with a ring knocker) and writes them as
// PNG files: node web/make-icons.mjs [OUTDIR]  (default: web/icons next to
// this script). No dependencies: shapes are sampled 4x4 per pixel for
// anti-aliasing and encoded with node's zlib. The PNGs are committed; run
// this again only to change the artwork.
import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const outDir = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'icons');

const NAVY = [15, 42, 68];
const DOOR = [244, 241, 234];
const GOLD = [212, 160, 23];
const SHADE = [205, 198, 184];

// --- shapes in unit coordinates (0..1, y down) ---------------------------------
const inRoundRect = (x, y, x0, y0, x1, y1, r) => {
	if (x < x0 || x > x1 || y < y0 || y > y1) return false;
	const cx = Math.min(Math.max(x, x0 + r), x1 - r);
	const cy = Math.min(Math.max(y, y0 + r), y1 - r);
	return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
const inCircle = (x, y, cx, cy, r) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const inRing = (x, y, cx, cy, r0, r1) => {
	const d = (x - cx) ** 2 + (y - cy) ** 2;
	return d <= r1 * r1 && d >= r0 * r0;
};
// A door: a rectangle with a round arch on top.
const inDoor = (x, y, x0, x1, yTop, y1) => {
	const r = (x1 - x0) / 2;
	if (x < x0 || x > x1 || y > y1) return false;
	if (y >= yTop + r) return true;
	return inCircle(x, y, x0 + r, yTop + r, r);
};

// Color of the point (x, y) of the artwork, or null (transparent).
// full: the background fills the square (maskable icons); scale shrinks the
// door into the maskable safe zone (a centered circle of radius 0.4).
function paint(x, y, full, scale) {
	const u = 0.5 + (x - 0.5) / scale;
	const v = 0.5 + (y - 0.5) / scale;
	if (!full && !inRoundRect(x, y, 0.02, 0.02, 0.98, 0.98, 0.2)) return null;
	if (inRing(u, v, 0.5, 0.6, 0.062, 0.098)) return GOLD;
	if (inCircle(u, v, 0.5, 0.49, 0.038)) return GOLD;
	if (inDoor(u, v, 0.31, 0.69, 0.17, 0.85)) {
		// two panels, slightly shaded, for depth
		if (inRoundRect(u, v, 0.36, 0.3, 0.64, 0.42, 0.02) ||
		    inRoundRect(u, v, 0.36, 0.72, 0.64, 0.8, 0.02))
			return SHADE;
		return DOOR;
	}
	return NAVY;
}

function render(size, full, scale) {
	const S = 4; // samples per axis
	const rgba = Buffer.alloc(size * size * 4);
	for (let py = 0; py < size; py++) {
		for (let px = 0; px < size; px++) {
			let r = 0, g = 0, b = 0, a = 0;
			for (let sy = 0; sy < S; sy++) {
				for (let sx = 0; sx < S; sx++) {
					const c = paint((px + (sx + 0.5) / S) / size, (py + (sy + 0.5) / S) / size, full, scale);
					if (c) { r += c[0]; g += c[1]; b += c[2]; a++; }
				}
			}
			const o = (py * size + px) * 4;
			if (a > 0) {
				rgba[o] = Math.round(r / a);
				rgba[o + 1] = Math.round(g / a);
				rgba[o + 2] = Math.round(b / a);
			}
			rgba[o + 3] = Math.round((255 * a) / (S * S));
		}
	}
	return rgba;
}

// --- PNG ----------------------------------------------------------------------------
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});
function crc32(buf) {
	let c = 0xffffffff;
	for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
	const len = Buffer.alloc(4);
	len.writeUInt32BE(data.length);
	const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(td));
	return Buffer.concat([len, td, crc]);
}
function png(size, rgba) {
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(size, 0);
	ihdr.writeUInt32BE(size, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 6; // RGBA
	const raw = Buffer.alloc(size * (size * 4 + 1));
	for (let y = 0; y < size; y++) {
		raw[y * (size * 4 + 1)] = 0; // filter: none
		rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
	}
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk('IHDR', ihdr),
		chunk('IDAT', deflateSync(raw, { level: 9 })),
		chunk('IEND', Buffer.alloc(0)),
	]);
}

mkdirSync(outDir, { recursive: true });
for (const [name, size, full, scale] of [
	['icon-192.png', 192, false, 1],
	['icon-512.png', 512, false, 1],
	['icon-maskable-512.png', 512, true, 0.78],
]) {
	writeFileSync(join(outDir, name), png(size, render(size, full, scale)));
	console.log(`${join(outDir, name)}: ${size}x${size}`);
}
