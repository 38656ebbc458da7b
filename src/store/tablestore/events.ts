/** Events: the row by id, written only if absent, and its index rows (all, task, type) that list it newest first. */
import type { EventRows } from '../backend.js';
import { sameEvent } from '../event-ids.js';
import type { StoredEvent } from '../port.js';
import { str, type Db, type Row } from './client.js';
import { eventIndexRows, eventRow, rowsById, listingRange, uniqueRows } from './rows.js';
import type { Tables } from './schema.js';

const parseEvent = (row: Row) => JSON.parse(str(row.attrs.body)!) as StoredEvent;

/** Stored exactly so (same body, time and task) by an earlier try, which may have stopped before indexing it. */
const storedSo = (existing: StoredEvent, s: StoredEvent) =>
  sameEvent(existing.event, s.event) && existing.recordedAt === s.recordedAt && existing.regionId === s.regionId && existing.taskId === s.taskId;

/**
 * Writes the event rows that are absent, before anything that lists them; returns the ones already there (as stored)
 * and the ones to index: the new ones and those an earlier try stored exactly so.
 */
export async function writeEventRows(db: Db, t: Tables, stored: StoredEvent[]): Promise<{ present: Map<string, StoredEvent>; toIndex: StoredEvent[] }> {
  if (stored.length === 0) return { present: new Map(), toIndex: [] };
  const outcomes = await db.batchWrite(stored.map((s) => eventRow(t, s)));
  const taken = stored.filter((_, i) => outcomes[i] === 'conditionFailed').map((s) => s.event.id);
  const present = taken.length > 0 ? await rowsById(db, t.events, taken, parseEvent) : new Map<string, StoredEvent>();
  const toIndex = stored.filter((s, i) => outcomes[i] === 'ok' || (present.has(s.event.id) && storedSo(present.get(s.event.id)!, s)));
  return { present, toIndex };
}

export function eventRows(db: Db, t: Tables): EventRows {
  return {
    get: (ids) => rowsById(db, t.events, ids, parseEvent),

    async insert(list) {
      const { present, toIndex } = await writeEventRows(db, t, list);
      await db.batchWrite(uniqueRows(toIndex.flatMap((s) => eventIndexRows(t, s))));
      return present;
    },

    async range(filter, range) {
      // The narrowest scope the filter names; its other conditions filter the scope's index rows.
      const scope = filter.regionId && filter.taskId ? `task:${filter.regionId}/${filter.taskId}` : filter.type ? `type:${filter.type}` : 'all';
      const matches = (r: Row) =>
        (!filter.regionId || r.attrs.region_id === filter.regionId) &&
        (!filter.taskId || r.attrs.task_id === filter.taskId) &&
        (!filter.type || r.attrs.type === filter.type);
      const covered = scope.startsWith('task:') ? !filter.type : !filter.regionId && !filter.taskId;
      const rows = await listingRange(db, t.event_index, scope, range, covered ? undefined : matches);
      return rows.map((r) => ({ key: str(r.key.sort_key)!, id: str(r.attrs.event_id)! }));
    },
  };
}
