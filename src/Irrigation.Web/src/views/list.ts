// Station list for a fleet: a summary bar (online / running / alarm / stale / offline counts, each a filter), search
// by name or id, a town filter, and the stations grouped by town. Filters live in the address (/?q=…&town=…&state=…)
// so a reload or the back button keeps them. Rows are keyed by station id and made once: an update patches only the
// text and attributes that changed, so a tap never lands on an element being replaced, and 200 stations stay cheap.
import type { StationSummary } from '../api';
import { h, fill } from '../dom';
import { formatFixed, formatKw, relativeTime } from '../format';
import { lang, t, type MessageKey } from '../i18n';
import { inState, isStale, openAlarmCounts, STATION_STATES, store, type StationState } from '../store';
import { mainsChip, pumpDot } from './badges';

export interface ListFilter {
  q: string;
  town: string;
  state: StationState | '';
}

export function readFilter(search: string): ListFilter {
  const p = new URLSearchParams(search);
  const state = p.get('state') ?? '';
  return { q: p.get('q') ?? '', town: p.get('town') ?? '', state: (STATION_STATES as readonly string[]).includes(state) ? (state as StationState) : '' };
}

export function filterSearch(f: ListFilter): string {
  const p = new URLSearchParams();
  if (f.q.trim()) p.set('q', f.q);
  if (f.town) p.set('town', f.town);
  if (f.state) p.set('state', f.state);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The list's address with the filters last used, for the station page's way back. */
let lastListSearch = '';
export function listHref(): string {
  return `/${lastListSearch}`;
}

/** Case- and width-insensitive text for search: "ST001" matches "st001". */
const fold = (text: string): string => text.normalize('NFKC').toLowerCase();

export interface ListView {
  update(): void;
}

interface Row {
  li: HTMLLIElement;
  a: HTMLAnchorElement;
  status: HTMLElement;
  name: HTMLElement;
  power: HTMLElement;
  running: HTMLElement;
  sump: HTMLElement;
  pumps: HTMLElement;
  alarm: HTMLElement;
  stale: HTMLElement;
  updated: HTMLElement;
  /** What the row shows, as one string: equal means nothing to touch. */
  shown: string;
  pumpsShown: string;
}

interface Group {
  section: HTMLElement;
  ul: HTMLUListElement;
}

export function mountList(root: HTMLElement): ListView {
  let filter = readFilter(location.search);
  lastListSearch = filterSearch(filter);
  const collator = new Intl.Collator(lang() === 'en' ? 'en' : 'zh-CN');

  const count = h('small', null);
  const counts = new Map<StationState, HTMLElement>();
  const stateButtons = new Map<StationState, HTMLButtonElement>();
  const bar = h(
    'div',
    { class: 'summary-bar', role: 'group', 'aria-label': t('list.summary') },
    STATION_STATES.map((state) => {
      const n = h('b', { class: 'n' }, '0');
      counts.set(state, n);
      const button = h(
        'button',
        { type: 'button', class: `summary-item state-${state}`, 'data-filter': state, 'aria-pressed': 'false', onclick: () => setFilter({ ...filter, state: filter.state === state ? '' : state }, true) },
        n,
        h('span', null, t(`list.state.${state}` as MessageKey)),
      );
      stateButtons.set(state, button);
      return button;
    }),
  );
  const search = h('input', {
    type: 'search',
    class: 'list-search',
    placeholder: t('list.search'),
    'aria-label': t('list.search'),
    enterkeyhint: 'search',
    autocomplete: 'off',
    value: filter.q,
    oninput: () => setFilter({ ...filter, q: search.value }, false),
  });
  const town = h('select', { class: 'town-filter', 'aria-label': t('list.town'), onchange: () => setFilter({ ...filter, town: town.value }, true) });
  let townsShown = '';
  const shown = h('span', { class: 'list-shown-text' });
  const clear = h('button', { type: 'button', class: 'button secondary small clear-filters', onclick: () => setFilter({ q: '', town: '', state: '' }, true) }, t('list.clear'));
  const shownLine = h('p', { class: 'list-shown' }, shown, clear);
  const body = h('div', { class: 'list-body' });
  const empty = h('p', { class: 'empty' });
  fill(
    root,
    h('h1', { class: 'page-title' }, t('list.title'), count),
    bar,
    h('div', { class: 'list-filters' }, search, town),
    shownLine,
    empty,
    body,
  );
  search.value = filter.q;

  const rows = new Map<string, Row>();
  const groups = new Map<string, Group>();
  let renders = 0;
  let maxMs = 0;

  function setFilter(next: ListFilter, push: boolean): void {
    filter = next;
    lastListSearch = filterSearch(filter);
    const url = `/${lastListSearch}`;
    // Typing replaces the address as it goes; a tap (state, town, clear) is a step the back button undoes.
    if (push) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
    if (search.value !== filter.q) search.value = filter.q;
    update();
  }

  function update(): void {
    const started = performance.now();
    if (!store.stationsLoaded) {
      empty.textContent = t('app.loading');
      empty.className = 'loading';
      return;
    }
    const now = Date.now();
    const alarms = openAlarmCounts();
    const all = [...store.stations.values()];
    setText(count, t('list.count', { n: all.length }));

    // Towns for the select: every site, with the chosen one kept even when no station is there any more.
    const sites = [...new Set(all.map((s) => s.site))].sort(collator.compare);
    if (filter.town && !sites.includes(filter.town)) sites.push(filter.town);
    const townsKey = sites.join('\n') + '|' + filter.town;
    if (townsKey !== townsShown) {
      townsShown = townsKey;
      fill(town, h('option', { value: '' }, t('list.allTowns')), sites.map((s) => h('option', { value: s }, s || '—')));
      town.value = filter.town;
    }

    // The bar counts the stations the search and town leave; the state filter then narrows the rows.
    const q = fold(filter.q.trim());
    const tally = new Map<StationState, number>(STATION_STATES.map((s) => [s, 0]));
    const visible: StationSummary[] = [];
    for (const s of all) {
      if (filter.town && s.site !== filter.town) continue;
      if (q && !fold(s.name).includes(q) && !fold(s.id).includes(q)) continue;
      const n = alarms.get(s.id) ?? 0;
      const a = store.alarmsLoaded ? n : s.activeAlarms;
      for (const state of STATION_STATES) if (inState(s, state, now, a)) tally.set(state, tally.get(state)! + 1);
      if (!filter.state || inState(s, filter.state, now, a)) visible.push(s);
    }
    for (const state of STATION_STATES) {
      setText(counts.get(state)!, String(tally.get(state)));
      const button = stateButtons.get(state)!;
      const pressed = String(filter.state === state);
      if (button.getAttribute('aria-pressed') !== pressed) button.setAttribute('aria-pressed', pressed);
    }
    const filtered = Boolean(filter.q.trim() || filter.town || filter.state);
    shownLine.hidden = !filtered;
    setText(shown, t('list.shown', { n: visible.length, total: all.length }));
    empty.className = 'empty';
    empty.hidden = visible.length > 0;
    setText(empty, all.length === 0 ? t('list.empty') : t('list.noMatch'));

    // Group by town, towns and names in the reader's collation.
    const bySite = new Map<string, StationSummary[]>();
    for (const s of visible) {
      const list = bySite.get(s.site);
      if (list) list.push(s);
      else bySite.set(s.site, [s]);
    }
    const sections: HTMLElement[] = [];
    for (const site of [...bySite.keys()].sort(collator.compare)) {
      let group = groups.get(site);
      if (!group) {
        const ul = h('ul', { class: 'stations' });
        group = { section: h('section', { class: 'site', 'data-site': site }, h('h2', { class: 'site-name' }, site || '—'), ul), ul };
        groups.set(site, group);
      }
      const items = bySite
        .get(site)!
        .sort((a, b) => collator.compare(a.name, b.name) || a.id.localeCompare(b.id))
        .map((s) => {
          let row = rows.get(s.id);
          if (!row) {
            row = makeRow(s.id);
            rows.set(s.id, row);
          }
          patchRow(row, s, alarms.get(s.id) ?? 0, now);
          return row.li;
        });
      place(group.ul, items);
      sections.push(group.section);
    }
    place(body, sections);
    for (const id of rows.keys()) if (!store.stations.has(id)) rows.delete(id);

    const ms = performance.now() - started;
    renders++;
    maxMs = Math.max(maxMs, ms);
    // Measured in the browser test: the last and the slowest render, and when the first full list was in place.
    root.dataset.renderMs = ms.toFixed(1);
    root.dataset.renderMaxMs = maxMs.toFixed(1);
    root.dataset.renders = String(renders);
    root.dataset.rows = String(visible.length);
    if (!root.dataset.firstRowsAtMs && visible.length > 0) {
      root.dataset.firstRowsAtMs = performance.now().toFixed(0); // since the navigation started
      root.dataset.firstRenderMs = ms.toFixed(1);
    }
  }

  update();
  return { update };
}

/** Puts exactly `items` into `parent`, in order, moving only what is out of place. */
function place(parent: Element, items: Element[]): void {
  let cursor = parent.firstElementChild;
  for (const item of items) {
    if (item === cursor) cursor = cursor.nextElementSibling;
    else parent.insertBefore(item, cursor);
  }
  while (cursor) {
    const next = cursor.nextElementSibling;
    cursor.remove();
    cursor = next;
  }
}

function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

function makeRow(id: string): Row {
  const name = h('span', { class: 'station-name' });
  const status = h('span', { class: 'badge' });
  const power = h('span', { class: 'metric power', 'data-metric': 'power' });
  const running = h('span', { class: 'metric running', 'data-metric': 'running' });
  const sump = h('span', { class: 'metric sump', 'data-metric': 'sump' });
  const pumps = h('div', { class: 'row-pumps' });
  const alarm = h('span', { class: 'badge alarm' });
  const stale = h('span', { class: 'badge stale', role: 'note' });
  const updated = h('span', { class: 'updated' });
  const a = h(
    'a',
    { class: 'station-row', href: `/stations/${encodeURIComponent(id)}`, 'data-link': true, 'data-station': id },
    h('div', { class: 'row-top' }, name, status),
    h('div', { class: 'row-metrics' }, power, running, sump),
    pumps,
    h('div', { class: 'row-bottom' }, alarm, stale, updated),
  );
  return { li: h('li', null, a), a, name, status, power, running, sump, pumps, alarm, stale, updated, shown: '', pumpsShown: '' };
}

function patchRow(row: Row, s: StationSummary, alarmCount: number, now: number): void {
  const alarms = store.alarmsLoaded ? alarmCount : s.activeAlarms;
  const stale = isStale(s, now);
  const total = s.pumps.length;
  const runningCount = s.pumpsRunning ?? s.pumps.filter((p) => p.running === true).length;
  const texts = [
    s.name,
    s.status,
    t(`status.${s.status}`),
    formatKw(s.powerKw),
    total ? t('list.pumpsRunning', { n: runningCount, total }) : t('pump.none'),
    t('list.sump', { value: s.sumpLevel === null || s.sumpLevel === undefined ? '— m' : `${formatFixed(s.sumpLevel, 2)} m` }),
    alarms > 0 ? t('station.alarms', { n: alarms }) : '',
    stale ? `⚠ ${t('status.stale')}` : '',
    t('time.updated', { when: relativeTime(s.lastTelemetryMs, now) }),
    runningCount > 0 ? 'r' : '',
  ];
  const shown = texts.join('\u0001');
  if (shown !== row.shown) {
    row.shown = shown;
    const [name, status, statusText, power, running, sump, alarm, staleText, updated] = texts;
    row.a.className = `station-row status-${status}${runningCount > 0 ? ' has-running' : ''}`;
    setText(row.name, name);
    row.status.className = `badge status-${status}`;
    row.status.dataset.status = status;
    setText(row.status, statusText);
    setText(row.power, power);
    setText(row.running, running);
    row.running.classList.toggle('on', runningCount > 0);
    setText(row.sump, sump);
    row.alarm.hidden = !alarm;
    setText(row.alarm, alarm);
    row.stale.hidden = !staleText;
    setText(row.stale, staleText);
    setText(row.updated, updated);
  }
  // Mains and one dot per pump: rebuilt only when one of them changes (a start, a stop, a trip, mains lost).
  const pumpsShown = `${s.mainsPresent}|${s.pumps.map((p) => `${p.number}:${p.running}:${p.fault}`).join(',')}|${lang()}`;
  if (pumpsShown !== row.pumpsShown) {
    row.pumpsShown = pumpsShown;
    fill(row.pumps, mainsChip(s), s.pumps.length ? s.pumps.map(pumpDot) : h('span', { class: 'muted' }, t('pump.none')));
  }
}
