// The station's telemetry completeness (GET /api/stations/{id}/completeness): whether every message the gateway sent
// is stored. Gaps wait for the gateway to send them again from its history (待补传); what its history no longer held is
// recorded as lost (已确认丢失) with its range — an acceptance reviewer sees the hole, never a filled-in guess.
import { api, type Completeness } from '../api';
import { h, fill } from '../dom';
import { clockTime, formatNumber } from '../format';
import { t, tryT } from '../i18n';

export interface CompletenessPanel {
  refresh(): Promise<void>;
  render(): void;
}

export function mountCompleteness(el: HTMLElement, station: string): CompletenessPanel {
  let data: Completeness | undefined;
  let failed = false;

  const render = (): void => {
    if (!data) {
      fill(el, failed && [h('h2', null, t('completeness.title')), h('p', { class: 'error' }, t('completeness.error'))]);
      return;
    }
    const complete = data.openMessages === 0 && data.lost === 0;
    fill(
      el,
      h('h2', null, t('completeness.title')),
      h(
        'p',
        { class: `completeness-summary ${complete ? 'ok' : data.lost > 0 ? 'lost' : 'pending'}` },
        complete
          ? t('completeness.complete', { seq: formatNumber(data.contiguous) })
          : [
              data.openMessages > 0 && h('span', { class: 'chip pending' }, t('completeness.pending', { n: formatNumber(data.openMessages) })),
              data.lost > 0 && h('span', { class: 'chip lost' }, t('completeness.lost', { n: formatNumber(data.lost) })),
            ],
        data.repaired > 0 && h('small', null, t('completeness.repaired', { n: formatNumber(data.repaired) })),
      ),
      data.losses.length > 0 &&
        h(
          'ul',
          { class: 'loss-list' },
          data.losses.map((l) =>
            h('li', null, t('completeness.lossItem', { when: clockTime(l.recordedAt), from: l.from, to: l.to, n: formatNumber(l.messages), reason: tryT(`completeness.reason.${l.reason}`) ?? l.reason })),
          ),
        ),
    );
  };

  render();
  return {
    render,
    refresh: async () => {
      try {
        data = await api.completeness(station);
        failed = false;
      } catch (e) {
        failed = true;
        throw e;
      } finally {
        render();
      }
    },
  };
}
