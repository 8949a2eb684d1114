// The station page's plan section: today's runs (planned, running, done, not run) and the next ones, and a warning
// when the station's gateway runs an older plan version or does not trust its clock.
import { api, type StationSchedule } from '../api';
import { h, fill } from '../dom';
import { t } from '../i18n';
import { runRow, syncWarning, tariffText } from './planText';

export interface PlanTimeline {
  refresh(): Promise<void>;
  render(): void;
}

export function mountPlanTimeline(el: HTMLElement, station: string): PlanTimeline {
  let schedule: StationSchedule | undefined;
  const render = (): void => {
    if (!schedule) return;
    const s = schedule;
    el.classList.add('plan-timeline');
    fill(
      el,
      h('h2', null, t('station.plan'), h('a', { class: 'more-link small', href: '/plans', 'data-link': true }, t('station.planAll'), ' ›')),
      syncWarning(s.sync),
      s.today.length === 0 ? h('p', { class: 'muted' }, t('station.planNone')) : h('ul', { class: 'runs today' }, s.today.map((r) => runRow(r, false, true))),
      s.next.length > 0 && [h('h3', null, t('station.planNext')), h('ul', { class: 'runs next' }, s.next.map((r) => runRow(r, false, true)))],
      s.tariff.length > 0 &&
        h(
          'p',
          { class: 'tariff-bands' },
          s.tariff.map((b) => h('span', { class: `tariff-chip ${b.kind}`, title: `¥${b.price.toFixed(3)}/kWh` }, `${b.from}–${b.to} `, tariffText(b.kind))),
        ),
    );
  };
  return {
    refresh: async () => {
      schedule = await api.stationSchedule(station);
      render();
    },
    render,
  };
}
