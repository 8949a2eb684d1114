// One alarm as a card, shared by the alarms screen and the station page: severity colour and word, title, station,
// message, when it was raised ("3分钟前"), its state, who acknowledged it with what comment, and — for maintenance
// and admin, while it is not acknowledged — the 确认报警 button; for them too, the alarm's SMS and calls (通知记录),
// loaded when opened.
import { api, type Alarm, type AlarmNotifications, type NotificationStep } from '../api';
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
    mayAcknowledge() && notificationsPanel(a),
    // A cleared alarm that nobody acknowledged may still be acknowledged (the server allows it).
    a.acknowledgedAt === null &&
      mayAcknowledge() &&
      h('button', { type: 'button', class: 'button ack small', onclick: () => void acknowledgeAlarm(a) }, t('alarm.ack')),
  );
}

/**
 * Panels opened by the user, by alarm id, with what was last loaded: the alarm list re-renders its cards on live
 * updates, and an open panel must stay open (and not fetch again every second).
 */
const openPanels = new Map<string, { data: AlarmNotifications | null; at: number }>();
const RefreshAfterMs = 10_000;

/** Who was sent what: each planned SMS or call with its person, masked number and state; fetched when opened. */
function notificationsPanel(a: Alarm): HTMLElement {
  const list = h('ul', { class: 'notify-steps' });
  const open = openPanels.get(a.id);
  const load = () => {
    const entry = openPanels.get(a.id);
    if (entry && entry.data) list.replaceChildren(...stepItems(entry.data));
    else list.replaceChildren(h('li', { class: 'muted' }, t('alarm.notificationsLoading')));
    if (entry && entry.data && Date.now() - entry.at < RefreshAfterMs) return;
    openPanels.set(a.id, { data: entry?.data ?? null, at: Date.now() });
    api.alarmNotifications(a.id).then(
      (n) => {
        if (!openPanels.has(a.id)) return;
        openPanels.set(a.id, { data: n, at: Date.now() });
        list.replaceChildren(...stepItems(n));
      },
      () => {
        openPanels.set(a.id, { data: null, at: 0 });
        list.replaceChildren(h('li', { class: 'error' }, t('alarm.notificationsError')));
      },
    );
  };
  const panel = h(
    'details',
    {
      class: 'alarm-notify',
      open: open !== undefined,
      ontoggle: () => {
        if (!panel.open) {
          openPanels.delete(a.id);
          return;
        }
        if (!openPanels.has(a.id)) openPanels.set(a.id, { data: null, at: 0 });
        load();
      },
    },
    h('summary', null, t('alarm.notifications')),
    list,
  );
  if (open !== undefined) load();
  return panel;
}

function stepItems(n: AlarmNotifications): HTMLElement[] {
  if (n.steps.length === 0) return [h('li', { class: 'muted' }, t('alarm.notificationsNone'))];
  return n.steps.map((s) => {
    const sentAt = n.attempts.filter((x) => x.jobId === s.id && x.outcome === 'sent').map((x) => x.at)[0];
    return h(
      'li',
      { class: `notify-step notify-${s.state}`, 'data-step': s.step, 'data-state': s.state },
      h('span', { class: 'notify-channel' }, t(`notifyChannel.${s.channel}`)),
      ` ${s.recipient} ${s.phone ?? ''} · `,
      h('span', { class: 'notify-state' }, stepState(s, sentAt)),
      s.attempts > 1 && ` · ${t('alarm.notificationsAttempts', { n: s.attempts })}`,
    );
  });
}

function stepState(s: NotificationStep, sentAt: number | undefined): string {
  if (s.state === 'sent') return t('notifyState.sent', { time: clockTime(sentAt ?? s.dueAt) });
  if (s.state === 'pending') return t('notifyState.pending', { time: clockTime(s.dueAt) });
  return t(`notifyState.${s.state}`);
}
