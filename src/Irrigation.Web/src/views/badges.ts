// Status at a glance, shared by the list and the station page.
import type { Pump, StationSummary } from '../api';
import { h } from '../dom';
import { t } from '../i18n';
import { isStale, staleAfterMs } from '../store';

export function statusBadge(s: StationSummary): HTMLElement {
  return h('span', { class: `badge status-${s.status}`, 'data-status': s.status }, t(`status.${s.status}`));
}

export function staleBadge(s: StationSummary, long = false): HTMLElement | null {
  return isStale(s) ? h('span', { class: 'badge stale', role: 'note' }, '⚠ ', long ? t('status.staleLong', { duration: thresholdText(staleAfterMs()) }) : t('status.stale')) : null;
}

export function mainsChip(s: StationSummary): HTMLElement {
  const state = s.mainsPresent === null ? 'unknown' : s.mainsPresent ? 'on' : 'off';
  return h('span', { class: `chip mains mains-${state}` }, t(`mains.${state}`));
}

export type PumpState = 'running' | 'stopped' | 'fault' | 'unknown';

/** From telemetry feedback only: fault wins, then the run feedback. */
export function pumpState(p: Pump): PumpState {
  if (p.fault) return 'fault';
  if (p.running === null || p.running === undefined) return 'unknown';
  return p.running ? 'running' : 'stopped';
}

export function pumpDot(p: Pump): HTMLElement {
  const state = pumpState(p);
  return h('span', { class: `pump-dot state-${state}`, 'data-pump': p.number, 'data-state': state }, h('i', { 'aria-hidden': 'true' }), t('pump.name', { n: p.number }), ' ', t(`pump.${state}`));
}

/** The stale threshold in words: whole minutes from two minutes up, seconds below. */
function thresholdText(ms: number): string {
  return ms >= 120_000 ? t('time.minutes', { n: Math.round(ms / 60_000) }) : t('time.seconds', { n: Math.round(ms / 1000) });
}
