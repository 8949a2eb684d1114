import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const outDir = resolve(__dirname, '../Irrigation.Server/wwwroot');

/**
 * Writes sw.js from sw/sw.js once the build is on disk: the app shell to precache is index.html and exactly the
 * files it loads (hashed /assets/*, manifest, icons); the cache version changes whenever any of them changes.
 */
function serviceWorker(): Plugin {
  return {
    name: 'irrigation-service-worker',
    apply: 'build',
    writeBundle() {
      const html = readFileSync(resolve(outDir, 'index.html'), 'utf8');
      const referenced = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]);
      const shell = ['/', ...new Set(referenced)];
      const version = createHash('sha256').update(html).update(shell.join('\n')).digest('hex').slice(0, 12);
      const template = readFileSync(resolve(__dirname, 'sw/sw.js'), 'utf8');
      writeFileSync(resolve(outDir, 'sw.js'), template.replace("'__VERSION__'", JSON.stringify(version)).replace("['__SHELL__']", JSON.stringify(shell)));
    },
  };
}

export default defineConfig({
  base: '/',
  plugins: [serviceWorker()],
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2020',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    host: '127.0.0.1',
    // `npm run dev` against a running server (./run.sh): the API and the event stream are proxied.
    proxy: { '/api': 'http://127.0.0.1:8080', '/health': 'http://127.0.0.1:8080' },
  },
  preview: { host: '127.0.0.1' },
});
