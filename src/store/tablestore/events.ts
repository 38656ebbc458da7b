/** Events: the row by id, written only if absent, and its index rows (all, task, type) that list it newest first. */
import { StoreError } from '../../errors.js';
import type { EventRows, FeedEntry } from '../backend.js';
import { sameEvent } from '../event-ids.js';
import type { StoredEvent } from '../port.js';
import { applied, equals, ignore, long, mustExist, mustNotExist, num, str, type Db, type Row, type WriteRow } from './client.js';
import { eventIndexRows, eventRow, rowsById, listingRange, scopeRange, uniqueRows } from './rows.js';
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

/** The feed's entries live in event_index under scope `feed`, by zero-padded position; its counter in one row beside them. */
const FEED_SCOPE = 'feed';
const FEED_HEAD: [string, string] = ['feed-head', 'next'];
const FEED_ROUNDS = 32;
const lastHead = new WeakMap<Db, number>();
const feedKey = (position: number) => String(position).padStart(16, '0');

async function feedHead(db: Db, t: Tables): Promise<{ next: number; exists: boolean }> {
  const row = await db.getRow(t.event_index, FEED_HEAD);
  return row ? { next: num(row.attrs.next), exists: true } : { next: 0, exists: false };
}

/**
 * Takes `count` positions from the counter (a conditional write: racing writers each get their own) and returns the
 * feed rows for `stored` at them. A lost answer may cost positions no entry fills; readers skip such gaps after a wait.
 */
export async function feedRows(db: Db, t: Tables, stored: StoredEvent[]): Promise<WriteRow[]> {
  if (stored.length === 0) return [];
  // The commits of one process take their positions one after another: only other processes can race for the counter.
  const before = taking.get(db) ?? Promise.resolve();
  const mine = before.then(() => takePositions(db, t, stored));
  taking.set(
    db,
    mine.catch(() => undefined),
  );
  return mine;
}

/** Per store client, the last position-taking in flight. */
const taking = new WeakMap<Db, Promise<unknown>>();

async function takePositions(db: Db, t: Tables, stored: StoredEvent[]): Promise<WriteRow[]> {
  for (let round = 0; round < FEED_ROUNDS; round++) {
    // Racing processes back off by a jittered, growing pause, so one of them wins the next round.
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** round)));
    // The counter as this process last left it saves a read; a conditional write that fails reads it afresh.
    const known = lastHead.get(db);
    const head = known !== undefined && round === 0 ? { next: known, exists: true } : await feedHead(db, t);
    const next = long(head.next + stored.length);
    const taken = head.exists
      ? await applied(db.updateRow(t.event_index, FEED_HEAD, { put: { next } }, mustExist(equals('next', long(head.next)))))
      : await applied(db.putRow(t.event_index, FEED_HEAD, { next }, mustNotExist()));
    if (!taken) {
      lastHead.delete(db);
      continue;
    }
    lastHead.set(db, head.next + stored.length);
    const at = long(Date.now());
    return stored.map((s, i) => ({
      type: 'PUT',
      table: t.event_index,
      key: [FEED_SCOPE, feedKey(head.next + i + 1)],
      attrs: { event_id: s.event.id, at },
      condition: ignore(),
    }));
  }
  throw new StoreError('the event feed counter kept conflicting with concurrent commits; try again', 'Contention', true);
}

export function eventRows(db: Db, t: Tables): EventRows {
  return {
    get: (ids) => rowsById(db, t.events, ids, parseEvent),

    async insert(list) {
      const { present, toIndex } = await writeEventRows(db, t, list);
      await db.batchWrite(uniqueRows([...toIndex.flatMap((s) => eventIndexRows(t, s)), ...(await feedRows(db, t, toIndex))]));
      return present;
    },

    async feed(position, limit): Promise<FeedEntry[]> {
      const rows = await scopeRange(db, t.event_index, FEED_SCOPE, { after: feedKey(position), limit });
      return rows.map((r) => ({ position: Number(str(r.key.sort_key)), eventId: str(r.attrs.event_id)!, at: num(r.attrs.at) }));
    },

    feedHead: async () => (await feedHead(db, t)).next,

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
