// Creating or changing a plan (/plans/new, /plans/{id}/edit): name, rotation or together, season, days of week, start
// time (Beijing), start gap, the stations and pumps in order with their minutes, skip dates; the day's tariff periods
// with a one-tap "start in the valley". The server checks everything again and refuses overlaps with the reason.
import { api, ApiError, type PlanInput, type StationSummary, type Tariffs } from '../api';
import { h, fill } from '../dom';
import { t, type MessageKey } from '../i18n';
import { problemText } from './commandText';
import { tariffText } from './planText';

interface StepRow {
  station: string;
  pump: number;
  minutes: number;
}

function today(offsetDays = 0): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toLocaleDateString('en-CA', { timeZone: 'Asia/Shanghai' });
}

export function mountPlanForm(root: HTMLElement, id: string | null, navigate: (path: string) => void): { refresh(): Promise<void> } {
  let stations: StationSummary[] = [];
  let tariffs: Tariffs | undefined;
  let loaded = false;
  let error = '';
  let saving = false;
  const form: PlanInput & { stepRows: StepRow[] } = {
    name: '',
    mode: 'rotation',
    seasonFrom: today(),
    seasonTo: today(90),
    days: [1, 2, 3, 4, 5, 6, 7],
    start: '22:00:00',
    startGapSeconds: 300,
    steps: [],
    stepRows: [],
    skipDates: [],
    paused: false,
    overrideOperatorStop: false,
  };

  const pumpsOf = (station: string): number[] => {
    const s = stations.find((x) => x.id === station);
    return s && s.pumps.length > 0 ? s.pumps.map((p) => p.number) : [1, 2];
  };

  const render = (): void => {
    if (!loaded) {
      fill(root, h('p', { class: 'loading' }, t('app.loading')));
      return;
    }
    const field = (label: string, input: HTMLElement): HTMLElement => h('label', { class: 'field' }, h('span', null, label), input);
    const input = (name: string, type: string, value: string | number, onInput: (v: string) => void, extra: Record<string, unknown> = {}): HTMLInputElement =>
      h('input', { name, type, value, oninput: (e: Event) => onInput((e.target as HTMLInputElement).value), ...extra });
    const valley = tariffs?.bands.filter((b) => b.kind === 'valley').sort((a, b) => minutes(b.to) - minutes(b.from) - (minutes(a.to) - minutes(a.from)))[0];
    fill(
      root,
      h('a', { href: id ? `/plans/${encodeURIComponent(id)}` : '/plans', class: 'back', 'data-link': true }, '‹ ', t('plan.form.cancel')),
      h('h1', { class: 'page-title' }, t(id ? 'plan.form.edit' : 'plan.form.new')),
      h(
        'form',
        {
          class: 'plan-form',
          novalidate: true,
          onsubmit: (e: Event) => {
            e.preventDefault();
            void save();
          },
        },
        field(t('plan.form.name'), input('name', 'text', form.name, (v) => (form.name = v), { required: true, maxlength: 100 })),
        h(
          'fieldset',
          { class: 'mode' },
          h('legend', null, t('plan.form.mode')),
          (['rotation', 'together'] as const).map((m) =>
            h(
              'label',
              { class: 'choice' },
              h('input', { type: 'radio', name: 'mode', value: m, checked: form.mode === m, onchange: () => ((form.mode = m), render()) }),
              t(`plan.mode.${m}` as MessageKey),
            ),
          ),
          h('p', { class: 'muted small' }, t(`plan.form.modeHint.${form.mode}` as MessageKey)),
        ),
        h(
          'div',
          { class: 'field-row' },
          field(t('plan.form.seasonFrom'), input('seasonFrom', 'date', form.seasonFrom, (v) => (form.seasonFrom = v))),
          field(t('plan.form.seasonTo'), input('seasonTo', 'date', form.seasonTo, (v) => (form.seasonTo = v))),
        ),
        h(
          'fieldset',
          { class: 'days' },
          h('legend', null, t('plan.form.days')),
          [1, 2, 3, 4, 5, 6, 7].map((d) =>
            h(
              'label',
              { class: 'day' },
              h('input', {
                type: 'checkbox',
                name: `day${d}`,
                checked: form.days.includes(d),
                onchange: (e: Event) => {
                  form.days = (e.target as HTMLInputElement).checked ? [...form.days, d].sort() : form.days.filter((x) => x !== d);
                },
              }),
              t(`plan.day.${d}` as MessageKey),
            ),
          ),
        ),
        h(
          'div',
          { class: 'field-row' },
          field(t('plan.form.start'), input('start', 'time', form.start, (v) => (form.start = v.length === 5 ? `${v}:00` : v), { step: 1 })),
          field(t('plan.form.gap'), input('gap', 'number', form.startGapSeconds / 60, (v) => (form.startGapSeconds = Math.round(Number(v) * 60)), { min: 0, step: 0.1, inputmode: 'decimal' })),
        ),
        tariffs &&
          h(
            'div',
            { class: 'tariff-today' },
            h('p', { class: 'muted small' }, t('plan.form.tariffToday')),
            h('p', { class: 'tariff-bands' }, tariffs.bands.map((b) => h('span', { class: `tariff-chip ${b.kind}` }, `${b.from}–${b.to} `, tariffText(b.kind)))),
            valley &&
              h(
                'button',
                { type: 'button', class: 'button secondary small', 'data-action': 'valley', onclick: () => ((form.start = `${valley.from}:00`), render()) },
                t('plan.form.valley', { time: valley.from }),
              ),
          ),
        h(
          'fieldset',
          { class: 'steps' },
          h('legend', null, t('plan.form.steps')),
          form.stepRows.map((row, i) =>
            h(
              'div',
              { class: 'step-row', 'data-step': i + 1 },
              h('span', { class: 'step-number' }, `${i + 1}.`),
              h(
                'select',
                { name: `station${i + 1}`, 'aria-label': t('plan.form.station'), onchange: (e: Event) => ((row.station = (e.target as HTMLSelectElement).value), (row.pump = pumpsOf(row.station)[0]), render()) },
                stations.map((s) => h('option', { value: s.id, selected: s.id === row.station }, `${s.name}`)),
              ),
              h(
                'select',
                { name: `pump${i + 1}`, 'aria-label': t('plan.form.pump'), onchange: (e: Event) => (row.pump = Number((e.target as HTMLSelectElement).value)) },
                pumpsOf(row.station).map((n) => h('option', { value: n, selected: n === row.pump }, t('pump.name', { n }))),
              ),
              h('input', { name: `minutes${i + 1}`, type: 'number', min: 0.1, step: 0.1, inputmode: 'decimal', value: row.minutes, 'aria-label': t('plan.form.minutes'), oninput: (e: Event) => (row.minutes = Number((e.target as HTMLInputElement).value)) }),
              h('span', { class: 'unit' }, t('plan.form.minutes')),
              i > 0 && h('button', { type: 'button', class: 'icon', 'aria-label': t('plan.form.up'), onclick: () => (form.stepRows.splice(i - 1, 2, form.stepRows[i], form.stepRows[i - 1]), render()) }, '↑'),
              h('button', { type: 'button', class: 'icon', 'aria-label': t('plan.form.removeStep'), onclick: () => (form.stepRows.splice(i, 1), render()) }, '✕'),
            ),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'button secondary',
              'data-action': 'add-step',
              onclick: () => {
                const used = new Set(form.stepRows.map((r) => r.station));
                const station = (stations.find((s) => !used.has(s.id)) ?? stations[0])?.id ?? '';
                form.stepRows.push({ station, pump: pumpsOf(station)[0], minutes: 60 });
                render();
              },
            },
            '+ ',
            t('plan.form.addStep'),
          ),
        ),
        h(
          'fieldset',
          { class: 'skip' },
          h('legend', null, t('plan.form.skipDates')),
          form.skipDates.map((d) => h('span', { class: 'chip' }, d, h('button', { type: 'button', class: 'icon', 'aria-label': t('plan.form.removeStep'), onclick: () => ((form.skipDates = form.skipDates.filter((x) => x !== d)), render()) }, '✕'))),
          h('input', { type: 'date', name: 'skip', 'aria-label': t('plan.form.skipDates') }),
          h(
            'button',
            {
              type: 'button',
              class: 'button secondary small',
              onclick: () => {
                const value = (root.querySelector('input[name=skip]') as HTMLInputElement).value;
                if (value && !form.skipDates.includes(value)) form.skipDates = [...form.skipDates, value].sort();
                render();
              },
            },
            t('plan.form.addSkip'),
          ),
        ),
        h(
          'label',
          { class: 'choice' },
          h('input', { type: 'checkbox', name: 'override', checked: form.overrideOperatorStop, onchange: (e: Event) => (form.overrideOperatorStop = (e.target as HTMLInputElement).checked) }),
          t('plan.overrideOperatorStop'),
        ),
        error && h('p', { class: 'error', role: 'alert' }, error),
        h('button', { type: 'submit', class: 'button primary wide', 'data-action': 'save', disabled: saving }, t(saving ? 'plan.form.saving' : 'plan.form.save')),
      ),
    );
  };

  const save = async (): Promise<void> => {
    saving = true;
    error = '';
    render();
    const input: PlanInput = {
      name: form.name.trim(),
      mode: form.mode,
      seasonFrom: form.seasonFrom,
      seasonTo: form.seasonTo,
      days: form.days,
      start: form.start,
      startGapSeconds: form.startGapSeconds,
      steps: form.stepRows.map((r) => ({ station: r.station, pump: r.pump, durationSeconds: Math.round(r.minutes * 60) })),
      skipDates: form.skipDates,
      paused: form.paused,
      overrideOperatorStop: form.overrideOperatorStop,
    };
    try {
      const saved = id ? await api.updatePlan(id, input) : await api.createPlan(input);
      navigate(`/plans/${encodeURIComponent(saved.id)}`);
      return;
    } catch (e) {
      error = planProblem(e);
    }
    saving = false;
    render();
  };

  return {
    refresh: async () => {
      if (loaded) return;
      const [list, tariff, plan] = await Promise.all([api.stations(), api.tariffs().catch(() => undefined), id ? api.plan(id) : Promise.resolve(undefined)]);
      stations = [...list].sort((a, b) => a.name.localeCompare(b.name, 'zh-CN') || a.id.localeCompare(b.id));
      tariffs = tariff;
      if (plan) {
        Object.assign(form, {
          name: plan.name,
          mode: plan.mode,
          seasonFrom: plan.seasonFrom,
          seasonTo: plan.seasonTo,
          days: plan.days,
          start: plan.start,
          startGapSeconds: plan.startGapSeconds,
          skipDates: plan.skipDates,
          paused: plan.paused,
          overrideOperatorStop: plan.overrideOperatorStop,
        });
        form.stepRows = plan.steps.map((s) => ({ station: s.station, pump: s.pump, minutes: s.durationSeconds / 60 }));
      } else if (stations.length > 0) {
        form.stepRows = [{ station: stations[0].id, pump: pumpsOf(stations[0].id)[0], minutes: 60 }];
      }
      loaded = true;
      render();
    },
  };
}

function minutes(hhmm: string): number {
  const [hh, mm] = hhmm.split(':').map(Number);
  return hh * 60 + mm;
}

/** A refusal in plain words: an overlap names the other plan, the station, the pump and when. */
function planProblem(e: unknown): string {
  if (e instanceof ApiError && e.code === 'plan_overlap') {
    const x = e.extra;
    return t('plan.form.overlap', { other: String(x.otherPlan ?? ''), station: String(x.stationName ?? x.station ?? ''), pump: String(x.pump ?? ''), date: String(x.date ?? ''), time: String(x.time ?? '') });
  }
  if (e instanceof ApiError && e.code === 'invalid_plan') return t('plan.form.invalid', { detail: e.detail ?? '' });
  return problemText(e);
}
