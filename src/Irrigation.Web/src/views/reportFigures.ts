// A report's figures laid out for a phone: the totals first in large type (energy, water, cost, running time,
// completeness, online rate, alarms, command success), the energy by tariff period, then one compact row per day
// (a station's report) or per station (a town's), and the alarms by kind. Every figure carries its raw value in
// data-value, so what is shown can be checked against the API's JSON.
import type { Report, ReportRow, TariffKind } from '../api';
import { h, type Child } from '../dom';
import { clockTime, formatFixed } from '../format';
import { lang, t, type MessageKey } from '../i18n';

const TARIFF_KINDS: TariffKind[] = ['sharp', 'peak', 'flat', 'valley'];

/** A number with fixed decimals, or — where the report has no data. */
export function fixed(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : formatFixed(value, digits);
}

function withUnit(value: number | null, digits: number, unit: (v: string) => string): string {
  return value === null ? '—' : unit(fixed(value, digits));
}

function figure(name: string, label: MessageKey, value: number | null, shown: string, note?: Child): HTMLElement {
  return h(
    'div',
    { class: `key-value report-figure${value === null ? ' no-data' : ''}`, 'data-figure': name },
    h('dt', null, t(label)),
    h('dd', { 'data-value': value === null ? '' : String(value) }, shown),
    note ? h('small', { class: 'figure-note' }, note) : null,
  );
}

/** Under an hour in minutes, so a short test run does not read "0.0 小时" beside "启动 1 次". */
function runTime(hours: number): string {
  return hours > 0 && hours < 1 ? t('report.minutes', { v: fixed(hours * 60, 1) }) : t('report.hours', { v: fixed(hours, 1) });
}

function totals(r: ReportRow): HTMLElement {
  const percent = (v: number | null): string => withUnit(v, 1, (s) => `${s} %`);
  return h(
    'dl',
    { class: 'key-values report-totals' },
    figure('kwh', 'report.kwh', r.kwh, withUnit(r.kwh, 2, (s) => `${s} kWh`)),
    figure(
      'water',
      'report.water',
      r.waterM3,
      withUnit(r.waterM3, 1, (s) => `${s} m³`),
      r.waterPerKwh !== null && [t('report.coefficient', { k: fixed(r.waterPerKwh, 2) }), lang() === 'en' ? ', ' : '，', t(`report.coefficient.${r.coefficientSource}` as MessageKey)],
    ),
    figure('cost', 'report.cost', r.cost, withUnit(r.cost, 2, (s) => t('report.yuan', { v: s }))),
    figure('runHours', 'report.runHours', r.runHours, runTime(r.runHours), t('report.starts', { n: r.starts })),
    figure('completeness', 'report.completeness', r.completenessPercent, percent(r.completenessPercent), r.messagesLost > 0 ? t('report.lost', { n: r.messagesLost }) : r.messagesExpected > 0 ? t('report.noLoss') : null),
    figure('online', 'report.online', r.onlinePercent, percent(r.onlinePercent)),
    figure('alarms', 'report.alarms', r.alarms, String(r.alarms), r.alarms === 0 ? t('report.noAlarms') : r.ackMedianMinutes !== null ? t('report.ackMedian', { n: fixed(r.ackMedianMinutes, 1) }) : null),
    figure(
      'commandSuccess',
      'report.commandSuccess',
      r.commandSuccessPercent,
      percent(r.commandSuccessPercent),
      r.commands === 0 ? t('report.noCommands') : t('report.commandsOf', { ok: r.commandsSucceeded, n: r.commands }),
    ),
  );
}

function byTariff(r: ReportRow, prices: Record<TariffKind, number>, tariffName: string): HTMLElement | null {
  if (r.kwh === null) return null;
  return h(
    'div',
    { class: 'report-tariff' },
    h('h3', null, t('report.byTariff')),
    h('p', { class: 'muted small' }, t('report.tariff', { name: tariffName })),
    h(
      'div',
      { class: 'tariff-bands' },
      TARIFF_KINDS.map((k) =>
        h(
          'span',
          { class: `tariff-chip ${k}`, 'data-tariff': k },
          t(`plan.tariff.${k}` as MessageKey),
          ' ',
          `${fixed(r.kwhByTariff[k] ?? 0, 1)} kWh`,
          prices[k] !== undefined && h('small', null, ` · ¥${fixed(prices[k], 4)}`),
        ),
      ),
    ),
  );
}

function rowsTable(report: Report): HTMLElement {
  const byDay = report.scope === 'station';
  const cell = (value: number | null, digits: number): HTMLElement => h('td', { class: 'num' }, fixed(value, digits));
  const line = (r: ReportRow, total: boolean): HTMLElement =>
    h(
      'tr',
      { class: total ? 'total-row' : undefined, 'data-row': r.key },
      h('th', { scope: 'row' }, total ? t('report.totals') : byDay ? r.label.slice(5) : r.label),
      cell(r.kwh, 2),
      cell(r.waterM3, 1),
      cell(r.cost, 2),
      cell(r.runHours, 1),
      cell(r.completenessPercent, 1),
    );
  const head = (label: MessageKey, unit: string): HTMLElement => h('th', { scope: 'col', class: 'num' }, t(label), h('small', null, unit));
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'energy-table report-rows' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { scope: 'col' }, t(byDay ? 'report.col.day' : 'report.col.station')),
          head('report.col.kwh', 'kWh'),
          head('report.col.water', 'm³'),
          head('report.col.cost', lang() === 'en' ? '¥' : '元'),
          head('report.col.hours', 'h'),
          head('report.col.completeness', '%'),
        ),
      ),
      h('tbody', null, report.rows.map((r) => line(r, false))),
      report.rows.length > 1 && h('tfoot', null, line(report.total, true)),
    ),
  );
}

/** The report's heading in the reader's language (the server's title is Chinese, as printed on the XLSX and PDF). */
export function reportHeading(report: Report): string {
  const [year, month, day] = report.period.split('-').map(Number);
  const period =
    lang() === 'en'
      ? new Date(Date.UTC(year, month - 1, day || 1)).toLocaleDateString('en-GB', { timeZone: 'UTC', year: 'numeric', month: 'long', day: day ? 'numeric' : undefined })
      : report.periodLabel;
  return t(report.periodKind === 'day' ? 'report.heading.day' : 'report.heading.month', { name: report.subjectName, period });
}

export function reportFigures(report: Report): Child[] {
  const total = report.total;
  return [
    h('h2', { class: 'report-heading' }, reportHeading(report)),
    h(
      'p',
      { class: 'muted report-meta' },
      t('report.meta', { from: report.from, to: report.to }),
      ' · ',
      t('report.generated', { time: clockTime(report.generatedAt) }),
    ),
    totals(total),
    (total.runsExecuted > 0 || total.runsMissed > 0) && h('p', { class: 'report-runs' }, t('report.plannedRuns', { done: total.runsExecuted, missed: total.runsMissed })),
    byTariff(total, report.prices, report.tariffName),
    h('h3', null, t(report.scope === 'station' ? 'report.rows.day' : 'report.rows.station')),
    rowsTable(report),
    report.alarmsByKind.length > 0 && [
      h('h3', null, t('report.alarmKinds')),
      h(
        'ul',
        { class: 'report-alarm-kinds' },
        report.alarmsByKind.map((k) => h('li', { 'data-rule': k.rule }, lang() === 'en' ? `${k.title} (${k.rule})` : k.title, ' × ', String(k.count))),
      ),
    ],
  ];
}
