/** In-memory StateStore: for unit tests and TASKHOOK_STORE=memory. Everything is lost when the process ends. */
import type { FeedEntry, Lease, RangeRequest, StorageBackend } from './backend.js';
import { attemptSortKey, deliverySortKey, eventSortKey, orderSortKey, runSortKey } from './cursor.js';
import { eventIdConflict, sameEvent } from './event-ids.js';
import { createStateStore } from './layer.js';
import {
  taskKeyString,
  type Delivery,
  type DeliveryAttempt,
  type RetentionResult,
  type RunRecord,
  type StateStore,
  type StoredEvent,
  type TaskRecord,
  type WebhookRecord,
} from './port.js';
import { purgeable } from './retention.js';

const clone = <T>(value: T): T => structuredClone(value);

/** The entries after the cursor in key order, up to the limit, each holding a copy of its record. */
function rangeOf<T>(entries: Array<[key: string, record: T]>, range: RangeRequest): Array<{ key: string; record: T }> {
  return entries
    .filter(([key]) => (range.after === undefined || key > range.after) && (range.upTo === undefined || key <= range.upTo))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, range.limit)
    .map(([key, record]) => ({ key, record: clone(record) }));
}

function pick<T>(map: Map<string, T>, ids: string[]): Map<string, T> {
  return new Map(ids.flatMap((id) => (map.has(id) ? [[id, clone(map.get(id)!)] as const] : [])));
}

export function createMemoryStore(): StateStore {
  const tasks = new Map<string, TaskRecord>();
  const events = new Map<string, StoredEvent>();
  /** The feed in position order; a purged event's entry goes with it. */
  let feed: FeedEntry[] = [];
  let feedHead = 0;
  const storeEvent = (stored: StoredEvent) => {
    if (events.has(stored.event.id)) return;
    events.set(stored.event.id, clone(stored));
    feed.push({ position: ++feedHead, eventId: stored.event.id, at: Date.now() });
  };
  /** Each delivery with a revision that moves on every change. */
  const deliveries = new Map<string, { value: Delivery; revision: string }>();
  const attempts: DeliveryAttempt[] = [];
  const webhooks = new Map<string, { value: WebhookRecord; revision: string }>();
  const leases = new Map<string, Lease>();
  const marks = new Map<string, string>();
  /** By runSortKey. */
  const runs = new Map<string, RunRecord>();
  let revisions = 0;
  const revise = <T>(value: T) => ({ value: clone(value), revision: String(++revisions) });

  const backend: StorageBackend = {
    tasks: {
      get: async (ids) => pick(tasks, ids),
      async insert(record) {
        const id = taskKeyString(record);
        if (tasks.has(id)) return false;
        tasks.set(id, clone(record));
        return true;
      },
      async setSources(current, sources) {
        const record = tasks.get(taskKeyString(current));
        if (!record || JSON.stringify(record.sources) !== JSON.stringify(current.sources)) return false;
        record.sources = [...sources];
        return true;
      },
      async delete(current) {
        const id = taskKeyString(current);
        const record = tasks.get(id);
        if (!record || record.version !== current.version || JSON.stringify(record.sources) !== JSON.stringify(current.sources)) return false;
        return tasks.delete(id);
      },
      range: async (range, activeOnly) =>
        rangeOf(
          [...tasks].filter(([, t]) => !activeOnly || t.active).map(([id, t]) => [id, t]),
          range,
        ),
      async commit(c) {
        const record = tasks.get(taskKeyString(c.key));
        if (!record || record.version !== c.expectedVersion) return false;
        // Checked before anything is written, so a conflict leaves the commit wholly unapplied.
        const clash = c.events.find((s) => events.has(s.event.id) && !sameEvent(events.get(s.event.id)!.event, s.event));
        if (clash) throw eventIdConflict(clash);
        for (const stored of c.events) storeEvent(stored);
        for (const d of c.deliveries) if (!deliveries.has(d.id)) deliveries.set(d.id, revise(d));
        const { snapshot, sequence, active, invalid, pendingVerdict, updatedAt } = clone(c);
        Object.assign(record, { snapshot, version: record.version + 1, sequence, active, invalid, pendingVerdict, updatedAt });
        return true;
      },
      completePendingCommits: async () => 0,
      activeKeys: async (range) =>
        [...tasks]
          .filter(([key, t]) => t.active && (range.after === undefined || key > range.after) && (range.upTo === undefined || key <= range.upTo))
          .map(([key]) => key)
          .sort()
          .slice(0, range.limit),
      async markPolled(ids, at) {
        for (const id of ids) {
          const record = tasks.get(id);
          if (record) record.lastPolledAt = at;
        }
      },
    },

    marks: {
      get: async (name) => marks.get(name) ?? null,
      put: async (name, value) => void marks.set(name, value),
    },

    runs: {
      async insert(run) {
        const key = runSortKey(run);
        if (!runs.has(key)) runs.set(key, clone(run));
      },
      range: async (range) => rangeOf([...runs], range),
    },

    events: {
      get: async (ids) => pick(events, ids),
      async insert(list) {
        const present = pick(
          events,
          list.map((s) => s.event.id),
        );
        for (const stored of list) storeEvent(stored);
        return present;
      },
      feed: async (position, limit) => feed.filter((e) => e.position > position).slice(0, limit),
      feedHead: async () => feedHead,
      async range(filter, range) {
        const matching = [...events.values()].filter(
          (e) =>
            (!filter.regionId || e.regionId === filter.regionId) &&
            (!filter.taskId || e.taskId === filter.taskId) &&
            (!filter.type || e.event.type === filter.type),
        );
        return rangeOf(
          matching.map((e) => [eventSortKey(e), e]),
          range,
        );
      },
    },

    deliveries: {
      async insert(list) {
        for (const d of list) if (!deliveries.has(d.id)) deliveries.set(d.id, revise(d));
      },
      get: async (ids) => pick(deliveries, ids),
      async replace(current, next, attempt) {
        if (attempt) attempts.push(clone(attempt));
        if (deliveries.get(current.value.id)?.revision !== current.revision) return false;
        deliveries.set(next.id, revise(next));
        return true;
      },
      async appendAttempt(attempt) {
        attempts.push(clone(attempt));
      },
      async due(now, limit) {
        return [...deliveries.values()]
          .map((d) => d.value)
          .filter((d) => d.status === 'pending' && d.nextAttemptAt !== null && d.nextAttemptAt <= now)
          .sort((a, b) => (a.nextAttemptAt! < b.nextAttemptAt! ? -1 : a.nextAttemptAt! > b.nextAttemptAt! ? 1 : a.id < b.id ? -1 : 1))
          .slice(0, limit)
          .map(clone);
      },
      async pendingInOrder(webhookId, key, limit) {
        const pending = [...deliveries.values()]
          .map((d) => d.value)
          .filter((d) => d.status === 'pending' && d.webhookId === webhookId && d.regionId === key.regionId && d.taskId === key.taskId);
        return rangeOf(
          pending.map((d) => [orderSortKey(d), d]),
          { limit },
        ).map((e) => e.record);
      },
      async range(filter, range) {
        const matching = [...deliveries.values()]
          .map((d) => d.value)
          .filter((d) => (!filter.eventId || d.eventId === filter.eventId) && (!filter.webhookId || d.webhookId === filter.webhookId));
        return rangeOf(
          matching.map((d) => [deliverySortKey(d), d]),
          range,
        );
      },
      async rangeAttempts(filter, range) {
        const matching = attempts.filter((a) => (!filter.eventId || a.eventId === filter.eventId) && (!filter.webhookId || a.webhookId === filter.webhookId));
        return rangeOf(
          matching.map((a) => [attemptSortKey(a), a]),
          range,
        );
      },
    },

    webhooks: {
      async get(id) {
        const w = webhooks.get(id);
        return w ? clone(w) : null;
      },
      async put(webhook) {
        webhooks.set(webhook.id, revise(webhook));
      },
      async replace(current, next) {
        if (webhooks.get(current.value.id)?.revision !== current.revision) return false;
        webhooks.set(current.value.id, revise({ ...next, id: current.value.id }));
        return true;
      },
      all: async () => [...webhooks.values()].map((w) => clone(w.value)),
      delete: async (id) => webhooks.delete(id),
    },

    leases: {
      async insert(name, lease) {
        if (leases.has(name)) return false;
        leases.set(name, { ...lease });
        return true;
      },
      async replaceIf(name, lease, when) {
        const current = leases.get(name);
        if (!current || (current.holder !== when.heldBy && current.expiresAtMs > when.expiredBy && current.expiresAtMs <= when.insaneAfter)) return false;
        leases.set(name, { ...lease });
        return true;
      },
      async delete(name, holder) {
        if (leases.get(name)?.holder === holder) leases.delete(name);
      },
    },

    async purge(before, keep): Promise<RetentionResult> {
      const result: RetentionResult = { tasks: 0, events: 0, deliveries: 0, attempts: 0, runs: 0 };
      for (const [id, t] of tasks)
        if (purgeable.task({ ...t, key: id }, before, keep)) {
          tasks.delete(id);
          result.tasks++;
        }
      for (const [id, e] of events)
        if (purgeable.event(e, before)) {
          events.delete(id);
          result.events++;
        }
      feed = feed.filter((e) => events.has(e.eventId));
      for (const [id, d] of deliveries)
        if (purgeable.delivery(d.value, before)) {
          deliveries.delete(id);
          result.deliveries++;
        }
      for (let i = attempts.length - 1; i >= 0; i--)
        if (purgeable.attempt(attempts[i], before)) {
          attempts.splice(i, 1);
          result.attempts++;
        }
      for (const [key, r] of runs)
        if (purgeable.run(r, before)) {
          runs.delete(key);
          result.runs++;
        }
      return result;
    },

    async close() {},
  };
  return createStateStore(backend);
}
