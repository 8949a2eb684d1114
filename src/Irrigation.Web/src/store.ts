// What the app knows: station summaries, the open station's values, commands, alarms, connection state.
// Views subscribe; changes are batched into one notification per animation frame.
import type { Alarm, Command, StationDetail, StationSummary, StationValue, User } from './api';

/** Used only until the server's threshold is known (the session answer carries it). */
const DEFAULT_STALE_AFTER_MS = 3 * 60_000;

/** The server's stale threshold. */
export function staleAfterMs(): number {
  return store.user?.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
}

export const store = {
  user: null as User | null,
  stations: new Map<string, StationSummary>(),
  stationsLoaded: false,
  details: new Map<string, StationDetail>(),
  commands: new Map<string, Command>(),
  /** Every alarm seen: the open ones (fetched at sign-in, kept by `alarm` events) and the history shown. */
  alarms: new Map<string, Alarm>(),
  alarmsLoaded: false,
  /** True once the event stream failed, until it is open again (not while it first connects). */
  streamDown: false,
  networkUp: navigator.onLine,
};

const listeners = new Set<() => void>();
let scheduled = false;
let lastNotified = 0;
// Hundreds of stations each report every second: redraw at most four times a second, and only when visible.
const MIN_REDRAW_MS = 250;

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function changed(): void {
  if (scheduled) return;
  scheduled = true;
  const wait = Math.max(0, lastNotified + MIN_REDRAW_MS - performance.now());
  setTimeout(
    () =>
      requestAnimationFrame(() => {
        scheduled = false;
        lastNotified = performance.now();
        for (const listener of [...listeners]) listener();
      }),
    wait,
  );
}

export function putStations(list: StationSummary[]): void {
  store.stations = new Map(list.map((s) => [s.id, s]));
  store.stationsLoaded = true;
  for (const s of list) mergeSummaryIntoDetail(s);
  changed();
}

export function putStation(summary: StationSummary): void {
  store.stations.set(summary.id, summary);
  mergeSummaryIntoDetail(summary);
  changed();
}

function mergeSummaryIntoDetail(summary: StationSummary): void {
  const detail = store.details.get(summary.id);
  if (detail) store.details.set(summary.id, { ...detail, ...summary, values: detail.values, pendingCommands: detail.pendingCommands });
}

export function putDetail(detail: StationDetail): void {
  store.details.set(detail.id, detail);
  const { values: _values, pendingCommands, ...summary } = detail;
  store.stations.set(detail.id, summary);
  for (const c of pendingCommands ?? []) putCommand(c);
  changed();
}

/** A `values` event: {"station":"st001","values":{"voltage_a":[229.8,1763771400123],…}}. */
export function putValues(station: string, values: Record<string, [number | null, number]>): void {
  const detail = store.details.get(station);
  if (detail) {
    const byKey = new Map(detail.values.map((v) => [v.key, v]));
    for (const [key, [value, ts]] of Object.entries(values)) {
      const old = byKey.get(key);
      byKey.set(key, old ? { ...old, value, ts } : ({ key, label: key, unit: '', value, ts } as StationValue));
    }
    detail.values = [...byKey.values()];
  }
  // Pump feedback travels with the values too: apply it to the summary so the pump state follows telemetry.
  const summary = store.stations.get(station);
  if (summary) {
    let latest = summary.lastTelemetryMs ?? 0;
    const pumps = summary.pumps.map((p) => ({ ...p }));
    for (const [key, [value, ts]] of Object.entries(values)) {
      latest = Math.max(latest, ts);
      const m = /^pump(\d+)\.(running|fault|motor_current)$/.exec(key);
      const pump = m && pumps.find((p) => p.number === Number(m[1]));
      if (!pump || value === null) continue;
      if (m[2] === 'running') pump.running = value !== 0;
      else if (m[2] === 'fault') pump.fault = value !== 0;
      else pump.current = value;
    }
    putStation({ ...summary, pumps, lastTelemetryMs: latest, pumpsRunning: pumps.filter((p) => p.running === true).length });
  }
  changed();
}

export function putCommand(command: Command): void {
  const old = store.commands.get(command.id);
  if (old && old.updatedAt > command.updatedAt) return; // an older state arriving late (poll after event)
  store.commands.set(command.id, command);
  changed();
}

/** Stale when the server says so or when nothing has been heard for longer than the server's threshold. */
export function isStale(s: StationSummary, now = Date.now()): boolean {
  return s.stale || (s.lastTelemetryMs !== null && now - s.lastTelemetryMs > staleAfterMs());
}

/** What the list filters by and the summary bar counts (a station can be in several: running and in alarm). */
export type StationState = 'online' | 'running' | 'alarm' | 'stale' | 'offline';
export const STATION_STATES: readonly StationState[] = ['online', 'running', 'alarm', 'stale', 'offline'];

/**
 * online: reported online with fresh data; running: at least one pump's run feedback on; alarm: an open alarm;
 * stale: data older than the threshold; offline: not reported online (offline, comms lost or never heard).
 */
export function inState(s: StationSummary, state: StationState, now = Date.now(), alarms = openAlarmCount(s)): boolean {
  switch (state) {
    case 'online':
      return s.status === 'online' && !isStale(s, now);
    case 'running':
      return (s.pumpsRunning ?? 0) > 0;
    case 'alarm':
      return alarms > 0;
    case 'stale':
      return isStale(s, now);
    case 'offline':
      return s.status !== 'online';
  }
}

/** The newest moment of an alarm's lifecycle, to drop an older state that arrives after a newer one. */
const alarmProgress = (a: Alarm): number => Math.max(a.raisedAt, a.acknowledgedAt ?? 0, a.clearedAt ?? 0) * 4 + (a.clearedAt ? 2 : 0) + (a.acknowledgedAt ? 1 : 0);

/** An `alarm` event's alarm, or one from an answer. */
export function putAlarm(alarm: Alarm): void {
  const old = store.alarms.get(alarm.id);
  if (old && alarmProgress(old) > alarmProgress(alarm)) return;
  store.alarms.set(alarm.id, alarm);
  changed();
}

/**
 * A list from GET /api/alarms. With `allOpen` it is every open alarm (state=open), so an open one we hold that is not
 * in it was cleared while we were not listening: it is dropped until history brings it back in its cleared state.
 */
export function putAlarms(list: Alarm[], allOpen = false): void {
  if (allOpen) {
    const ids = new Set(list.map((a) => a.id));
    for (const a of [...store.alarms.values()]) if (a.clearedAt === null && !ids.has(a.id)) store.alarms.delete(a.id);
    store.alarmsLoaded = true;
  }
  for (const a of list) {
    const old = store.alarms.get(a.id);
    if (!old || alarmProgress(old) <= alarmProgress(a)) store.alarms.set(a.id, a);
  }
  changed();
}

const SEVERITY_RANK: Record<string, number> = { critical: 0, major: 1, minor: 2 };

/** The API's order: open alarms first, the most severe first, then the newest. */
export function byUrgency(a: Alarm, b: Alarm): number {
  const openA = a.clearedAt === null ? 0 : 1;
  const openB = b.clearedAt === null ? 0 : 1;
  if (openA !== openB) return openA - openB;
  if (openA === 0 && a.severity !== b.severity) return (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9);
  return b.raisedAt - a.raisedAt;
}

/** Open (not cleared) alarms, of one station or all, most urgent first. */
export function openAlarms(station?: string): Alarm[] {
  return [...store.alarms.values()].filter((a) => a.clearedAt === null && (!station || a.station === station)).sort(byUrgency);
}

/** Open alarm count per station (one pass over the alarms, for the list of every station). */
export function openAlarmCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const a of store.alarms.values()) if (a.clearedAt === null) counts.set(a.station, (counts.get(a.station) ?? 0) + 1);
  return counts;
}

/** A station's open alarm count: what we hold once the open alarms are loaded, else the summary's activeAlarms. */
export function openAlarmCount(s: StationSummary): number {
  return store.alarmsLoaded ? openAlarms(s.id).length : s.activeAlarms;
}
