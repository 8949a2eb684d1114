// Acknowledging an alarm (maintenance, admin): a modal that names the alarm and asks what was found or done.
// The comment is required here as on the server (400 comment_required); 409 means someone else was first.
import { api, ApiError, type Alarm } from '../api';
import { h } from '../dom';
import { alarmMessage, alarmTitle } from '../format';
import { t } from '../i18n';
import { putAlarm } from '../store';
import { problemText } from './commandText';

export const COMMENT_MAX = 500;

/** Resolves with the acknowledged alarm, or null when cancelled. */
export function acknowledgeAlarm(alarm: Alarm): Promise<Alarm | null> {
  return new Promise((resolve) => {
    const comment = h('textarea', { id: 'ack-comment', name: 'comment', rows: 3, maxlength: COMMENT_MAX, required: true, placeholder: t('ack.placeholder') });
    const error = h('p', { class: 'error', role: 'alert' });
    const cancel = h('button', { type: 'button', class: 'button secondary', 'data-action': 'cancel', onclick: () => close(null) }, t('ack.cancel'));
    const submit = h('button', { type: 'submit', class: 'button primary', 'data-action': 'confirm' }, t('ack.submit'));
    const form = h(
      'form',
      { class: 'ack-form', novalidate: true, onsubmit: (e: Event) => void send(e) },
      h('label', { for: 'ack-comment' }, t('ack.comment')),
      comment,
      error,
      h('div', { class: 'confirm-buttons' }, cancel, submit),
    );
    const dialog = h(
      'dialog',
      { class: 'confirm ack', 'aria-labelledby': 'ack-title', 'data-alarm': alarm.id },
      h('p', { id: 'ack-title', class: 'confirm-question' }, t('ack.title')),
      h('p', { class: `ack-alarm sev-${alarm.severity}` }, h('span', { class: `sev-badge sev-${alarm.severity}` }, t(`severity.${alarm.severity}`)), ' ', alarmTitle(alarm), ' · ', alarm.stationName),
      h('p', { class: 'confirm-note' }, alarmMessage(alarm)),
      form,
    );

    let done = false;
    function close(result: Alarm | null): void {
      if (done) return;
      done = true;
      dialog.close();
      dialog.remove();
      resolve(result);
    }

    async function send(e: Event): Promise<void> {
      e.preventDefault();
      const text = comment.value.trim();
      if (!text) {
        error.textContent = t('ack.commentRequired');
        comment.focus();
        return;
      }
      submit.disabled = true;
      cancel.disabled = true;
      submit.textContent = t('ack.busy');
      error.textContent = '';
      try {
        const acknowledged = await api.acknowledge(alarm.id, text);
        putAlarm(acknowledged);
        close(acknowledged);
      } catch (err) {
        error.textContent = problemText(err);
        submit.disabled = false;
        cancel.disabled = false;
        submit.textContent = t('ack.submit');
        // Someone else acknowledged it (or it is gone): show its real state behind the dialog.
        if (err instanceof ApiError && (err.status === 409 || err.status === 404)) void api.alarm(alarm.id).then(putAlarm, () => {});
      }
    }

    dialog.addEventListener('cancel', () => close(null)); // Esc / back gesture
    document.body.appendChild(dialog);
    dialog.showModal();
    comment.focus();
  });
}
