// Trend charts (uPlot), loaded lazily with the station page: power, current, sump level and flow.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api } from '../api';
import { h, fill } from '../dom';
import { toKw } from '../format';
import { t, type MessageKey } from '../i18n';

const QUANTITIES = ['active_power', 'current_a', 'sump_level', 'flow_rate'] as const;
const COLOURS: Record<(typeof QUANTITIES)[number], string> = {
  active_power: '#b00020',
  current_a: '#0b5cad',
  sump_level: '#00695c',
  flow_rate: '#6a1b9a',
};

/** An axis label in China time (UTC+8, no daylight saving): the date at midnight, else the time of day. */
function timeLabel(seconds: number): string {
  const d = new Date((seconds + 8 * 3600) * 1000);
  const hh = d.getUTCHours();
  const mm = d.getUTCMinutes();
  if (hh === 0 && mm === 0) return `${d.getUTCMonth() + 1}/${d.getUTCDate()}`;
  return `${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}`;
}

/** Draws the charts into `el`; returns a function that removes them. */
export function renderCharts(el: HTMLElement, station: string, range: '24h' | '7d'): () => void {
  const plots: uPlot[] = [];
  const boxes = QUANTITIES.map((q) => {
    const body = h('div', { class: 'chart-body' }, h('p', { class: 'muted' }, t('chart.loading')));
    const title = h('h3', null, t(`chart.${q}` as MessageKey));
    return { q, figure: h('figure', { class: 'chart', 'data-quantity': q }, title, body), title, body };
  });
  fill(el, boxes.map((b) => b.figure));

  const width = (): number => Math.max(240, el.clientWidth);
  for (const box of boxes) {
    api.history(station, box.q, range).then(
      (history) => {
        // Power in kW like everywhere else on the page (meters report W).
        const kwPerUnit = toKw(1, history.unit);
        const xs: number[] = [];
        const ys: (number | null)[] = [];
        for (const [ts, v] of history.points ?? []) {
          xs.push(ts / 1000);
          ys.push(v === null || kwPerUnit === null ? v : v * kwPerUnit);
        }
        const unit = kwPerUnit !== null ? 'kW' : history.unit === 'm3/h' ? 'm³/h' : history.unit;
        box.title.append(h('small', null, ` ${unit}`));
        if (xs.length === 0) {
          fill(box.body, h('p', { class: 'muted' }, t('chart.empty')));
          return;
        }
        fill(box.body);
        const plot = new uPlot(
          {
            width: width(),
            height: 170,
            tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Asia/Shanghai'),
            legend: { show: false },
            cursor: { drag: { x: false, y: false } },
            // The whole requested period, so one sample still sits where it belongs in the 24 h / 7 d window.
            scales: { x: { time: true, range: () => [history.from / 1000, history.to / 1000] } },
            axes: [
              { stroke: '#111', grid: { stroke: '#ddd' }, ticks: { stroke: '#999' }, values: (_u, splits) => splits.map(timeLabel) },
              { stroke: '#111', size: 56, grid: { stroke: '#ddd' }, ticks: { stroke: '#999' } },
            ],
            series: [{}, { stroke: COLOURS[box.q], width: 2, fill: `${COLOURS[box.q]}22`, spanGaps: false }],
          },
          [xs, ys],
          box.body,
        );
        plots.push(plot);
      },
      () => fill(box.body, h('p', { class: 'error' }, t('chart.error'))),
    );
  }
  const onResize = (): void => {
    for (const p of plots) p.setSize({ width: width(), height: 170 });
  };
  window.addEventListener('resize', onResize);
  return () => {
    window.removeEventListener('resize', onResize);
    for (const p of plots) p.destroy();
  };
}
