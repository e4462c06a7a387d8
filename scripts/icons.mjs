#!/usr/bin/env node
/**
 * Draws the app's icons into web/icons/ (committed; the build copies them into web/dist):
 *
 *   node scripts/icons.mjs
 *
 * The glyph is the favicon's (web/index.html): a white speech bubble on the accent colour
 * (`--accent` in web/styles/tokens.css). icon-192.png and icon-512.png are the rounded square
 * ("any"); icon-maskable-512.png fills the whole square, since the platform crops it to its
 * own shape (the bubble lies inside the central safe zone, a circle of 40% of the size);
 * icon.svg is the vector one. PNGs are encoded here with node:zlib alone (8-bit RGBA,
 * no filter), the shape rasterised with 4×4 samples per pixel for smooth edges.
 */
import { writeFile, readFile } from "node:fs/promises";
import { deflateSync } from "node:zlib";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const out = path.join(root, "web", "icons");

const tokens = await readFile(path.join(root, "web", "styles", "tokens.css"), "utf8");
const accent = /--accent:\s*(#[0-9a-f]{6})\s*;/i.exec(tokens)?.[1];
if (!accent) throw new Error("icons: no --accent in web/styles/tokens.css");
const BRAND = [1, 3, 5].map((i) => parseInt(accent.slice(i, i + 2), 16));
const WHITE = [255, 255, 255];

/** The favicon's bubble, in its 32×32 box: M8 10h16v10H14l-5 4v-4H8z */
const BUBBLE = [[8, 10], [24, 10], [24, 20], [14, 20], [9, 24], [9, 20], [8, 20]];

function inPolygon(x, y, poly) {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function inRoundedSquare(x, y, r) {
  const cx = Math.min(Math.max(x, r), 32 - r);
  const cy = Math.min(Math.max(y, r), 32 - r);
  return x >= 0 && x <= 32 && y >= 0 && y <= 32 && (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

/**
 * One icon, `size` pixels square. `maskable`: the background fills the whole square (the
 * bubble's farthest corner is 10 units from the centre, inside the safe zone's 12.8).
 */
function draw(size, maskable) {
  const N = 4;
  const rows = [];
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0, then RGBA
    for (let px = 0; px < size; px++) {
      let bg = 0;
      let fg = 0;
      for (let sy = 0; sy < N; sy++) {
        for (let sx = 0; sx < N; sx++) {
          const x = ((px + (sx + 0.5) / N) * 32) / size;
          const y = ((py + (sy + 0.5) / N) * 32) / size;
          if (!(maskable || inRoundedSquare(x, y, 8))) continue;
          bg++;
          if (inPolygon(x, y, BUBBLE)) fg++;
        }
      }
      const a = bg / (N * N);
      const f = bg ? fg / bg : 0;
      for (let c = 0; c < 3; c++) row[1 + px * 4 + c] = Math.round(BRAND[c] * (1 - f) + WHITE[c] * f);
      row[1 + px * 4 + 3] = Math.round(a * 255);
    }
    rows.push(row);
  }
  return png(size, size, Buffer.concat(rows));
}

const CRC = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
function crc32(buf) {
  let c = -1;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function png(width, height, raw) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw, { level: 9 })), chunk("IEND", Buffer.alloc(0))]);
}

const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="${accent}"/><path d="M8 10h16v10H14l-5 4v-4H8z" fill="#fff"/></svg>\n`;

await writeFile(path.join(out, "icon-192.png"), draw(192, false));
await writeFile(path.join(out, "icon-512.png"), draw(512, false));
await writeFile(path.join(out, "icon-maskable-512.png"), draw(512, true));
await writeFile(path.join(out, "icon.svg"), svg);
console.log(`icons: web/icons/ (accent ${accent})`);
