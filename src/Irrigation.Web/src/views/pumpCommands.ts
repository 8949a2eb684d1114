// Sending a start/stop: one idempotency key per click, reused for the retries of that click, so a request
// that reached the server but whose answer was lost never becomes a second command.
import { api, ApiError, FINAL_STATES, newIdempotencyKey, type Command, type Pump } from '../api';
import { putCommand, store } from '../store';

export interface PumpOperation {
  station: string;
  pump: number;
  action: 'start' | 'stop';
  key: string;
  phase: 'sending' | 'retrying' | 'failed' | 'accepted';
  error?: ApiError;
  commandId?: string;
}

const AUTO_RETRIES = 3;
const operations = new Map<string, PumpOperation>();
const opKey = (station: string, pump: number): string => `${station}/${pump}`;

export function operationFor(station: string, pump: number): PumpOperation | undefined {
  return operations.get(opKey(station, pump));
}

/** The command to show for a pump: this user's last one, or the newest known one (someone else's). */
export function commandFor(station: string, pump: number): Command | undefined {
  const op = operations.get(opKey(station, pump));
  if (op?.commandId) return store.commands.get(op.commandId);
  let newest: Command | undefined;
  for (const c of store.commands.values())
    if (c.station === station && c.pump === pump && (!newest || c.createdAt > newest.createdAt)) newest = c;
  return newest;
}

/** True while a command for the pump is being sent or has no final state yet. */
export function isPending(station: string, p: Pump): boolean {
  const op = operations.get(opKey(station, p.number));
  if (op && (op.phase === 'sending' || op.phase === 'retrying')) return true;
  const c = commandFor(station, p.number);
  if (c && !FINAL_STATES.has(c.state)) return true;
  const pc = p.pendingCommand;
  if (pc && typeof pc === 'object') {
    const known = store.commands.get(pc.id);
    return !FINAL_STATES.has((known ?? pc).state);
  }
  return Boolean(pc);
}

export async function send(station: string, pump: number, action: 'start' | 'stop', onChange: () => void, retryOf?: PumpOperation): Promise<void> {
  const op: PumpOperation = retryOf ?? { station, pump, action, key: newIdempotencyKey(), phase: 'sending' };
  op.phase = 'sending';
  op.error = undefined;
  operations.set(opKey(station, pump), op);
  onChange();
  for (let attempt = 0; ; attempt++) {
    try {
      const command = await api.sendCommand(station, pump, action, op.key);
      op.phase = 'accepted';
      op.commandId = command.id;
      putCommand(command);
      onChange();
      return;
    } catch (e) {
      const error = e instanceof ApiError ? e : new ApiError(0, 'network', undefined, undefined);
      if (error.transient && attempt < AUTO_RETRIES) {
        op.phase = 'retrying';
        onChange();
        await new Promise((r) => setTimeout(r, 1500 * (attempt + 1)));
        continue;
      }
      op.phase = 'failed';
      op.error = error;
      onChange();
      return;
    }
  }
}
