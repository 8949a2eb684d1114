// Boot and routing: /login, / (station list), /stations/{id}, /plans, /alarms, /reports. The server answers every page path with
// index.html, so these are real URLs that survive a reload and can be shared.
import './styles.css';
import { api, ApiError, setCsrfToken, setUnauthenticatedHandler, type User } from './api';
import { h, fill } from './dom';
import { lang, setLang, t } from './i18n';
import { setPlanRunListener, setViewRefresher, startLive, stopLive } from './live';
import { changed, putAlarms, putDetail, putStations, store, subscribe } from './store';
import { mountAlarms } from './views/alarms';
import { mountPlanForm } from './views/planForm';
import { mountPlanDetail, mountPlanList } from './views/plans';
import { mountList } from './views/list';
import { mountReports } from './views/reports';
import { renderLogin } from './views/login';
import { renderBanners, renderHeader, renderNav } from './views/shell';
import { mountStation, type StationView } from './views/station';

const app = document.getElementById('app')!;
let unsubscribe: (() => void) | undefined;
let stationView: StationView | undefined;
let live = false;

setLang(lang());
document.title = t('app.title');
setUnauthenticatedHandler(() => signedOut());

function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, '', path);
  else if (location.pathname + location.search !== path) history.pushState(null, '', path);
  route();
}

// Links marked data-link change the page without reloading it.
document.addEventListener('click', (e) => {
  const a = (e.target as Element).closest?.('a[data-link]') as HTMLAnchorElement | null;
  if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  e.preventDefault();
  navigate(a.pathname + a.search);
});
window.addEventListener('popstate', () => route());

function signedIn(user: User): void {
  store.user = user;
  setCsrfToken(user.csrfToken);
  if (!live) {
    live = true;
    startLive(() => signedOut());
  }
  const next = new URLSearchParams(location.search).get('next');
  navigate(location.pathname === '/login' ? (next && next.startsWith('/') && !next.startsWith('//') ? next : '/') : location.pathname + location.search, true);
}

function signedOut(): void {
  store.user = null;
  live = false;
  stopLive();
  store.stations.clear();
  store.details.clear();
  store.commands.clear();
  store.alarms.clear();
  store.alarmsLoaded = false;
  store.stationsLoaded = false;
  const here = location.pathname;
  navigate(here === '/login' || (here === '/' && !location.search) ? '/login' : `/login?next=${encodeURIComponent(here + location.search)}`, true);
}

function route(): void {
  unsubscribe?.();
  unsubscribe = undefined;
  setPlanRunListener(undefined);
  stationView?.dispose();
  stationView = undefined;
  document.title = t('app.title');

  if (!store.user || location.pathname === '/login') {
    if (store.user) return navigate('/', true);
    renderLogin(app, signedIn);
    return;
  }

  const header = h('header', { class: 'top' });
  const nav = h('nav', { class: 'tabs', 'aria-label': t('nav.label') });
  const banners = h('div', { class: 'banners' });
  const main = h('main', { class: 'content' });
  fill(app, header, nav, banners, main);
  const redraw = (): void => {
    renderHeader(header, () => route(), logout);
    renderNav(nav);
    renderBanners(banners);
  };

  const m = /^\/stations\/([^/]+)\/?$/.exec(location.pathname);
  if (m) {
    const id = decodeURIComponent(m[1]);
    const refresh = async (): Promise<void> => {
      try {
        // Alarms, energy and completeness have their own error texts; none may keep the station itself from showing.
        const [detail] = await Promise.all([
          api.station(id),
          refreshOpenAlarms().catch(() => {}),
          stationView?.refreshEnergy().catch(() => {}),
          stationView?.refreshCompleteness().catch(() => {}),
          stationView?.refreshPlan().catch(() => {}),
        ]);
        putDetail(detail);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) fill(main, h('p', { class: 'error' }, t('station.notFound')), h('a', { href: '/', 'data-link': true, class: 'back' }, t('station.back')));
        else throw e;
      }
    };
    stationView = mountStation(main, id);
    setViewRefresher(refresh);
    setPlanRunListener(() => void stationView?.refreshPlan().catch(() => {}));
    void refresh().catch(() => {});
    unsubscribe = subscribe(() => {
      redraw();
      stationView?.update();
    });
  } else if (/^\/plans(\/|$)/.test(location.pathname)) {
    const p = /^\/plans\/([^/]+)(\/edit)?\/?$/.exec(location.pathname);
    const planId = p ? decodeURIComponent(p[1]) : null;
    const view =
      planId === 'new' ? mountPlanForm(main, null, navigate) : planId && p![2] ? mountPlanForm(main, planId, navigate) : planId ? mountPlanDetail(main, planId, navigate) : mountPlanList(main);
    setViewRefresher(view.refresh);
    if (planId !== 'new' && !p?.[2]) setPlanRunListener(() => void view.refresh().catch(() => {}));
    void view.refresh().catch(() => {});
    unsubscribe = subscribe(() => redraw());
  } else if (/^\/reports\/?$/.test(location.pathname)) {
    // Reports are not live: a reconnect or the polling while the stream is down fetches only what failed.
    const view = mountReports(main);
    setViewRefresher(view.retryFailed);
    void view.refresh().catch(() => {});
    unsubscribe = subscribe(() => redraw());
  } else if (/^\/alarms\/?$/.test(location.pathname)) {
    const view = mountAlarms(main);
    setViewRefresher(view.refresh);
    void view.refresh().catch(() => {});
    unsubscribe = subscribe(() => {
      redraw();
      view.update();
    });
  } else {
    if (location.pathname !== '/') return navigate('/', true);
    const refresh = async (): Promise<void> => {
      const [stations] = await Promise.all([api.stations(), refreshOpenAlarms().catch(() => {})]);
      putStations(stations);
    };
    const view = mountList(main);
    setViewRefresher(refresh);
    void refresh().catch(() => {});
    unsubscribe = subscribe(() => {
      redraw();
      view.update();
    });
  }
  redraw();
}

/** Every open alarm (for the tab's count and the station pages); `alarm` events keep them current between fetches. */
async function refreshOpenAlarms(): Promise<void> {
  putAlarms(await api.alarms({ state: 'open', limit: 500 }), true);
}

async function logout(): Promise<void> {
  try {
    await api.logout();
  } catch {
    // signed out locally either way
  }
  signedOut();
}

// "3分钟前" keeps counting without new data.
setInterval(changed, 30_000);

/** Opened from the cached shell without a network: say so, and try again once the phone is back online. */
function renderNoNetwork(): void {
  fill(
    app,
    h('header', { class: 'top' }, h('span', { class: 'brand' }, t('app.title'))),
    h('div', { class: 'banners' }, !navigator.onLine && h('div', { class: 'banner offline', role: 'status' }, t('boot.offlineBanner'))),
    h('main', { class: 'content' }, h('p', { class: 'empty no-network' }, t('boot.noNetwork')), h('button', { type: 'button', class: 'button primary wide', onclick: () => void boot() }, t('boot.retry'))),
  );
  window.addEventListener('online', () => void boot(), { once: true });
}

async function boot(): Promise<void> {
  try {
    signedIn(await api.me());
  } catch (e) {
    if (e instanceof ApiError && e.transient) return renderNoNetwork();
    store.user = null;
    if (location.pathname !== '/login') {
      const here = location.pathname + location.search;
      history.replaceState(null, '', here === '/' ? '/login' : `/login?next=${encodeURIComponent(here)}`);
    }
    route();
  }
}

void boot();

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  window.addEventListener('load', () => void navigator.serviceWorker.register('/sw.js').catch(() => {}));
}
