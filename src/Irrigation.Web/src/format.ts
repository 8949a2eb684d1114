// Times and values as people read them.
import type { Alarm } from './api';
import { lang, t, tryT } from './i18n';

export function relativeTime(ms: number | null, now = Date.now()): string {
  if (ms === null || !Number.isFinite(ms)) return t('time.never');
  const minutes = Math.floor(Math.max(0, now - ms) / 60_000);
  if (minutes < 1) return t('time.justNow');
  if (minutes < 60) return t('time.minutesAgo', { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return t('time.hoursAgo', { n: hours });
  return t('time.daysAgo', { n: Math.floor(hours / 24) });
}

export function clockTime(ms: number): string {
  return new Date(ms).toLocaleString(lang() === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: 'Asia/Shanghai',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString(lang() === 'en' ? 'en-GB' : 'zh-CN', { maximumFractionDigits: digits });
}

/** A number with exactly `digits` decimals, in the reader's locale. */
export function formatFixed(value: number, digits: number): string {
  return value.toLocaleString(lang() === 'en' ? 'en-GB' : 'zh-CN', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Power in kW with one decimal ("12.3 kW"); — when unknown. */
export function formatKw(kw: number | null | undefined): string {
  return kw === null || kw === undefined || !Number.isFinite(kw) ? '— kW' : `${formatFixed(kw, 1)} kW`;
}

const KW_PER: Record<string, number> = { W: 0.001, kW: 1, MW: 1000 };

/** A power value in the profile's unit (meters report W) as kW; null when the unit is not a power unit. */
export function toKw(value: number | null, unit: string): number | null {
  return value === null || !(unit in KW_PER) ? null : value * KW_PER[unit];
}

const BOOLEAN_KEY = /(^|\.)(mains_present|remote_mode|door_open|running|fault(_\w+)?)$/;

/** A telemetry value with its unit; on/off quantities (bits) as words. */
export function formatValue(key: string, value: number | null, unit: string): string {
  if (value === null || value === undefined) return '—';
  if (!unit && BOOLEAN_KEY.test(key)) {
    if (key.endsWith('.running')) return value ? t('pump.running') : t('pump.stopped');
    if (key.endsWith('mains_present')) return value ? t('mains.on') : t('mains.off');
    if (key.endsWith('remote_mode')) return value ? t('mode.remote') : t('mode.local');
    return value ? t('value.yes') : t('value.no');
  }
  const shownUnit = unit === 'm3/h' ? 'm³/h' : unit === 'm3' ? 'm³' : unit;
  return shownUnit ? `${formatNumber(value)} ${shownUnit}` : formatNumber(value);
}

/** An alarm's title: the server's Chinese one, or its English one when the app is in English. */
export function alarmTitle(a: Alarm): string {
  return lang() === 'en' ? a.titleEn || a.title : a.title;
}

/** The alarm's message in the reader's language, from its code and parameters; the stored text when the code is unknown. */
export function alarmMessage(a: Alarm): string {
  const args: Record<string, string> = { ...(a.messageArgs ?? {}) };
  if (args.kinds !== undefined)
    args.kinds = args.kinds
      .split(',')
      .map((k) => tryT(`faultKind.${k}`) ?? k)
      .join(lang() === 'en' ? ', ' : '、');
  // A scheduled run's reason is a gateway's reason code: the plan's own reasons first, then the command reasons.
  if (a.messageCode === 'plan_run_missed' && args.reason) args.reason = tryT(`plan.reason.${args.reason}`) ?? tryT(`reason.${args.reason}`) ?? args.reason;
  return (a.messageCode && tryT(`alarmMessage.${a.messageCode}`, args)) || a.message;
}

const DAY_MS = 86_400_000;
const BEIJING_OFFSET_MS = 8 * 3_600_000; // China has one zone, UTC+8, and no daylight saving

/** The start (Unix ms) of the Beijing day `daysBack` days before today's. */
export function beijingDayStart(daysBack = 0, now = Date.now()): number {
  return Math.floor((now + BEIJING_OFFSET_MS) / DAY_MS) * DAY_MS - BEIJING_OFFSET_MS - daysBack * DAY_MS;
}

/** The Beijing calendar date (yyyy-MM-dd) `daysBack` days before today's. */
export function beijingDate(daysBack = 0, now = Date.now()): string {
  return new Date(beijingDayStart(daysBack, now) + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** The Beijing month (yyyy-MM) `monthsBack` months before this one. */
export function beijingMonth(monthsBack = 0, now = Date.now()): string {
  const [year, month] = beijingDate(0, now).split('-').map(Number);
  const index = year * 12 + (month - 1) - monthsBack;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The last day (yyyy-MM-dd) of a month given as yyyy-MM. */
export function lastDayOf(month: string): string {
  const [year, m] = month.split('-').map(Number);
  return `${month}-${String(new Date(Date.UTC(year, m, 0)).getUTCDate()).padStart(2, '0')}`;
}
