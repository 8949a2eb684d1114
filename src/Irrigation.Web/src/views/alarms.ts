// The alarms screen (/alarms): open alarms first, the most severe first; history by station and period (today,
// 7 or 30 Beijing days). The tab and filters live in the query string (?view=history&station=st001&range=7d), so
// a reload or a shared link shows the same list. Alarms change live through `alarm` events (store.alarms).
import { api, type Alarm } from '../api';
import { h, fill } from '../dom';
import { beijingDayStart } from '../format';
import { lang, t, type MessageKey } from '../i18n';
import { byUrgency, openAlarms, putAlarms, store } from '../store';
import { alarmCard } from './alarmCard';

type Tab = 'open' | 'history';
type Period = 'today' | '7d' | '30d';
const PERIOD_DAYS: Record<Period, number> = { today: 1, '7d': 7, '30d': 30 };
const HISTORY_LIMIT = 500;

interface Filter {
  tab: Tab;
  station: string;
  period: Period;
}

function filterFromUrl(): Filter {
  const q = new URLSearchParams(location.search);
  const range = q.get('range');
  return {
    tab: q.get('view') === 'history' ? 'history' : 'open',
    station: q.get('station') ?? '',
    period: range === '7d' || range === '30d' ? range : 'today',
  };
}

function writeUrl(f: Filter): void {
  const q = new URLSearchParams();
  if (f.tab === 'history') {
    q.set('view', 'history');
    if (f.station) q.set('station', f.station);
    q.set('range', f.period);
  }
  const query = q.toString();
  history.replaceState(null, '', `/alarms${query ? `?${query}` : ''}`);
}

export interface AlarmsView {
  update(): void;
  /** Fetches what the screen shows: the open alarms and, on the history tab, the chosen period. */
  refresh(): Promise<void>;
}

export function mountAlarms(root: HTMLElement): AlarmsView {
  const filter = filterFromUrl();
  const head = h('div', { class: 'alarms-head' });
  const filters = h('div', { class: 'alarm-filters' });
  const list = h('div', { class: 'alarm-list', 'aria-live': 'polite' });
  fill(root, head, filters, list);
  let historyFor = '';
  let historyState: 'loading' | 'loaded' | 'error' = 'loading';
  let filtersFor = '';

  const from = (): number => beijingDayStart(PERIOD_DAYS[filter.period] - 1);

  const loadHistory = async (): Promise<void> => {
    const wanted = `${filter.station}|${filter.period}`;
    historyFor = wanted;
    try {
      const found = await api.alarms({ station: filter.station || undefined, from: from(), limit: HISTORY_LIMIT });
      if (historyFor !== wanted) return;
      putAlarms(found);
      historyState = 'loaded';
    } catch (e) {
      if (historyFor === wanted) historyState = 'error';
      throw e;
    } finally {
      update();
    }
  };

  const change = (next: Partial<Filter>): void => {
    Object.assign(filter, next);
    writeUrl(filter);
    if (filter.tab === 'history' && historyFor !== `${filter.station}|${filter.period}`) {
      historyState = 'loading';
      void loadHistory().catch(() => {});
    }
    update();
  };

  function update(): void {
    const open = openAlarms();
    fill(
      head,
      h('h1', { class: 'page-title' }, t('alarms.title'), h('small', null, t('nav.alarmCount', { n: open.length }))),
      h(
        'div',
        { class: 'segmented tabs-seg', role: 'group' },
        tabButton('open', `${t('alarms.open')} ${open.length}`, filter.tab, () => change({ tab: 'open' })),
        tabButton('history', t('alarms.history'), filter.tab, () => change({ tab: 'history' })),
      ),
    );
    // The filters are redrawn only when they change, so a select the user is choosing from stays open.
    const stations = [...store.stations.values()].sort((a, b) => a.name.localeCompare(b.name, lang() === 'en' ? 'en' : 'zh-CN') || a.id.localeCompare(b.id));
    const filtersKey = `${filter.tab}|${filter.station}|${filter.period}|${lang()}|${stations.map((s) => s.id).join(',')}`;
    if (filtersFor !== filtersKey) {
      filtersFor = filtersKey;
      fill(filters, filter.tab === 'history' && historyFilters(filter, stations, change));
    }

    if (filter.tab === 'open') {
      if (!store.alarmsLoaded) return fill(list, h('p', { class: 'loading' }, t('alarms.loading')));
      fill(list, open.length === 0 ? h('p', { class: 'empty all-clear' }, t('alarms.noneOpen')) : open.map((a) => alarmCard(a, true)));
      return;
    }
    if (historyState === 'loading') return fill(list, h('p', { class: 'loading' }, t('alarms.loading')));
    if (historyState === 'error') return fill(list, h('p', { class: 'error' }, t('alarms.error')));
    const since = from();
    const shown = [...store.alarms.values()].filter((a: Alarm) => a.raisedAt >= since && (!filter.station || a.station === filter.station)).sort(byUrgency);
    fill(list, shown.length === 0 ? h('p', { class: 'empty' }, t('alarms.noneHistory')) : shown.map((a) => alarmCard(a, !filter.station)));
  }

  update();
  if (filter.tab === 'history') void loadHistory().catch(() => {});
  return {
    update,
    refresh: async () => {
      const [open, stations] = await Promise.all([api.alarms({ state: 'open', limit: HISTORY_LIMIT }), store.stationsLoaded ? null : api.stations()]);
      putAlarms(open, true);
      if (stations) for (const s of stations) store.stations.set(s.id, s);
      if (filter.tab === 'history') await loadHistory();
    },
  };
}

function tabButton(tab: Tab, label: string, current: Tab, onclick: () => void): HTMLElement {
  return h('button', { type: 'button', class: `seg${current === tab ? ' active' : ''}`, 'data-tab': tab, 'aria-pressed': String(current === tab), onclick }, label);
}

function historyFilters(filter: Filter, stations: { id: string; name: string }[], change: (next: Partial<Filter>) => void): HTMLElement[] {
  const select = h(
    'select',
    { id: 'alarm-station', onchange: (e: Event) => change({ station: (e.target as HTMLSelectElement).value }) },
    h('option', { value: '' }, t('alarms.allStations')),
    stations.map((s) => h('option', { value: s.id, selected: s.id === filter.station }, s.name || s.id)),
  );
  const period = (p: Period): HTMLElement =>
    h(
      'button',
      { type: 'button', class: `seg${filter.period === p ? ' active' : ''}`, 'data-range': p, 'aria-pressed': String(filter.period === p), onclick: () => change({ period: p }) },
      t(`alarms.${p}` as MessageKey),
    );
  return [
    h('label', { class: 'filter-station', for: 'alarm-station' }, h('span', null, t('alarms.station')), select),
    h('div', { class: 'filter-period' }, h('span', null, t('alarms.range')), h('div', { class: 'segmented', role: 'group' }, period('today'), period('7d'), period('30d'))),
  ];
}
