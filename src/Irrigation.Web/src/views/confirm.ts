// The confirmation step before a pump command: a modal naming the station and the pump.
import { h } from '../dom';
import { t } from '../i18n';

export function confirmCommand(stationName: string, pumpNumber: number, action: 'start' | 'stop'): Promise<boolean> {
  return new Promise((resolve) => {
    const pump = t('pump.name', { n: pumpNumber });
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': 'confirm-title' },
      h('p', { id: 'confirm-title', class: 'confirm-question' }, t(action === 'start' ? 'confirm.start' : 'confirm.stop', { station: stationName, pump })),
      h('p', { class: 'confirm-note' }, t('confirm.note')),
      h(
        'div',
        { class: 'confirm-buttons' },
        h('button', { type: 'button', class: 'button secondary', 'data-action': 'cancel', onclick: () => close(false) }, t('confirm.cancel')),
        h('button', { type: 'button', class: `button ${action}`, 'data-action': 'confirm', onclick: () => close(true) }, t(action === 'start' ? 'confirm.okStart' : 'confirm.okStop')),
      ),
    );
    let done = false;
    function close(answer: boolean): void {
      if (done) return;
      done = true;
      dialog.close();
      dialog.remove();
      resolve(answer);
    }
    dialog.addEventListener('cancel', () => close(false)); // Esc / back gesture
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}
