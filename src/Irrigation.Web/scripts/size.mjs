// Measures what a phone downloads, gzip-compressed: the first page (index.html and everything it references,
// the manifest, the service worker) and, separately, what the station page adds (lazy chunks: uPlot, its CSS).
// Fails when the first load exceeds the 300 KB budget. Run after `npm run build`: npm run size.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUDGET = 300 * 1024;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../Irrigation.Server/wwwroot');
if (!existsSync(resolve(root, 'index.html'))) {
  console.error(`no build at ${root}; run npm run build first`);
  process.exit(2);
}
const gz = (path) => gzipSync(readFileSync(resolve(root, '.' + path)), { level: 9 }).length;
const raw = (path) => readFileSync(resolve(root, '.' + path)).length;

const html = readFileSync(resolve(root, 'index.html'), 'utf8');
const referenced = [...new Set([...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]))];
const manifest = JSON.parse(readFileSync(resolve(root, 'manifest.webmanifest'), 'utf8'));
// The browser also fetches the service worker and, to install, one icon of the manifest.
const first = [...new Set(['/index.html', ...referenced, '/sw.js', manifest.icons.find((i) => i.sizes === '192x192').src])];
const firstSet = new Set(first);
const lazy = readdirSync(resolve(root, 'assets')).map((f) => `/assets/${f}`).filter((f) => !firstSet.has(f));

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const rows = (files) => files.map((f) => ({ f, raw: raw(f), gz: gz(f) }));
const print = (title, list) => {
  console.log(title);
  for (const r of list) console.log(`  ${r.f.padEnd(44)} ${kb(r.raw).padStart(10)} ${kb(r.gz).padStart(10)} gz`);
  const total = list.reduce((s, r) => s + r.gz, 0);
  return total;
};
const firstTotal = print('first load (sign-in page or station list):', rows(first));
const lazyTotal = print('loaded later, on the station page only:', rows(lazy));
console.log(`first load: ${kb(firstTotal)} gzip (budget ${kb(BUDGET)}); station page adds ${kb(lazyTotal)}; total ${kb(firstTotal + lazyTotal)}`);
if (firstTotal > BUDGET) {
  console.error(`first load ${kb(firstTotal)} is over the ${kb(BUDGET)} budget`);
  process.exit(1);
}
