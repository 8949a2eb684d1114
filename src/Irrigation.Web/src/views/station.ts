// One station: header with status, its open alarms, the key figures, pumps with feedback state and start/stop, a place
// for the plan timeline, the live values grouped, daily energy and water, trend charts.
import type { Pump, StationDetail } from '../api';
import { h, fill } from '../dom';
import { clockTime, formatNumber, relativeTime } from '../format';
import { lang, t } from '../i18n';
import { openAlarmCount, openAlarms, store } from '../store';
import { alarmCard } from './alarmCard';
import { mainsChip, pumpState, staleBadge, statusBadge } from './badges';
import { commandText, problemText } from './commandText';
import { confirmCommand } from './confirm';
import { mountCompleteness } from './completeness';
import { mountEnergy } from './energy';
import { mountPlanTimeline } from './planTimeline';
import { listHref } from './list';
import { commandFor, isPending, operationFor, send } from './pumpCommands';
import { mountValues } from './values';

export interface StationView {
  update(): void;
  /** Fetches the daily energy and water again. */
  refreshEnergy(): Promise<void>;
  /** Fetches the telemetry completeness again. */
  refreshCompleteness(): Promise<void>;
  /** Fetches today's plan runs and the next ones again. */
  refreshPlan(): Promise<void>;
  dispose(): void;
}

type Range = '24h' | '7d';
let chartRange: Range = '24h';

export function mountStation(root: HTMLElement, id: string): StationView {
  const head = h('header', { class: 'station-head' });
  const alarms = h('section', { class: 'station-alarms' });
  const keyFigures = h('section', { class: 'key-figures' });
  const pumps = h('section', { class: 'pumps', 'aria-labelledby': 'pumps-title' });
  // Today's plan runs and the next ones (views/planTimeline.ts); empty until fetched.
  const plan = h('section', { class: 'plan-slot', 'data-slot': 'plan' });
  const values = h('section', { class: 'values' });
  const energy = h('section', { class: 'energy' });
  const charts = h('section', { class: 'charts' });
  const completeness = h('section', { class: 'completeness' });
  fill(root, head, alarms, keyFigures, pumps, plan, values, energy, charts, completeness);
  const valuesPanel = mountValues(keyFigures, values);
  const energyTable = mountEnergy(energy, id);
  const completenessPanel = mountCompleteness(completeness, id);
  const planTimeline = mountPlanTimeline(plan, id);
  let energyLang = lang();
  let chartsFor = '';
  let disposeCharts: (() => void) | undefined;
  let disposed = false;

  const update = (): void => {
    const detail = store.details.get(id);
    if (!detail) {
      fill(head, h('a', { href: listHref(), class: 'back', 'data-link': true }, '‹ ', t('station.back')), h('p', { class: 'loading' }, store.stationsLoaded ? t('app.loading') : t('app.loading')));
      return;
    }
    renderHead(head, detail);
    renderAlarms(alarms, id);
    renderPumps(pumps, detail, update);
    valuesPanel.render(detail);
    if (energyLang !== lang()) {
      energyLang = lang();
      energyTable.render();
      completenessPanel.render();
      planTimeline.render();
    }
    const wanted = `${id}|${chartRange}|${lang()}`;
    if (chartsFor !== wanted) {
      chartsFor = wanted;
      renderChartFrame(charts, () => {
        chartsFor = '';
        update();
      });
      disposeCharts?.();
      disposeCharts = undefined;
      const target = charts.querySelector<HTMLElement>('.chart-list')!;
      // uPlot is loaded only here, on the station page, never with the first page.
      void import('./chart').then((m) => {
        if (!disposed) disposeCharts = m.renderCharts(target, id, chartRange);
      });
    }
  };
  update();
  return {
    update,
    refreshEnergy: () => energyTable.refresh(),
    refreshCompleteness: () => completenessPanel.refresh(),
    refreshPlan: () => planTimeline.refresh(),
    dispose: () => {
      disposed = true;
      disposeCharts?.();
    },
  };
}

function renderHead(el: HTMLElement, s: StationDetail): void {
  fill(
    el,
    h('a', { href: listHref(), class: 'back', 'data-link': true }, '‹ ', t('station.back')),
    h('h1', { class: 'station-title' }, s.name, h('small', null, s.site)),
    h(
      'div',
      { class: 'head-badges' },
      statusBadge(s),
      mainsChip(s),
      h('span', { class: `chip mode-${s.remoteMode === null ? 'unknown' : s.remoteMode ? 'remote' : 'local'}` }, t(s.remoteMode === null ? 'mode.unknown' : s.remoteMode ? 'mode.remote' : 'mode.local')),
      openAlarmCount(s) > 0 && h('a', { class: 'badge alarm', href: '#station-alarms' }, t('station.alarms', { n: openAlarmCount(s) })),
    ),
    staleBadge(s, true),
    h('p', { class: 'updated' }, t('time.updated', { when: relativeTime(s.lastTelemetryMs) })),
  );
}

/** The station's open alarms, most urgent first, above everything else; nothing when there are none. */
function renderAlarms(el: HTMLElement, station: string): void {
  const open = openAlarms(station);
  fill(
    el,
    open.length > 0 && [
      h('h2', { id: 'station-alarms' }, t('station.openAlarms')),
      open.map((a) => alarmCard(a, false)),
      h('a', { class: 'more-link', href: `/alarms?view=history&station=${encodeURIComponent(station)}&range=7d`, 'data-link': true }, t('station.alarmHistory'), ' ›'),
    ],
  );
}

function renderPumps(el: HTMLElement, s: StationDetail, rerender: () => void): void {
  const role = store.user?.role;
  const mayCommand = role === 'operator' || role === 'admin';
  fill(
    el,
    h('h2', { id: 'pumps-title' }, t('station.pumps')),
    !mayCommand && h('p', { class: 'note' }, t('pump.noPermission')),
    s.pumps.length === 0 && h('p', { class: 'muted' }, t('pump.none')),
    s.pumps.map((p) => pumpCard(s, p, mayCommand, rerender)),
  );
}

function pumpCard(s: StationDetail, p: Pump, mayCommand: boolean, rerender: () => void): HTMLElement {
  const state = pumpState(p);
  const pending = isPending(s.id, p);
  const disabled = !mayCommand || pending;
  const ask = async (action: 'start' | 'stop'): Promise<void> => {
    if (!(await confirmCommand(s.name, p.number, action))) return;
    await send(s.id, p.number, action, rerender);
  };
  return h(
    'article',
    { class: `pump-card state-${state}`, 'data-pump': p.number, 'data-state': state },
    h(
      'div',
      { class: 'pump-top' },
      h('h3', null, t('pump.name', { n: p.number })),
      h('span', { class: `pump-state state-${state}`, 'data-state': state }, h('i', { 'aria-hidden': 'true' }), t(`pump.${state}`)),
      p.current !== null && p.current !== undefined && h('span', { class: 'pump-current' }, t('pump.current', { value: formatNumber(p.current) })),
    ),
    h(
      'div',
      { class: 'pump-buttons' },
      h('button', { type: 'button', class: 'button start', disabled, onclick: () => void ask('start') }, t('pump.start')),
      h('button', { type: 'button', class: 'button stop', disabled, onclick: () => void ask('stop') }, t('pump.stop')),
    ),
    commandStatus(s.id, p, rerender),
  );
}

function commandStatus(station: string, p: Pump, rerender: () => void): HTMLElement | null {
  const op = operationFor(station, p.number);
  if (op && op.phase !== 'accepted') {
    if (op.phase === 'failed')
      return h(
        'div',
        { class: 'cmd-status tone-bad', 'data-state': 'send_failed', role: 'status' },
        // A network failure may be retried with the same key; a refusal by the server is final for this click.
        h('span', null, t(op.error?.transient ? 'cmd.sendFailed' : 'cmd.refused', { reason: problemText(op.error) })),
        op.error?.transient && h('button', { type: 'button', class: 'button secondary small', onclick: () => void send(station, p.number, op.action, rerender, op) }, t('cmd.retry')),
      );
    return h('div', { class: 'cmd-status tone-wait', 'data-state': op.phase, role: 'status' }, t(op.phase === 'retrying' ? 'cmd.retrying' : 'cmd.sending'));
  }
  const c = commandFor(station, p.number);
  if (!c) return isPending(station, p) ? h('div', { class: 'cmd-status tone-wait', role: 'status' }, t('pump.pendingOther')) : null;
  const { text, tone } = commandText(c);
  return h(
    'div',
    { class: `cmd-status tone-${tone}`, 'data-state': c.state, 'data-command': c.id, role: 'status', 'aria-live': 'polite' },
    h('span', { class: 'cmd-text' }, `${t(c.action === 'start' ? 'pump.start' : 'pump.stop')}：${text}`),
    h('small', null, t('cmd.by', { user: c.requestedBy, when: clockTime(c.updatedAt) })),
  );
}

function renderChartFrame(el: HTMLElement, onRange: () => void): void {
  const rangeButton = (r: Range, key: 'chart.24h' | 'chart.7d'): HTMLElement =>
    h(
      'button',
      {
        type: 'button',
        class: `seg${chartRange === r ? ' active' : ''}`,
        'aria-pressed': String(chartRange === r),
        onclick: () => {
          if (chartRange === r) return;
          chartRange = r;
          onRange();
        },
      },
      t(key),
    );
  fill(
    el,
    h('div', { class: 'charts-head' }, h('h2', null, t('station.charts')), h('div', { class: 'segmented', role: 'group' }, rangeButton('24h', 'chart.24h'), rangeButton('7d', 'chart.7d'))),
    h('div', { class: 'chart-list' }, h('p', { class: 'muted' }, t('chart.loading'))),
  );
}
