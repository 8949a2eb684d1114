// Service worker: caches the app shell (index.html and the hashed /assets/* it loads) so the app opens
// without a network; NEVER caches /api/* — API calls and the event stream always go to the network.
// The build fills in VERSION and SHELL (vite.config.ts).
const VERSION = '__VERSION__';
const SHELL = ['__SHELL__'];
const CACHE = `irrigation-shell-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('irrigation-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function isLiveData(url) {
  return url.pathname.startsWith('/api/') || url.pathname.startsWith('/health') || url.pathname === '/metrics' || url.pathname.startsWith('/openapi');
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // Network only: other origins, anything but GET, and all live data (API, SSE, health).
  if (url.origin !== self.location.origin || request.method !== 'GET' || isLiveData(url)) return;

  if (url.pathname.startsWith('/assets/')) {
    // Hashed file names never change content: cache first, then remember what the network gave.
    event.respondWith(
      caches.match(request).then(
        (hit) =>
          hit ||
          fetch(request).then((response) => {
            if (response.ok) {
              const copy = response.clone();
              caches.open(CACHE).then((cache) => cache.put(request, copy));
            }
            return response;
          }),
      ),
    );
    return;
  }

  if (request.mode === 'navigate') {
    // Pages: the network's index.html when there is a network (new versions show at once), else the cached shell.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok && response.headers.get('content-type')?.includes('text/html')) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put('/', copy));
          }
          return response;
        })
        .catch(() => caches.match('/').then((hit) => hit || Response.error())),
    );
    return;
  }

  // Manifest and icons: cached copy, else the network.
  event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
});
