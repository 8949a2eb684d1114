// Station list grouped by town: status, mains, pumps, stale data and the last update at a glance.
import type { StationSummary } from '../api';
import { h, fill } from '../dom';
import { lang, t } from '../i18n';
import { relativeTime } from '../format';
import { openAlarmCount, store } from '../store';
import { mainsChip, pumpDot, staleBadge, statusBadge } from './badges';

export function renderList(root: HTMLElement): void {
  if (!store.stationsLoaded) {
    fill(root, h('p', { class: 'loading' }, t('app.loading')));
    return;
  }
  const collator = new Intl.Collator(lang() === 'en' ? 'en' : 'zh-CN');
  const bySite = new Map<string, StationSummary[]>();
  for (const s of store.stations.values()) {
    const list = bySite.get(s.site) ?? [];
    list.push(s);
    bySite.set(s.site, list);
  }
  const sites = [...bySite.keys()].sort(collator.compare);
  // Built aside and put in only when it differs: most live updates change nothing visible here (times are per minute),
  // and replacing the rows anyway could swallow a tap that lands while they are swapped.
  const next = document.createElement('div');
  fill(
    next,
    h('h1', { class: 'page-title' }, t('list.title'), h('small', null, t('list.count', { n: store.stations.size }))),
    sites.length === 0 && h('p', { class: 'empty' }, t('list.empty')),
    sites.map((site) =>
      h(
        'section',
        { class: 'site' },
        h('h2', { class: 'site-name' }, site || '—'),
        h(
          'ul',
          { class: 'stations' },
          bySite
            .get(site)!
            .sort((a, b) => collator.compare(a.name, b.name) || a.id.localeCompare(b.id))
            .map((s) => h('li', null, stationRow(s))),
        ),
      ),
    ),
  );
  if (next.innerHTML !== root.innerHTML) root.replaceChildren(...next.childNodes);
}

function stationRow(s: StationSummary): HTMLElement {
  return h(
    'a',
    { class: `station-row status-${s.status}`, href: `/stations/${encodeURIComponent(s.id)}`, 'data-link': true, 'data-station': s.id },
    h('div', { class: 'row-top' }, h('span', { class: 'station-name' }, s.name), statusBadge(s)),
    h(
      'div',
      { class: 'row-pumps' },
      mainsChip(s),
      s.pumps.length ? s.pumps.map(pumpDot) : h('span', { class: 'muted' }, t('pump.none')),
    ),
    h(
      'div',
      { class: 'row-bottom' },
      openAlarmCount(s) > 0 && h('span', { class: 'badge alarm' }, t('station.alarms', { n: openAlarmCount(s) })),
      staleBadge(s),
      h('span', { class: 'updated' }, t('time.updated', { when: relativeTime(s.lastTelemetryMs) })),
    ),
  );
}
