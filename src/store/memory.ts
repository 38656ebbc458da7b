/** In-memory StateStore: for unit tests and TASKHOOK_STORE=memory. Everything is lost when the process ends. */
import { VersionConflictError } from '../errors.js';
import {
  taskKeyString,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryUpdate,
  type EventQuery,
  type NewDelivery,
  type Page,
  type PageRequest,
  type RetentionResult,
  type StateStore,
  type StoredEvent,
  type TaskKey,
  type TaskRecord,
  type TransitionCommit,
  type WatchSource,
  type WebhookRecord,
} from './port.js';
import { abandoned, afterAttempt, pendingDelivery, rescheduled } from './delivery-records.js';
import { decodeCursor, encodeCursor, eventSortKey, newestFirstKey } from './cursor.js';

const clone = <T>(value: T): T => structuredClone(value);

export function createMemoryStore(): StateStore {
  const tasks = new Map<string, TaskRecord>();
  const events = new Map<string, StoredEvent>();
  const deliveries = new Map<string, Delivery>();
  const attempts: DeliveryAttempt[] = [];
  const webhooks = new Map<string, WebhookRecord>();
  const leases = new Map<string, { holder: string; expiresAt: number }>();

  /** Sorted by key, paged by the last key returned. */
  const pageOf = <T>(entries: [string, T][], page: PageRequest): Page<T> => {
    const after = decodeCursor(page.cursor);
    const sorted = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).filter(([k]) => after === undefined || k > after);
    const slice = sorted.slice(0, page.limit);
    const more = sorted.length > page.limit;
    return { items: slice.map(([, v]) => clone(v)), ...(more ? { cursor: encodeCursor(slice[slice.length - 1][0]) } : {}) };
  };

  const insertDeliveries = (list: NewDelivery[]) => {
    for (const d of list) {
      if (deliveries.has(d.id)) continue;
      deliveries.set(d.id, pendingDelivery(clone(d)));
    }
  };

  return {
    async watchTask(key: TaskKey, source: WatchSource, now: string) {
      const id = taskKeyString(key);
      const existing = tasks.get(id);
      if (existing) {
        if (!existing.sources.includes(source)) existing.sources.push(source);
        return clone(existing);
      }
      const record: TaskRecord = { ...key, sources: [source], snapshot: null, version: 0, sequence: 0, active: true, invalid: null, watchedAt: now, updatedAt: now };
      tasks.set(id, record);
      return clone(record);
    },

    async unwatchTask(key, source) {
      const id = taskKeyString(key);
      const existing = tasks.get(id);
      if (!existing || !existing.sources.includes(source)) return false;
      existing.sources = existing.sources.filter((s) => s !== source);
      if (existing.sources.length === 0) tasks.delete(id);
      return true;
    },

    async getTasks(keys) {
      const out = new Map<string, TaskRecord>();
      for (const key of keys) {
        const record = tasks.get(taskKeyString(key));
        if (record) out.set(taskKeyString(key), clone(record));
      }
      return out;
    },

    async listActiveTasks(page) {
      return pageOf([...tasks].filter(([, t]) => t.active), page);
    },

    async listTasks(page) {
      return pageOf([...tasks], page);
    },

    async commitTransition(commit: TransitionCommit) {
      const id = taskKeyString(commit.key);
      const existing = tasks.get(id);
      if (!existing || existing.version !== commit.expectedVersion) throw new VersionConflictError(id);
      for (const event of commit.events) {
        if (!events.has(event.id)) events.set(event.id, { event: clone(event), regionId: commit.key.regionId, taskId: commit.key.taskId, recordedAt: commit.snapshot.observedAt });
      }
      insertDeliveries(commit.deliveries);
      Object.assign(existing, {
        snapshot: clone(commit.snapshot),
        version: existing.version + 1,
        sequence: commit.sequence,
        active: commit.active,
        invalid: commit.invalid ?? null,
        updatedAt: commit.snapshot.observedAt,
      });
    },

    async getEvent(id) {
      const stored = events.get(id);
      return stored ? clone(stored) : null;
    },

    async listEvents(query: EventQuery) {
      const matching = [...events.values()].filter(
        (e) =>
          (!query.regionId || e.regionId === query.regionId) &&
          (!query.taskId || e.taskId === query.taskId) &&
          (!query.type || e.event.type === query.type),
      );
      // Newest first: the sort key is the inverted time, then the id.
      return pageOf(matching.map((e) => [eventSortKey(e), e]), query);
    },

    async enqueueDeliveries(list) {
      insertDeliveries(list);
    },

    async listDueDeliveries(now, limit) {
      return [...deliveries.values()]
        .filter((d) => d.status === 'pending' && d.nextAttemptAt !== null && d.nextAttemptAt <= now)
        .sort((a, b) => (a.nextAttemptAt! < b.nextAttemptAt! ? -1 : a.nextAttemptAt! > b.nextAttemptAt! ? 1 : a.id < b.id ? -1 : 1))
        .slice(0, limit)
        .map(clone);
    },

    async getDelivery(id) {
      const d = deliveries.get(id);
      return d ? clone(d) : null;
    },

    async rescheduleDelivery(id, nextAttemptAt) {
      const d = deliveries.get(id);
      const next = d && rescheduled(d, nextAttemptAt);
      if (next) deliveries.set(id, next);
    },

    async abandonDelivery(id, reason, now) {
      const d = deliveries.get(id);
      const next = d && abandoned(d, reason, now);
      if (next) deliveries.set(id, next);
    },

    async firstPendingDelivery(webhookId, key) {
      const pending = [...deliveries.values()]
        .filter((d) => d.status === 'pending' && d.webhookId === webhookId && d.regionId === key.regionId && d.taskId === key.taskId)
        .sort((a, b) => a.sequence - b.sequence);
      return pending[0] ? clone(pending[0]) : null;
    },

    async recordAttempt(attempt: DeliveryAttempt, update: DeliveryUpdate) {
      attempts.push(clone(attempt));
      const d = deliveries.get(attempt.deliveryId);
      if (d) deliveries.set(d.id, afterAttempt(d, attempt, update));
    },

    async listDeliveries(query) {
      const matching = [...deliveries.values()].filter((d) => (!query.eventId || d.eventId === query.eventId) && (!query.webhookId || d.webhookId === query.webhookId));
      return pageOf(matching.map((d) => [newestFirstKey(d.createdAt, d.id), d]), query);
    },

    async listAttempts(query) {
      const matching = attempts.filter((a) => (!query.eventId || a.eventId === query.eventId) && (!query.webhookId || a.webhookId === query.webhookId));
      return pageOf(matching.map((a) => [newestFirstKey(a.at, `${a.deliveryId}#${String(a.attempt).padStart(4, '0')}`), a]), query);
    },

    async putWebhook(webhook) {
      webhooks.set(webhook.id, clone(webhook));
    },
    async getWebhook(id) {
      const w = webhooks.get(id);
      return w ? clone(w) : null;
    },
    async listWebhooks() {
      return [...webhooks.values()].sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1)).map(clone);
    },
    async deleteWebhook(id) {
      return webhooks.delete(id);
    },

    async acquireLease(name, holder, ttlMs, nowMs) {
      const lease = leases.get(name);
      if (lease && lease.holder !== holder && lease.expiresAt > nowMs) return false;
      leases.set(name, { holder, expiresAt: nowMs + ttlMs });
      return true;
    },
    async releaseLease(name, holder) {
      if (leases.get(name)?.holder === holder) leases.delete(name);
    },

    async purge(before): Promise<RetentionResult> {
      const result: RetentionResult = { tasks: 0, events: 0, deliveries: 0, attempts: 0 };
      for (const [id, t] of tasks) if (!t.active && t.updatedAt < before) (tasks.delete(id), result.tasks++);
      for (const [id, e] of events) if (e.recordedAt < before) (events.delete(id), result.events++);
      for (const [id, d] of deliveries) if (d.status !== 'pending' && d.updatedAt < before) (deliveries.delete(id), result.deliveries++);
      for (let i = attempts.length - 1; i >= 0; i--) if (attempts[i].at < before) (attempts.splice(i, 1), result.attempts++);
      return result;
    },

    async close() {},
  };
}
