/** Event ids are deterministic: an event already stored under an id is the same event, or two events collided. */
import { StoreError } from '../errors.js';
import type { StoredEvent } from './port.js';
import type { TaskEvent } from '../tasks/events.js';

/** JSON with every object's keys sorted: two stores may keep the same event with its keys in another order. */
const canonicalJson = (value: unknown) =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );

export const sameEvent = (a: TaskEvent, b: TaskEvent) => canonicalJson(a) === canonicalJson(b);

/** A commit whose event would silently stand in for a different one: it fails instead. */
export function eventIdConflict(incoming: StoredEvent): StoreError {
  return new StoreError(
    `event ${incoming.event.id} of task ${incoming.regionId}/${incoming.taskId} is already stored with a different body; two different events got one id`,
    'EventIdConflict',
  );
}
