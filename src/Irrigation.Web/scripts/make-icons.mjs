// Draws the app icons (a white water drop over a wave on the project blue) as PNGs, with no image library:
// 4×4 supersampled coverage per pixel, written as RGBA PNG with node's zlib. Run: npm run icons.
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const BLUE = [0x0b, 0x3d, 0x91];
const WHITE = [255, 255, 255];

// Shapes in unit coordinates (0..1, y down). `scale` shrinks them toward the centre (maskable safe zone).
function inside(x, y, scale) {
  x = 0.5 + (x - 0.5) / scale;
  y = 0.5 + (y - 0.5) / scale;
  const ax = 0.5, ay = 0.16, cx = 0.5, cy = 0.56, r = 0.22;
  const inCircle = (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
  const dx = x - ax, dy = y - ay, d = Math.hypot(cx - ax, cy - ay);
  const along = dy; // the axis points straight down
  const tangentAlong = (d * d - r * r) / d;
  const inCone = along > 0 && along <= tangentAlong && Math.abs(dx) <= (along * r) / Math.sqrt(d * d - r * r);
  const wave = x >= 0.18 && x <= 0.82 && Math.abs(y - (0.88 + 0.018 * Math.sin((x - 0.18) * 4 * Math.PI))) <= 0.022;
  return inCircle || inCone || wave;
}

function inRoundedSquare(x, y, radius) {
  const qx = Math.max(radius - x, 0, x - (1 - radius));
  const qy = Math.max(radius - y, 0, y - (1 - radius));
  return qx * qx + qy * qy <= radius * radius;
}

function draw(size, { maskable }) {
  const rgba = Buffer.alloc(size * size * 4);
  const n = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let bg = 0, fg = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const x = (px + (sx + 0.5) / n) / size;
          const y = (py + (sy + 0.5) / n) / size;
          if (!maskable && !inRoundedSquare(x, y, 0.18)) continue;
          if (inside(x, y, maskable ? 0.68 : 0.86)) fg++;
          else bg++;
        }
      }
      const cover = (bg + fg) / (n * n);
      const i = (py * size + px) * 4;
      for (let c = 0; c < 3; c++) rgba[i + c] = cover ? Math.round((BLUE[c] * bg + WHITE[c] * fg) / (bg + fg)) : 0;
      rgba[i + 3] = Math.round(cover * 255);
    }
  }
  return png(size, rgba);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, k) => {
  let c = k;
  for (let j = 0; j < 8; j++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
function png(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0); // width
  header.writeUInt32BE(size, 4); // height
  header[8] = 8; // bit depth
  header[9] = 6; // colour type RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4); // filter 0 per row
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

mkdirSync('public/icons', { recursive: true });
writeFileSync('public/icons/icon-192.png', draw(192, { maskable: false }));
writeFileSync('public/icons/icon-512.png', draw(512, { maskable: false }));
writeFileSync('public/icons/icon-maskable-512.png', draw(512, { maskable: true }));
console.log('wrote public/icons/icon-192.png, icon-512.png, icon-maskable-512.png');
