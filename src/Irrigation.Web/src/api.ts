// The server's HTTP API (docs/api.md): same-origin cookie session, X-CSRF-Token on every change,
// errors as RFC 9457 problem documents whose `code` the UI translates.

export type Role = 'admin' | 'operator' | 'maintenance' | 'viewer';

export interface User {
  username: string;
  displayName: string;
  role: Role;
  csrfToken: string;
  /** The server's stale threshold (Irrigation:Api:StaleAfter). */
  staleAfterMs: number;
}

export type StationStatus = 'online' | 'comms_lost' | 'offline' | 'unknown';
export type CommandState = 'pending' | 'sent' | 'succeeded' | 'rejected' | 'failed' | 'expired' | 'timed_out';

export interface Command {
  id: string;
  station: string;
  pump: number;
  action: 'start' | 'stop';
  state: CommandState;
  reason: string | null;
  detail: string | null;
  requestedBy: string;
  createdAt: number;
  expiresAt: number;
  updatedAt: number;
}

export interface Pump {
  number: number;
  running: boolean | null;
  fault: boolean | null;
  current: number | null;
  pendingCommand: Command | string | null;
}

export interface StationSummary {
  id: string;
  name: string;
  site: string;
  status: StationStatus;
  online: boolean;
  stale: boolean;
  mainsPresent: boolean | null;
  remoteMode: boolean | null;
  lastTelemetryMs: number | null;
  pumps: Pump[];
  activeAlarms: number;
  /** The meter's total active power in kW; null until reported. */
  powerKw: number | null;
  /** Sump level in m; null until reported. */
  sumpLevel: number | null;
  /** Pumps whose run feedback is on. */
  pumpsRunning: number;
}

export interface StationValue {
  key: string;
  label: string;
  labelEn?: string;
  unit: string;
  value: number | null;
  ts: number;
}

export interface StationDetail extends StationSummary {
  values: StationValue[];
  pendingCommands: Command[];
}

export interface History {
  station: string;
  quantity: string;
  unit: string;
  resolution: string;
  from: number;
  to: number;
  points: [number, number | null][];
}

export type Severity = 'critical' | 'major' | 'minor';
export type AlarmState = 'active' | 'acknowledged' | 'cleared';

/** An alarm (docs/api.md, Alarms): open while clearedAt is null; acknowledgeable while acknowledgedAt is null. */
export interface Alarm {
  id: string;
  station: string;
  stationName: string;
  rule: string;
  pump: number | null;
  key: string;
  severity: Severity;
  title: string;
  titleEn: string;
  /** Chinese text of the message; the app shows messageCode/messageArgs translated, this when the code is unknown. */
  message: string;
  messageCode: string;
  messageArgs: Record<string, string>;
  value: number;
  state: AlarmState;
  raisedAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  ackComment: string | null;
  clearedAt: number | null;
}

export type NotificationChannel = 'sms' | 'voice';
export type NotificationState = 'pending' | 'sending' | 'sent' | 'failed' | 'cancelled' | 'interrupted';

/** One planned SMS or call of an alarm's escalation (docs/notifications.md); the phone is masked by the server. */
export interface NotificationStep {
  id: number;
  channel: NotificationChannel;
  step: number;
  recipient: string;
  phone: string | null;
  dueAt: number;
  state: NotificationState;
  attempts: number;
  lastError: string | null;
}

/** One attempt at an SMS or call, with the provider's request id. */
export interface NotificationAttempt {
  id: number;
  jobId: number;
  channel: NotificationChannel;
  step: number;
  recipient: string;
  phone: string | null;
  attempt: number;
  at: number;
  requestId: string | null;
  providerId: string | null;
  outcome: 'sent' | 'failed';
  error: string | null;
}

/** GET /api/alarms/{id}/notifications (maintenance, admin). */
export interface AlarmNotifications {
  alarmId: string;
  steps: NotificationStep[];
  attempts: NotificationAttempt[];
}

export interface AlarmQuery {
  station?: string;
  state?: 'open' | AlarmState;
  from?: number;
  to?: number;
  limit?: number;
}

/** One Beijing day of a station (GET /api/stations/{id}/energy); null where the day has no reading. */
export interface EnergyDay {
  date: string;
  start: number;
  kwh: number | null;
  waterM3: number | null;
  waterM3Meter: number | null;
  runningHours: number | null;
  starts: number | null;
  pumps: { number: number; runningHours: number | null; starts: number | null; kwh: number | null; waterM3: number | null }[];
}

export interface Energy {
  station: string;
  timeZone: string;
  waterPerKwh: number;
  waterPerKwhCalibrated: boolean;
  days: EnergyDay[];
}

/** Telemetry completeness of a station (GET /api/stations/{id}/completeness): gaps waiting for repair, repaired, lost. */
export interface Completeness {
  station: string;
  epoch: string | null;
  contiguous: number;
  highest: number;
  openMessages: number;
  openGaps: { from: number; to: number }[];
  gapSince: number | null;
  requests: number;
  repaired: number;
  lost: number;
  losses: { from: number; to: number; messages: number; reason: string; gateway: string | null; recordedAt: number }[];
}

/** A plan as the API takes it (docs/api.md, Plans): Beijing times, durations in seconds. */
export interface PlanInput {
  name: string;
  mode: 'rotation' | 'together';
  seasonFrom: string;
  seasonTo: string;
  days: number[];
  start: string;
  startGapSeconds: number;
  steps: { station: string; pump: number; durationSeconds: number }[];
  skipDates: string[];
  paused: boolean;
  overrideOperatorStop: boolean;
}

export type TariffKind = 'sharp' | 'peak' | 'flat' | 'valley';

export interface PlanStep {
  station: string;
  stationName: string;
  pump: number;
  durationSeconds: number;
  offsetSeconds: number;
}

/** A planned or past run (GET /api/plans/{id}/runs, /api/stations/{id}/schedule). */
export interface PlanRun {
  runId: string;
  planId: string;
  planName: string;
  station: string;
  stationName: string;
  pump: number;
  start: number;
  end: number;
  state: 'running' | 'completed' | 'ended_by_operator' | 'missed' | 'refused' | 'stop_failed' | null;
  startOutcome: string | null;
  startReason: string | null;
  startDetail: string | null;
  stopReason: string | null;
  stopDetail: string | null;
  startedAt: number | null;
  stoppedAt: number | null;
  kwh: number | null;
  cost: number | null;
  estimatedKwh: number;
  estimatedCost: number;
  tariffHours: Record<TariffKind, number>;
}

export interface Plan extends Omit<PlanInput, 'steps'> {
  id: string;
  steps: PlanStep[];
  revision: number;
  createdBy: string;
  createdAt: number;
  updatedBy: string;
  updatedAt: number;
  estimate: { kwh: number; cost: number; hours: Record<TariffKind, number>; tariff: string } | null;
  next: PlanRun[];
}

export interface PlanRevision {
  seq: number;
  revision: number;
  change: string;
  changedBy: string;
  changedAt: number;
}

/** What a gateway was sent and runs (GET /api/plans/sync). */
export interface PlanSync {
  gateway: string;
  version: number;
  publishedAt: number;
  runningVersion: number;
  status: string | null;
  reason: string | null;
  detail: string | null;
  clockTrusted: boolean;
  clockProblem: string | null;
  ackedAt: number;
  behind: boolean;
}

export interface TariffBand {
  kind: TariffKind;
  from: string;
  to: string;
  price: number;
}

export interface StationSchedule {
  station: string;
  gateway: string | null;
  sync: PlanSync | null;
  today: PlanRun[];
  next: PlanRun[];
  tariff: TariffBand[];
}

export interface Tariffs {
  name: string;
  date: string;
  prices: Record<TariffKind, number>;
  bands: TariffBand[];
}

/** A town and its stations, for the report picker (GET /api/reports/subjects); town "" holds stations without one. */
export interface ReportSubject {
  town: string;
  stations: { id: string; name: string }[];
}

/** One row of a report (a day of a station, or a station of a town) or its totals; null where there is no data. */
export interface ReportRow {
  key: string;
  label: string;
  runHours: number;
  starts: number;
  kwh: number | null;
  waterM3: number | null;
  waterPerKwh: number | null;
  coefficientSource: 'calibrated' | 'default' | 'mixed';
  kwhByTariff: Record<TariffKind, number>;
  cost: number | null;
  messagesExpected: number;
  messagesStored: number;
  messagesLost: number;
  completenessPercent: number | null;
  onlinePercent: number | null;
  alarms: number;
  ackMedianMinutes: number | null;
  ackWorstMinutes: number | null;
  clearMedianMinutes: number | null;
  clearWorstMinutes: number | null;
  commands: number;
  commandsSucceeded: number;
  commandSuccessPercent: number | null;
  commandMedianSeconds: number | null;
  commandP95Seconds: number | null;
  runsExecuted: number;
  runsMissed: number;
}

/** A daily or monthly report of a station or a town (GET /api/reports/stations/{id} or /towns/{town}). */
export interface Report {
  scope: 'station' | 'town';
  subject: string;
  subjectName: string;
  town: string;
  period: string;
  periodKind: 'month' | 'day';
  periodLabel: string;
  from: string;
  to: string;
  title: string;
  organisation: string;
  generatedAt: number;
  tariffName: string;
  prices: Record<TariffKind, number>;
  rows: ReportRow[];
  total: ReportRow;
  alarmsByKind: { rule: string; title: string; count: number }[];
}

/** A monthly report the server keeps (GET /api/reports/archive). */
export interface ArchivedReport {
  period: string;
  scope: 'station' | 'town';
  subject: string;
  name: string;
  file: string;
  bytes: number;
}

/** A downloaded file: its bytes and the name the server gave it (Content-Disposition). */
export interface DownloadedFile {
  blob: Blob;
  fileName: string;
}

export const FINAL_STATES: ReadonlySet<CommandState> = new Set(['succeeded', 'rejected', 'failed', 'expired', 'timed_out']);

/** An answer other than 2xx: the problem document's code (or 'network' when nothing came back). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string | undefined,
    readonly retryAfterSeconds: number | undefined,
    /** The problem document's other members (e.g. a plan overlap's station, pump and other plan). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(`${status} ${code}${detail ? `: ${detail}` : ''}`);
  }

  get transient(): boolean {
    return this.status === 0 || this.status >= 500;
  }
}

let csrfToken = '';
let onUnauthenticated: () => void = () => {};

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when a request answers 401 (the session expired or was revoked). */
export function setUnauthenticatedHandler(handler: () => void): void {
  onUnauthenticated = handler;
}

async function request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ data: T; status: number }> {
  const h: Record<string, string> = { Accept: 'application/json', ...headers };
  if (method !== 'GET') h['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network', undefined, undefined);
  }
  const text = await response.text().catch(() => '');
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!response.ok) {
    const problem = (json ?? {}) as { code?: string; detail?: string };
    const retryAfter = Number(response.headers.get('Retry-After'));
    const error = new ApiError(response.status, problem.code ?? 'unknown', problem.detail, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined, (json ?? {}) as Record<string, unknown>);
    if (response.status === 401 && !path.startsWith('/api/auth/')) onUnauthenticated();
    throw error;
  }
  return { data: json as T, status: response.status };
}

/** The file name of a Content-Disposition header: filename* (RFC 6266, UTF-8) first, else filename. */
export function fileNameOf(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // a malformed escape: try the plain name
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition);
  return plain ? plain[1].trim() : fallback;
}

/** GETs a file (XLSX, PDF, zip); a refusal is an ApiError with the problem's code, like every other request. */
async function download(path: string, fallbackName: string): Promise<DownloadedFile> {
  let response: Response;
  try {
    response = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', undefined, undefined);
  }
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as { code?: string; detail?: string };
    if (response.status === 401) onUnauthenticated();
    throw new ApiError(response.status, problem.code ?? (response.status === 403 ? 'forbidden' : 'unknown'), problem.detail, undefined, problem as Record<string, unknown>);
  }
  let blob: Blob;
  try {
    blob = await response.blob();
  } catch {
    throw new ApiError(0, 'network', undefined, undefined); // the connection broke while the file came
  }
  return { blob, fileName: fileNameOf(response.headers.get('Content-Disposition'), fallbackName) };
}

export const api = {
  me: async () => (await request<User>('GET', '/api/auth/me')).data,
  login: async (username: string, password: string) => (await request<User>('POST', '/api/auth/login', { username, password })).data,
  logout: async () => {
    await request<void>('POST', '/api/auth/logout');
  },
  stations: async () => (await request<StationSummary[]>('GET', '/api/stations')).data,
  station: async (id: string) => (await request<StationDetail>('GET', `/api/stations/${encodeURIComponent(id)}`)).data,
  history: async (id: string, quantity: string, range: string) =>
    (await request<History>('GET', `/api/stations/${encodeURIComponent(id)}/history?quantity=${encodeURIComponent(quantity)}&range=${range}`)).data,
  energy: async (id: string, days = 7) => (await request<Energy>('GET', `/api/stations/${encodeURIComponent(id)}/energy?days=${days}`)).data,
  completeness: async (id: string) => (await request<Completeness>('GET', `/api/stations/${encodeURIComponent(id)}/completeness`)).data,
  alarms: async (query: AlarmQuery) => {
    const q = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') q.set(name, String(value));
    return (await request<Alarm[]>('GET', `/api/alarms?${q.toString()}`)).data;
  },
  alarm: async (id: string) => (await request<Alarm>('GET', `/api/alarms/${encodeURIComponent(id)}`)).data,
  alarmNotifications: async (id: string) => (await request<AlarmNotifications>('GET', `/api/alarms/${encodeURIComponent(id)}/notifications`)).data,
  acknowledge: async (id: string, comment: string) => (await request<Alarm>('POST', `/api/alarms/${encodeURIComponent(id)}/ack`, { comment })).data,
  plans: async () => (await request<Plan[]>('GET', '/api/plans')).data,
  plan: async (id: string) => (await request<Plan>('GET', `/api/plans/${encodeURIComponent(id)}`)).data,
  planRuns: async (id: string, days = 30) => (await request<PlanRun[]>('GET', `/api/plans/${encodeURIComponent(id)}/runs?days=${days}`)).data,
  planRevisions: async (id: string) => (await request<PlanRevision[]>('GET', `/api/plans/${encodeURIComponent(id)}/revisions`)).data,
  planSync: async () => (await request<PlanSync[]>('GET', '/api/plans/sync')).data,
  createPlan: async (plan: PlanInput) => (await request<Plan>('POST', '/api/plans', plan)).data,
  updatePlan: async (id: string, plan: PlanInput) => (await request<Plan>('PUT', `/api/plans/${encodeURIComponent(id)}`, plan)).data,
  pausePlan: async (id: string, paused: boolean) => (await request<Plan>('POST', `/api/plans/${encodeURIComponent(id)}/${paused ? 'pause' : 'resume'}`)).data,
  deletePlan: async (id: string) => {
    await request<void>('DELETE', `/api/plans/${encodeURIComponent(id)}`);
  },
  stationSchedule: async (id: string) => (await request<StationSchedule>('GET', `/api/stations/${encodeURIComponent(id)}/schedule`)).data,
  tariffs: async () => (await request<Tariffs>('GET', '/api/tariffs')).data,
  reportSubjects: async () => (await request<ReportSubject[]>('GET', '/api/reports/subjects')).data,
  report: async (scope: 'station' | 'town', subject: string, period: string) => (await request<Report>('GET', reportPath(scope, subject, period, 'json'))).data,
  reportFile: async (scope: 'station' | 'town', subject: string, period: string, format: 'xlsx' | 'pdf') =>
    download(reportPath(scope, subject, period, format), `${subject}-${period}.${format}`),
  reportArchive: async () => (await request<ArchivedReport[]>('GET', '/api/reports/archive')).data,
  acceptancePack: async (from: string, to: string) =>
    download(`/api/reports/acceptance-pack?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, `acceptance-${from}_${to}.zip`),
  command: async (id: string) => (await request<Command>('GET', `/api/commands/${encodeURIComponent(id)}`)).data,
  sendCommand: async (station: string, pump: number, action: 'start' | 'stop', idempotencyKey: string) =>
    (await request<Command>('POST', `/api/stations/${encodeURIComponent(station)}/pumps/${pump}/commands`, { action }, { 'Idempotency-Key': idempotencyKey })).data,
};

/** The address of a kept monthly report's file (a plain download: the session cookie is enough). */
export function archivedReportUrl(r: ArchivedReport): string {
  return `/api/reports/archive/${encodeURIComponent(r.period)}/${encodeURIComponent(r.file)}`;
}

function reportPath(scope: 'station' | 'town', subject: string, period: string, format: 'json' | 'xlsx' | 'pdf'): string {
  return `/api/reports/${scope === 'station' ? 'stations' : 'towns'}/${encodeURIComponent(subject)}?period=${encodeURIComponent(period)}&format=${format}`;
}

/** A fresh idempotency key: crypto.randomUUID where the page is a secure context, else a v4 UUID from getRandomValues. */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
