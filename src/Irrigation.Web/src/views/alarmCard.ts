// One alarm as a card, shared by the alarms screen and the station page: severity colour and word, title, station,
// message, when it was raised ("3分钟前"), its state, who acknowledged it with what comment, and — for maintenance
// and admin, while it is not acknowledged — the 确认报警 button.
import type { Alarm } from '../api';
import { h } from '../dom';
import { alarmMessage, alarmTitle, clockTime, relativeTime } from '../format';
import { t } from '../i18n';
import { store } from '../store';
import { acknowledgeAlarm } from './ackDialog';

/** Acknowledging is for maintenance crews (and admin); operators and viewers see no button. */
export function mayAcknowledge(): boolean {
  const role = store.user?.role;
  return role === 'maintenance' || role === 'admin';
}

export function alarmCard(a: Alarm, showStation: boolean): HTMLElement {
  return h(
    'article',
    { class: `alarm-card sev-${a.severity} state-${a.state}`, 'data-alarm': a.id, 'data-severity': a.severity, 'data-state': a.state, 'data-station': a.station },
    h(
      'div',
      { class: 'alarm-top' },
      h('span', { class: `sev-badge sev-${a.severity}` }, t(`severity.${a.severity}`)),
      h('h3', { class: 'alarm-title' }, alarmTitle(a)),
      h('span', { class: `alarm-state state-${a.state}` }, t(`alarmState.${a.state}`)),
    ),
    showStation && h('a', { class: 'alarm-station', href: `/stations/${encodeURIComponent(a.station)}`, 'data-link': true }, a.stationName || a.station),
    h('p', { class: 'alarm-message' }, alarmMessage(a)),
    h('p', { class: 'alarm-time' }, t('alarm.raised', { when: relativeTime(a.raisedAt), time: clockTime(a.raisedAt) })),
    a.acknowledgedAt !== null &&
      h('p', { class: 'alarm-ack' }, t('alarm.acknowledged', { user: a.acknowledgedBy ?? '—', time: clockTime(a.acknowledgedAt), comment: a.ackComment ?? '' })),
    a.clearedAt !== null && h('p', { class: 'alarm-cleared' }, t('alarm.cleared', { time: clockTime(a.clearedAt) })),
    // A cleared alarm that nobody acknowledged may still be acknowledged (the server allows it).
    a.acknowledgedAt === null &&
      mayAcknowledge() &&
      h('button', { type: 'button', class: 'button ack small', onclick: () => void acknowledgeAlarm(a) }, t('alarm.ack')),
  );
}
