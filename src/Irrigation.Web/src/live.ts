// Live updates: one EventSource on /api/events (station, values, command, alarm and planRun events), reconnected with back-off;
// while it is down, the open view is refreshed by polling every 10 s. Commands still in progress are also
// polled now and then, so a missed event never leaves a command shown as pending.
import { api, ApiError, FINAL_STATES, type Alarm, type Command, type StationSummary } from './api';
import { changed, putAlarm, putCommand, putStation, putValues, store } from './store';

const POLL_MS = 10_000;
const COMMAND_POLL_MS = 4_000;

let source: EventSource | null = null;
let reconnectTimer = 0;
let backoffMs = 1_000;
let pollTimer = 0;
let commandTimer = 0;
let refreshView: () => Promise<void> = async () => {};
let onSignedOut: () => void = () => {};
let planRunListener: (() => void) | undefined;

/** Called on each `planRun` event (a scheduled run started, stopped or did not run), by the view that shows runs. */
export function setPlanRunListener(listener: (() => void) | undefined): void {
  planRunListener = listener;
}

/** What the open view fetches to catch up (after a reconnect, and while polling). */
export function setViewRefresher(refresh: () => Promise<void>): void {
  refreshView = refresh;
}

let watchingNetwork = false;

export function startLive(signedOut: () => void): void {
  onSignedOut = signedOut;
  if (!watchingNetwork) watchNetwork();
  connect();
  commandTimer = window.setInterval(pollCommands, COMMAND_POLL_MS);
}

function watchNetwork(): void {
  watchingNetwork = true;
  window.addEventListener('online', () => {
    store.networkUp = true;
    changed();
    if (store.streamDown && source) connect();
  });
  window.addEventListener('offline', () => {
    store.networkUp = false;
    changed();
  });
}

export function stopLive(): void {
  source?.close();
  source = null;
  window.clearTimeout(reconnectTimer);
  window.clearInterval(pollTimer);
  window.clearInterval(commandTimer);
  pollTimer = 0;
  store.streamDown = false;
}

function connect(): void {
  window.clearTimeout(reconnectTimer);
  source?.close();
  const es = new EventSource('/api/events', { withCredentials: true });
  source = es;
  es.onopen = () => {
    const wasDown = store.streamDown;
    store.streamDown = false;
    backoffMs = 1_000;
    stopPolling();
    changed();
    if (wasDown) void refreshView().catch(() => {});
  };
  es.onerror = () => {
    store.streamDown = true;
    changed();
    startPolling();
    if (es.readyState === EventSource.CLOSED) {
      // The browser gave up (e.g. an HTTP error): find out whether the session is gone, then retry ourselves.
      api.me().then(
        () => scheduleReconnect(),
        (e: unknown) => (e instanceof ApiError && e.status === 401 ? onSignedOut() : scheduleReconnect()),
      );
    }
  };
  es.addEventListener('station', (e) => putStation(JSON.parse((e as MessageEvent<string>).data) as StationSummary));
  es.addEventListener('values', (e) => {
    const data = JSON.parse((e as MessageEvent<string>).data) as { station: string; values: Record<string, [number | null, number]> };
    putValues(data.station, data.values);
  });
  es.addEventListener('command', (e) => putCommand(JSON.parse((e as MessageEvent<string>).data) as Command));
  // {"event":"raised|acknowledged|cleared","alarm":{…}}: the alarm carries its whole state, so the event name is not needed.
  es.addEventListener('alarm', (e) => putAlarm((JSON.parse((e as MessageEvent<string>).data) as { event: string; alarm: Alarm }).alarm));
  es.addEventListener('planRun', () => planRunListener?.());
}

function scheduleReconnect(): void {
  if (source?.readyState !== EventSource.CLOSED) return;
  window.clearTimeout(reconnectTimer);
  reconnectTimer = window.setTimeout(connect, backoffMs * (0.8 + Math.random() * 0.4));
  backoffMs = Math.min(backoffMs * 2, 30_000);
}

function startPolling(): void {
  if (pollTimer) return;
  pollTimer = window.setInterval(() => void refreshView().catch(() => {}), POLL_MS);
}

function stopPolling(): void {
  window.clearInterval(pollTimer);
  pollTimer = 0;
}

async function pollCommands(): Promise<void> {
  const open = [...store.commands.values()].filter((c) => !FINAL_STATES.has(c.state));
  for (const c of open) {
    try {
      putCommand(await api.command(c.id));
    } catch {
      // offline or gone: the next round tries again
    }
  }
}
