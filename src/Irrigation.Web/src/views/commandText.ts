// A command's state in plain words (docs/api.md states; docs/mqtt.md gateway reasons).
import { ApiError, type Command } from '../api';
import { t, tryT } from '../i18n';

export type Tone = 'wait' | 'ok' | 'bad';

export function reasonText(reason: string | null): string {
  if (!reason) return t('reason.unknown', { code: '—' });
  return tryT(`reason.${reason}`) ?? t('reason.unknown', { code: reason });
}

export function commandText(c: Command): { text: string; tone: Tone } {
  switch (c.state) {
    case 'pending':
      return { text: t('cmd.pending'), tone: 'wait' };
    case 'sent':
      return { text: t('cmd.sent'), tone: 'wait' };
    case 'succeeded':
      if (c.reason === 'already_in_state') return { text: t(c.action === 'start' ? 'cmd.succeeded.alreadyStart' : 'cmd.succeeded.alreadyStop'), tone: 'ok' };
      return { text: t(c.action === 'start' ? 'cmd.succeeded.start' : 'cmd.succeeded.stop'), tone: 'ok' };
    case 'rejected':
      return { text: t('cmd.rejected', { reason: reasonText(c.reason) }), tone: 'bad' };
    case 'failed':
      return { text: t('cmd.failed', { reason: reasonText(c.reason) }), tone: 'bad' };
    case 'expired':
      return { text: t('cmd.expired'), tone: 'bad' };
    case 'timed_out':
      return { text: t('cmd.timed_out'), tone: 'bad' };
    default:
      return { text: String(c.state), tone: 'wait' };
  }
}

/** A problem answer in the user's language: the stable `code` translated, never the server's English title. */
export function problemText(error: unknown): string {
  if (!(error instanceof ApiError)) return t('error.unknown', { status: '?' });
  if (error.code === 'locked_out') return t('error.locked_out', { minutes: Math.max(1, Math.ceil((error.retryAfterSeconds ?? 900) / 60)) });
  return tryT(`error.${error.code}`) ?? t('error.unknown', { status: error.status || error.code });
}
