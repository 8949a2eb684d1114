// The station page's live values, grouped: the few an operator looks at first (total power in kW, sump level, flow,
// mains) on top, then electrical, hydraulic, each pump and the rest folded in <details>. The elements are made once per
// set of keys and then only their text changes, so a group stays open or closed as the reader left it and a tap on
// a summary is never lost to a redraw.
import type { StationDetail, StationValue } from '../api';
import { h, fill } from '../dom';
import { formatKw, formatValue, toKw } from '../format';
import { lang, t } from '../i18n';

/** The figures shown first, in this order. */
const KEY_FIGURES = ['active_power', 'sump_level', 'flow_rate', 'mains_present'];

const PUMP_KEY = /^pump(\d+)\.(.+)$/;
const ELECTRICAL = /^(voltage|current|active_power|reactive_power|apparent_power|power_factor|frequency|forward_energy|reverse_energy)/;
const HYDRAULIC = /^(sump_level|flow_rate|flow_total|outlet_pressure|inlet_pressure|pressure|level)/;

// Within a group: what matters more first.
const ORDER = [
  'sump_level', 'flow_rate', 'outlet_pressure', 'flow_total', 'active_power', 'mains_present', 'remote_mode', 'door_open',
  'voltage_a', 'voltage_b', 'voltage_c', 'voltage_ab', 'voltage_bc', 'voltage_ca', 'current_a', 'current_b', 'current_c',
  'power_factor', 'frequency', 'forward_energy',
  'running', 'fault', 'motor_current', 'rated_current', 'run_hours', 'starts',
];
const rank = (name: string): number => {
  const i = ORDER.indexOf(name);
  return i < 0 ? ORDER.length : i;
};

interface Group {
  id: string;
  title: string;
  values: StationValue[];
}

function groupOf(key: string): { id: string; title: string; order: number } {
  const m = PUMP_KEY.exec(key);
  if (m) return { id: `pump${m[1]}`, title: t('pump.name', { n: m[1] }), order: 10 + Number(m[1]) };
  if (ELECTRICAL.test(key)) return { id: 'electrical', title: t('values.electrical'), order: 1 };
  if (HYDRAULIC.test(key)) return { id: 'hydraulic', title: t('values.hydraulic'), order: 2 };
  return { id: 'other', title: t('values.other'), order: 1000 };
}

/** The profile's label; inside a pump's own group without the pump's name ("运行", not "1号泵 运行"). */
function valueLabel(v: StationValue): string {
  const label = lang() === 'en' ? v.labelEn || v.label || v.key : v.label || v.key;
  const m = PUMP_KEY.exec(v.key);
  if (!m) return label;
  const pump = t('pump.name', { n: m[1] });
  return label.startsWith(pump) ? label.slice(pump.length).trim() || label : label;
}

/** A value as shown: power in kW, everything else in the profile's unit. */
function valueText(v: StationValue): string {
  const kw = toKw(v.value, v.unit);
  return kw !== null ? formatKw(kw) : formatValue(v.key, v.value, v.unit);
}

export interface ValuesPanel {
  render(s: StationDetail): void;
}

/** `top` gets the key figures, `groups` the folded groups. */
export function mountValues(top: HTMLElement, groups: HTMLElement): ValuesPanel {
  const open = new Set<string>();
  const cells = new Map<string, HTMLElement>();
  let layout = '';

  const cell = (v: StationValue, cls: string): HTMLElement => {
    const dd = h('dd', null, valueText(v));
    cells.set(v.key, dd);
    return h('div', { class: cls, 'data-key': v.key }, h('dt', null, valueLabel(v)), dd);
  };

  const build = (s: StationDetail): void => {
    cells.clear();
    const byKey = new Map(s.values.map((v) => [v.key, v]));
    const first = KEY_FIGURES.map((k) => byKey.get(k)).filter((v): v is StationValue => v !== undefined);
    const grouped = new Map<string, Group & { order: number }>();
    for (const v of s.values) {
      if (KEY_FIGURES.includes(v.key)) continue;
      const g = groupOf(v.key);
      const group = grouped.get(g.id) ?? { ...g, values: [] };
      group.values.push(v);
      grouped.set(g.id, group);
    }
    fill(top, first.length > 0 && h('dl', { class: 'key-values' }, first.map((v) => cell(v, 'value key-value'))));
    fill(
      groups,
      h('h2', null, t('station.values')),
      s.values.length === 0 && h('p', { class: 'muted' }, t('station.noValues')),
      [...grouped.values()]
        .sort((a, b) => a.order - b.order)
        .map((g) => {
          const details = h(
            'details',
            { class: 'value-group', 'data-group': g.id, open: open.has(g.id) },
            h('summary', null, h('span', null, g.title), h('small', null, t('values.count', { n: g.values.length }))),
            h(
              'dl',
              { class: 'value-list' },
              g.values
                .sort((a, b) => {
                  const pa = PUMP_KEY.exec(a.key);
                  const pb = PUMP_KEY.exec(b.key);
                  return rank(pa ? pa[2] : a.key) - rank(pb ? pb[2] : b.key) || a.key.localeCompare(b.key);
                })
                .map((v) => cell(v, 'value')),
            ),
          );
          details.addEventListener('toggle', () => (details.open ? open.add(g.id) : open.delete(g.id)));
          return details;
        }),
    );
  };

  return {
    render(s: StationDetail): void {
      const wanted = `${lang()}|${s.values.map((v) => `${v.key}:${v.unit}`).sort().join(',')}`;
      if (wanted !== layout) {
        layout = wanted;
        build(s);
        return;
      }
      for (const v of s.values) {
        const dd = cells.get(v.key);
        const text = valueText(v);
        if (dd && dd.textContent !== text) dd.textContent = text;
      }
    },
  };
}
