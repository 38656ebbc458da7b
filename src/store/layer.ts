/**
 * The store layer: every rule the StateStore port promises, once, over a StorageBackend's primitives (paging,
 * ordering, watch sources, the commit's stored form, the delivery state machine, leases).
 */
import { InvalidInputError, StoreError, VersionConflictError } from '../errors.js';
import type { IndexEntry, PreparedCommit, RangeRequest, Revised, StorageBackend } from './backend.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { abandoned, afterAttempt, pendingDelivery, rescheduled } from './delivery-records.js';
import { eventIdConflict, sameEvent } from './event-ids.js';
import {
  taskKeyString,
  type ActiveTaskQuery,
  type Delivery,
  type DeliveryAttempt,
  type Page,
  type PageRequest,
  type StateStore,
  type StoredEvent,
  type TaskKey,
  type TaskRecord,
  type TransitionCommit,
  type WatchSource,
} from './port.js';

/** How far past one lease an expiry may lie before it counts as set by a clock that ran ahead (holders may differ in TASKHOOK_LEASE_SECONDS and clocks a little). */
const LEASE_CLOCK_MARGIN_MS = 5 * 60_000;

/** Keys read per call when counting: Tablestore answers up to 5,000 rows of keys in one GetRange. */
const KEY_PAGE = 5_000;
/** Rounds of read-and-retry before a conditional write that keeps losing to concurrent ones gives up. */
const CONTENDED_ROUNDS = 8;

/**
 * How long a reader waits on a feed position no entry holds yet before it reads past it: Tablestore hands positions
 * out before the entries are written, and a writer that lost its answer or crashed leaves one unfilled for good.
 */
export const FEED_GAP_MS = 10_000;
/** Feed entries read per round; a filtered read goes on for a few rounds before it answers with what it has. */
const FEED_BATCH = 200;
const FEED_ROUNDS = 10;

const feedCursor = (position: number) => encodeCursor(`feed:${position}`);

function feedPosition(cursor: string): number | undefined {
  if (cursor === 'now') return undefined;
  if (cursor === 'start') return 0;
  const match = /^[A-Za-z0-9_-]+$/.test(cursor) ? /^feed:(\d{1,15})$/.exec(decodeCursor(cursor) ?? '') : null;
  if (!match)
    throw new InvalidInputError(
      'InvalidCursor',
      'after is not a feed cursor this API returned; start with after=now (or after=start for every event kept)',
      'after',
    );
  return Number(match[1]);
}

const contention = (what: string) => new StoreError(`${what} kept conflicting with concurrent changes; try again`, 'Contention', true);

/** One past the page is asked for: it says whether there is more. */
const rangeFor = (page: PageRequest): RangeRequest => ({ after: decodeCursor(page.cursor), limit: page.limit + 1 });

/**
 * The page of a range asked with `rangeFor`: entries without their record are read by id, and entries whose record
 * is gone (or `keep` refuses) are left out but still move the cursor, so they are not looked at again.
 */
async function pageOf<T>(
  entries: Array<IndexEntry<T>>,
  page: PageRequest,
  read: (ids: string[]) => Promise<Map<string, T>> = async () => new Map(),
  keep: (record: T) => boolean = () => true,
): Promise<Page<T>> {
  const examined = entries.slice(0, page.limit);
  const unread = examined.flatMap((e) => ('id' in e ? [e.id] : []));
  const loaded = unread.length > 0 ? await read(unread) : new Map<string, T>();
  const items = examined.flatMap((e) => {
    const record = 'record' in e ? e.record : loaded.get(e.id);
    return record !== undefined && keep(record) ? [record] : [];
  });
  return { items, ...(entries.length > page.limit ? { cursor: encodeCursor(examined[examined.length - 1].key) } : {}) };
}

/** Task keys are `region/taskId`: a region's tasks sit between `region/` and `region/\uffff` in key order. */
function activeRangeFor(page: ActiveTaskQuery): RangeRequest {
  const cursor = decodeCursor(page.cursor);
  if (page.regionId === undefined) return { after: cursor, limit: page.limit + 1 };
  const prefix = `${page.regionId}/`;
  return { after: cursor ?? prefix + (page.after ?? ''), upTo: prefix + (page.upTo ?? '\uffff'), limit: page.limit + 1 };
}

/** A commit in its stored form: events stamped with the snapshot's time, each delivery once. */
function prepared(c: TransitionCommit): PreparedCommit {
  const key = { regionId: c.key.regionId, taskId: c.key.taskId };
  const recordedAt = c.snapshot.observedAt;
  return {
    key,
    expectedVersion: c.expectedVersion,
    snapshot: c.snapshot,
    sequence: c.sequence,
    active: c.active,
    invalid: c.invalid ?? null,
    pendingVerdict: c.pendingVerdict ?? null,
    updatedAt: recordedAt,
    events: c.events.map((event): StoredEvent => ({ event, ...key, recordedAt })),
    deliveries: firstOfEach(c.deliveries).map(pendingDelivery),
  };
}

/** The first of each id, as an enqueue that names one twice keeps it. */
function firstOfEach<T extends { id: string }>(list: T[]): T[] {
  const seen = new Set<string>();
  return list.filter((d) => !seen.has(d.id) && Boolean(seen.add(d.id)));
}

export function createStateStore(backend: StorageBackend): StateStore {
  const { tasks, events, deliveries, webhooks, leases } = backend;

  /** Readers waiting for this store object's next event commit (the in-process wake-up of a long poll). */
  const waiters = new Set<() => void>();
  const committed = () => {
    for (const wake of [...waiters]) wake();
  };

  const getTask = async (id: string) => (await tasks.get([id])).get(id) ?? null;
  const getDelivery = async (id: string) => (await deliveries.get([id])).get(id) ?? null;
  const withoutRevisions = async <T>(pending: Promise<Map<string, Revised<T>>>) => new Map([...(await pending)].map(([id, r]) => [id, r.value]));

  /** Read-modify-write of one delivery; `change` returns null to leave it. The attempt is appended exactly once. */
  async function moveDelivery(id: string, change: (d: Delivery) => Delivery | null, attempt?: DeliveryAttempt): Promise<void> {
    let unwritten = attempt;
    for (let round = 0; round < CONTENDED_ROUNDS; round++) {
      const current = await getDelivery(id);
      const next = current && change(current.value);
      if (!current || !next) {
        if (unwritten) await deliveries.appendAttempt(unwritten);
        return;
      }
      const done = await deliveries.replace(current, next, unwritten);
      unwritten = undefined;
      if (done) return;
    }
    throw contention(`delivery ${id}`);
  }

  /** The `data.sequence` of the task's newest stored event; 0 when it has none. */
  const lastSequence = async (key: TaskKey): Promise<number> => {
    const [newest] = await events.range({ regionId: key.regionId, taskId: key.taskId }, { limit: 1 });
    if (!newest) return 0;
    const stored = 'record' in newest ? newest.record : (await events.get([newest.id])).get(newest.id);
    const sequence = stored?.event.data.sequence;
    return typeof sequence === 'number' ? sequence : 0;
  };

  return {
    async watchTask(key, source, now) {
      const id = taskKeyString(key);
      for (let round = 0; round < CONTENDED_ROUNDS; round++) {
        const current = await getTask(id);
        if (!current) {
          const record: TaskRecord = {
            regionId: key.regionId,
            taskId: key.taskId,
            sources: [source],
            snapshot: null,
            version: 0,
            // A task watched again after it was unwatched goes on from its last stored event: an event id is a
            // hash of (region, task, sequence), so starting over at 0 would give new events the old ones' ids.
            sequence: await lastSequence(key),
            active: true,
            invalid: null,
            pendingVerdict: null,
            watchedAt: now,
            updatedAt: now,
            lastPolledAt: null,
          };
          if (await tasks.insert(record)) return record;
          continue; // created meanwhile: read it again
        }
        if (current.sources.includes(source)) return current;
        const sources: WatchSource[] = [...current.sources, source];
        if (await tasks.setSources(current, sources)) return { ...current, sources };
      }
      throw contention(`watching ${id}`);
    },

    async unwatchTask(key, source) {
      const id = taskKeyString(key);
      for (let round = 0; round < CONTENDED_ROUNDS; round++) {
        const current = await getTask(id);
        if (!current || !current.sources.includes(source)) return false;
        const left = current.sources.filter((s) => s !== source);
        // The last source gone, the task goes with it.
        if (left.length > 0 ? await tasks.setSources(current, left) : await tasks.delete(current)) return true;
      }
      throw contention(`unwatching ${id}`);
    },

    async getTasks(keys) {
      return tasks.get([...new Set(keys.map(taskKeyString))]);
    },

    async listActiveTasks(page) {
      // An index entry whose task is gone or no longer active is skipped; purge tidies it.
      return pageOf(
        await tasks.range(activeRangeFor(page), true),
        page,
        (ids) => tasks.get(ids),
        (t) => t.active,
      );
    },

    async listActiveRegions() {
      const regions: string[] = [];
      // Keys are `region/taskId`, so one region's keys are contiguous: read one, then skip past its region.
      for (let after: string | undefined; ;) {
        const [first] = await tasks.range({ after, limit: 1 }, true);
        if (!first) return regions;
        const region = first.key.slice(0, first.key.indexOf('/'));
        regions.push(region);
        after = `${region}/\uffff`;
      }
    },

    async countActiveTasks(regionId, sampleEvery) {
      const prefix = `${regionId}/`;
      let count = 0;
      const samples: string[] = [];
      for (let after = prefix; ;) {
        const keys = await tasks.activeKeys({ after, upTo: `${prefix}\uffff`, limit: KEY_PAGE });
        for (const key of keys) if (count++ % sampleEvery === sampleEvery - 1) samples.push(key.slice(prefix.length));
        if (keys.length < KEY_PAGE) return { count, samples };
        after = keys[keys.length - 1];
      }
    },

    async listTasks(page) {
      return pageOf(await tasks.range(rangeFor(page), false), page, (ids) => tasks.get(ids));
    },

    async commitTransition(c) {
      if (!(await tasks.commit(prepared(c)))) throw new VersionConflictError(taskKeyString(c.key));
      if (c.events.length > 0) committed();
    },

    async commitTransitions(list) {
      if (list.length === 0) return [];
      const commits = list.map(prepared);
      const outcomes = tasks.commitMany
        ? await tasks.commitMany(commits)
        : await Promise.all(commits.map((c) => tasks.commit(c).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))));
      if (outcomes.some((o, i) => o === true && list[i].events.length > 0)) committed();
      const failed = outcomes.find((o): o is Error => o instanceof Error);
      if (failed) throw failed;
      return outcomes.map((o) => (o === true ? 'committed' : 'conflict'));
    },

    async markPolled(keys, at) {
      if (keys.length > 0) await tasks.markPolled([...new Set(keys.map(taskKeyString))], at);
    },

    completePendingCommits: () => tasks.completePendingCommits(),

    async appendEvents(list) {
      const byId = new Map<string, StoredEvent>();
      for (const s of list) {
        const first = byId.get(s.event.id);
        if (first && !sameEvent(first.event, s.event)) throw eventIdConflict(s);
        if (!first) byId.set(s.event.id, s);
      }
      if (byId.size === 0) return;
      const fresh = [...byId.values()];
      const clashWith = (present: Map<string, StoredEvent>) =>
        fresh.find((s) => present.has(s.event.id) && !sameEvent(present.get(s.event.id)!.event, s.event));
      // Checked before anything is written, so a conflict known up front leaves the whole call unapplied.
      const stored = clashWith(await events.get([...byId.keys()]));
      if (stored) throw eventIdConflict(stored);
      // Present ones go to the backend too, so one a crash left unindexed gets its index rows; a racing writer is caught after.
      const raced = clashWith(await events.insert(fresh));
      committed();
      if (raced) throw eventIdConflict(raced);
    },

    async getEvent(id) {
      return (await events.get([id])).get(id) ?? null;
    },

    async listEvents(query) {
      const { regionId, taskId, type } = query;
      return pageOf(await events.range({ regionId, taskId, type }, rangeFor(query)), query, (ids) => events.get(ids));
    },

    async readFeed(query) {
      const asked = feedPosition(query.after);
      let position = asked ?? (await events.feedHead());
      const items: StoredEvent[] = [];
      const seen = new Set<string>();
      for (let round = 0; round < FEED_ROUNDS && items.length < query.limit; round++) {
        const entries = await events.feed(position, Math.max(query.limit, FEED_BATCH));
        const taken = [];
        for (const entry of entries) {
          // A position not filled yet may be a commit still being written: wait for it, unless it has been missing long.
          if (entry.position !== position + 1 && Date.now() - entry.at < FEED_GAP_MS) break;
          position = entry.position;
          taken.push(entry);
        }
        const stored = await events.get([...new Set(taken.map((e) => e.eventId))]);
        for (const entry of taken) {
          const s = stored.get(entry.eventId);
          // Gone (purged), listed twice (a retried Tablestore write), or not wanted: passed over, the cursor moves on.
          if (!s || seen.has(entry.eventId) || (query.wants && !query.wants(s))) continue;
          seen.add(entry.eventId);
          items.push(s);
          if (items.length === query.limit) {
            position = entry.position;
            break;
          }
        }
        if (taken.length < entries.length || entries.length < Math.max(query.limit, FEED_BATCH)) break;
      }
      return { items, cursor: feedCursor(position) };
    },

    eventsCommitted(ms, signal) {
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
        if (signal?.aborted) done();
      });
    },

    async enqueueDeliveries(list) {
      await deliveries.insert(firstOfEach(list).map(pendingDelivery));
    },

    listDueDeliveries: (now, limit) => deliveries.due(now, limit),

    async rescheduleDelivery(id, nextAttemptAt) {
      await moveDelivery(id, (d) => rescheduled(d, nextAttemptAt));
    },

    async claimDelivery(id, expectedNextAttemptAt, until) {
      let claimed = false;
      // A lost replace means someone wrote it meanwhile: the next round claims it only if it still waits at that time.
      await moveDelivery(id, (d) => {
        claimed = d.status === 'pending' && d.nextAttemptAt === expectedNextAttemptAt;
        return claimed ? rescheduled(d, until) : null;
      });
      return claimed;
    },

    async abandonDelivery(id, reason, now) {
      await moveDelivery(id, (d) => abandoned(d, reason, now));
    },

    async firstPendingDelivery(webhookId, key) {
      return (await deliveries.pendingInOrder(webhookId, key, 1))[0] ?? null;
    },

    async recordAttempt(attempt, update) {
      await moveDelivery(attempt.deliveryId, (d) => afterAttempt(d, attempt, update), attempt);
    },

    async listDeliveries(query) {
      const { eventId, webhookId } = query;
      return pageOf(await deliveries.range({ eventId, webhookId }, rangeFor(query)), query, (ids) => withoutRevisions(deliveries.get(ids)));
    },

    async listAttempts(query) {
      const { eventId, webhookId } = query;
      return pageOf(await deliveries.rangeAttempts({ eventId, webhookId }, rangeFor(query)), query);
    },

    putWebhook: (webhook) => webhooks.put(webhook),
    async getWebhook(id) {
      return (await webhooks.get(id))?.value ?? null;
    },
    async updateWebhook(id, change) {
      for (let round = 0; round < CONTENDED_ROUNDS; round++) {
        const current = await webhooks.get(id);
        if (!current) return null;
        const next = change(structuredClone(current.value));
        if (!next) return current.value;
        if (await webhooks.replace(current, next)) return next;
      }
      throw contention(`webhook ${id}`);
    },
    async listWebhooks() {
      return (await webhooks.all()).sort((a, b) =>
        a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
      );
    },
    deleteWebhook: (id) => webhooks.delete(id),

    async acquireLease(name, holder, ttlMs, nowMs) {
      const lease = { holder, expiresAtMs: nowMs + ttlMs };
      // Free, or else ours to renew, or expired, or set by a clock that ran ahead (it would hold the lease for as long
      // as that clock was ahead). Five minutes of margin: holders may be set up with other lease lengths.
      return (
        (await leases.insert(name, lease)) ||
        leases.replaceIf(name, lease, { heldBy: holder, expiredBy: nowMs, insaneAfter: nowMs + ttlMs + LEASE_CLOCK_MARGIN_MS })
      );
    },
    releaseLease: (name, holder) => leases.delete(name, holder),

    getMark: (name) => backend.marks.get(name),
    setMark: (name, value, now) => backend.marks.put(name, value, now),

    recordRun: (run) => backend.runs.insert(structuredClone(run)),
    async listRuns(page) {
      return pageOf(await backend.runs.range(rangeFor(page)), page);
    },

    purge: (before, keep = new Set()) => backend.purge(before, keep),
    close: () => backend.close(),
  };
}
