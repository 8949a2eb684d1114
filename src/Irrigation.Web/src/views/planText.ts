// Plans in plain words: days, times, durations, tariff periods, a run's state and reason.
import type { Plan, PlanRun, PlanSync, TariffKind } from '../api';
import { h } from '../dom';
import { lang, t, tryT, type MessageKey } from '../i18n';
import { formatFixed } from '../format';
import { reasonText } from './commandText';

export function daysText(days: number[]): string {
  if (days.length === 7) return t('plan.everyDay');
  const names = [...days].sort().map((d) => t(`plan.day.${d}` as MessageKey));
  return t('plan.days', { days: names.join(lang() === 'en' ? ', ' : '、') });
}

/** "22:00" (or "22:00:30" when the plan starts on a second). */
export function timeText(start: string): string {
  return start.endsWith(':00') ? start.slice(0, 5) : start;
}

/** Beijing wall-clock time of an instant, HH:mm. */
export function beijingTime(ms: number, seconds = false): string {
  return new Date(ms).toLocaleTimeString('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', second: seconds ? '2-digit' : undefined });
}

/** Beijing date of an instant, MM-dd. */
export function beijingDate(ms: number): string {
  return new Date(ms).toLocaleDateString('en-CA', { timeZone: 'Asia/Shanghai' }).slice(5);
}

export function minutesText(seconds: number): string {
  const minutes = seconds / 60;
  return Number.isInteger(minutes) ? String(minutes) : formatFixed(minutes, 1);
}

export function tariffText(kind: TariffKind): string {
  return t(`plan.tariff.${kind}` as MessageKey);
}

/** Why a scheduled run did not run (or ended early), in the reader's language. */
export function runReasonText(reason: string | null): string {
  return (reason && tryT(`plan.reason.${reason}`)) || reasonText(reason);
}

export type RunTone = 'ok' | 'bad' | 'wait' | 'idle';

export function runState(run: PlanRun): { text: string; tone: RunTone } {
  switch (run.state) {
    case null:
      return { text: t('plan.run.planned'), tone: 'idle' };
    case 'running':
      return { text: t('plan.run.running'), tone: 'wait' };
    case 'completed':
      return { text: t('plan.run.completed'), tone: 'ok' };
    case 'ended_by_operator':
      return { text: t('plan.run.ended_by_operator'), tone: 'ok' };
    default:
      return { text: t(`plan.run.${run.state}` as MessageKey), tone: 'bad' };
  }
}

/** One run as a row: time, station and pump, state, reason when it did not run, cost. */
export function runRow(run: PlanRun, showStation: boolean, showPlan: boolean): HTMLElement {
  const state = runState(run);
  const reason = run.state === 'missed' || run.state === 'refused' ? run.startReason : run.state === 'ended_by_operator' ? 'manual_stop' : run.state === 'stop_failed' ? run.stopReason : null;
  return h(
    'li',
    { class: `run tone-${state.tone}`, 'data-run': run.runId, 'data-state': run.state ?? 'planned' },
    h('span', { class: 'run-time' }, beijingDate(run.start), ' ', beijingTime(run.start), '–', beijingTime(run.end)),
    h(
      'span',
      { class: 'run-what' },
      showPlan && h('b', null, run.planName, ' '),
      showStation ? t('plan.step', { station: run.stationName, pump: run.pump, minutes: minutesText((run.end - run.start) / 1000) }) : t('pump.name', { n: run.pump }),
    ),
    h('span', { class: `run-state badge ${state.tone}` }, state.text),
    reason && h('span', { class: 'run-reason' }, t('plan.run.reason', { reason: runReasonText(reason) })),
    h(
      'span',
      { class: 'run-cost' },
      run.cost !== null && run.kwh !== null ? t('plan.run.cost', { cost: formatFixed(run.cost, 2), kwh: formatFixed(run.kwh, 1) }) : t('plan.run.estimate', { cost: formatFixed(run.estimatedCost, 2) }),
    ),
  );
}

/** The gateway's plan state when it needs attention: behind, refused, clock not trusted; null when all is well. */
export function syncWarning(sync: PlanSync | null): HTMLElement | null {
  if (!sync) return null;
  if (!sync.clockTrusted) return h('p', { class: 'plan-sync bad', role: 'status' }, t('plan.sync.clock', { gateway: sync.gateway, problem: sync.clockProblem ?? '' }));
  if (sync.status === 'refused' && sync.runningVersion < sync.version) return h('p', { class: 'plan-sync bad', role: 'status' }, t('plan.sync.refused', { gateway: sync.gateway, reason: sync.reason ?? '' }));
  if (sync.behind) return h('p', { class: 'plan-sync warn', role: 'status', 'data-behind': true }, t('plan.sync.behind', { gateway: sync.gateway, running: sync.runningVersion, version: sync.version }));
  return null;
}

/** "each run ≈ 120 kWh, ¥40" and the hours per tariff period, warning about peak hours. */
export function estimateBlock(plan: Plan): HTMLElement | null {
  const e = plan.estimate;
  if (!e) return null;
  const peak = (e.hours.peak ?? 0) + (e.hours.sharp ?? 0);
  const kinds: TariffKind[] = ['sharp', 'peak', 'flat', 'valley'];
  return h(
    'div',
    { class: 'plan-estimate' },
    h('p', null, t('plan.estimate', { kwh: formatFixed(e.kwh, 1), cost: formatFixed(e.cost, 2) })),
    h(
      'p',
      { class: 'tariff-hours' },
      kinds.filter((k) => (e.hours[k] ?? 0) > 0).map((k) => h('span', { class: `tariff-chip ${k}` }, tariffText(k), ' ', formatFixed(e.hours[k], 2), ' h')),
    ),
    peak > 0 ? h('p', { class: 'plan-warn' }, t('plan.peakWarning', { hours: formatFixed(peak, 1) })) : e.hours.valley > 0 && h('p', { class: 'plan-ok' }, t('plan.valleyOnly')),
    h('p', { class: 'muted small' }, e.tariff),
  );
}
