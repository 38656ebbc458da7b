/** StateStore on SQLite (better-sqlite3): the local default. WAL mode; one transaction per transition commit. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { VersionConflictError } from '../errors.js';
import { abandoned, afterAttempt, pendingDelivery, rescheduled } from './delivery-records.js';
import { decodeCursor, encodeCursor, eventSortKey, newestFirstKey } from './cursor.js';
import {
  taskKeyString,
  type Delivery,
  type DeliveryAttempt,
  type NewDelivery,
  type Page,
  type StateStore,
  type StoredEvent,
  type TaskRecord,
  type WebhookRecord,
} from './port.js';

/** Each entry moves the schema one version on; PRAGMA user_version records how far a file has come. */
const MIGRATIONS: string[] = [
  `CREATE TABLE tasks (
     key TEXT PRIMARY KEY, region_id TEXT NOT NULL, task_id TEXT NOT NULL, sources TEXT NOT NULL,
     snapshot TEXT, version INTEGER NOT NULL, sequence INTEGER NOT NULL, active INTEGER NOT NULL,
     invalid TEXT, watched_at TEXT NOT NULL, updated_at TEXT NOT NULL);
   CREATE INDEX tasks_active ON tasks (active, key);
   CREATE TABLE events (
     id TEXT PRIMARY KEY, region_id TEXT NOT NULL, task_id TEXT NOT NULL, type TEXT NOT NULL,
     sort_key TEXT NOT NULL, recorded_at TEXT NOT NULL, body TEXT NOT NULL);
   CREATE INDEX events_by_task ON events (region_id, task_id, sort_key);
   CREATE INDEX events_by_type ON events (type, sort_key);
   CREATE INDEX events_by_time ON events (sort_key);
   CREATE TABLE deliveries (
     id TEXT PRIMARY KEY, event_id TEXT NOT NULL, webhook_id TEXT NOT NULL, sort_key TEXT NOT NULL,
     region_id TEXT NOT NULL, task_id TEXT NOT NULL, sequence INTEGER NOT NULL,
     status TEXT NOT NULL, next_attempt_at TEXT, updated_at TEXT NOT NULL, body TEXT NOT NULL);
   CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status = 'pending';
   CREATE INDEX deliveries_by_event ON deliveries (event_id, sort_key);
   CREATE INDEX deliveries_by_webhook ON deliveries (webhook_id, sort_key);
   CREATE INDEX deliveries_pending_order ON deliveries (webhook_id, region_id, task_id, sequence) WHERE status = 'pending';
   CREATE TABLE attempts (
     delivery_id TEXT NOT NULL, attempt INTEGER NOT NULL, event_id TEXT NOT NULL, webhook_id TEXT NOT NULL,
     at TEXT NOT NULL, sort_key TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (delivery_id, attempt, at));
   CREATE INDEX attempts_by_event ON attempts (event_id, sort_key);
   CREATE INDEX attempts_by_webhook ON attempts (webhook_id, sort_key);
   CREATE INDEX attempts_by_time ON attempts (at);
   CREATE TABLE webhooks (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, body TEXT NOT NULL);
   CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL);`,
];

interface TaskRow {
  key: string;
  region_id: string;
  task_id: string;
  sources: string;
  snapshot: string | null;
  version: number;
  sequence: number;
  active: number;
  invalid: string | null;
  watched_at: string;
  updated_at: string;
}

const toTask = (row: TaskRow): TaskRecord => ({
  regionId: row.region_id,
  taskId: row.task_id,
  sources: JSON.parse(row.sources),
  snapshot: row.snapshot ? JSON.parse(row.snapshot) : null,
  version: row.version,
  sequence: row.sequence,
  active: row.active === 1,
  invalid: row.invalid ? JSON.parse(row.invalid) : null,
  watchedAt: row.watched_at,
  updatedAt: row.updated_at,
});

export function migrate(db: Database.Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return MIGRATIONS.length;
}

export function createSqliteStore(path: string): StateStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);

  const page = <R, T>(sql: string, params: unknown[], limit: number, keyOf: (row: R) => string, map: (row: R) => T): Page<T> => {
    const rows = db.prepare(sql).all(...params, limit + 1) as R[];
    const items = rows.slice(0, limit);
    return { items: items.map(map), ...(rows.length > limit ? { cursor: encodeCursor(keyOf(items[items.length - 1])) } : {}) };
  };

  const insertDelivery = db.prepare(
    `INSERT OR IGNORE INTO deliveries (id, event_id, webhook_id, sort_key, region_id, task_id, sequence, status, next_attempt_at, updated_at, body)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
  );
  const insertDeliveries = (list: NewDelivery[]) => {
    for (const d of list) {
      const delivery = pendingDelivery(d);
      insertDelivery.run(d.id, d.eventId, d.webhookId, newestFirstKey(d.createdAt, d.id), d.regionId, d.taskId, d.sequence, d.dueAt, d.createdAt, JSON.stringify(delivery));
    }
  };
  const insertEvent = db.prepare(`INSERT OR IGNORE INTO events (id, region_id, task_id, type, sort_key, recorded_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const getTask = db.prepare(`SELECT * FROM tasks WHERE key = ?`);

  /** Read-modify-write of one delivery; `change` returns null to leave it as it is. */
  const updateDelivery = (id: string, change: (d: Delivery) => Delivery | null) => {
    const row = db.prepare(`SELECT body FROM deliveries WHERE id = ?`).get(id) as { body: string } | undefined;
    if (!row) return;
    const next = change(JSON.parse(row.body));
    if (!next) return;
    db.prepare(`UPDATE deliveries SET status = ?, next_attempt_at = ?, updated_at = ?, body = ? WHERE id = ?`).run(next.status, next.nextAttemptAt, next.updatedAt, JSON.stringify(next), id);
  };

  const commit = db.transaction((c: Parameters<StateStore['commitTransition']>[0]) => {
    const key = taskKeyString(c.key);
    const moved = db
      .prepare(`UPDATE tasks SET snapshot = ?, version = version + 1, sequence = ?, active = ?, invalid = ?, updated_at = ? WHERE key = ? AND version = ?`)
      .run(JSON.stringify(c.snapshot), c.sequence, c.active ? 1 : 0, c.invalid ? JSON.stringify(c.invalid) : null, c.snapshot.observedAt, key, c.expectedVersion);
    if (moved.changes !== 1) throw new VersionConflictError(key);
    for (const event of c.events) {
      const stored: StoredEvent = { event, regionId: c.key.regionId, taskId: c.key.taskId, recordedAt: c.snapshot.observedAt };
      insertEvent.run(event.id, c.key.regionId, c.key.taskId, event.type, eventSortKey(stored), stored.recordedAt, JSON.stringify(stored));
    }
    insertDeliveries(c.deliveries);
  });

  return {
    async watchTask(key, source, now) {
      return db.transaction(() => {
        const id = taskKeyString(key);
        const row = getTask.get(id) as TaskRow | undefined;
        if (!row) {
          db.prepare(`INSERT INTO tasks (key, region_id, task_id, sources, snapshot, version, sequence, active, invalid, watched_at, updated_at) VALUES (?, ?, ?, ?, NULL, 0, 0, 1, NULL, ?, ?)`).run(
            id, key.regionId, key.taskId, JSON.stringify([source]), now, now,
          );
        } else {
          const sources: string[] = JSON.parse(row.sources);
          if (!sources.includes(source)) db.prepare(`UPDATE tasks SET sources = ? WHERE key = ?`).run(JSON.stringify([...sources, source]), id);
        }
        return toTask(getTask.get(id) as TaskRow);
      })();
    },

    async unwatchTask(key, source) {
      return db.transaction(() => {
        const id = taskKeyString(key);
        const row = getTask.get(id) as TaskRow | undefined;
        const sources: string[] = row ? JSON.parse(row.sources) : [];
        if (!sources.includes(source)) return false;
        const left = sources.filter((s) => s !== source);
        if (left.length === 0) db.prepare(`DELETE FROM tasks WHERE key = ?`).run(id);
        else db.prepare(`UPDATE tasks SET sources = ? WHERE key = ?`).run(JSON.stringify(left), id);
        return true;
      })();
    },

    async getTasks(keys) {
      const out = new Map<string, TaskRecord>();
      for (const key of keys) {
        const row = getTask.get(taskKeyString(key)) as TaskRow | undefined;
        if (row) out.set(row.key, toTask(row));
      }
      return out;
    },

    async listActiveTasks({ cursor, limit }) {
      return page<TaskRow, TaskRecord>(`SELECT * FROM tasks WHERE active = 1 AND key > ? ORDER BY key LIMIT ?`, [decodeCursor(cursor) ?? ''], limit, (r) => r.key, toTask);
    },

    async listTasks({ cursor, limit }) {
      return page<TaskRow, TaskRecord>(`SELECT * FROM tasks WHERE key > ? ORDER BY key LIMIT ?`, [decodeCursor(cursor) ?? ''], limit, (r) => r.key, toTask);
    },

    async commitTransition(c) {
      commit(c);
    },

    async getEvent(id) {
      const row = db.prepare(`SELECT body FROM events WHERE id = ?`).get(id) as { body: string } | undefined;
      return row ? JSON.parse(row.body) : null;
    },

    async listEvents(query) {
      const where = ['sort_key > ?'];
      const params: unknown[] = [decodeCursor(query.cursor) ?? ''];
      if (query.regionId) (where.push('region_id = ?'), params.push(query.regionId));
      if (query.taskId) (where.push('task_id = ?'), params.push(query.taskId));
      if (query.type) (where.push('type = ?'), params.push(query.type));
      return page<{ sort_key: string; body: string }, StoredEvent>(
        `SELECT sort_key, body FROM events WHERE ${where.join(' AND ')} ORDER BY sort_key LIMIT ?`,
        params,
        query.limit,
        (r) => r.sort_key,
        (r) => JSON.parse(r.body),
      );
    },

    async enqueueDeliveries(list) {
      db.transaction(insertDeliveries)(list);
    },

    async listDueDeliveries(now, limit) {
      const rows = db.prepare(`SELECT body FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`).all(now, limit) as { body: string }[];
      return rows.map((r) => JSON.parse(r.body));
    },

    async getDelivery(id) {
      const row = db.prepare(`SELECT body FROM deliveries WHERE id = ?`).get(id) as { body: string } | undefined;
      return row ? JSON.parse(row.body) : null;
    },

    async rescheduleDelivery(id, nextAttemptAt) {
      updateDelivery(id, (d) => rescheduled(d, nextAttemptAt));
    },

    async abandonDelivery(id, reason, now) {
      updateDelivery(id, (d) => abandoned(d, reason, now));
    },

    async firstPendingDelivery(webhookId, key) {
      const row = db
        .prepare(`SELECT body FROM deliveries WHERE status = 'pending' AND webhook_id = ? AND region_id = ? AND task_id = ? ORDER BY sequence LIMIT 1`)
        .get(webhookId, key.regionId, key.taskId) as { body: string } | undefined;
      return row ? JSON.parse(row.body) : null;
    },

    async recordAttempt(attempt: DeliveryAttempt, update) {
      db.transaction(() => {
        db.prepare(`INSERT OR REPLACE INTO attempts (delivery_id, attempt, event_id, webhook_id, at, sort_key, body) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
          attempt.deliveryId, attempt.attempt, attempt.eventId, attempt.webhookId, attempt.at,
          newestFirstKey(attempt.at, `${attempt.deliveryId}#${String(attempt.attempt).padStart(4, '0')}`), JSON.stringify(attempt),
        );
        updateDelivery(attempt.deliveryId, (d) => afterAttempt(d, attempt, update));
      })();
    },

    async listDeliveries(query) {
      const where = ['sort_key > ?'];
      const params: unknown[] = [decodeCursor(query.cursor) ?? ''];
      if (query.eventId) (where.push('event_id = ?'), params.push(query.eventId));
      if (query.webhookId) (where.push('webhook_id = ?'), params.push(query.webhookId));
      return page<{ sort_key: string; body: string }, Delivery>(
        `SELECT sort_key, body FROM deliveries WHERE ${where.join(' AND ')} ORDER BY sort_key LIMIT ?`,
        params, query.limit, (r) => r.sort_key, (r) => JSON.parse(r.body),
      );
    },

    async listAttempts(query) {
      const where = ['sort_key > ?'];
      const params: unknown[] = [decodeCursor(query.cursor) ?? ''];
      if (query.eventId) (where.push('event_id = ?'), params.push(query.eventId));
      if (query.webhookId) (where.push('webhook_id = ?'), params.push(query.webhookId));
      return page<{ sort_key: string; body: string }, DeliveryAttempt>(
        `SELECT sort_key, body FROM attempts WHERE ${where.join(' AND ')} ORDER BY sort_key LIMIT ?`,
        params, query.limit, (r) => r.sort_key, (r) => JSON.parse(r.body),
      );
    },

    async putWebhook(webhook: WebhookRecord) {
      db.prepare(`INSERT OR REPLACE INTO webhooks (id, created_at, body) VALUES (?, ?, ?)`).run(webhook.id, webhook.createdAt, JSON.stringify(webhook));
    },
    async getWebhook(id) {
      const row = db.prepare(`SELECT body FROM webhooks WHERE id = ?`).get(id) as { body: string } | undefined;
      return row ? JSON.parse(row.body) : null;
    },
    async listWebhooks() {
      return (db.prepare(`SELECT body FROM webhooks ORDER BY created_at, id`).all() as { body: string }[]).map((r) => JSON.parse(r.body));
    },
    async deleteWebhook(id) {
      return db.prepare(`DELETE FROM webhooks WHERE id = ?`).run(id).changes === 1;
    },

    async acquireLease(name, holder, ttlMs, nowMs) {
      const result = db
        .prepare(
          `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
           WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
        )
        .run(name, holder, nowMs + ttlMs, nowMs);
      return result.changes === 1;
    },
    async releaseLease(name, holder) {
      db.prepare(`DELETE FROM leases WHERE name = ? AND holder = ?`).run(name, holder);
    },

    async purge(before) {
      return db.transaction(() => ({
        tasks: db.prepare(`DELETE FROM tasks WHERE active = 0 AND updated_at < ?`).run(before).changes,
        events: db.prepare(`DELETE FROM events WHERE recorded_at < ?`).run(before).changes,
        deliveries: db.prepare(`DELETE FROM deliveries WHERE status != 'pending' AND updated_at < ?`).run(before).changes,
        attempts: db.prepare(`DELETE FROM attempts WHERE at < ?`).run(before).changes,
      }))();
    },

    async close() {
      if (db.open) db.close();
    },
  };
}
