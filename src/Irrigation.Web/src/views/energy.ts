// The station's daily energy and water (GET /api/stations/{id}/energy): the last 7 Beijing days, newest first —
// kWh from the meter, m³ by 以电折水 (kWh × the station's coefficient), the flow meter's m³ where there is one,
// running hours and starts summed over the pumps; "按泵" adds each pump's share under every day (its kWh is the
// day's energy apportioned by running time × motor current). Fetched when the page opens and when it catches up.
import { api, type Energy, type EnergyDay } from '../api';
import { h, fill, type Child } from '../dom';
import { formatNumber } from '../format';
import { t } from '../i18n';
import { problemText } from './commandText';

export const ENERGY_DAYS = 7;

export interface EnergyTable {
  /** Fetches the figures again and redraws. */
  refresh(): Promise<void>;
  /** Redraws what was fetched (after a language switch). */
  render(): void;
}

export function mountEnergy(el: HTMLElement, station: string): EnergyTable {
  let energy: Energy | undefined;
  let error: unknown;
  let byPump = false;

  const render = (): void => {
    fill(el, h('h2', null, t('energy.title')), body());
  };

  const body = (): Child => {
    if (!energy) return h('p', { class: error ? 'error' : 'muted' }, error ? `${t('energy.error')}：${problemText(error)}` : t('energy.loading'));
    const days = [...energy.days].sort((a, b) => b.start - a.start);
    const meter = days.some((d) => d.waterM3Meter !== null);
    const cell = (value: number | null): HTMLElement => h('td', { class: 'num' }, value === null || value === undefined ? '—' : formatNumber(value));
    const hasPumps = days.some((d) => d.pumps.length > 0);
    const pumpRows = (d: EnergyDay): HTMLElement[] =>
      byPump
        ? [...d.pumps]
            .sort((a, b) => a.number - b.number)
            .map((p) =>
              h(
                'tr',
                { class: 'pump-row', 'data-date': d.date, 'data-pump': p.number },
                h('th', { scope: 'row' }, t('pump.name', { n: p.number })),
                cell(p.kwh),
                cell(p.waterM3),
                meter && h('td', { class: 'num' }),
                cell(p.runningHours),
                cell(p.starts),
              ),
            )
        : [];
    return [
      hasPumps &&
        h(
          'button',
          {
            type: 'button',
            class: 'button by-pump',
            'aria-pressed': String(byPump),
            onclick: () => {
              byPump = !byPump;
              render();
            },
          },
          t('energy.byPump'),
        ),
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'energy-table' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              h('th', { scope: 'col' }, t('energy.date')),
              h('th', { scope: 'col', class: 'num' }, t('energy.kwh'), h('small', null, 'kWh')),
              h('th', { scope: 'col', class: 'num' }, t('energy.water'), h('small', null, 'm³')),
              meter && h('th', { scope: 'col', class: 'num' }, t('energy.waterMeter'), h('small', null, 'm³')),
              h('th', { scope: 'col', class: 'num' }, t('energy.hours'), h('small', null, 'h')),
              h('th', { scope: 'col', class: 'num' }, t('energy.starts')),
            ),
          ),
          h(
            'tbody',
            null,
            days.map((d, i) => [
              h(
                'tr',
                { class: 'day-row', 'data-date': d.date },
                h('th', { scope: 'row' }, dayLabel(d, i === 0)),
                cell(d.kwh),
                cell(d.waterM3),
                meter && cell(d.waterM3Meter),
                cell(d.runningHours),
                cell(d.starts),
              ),
              pumpRows(d),
            ]),
          ),
        ),
      ),
      h(
        'p',
        { class: 'energy-note muted' },
        t('energy.note', { k: formatNumber(energy.waterPerKwh), uncalibrated: energy.waterPerKwhCalibrated ? '' : t('energy.uncalibrated') }),
      ),
    ];
  };

  render();
  return {
    render,
    refresh: async () => {
      try {
        energy = await api.energy(station, ENERGY_DAYS);
        error = undefined;
      } catch (e) {
        error = e;
        throw e;
      } finally {
        render();
      }
    },
  };
}

/** "今天", else "11-23" (the Beijing date the server named). */
function dayLabel(d: EnergyDay, today: boolean): string {
  return today ? t('energy.today') : d.date.slice(5);
}
