/**
 * The SQLite backend (better-sqlite3): the local default. WAL mode; one transaction per transition commit. Several
 * processes may share one file (the API and a `taskhook poll --once`): every write is a BEGIN IMMEDIATE transaction,
 * so it waits (busy_timeout) for the write lock up front instead of failing on a snapshot another writer made stale.
 */
import Database from 'better-sqlite3';
import type { Lease, PreparedCommit, RangeRequest, StorageBackend } from './backend.js';
import { attemptSortKey, deliverySortKey, eventSortKey, runSortKey } from './cursor.js';
import { eventIdConflict, sameEvent } from './event-ids.js';
import { createStateStore } from './layer.js';
import { corruptStateError, isFileFault, storeErrorOf } from './sqlite-errors.js';
import { createInPlace, fileVerdict, moveAside, preparePrivateFolder, privacyNotice, stateFilesOf, tightenFiles } from './sqlite-file.js';
import {
  taskKeyString,
  type Delivery,
  type DeliveryAttempt,
  type PendingVerdict,
  type RunRecord,
  type StateStore,
  type StoredEvent,
  type TaskRecord,
  type WatchSource,
  type WebhookRecord,
} from './port.js';
import type { TaskSnapshot } from '../tasks/snapshot.js';

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
  `ALTER TABLE tasks ADD COLUMN pending_verdict TEXT;`,
  `ALTER TABLE tasks ADD COLUMN last_polled_at TEXT;
   CREATE TABLE marks (name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);`,
  // The run log: one row per poll run, listed newest first by sort_key, purged by finished_at.
  `CREATE TABLE runs (sort_key TEXT PRIMARY KEY, id TEXT NOT NULL, finished_at TEXT NOT NULL, body TEXT NOT NULL);
   CREATE INDEX runs_by_finish ON runs (finished_at);`,
  // The commit-ordered feed: AUTOINCREMENT never hands out a position again, even after the newest rows are purged.
  // Events stored before it get positions in the order they were recorded.
  `CREATE TABLE feed (position INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, at INTEGER NOT NULL);
   INSERT INTO feed (event_id, at) SELECT id, CAST(strftime('%s', recorded_at) AS INTEGER) * 1000 FROM events ORDER BY sort_key DESC;`,
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
  pending_verdict: string | null;
  watched_at: string;
  updated_at: string;
  last_polled_at: string | null;
}

const toTask = (row: TaskRow): TaskRecord => ({
  regionId: row.region_id,
  taskId: row.task_id,
  sources: JSON.parse(row.sources) as WatchSource[],
  snapshot: row.snapshot ? (JSON.parse(row.snapshot) as TaskSnapshot) : null,
  version: row.version,
  sequence: row.sequence,
  active: row.active === 1,
  invalid: row.invalid ? (JSON.parse(row.invalid) as TaskRecord['invalid']) : null,
  pendingVerdict: row.pending_verdict ? (JSON.parse(row.pending_verdict) as PendingVerdict) : null,
  watchedAt: row.watched_at,
  updatedAt: row.updated_at,
  lastPolledAt: row.last_polled_at ?? null,
});

/** How long a process waits for another's write lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

const schemaVersion = (db: Database.Database) => db.pragma('user_version', { simple: true }) as number;

export function migrate(db: Database.Database): number {
  if (schemaVersion(db) >= MIGRATIONS.length) return MIGRATIONS.length;
  // Under the write lock, with the version read again inside: two processes opening a fresh file migrate it once.
  db.transaction(() => {
    for (let v = schemaVersion(db); v < MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    }
  }).exclusive();
  return MIGRATIONS.length;
}

/**
 * Switches the file to WAL. Two processes opening a fresh file at once can get SQLITE_BUSY from this pragma without
 * the busy handler ever running, so it is tried again (briefly blocking: it runs once, while opening) up to the timeout.
 */
function useWal(db: Database.Database): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    try {
      if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if (!(error instanceof Database.SqliteError && error.code.startsWith('SQLITE_BUSY')) || Date.now() >= deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
    }
  }
}

export interface SqliteOpenOptions {
  /** Where a one-line notice goes (modes tightened, a damaged file moved aside); stderr by default. */
  notice?: (line: string) => void;
  /** A damaged or non-SQLite file is renamed `<name>.corrupt-<time>` (with its -wal and -shm) and a new store made, instead of refusing to open. */
  moveAsideCorrupt?: boolean;
}

/** `PRAGMA quick_check`'s verdict: null when the file is sound, else what is wrong, in words. */
function quickCheckProblem(db: Database.Database): string | null {
  try {
    const rows = (db.pragma('quick_check') as Array<{ quick_check: string }>).map((r) => r.quick_check);
    if (rows.length === 1 && rows[0] === 'ok') return null;
    return `fails PRAGMA quick_check (${rows[0]}${rows.length > 1 ? `, and ${rows.length - 1} more problems` : ''})`;
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (!/^SQLITE_(CORRUPT|NOTADB)/.test(code)) throw error;
    return `fails PRAGMA quick_check (${code}: ${(error as Error).message})`;
  }
}

/** A new file's schema and WAL mode, set up under its temporary name before it is linked into place. */
function initialize(temporary: string): void {
  const init = new Database(temporary, { timeout: BUSY_TIMEOUT_MS, fileMustExist: true });
  try {
    migrate(init);
    init.pragma('journal_mode = WAL');
  } finally {
    init.close();
  }
}

/** The connection to an existing, sound file, or what is wrong with the file. */
function openSound(path: string): Database.Database | string {
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS, fileMustExist: true });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const problem = quickCheckProblem(db);
    if (problem) {
      db.close();
      return problem;
    }
    useWal(db);
    db.pragma('synchronous = NORMAL');
    migrate(db);
    return db;
  } catch (error) {
    if (db.open) db.close();
    throw error;
  }
}

/**
 * The state file opened, or refused: only a missing file makes a new store. An empty, non-SQLite or damaged one
 * stops the caller with the path and the fix (or, when asked, is moved aside first), so webhooks and deliveries are
 * never silently replaced by an empty store.
 */
function openStateFile(path: string, options: SqliteOpenOptions): Database.Database {
  const notice = options.notice ?? ((line: string) => void process.stderr.write(line + '\n'));
  const notes: string[] = [];
  try {
    preparePrivateFolder(path, notes);
    tightenFiles(path, notes);
    for (let attempt = 0; ; attempt++) {
      const found = fileVerdict(path);
      if (found.kind === 'missing') createInPlace(path, initialize);
      const opened = found.kind === 'bad' ? found.problem : openSound(path);
      if (typeof opened !== 'string') return opened;
      if (!options.moveAsideCorrupt || attempt > 0) throw corruptStateError(path, opened, stateFilesOf(path));
      const moved = moveAside(path);
      notice(`taskhook: ${path} ${opened}: moved it aside to ${moved.join(', ')}; starting with a new, empty store`);
    }
  } catch (error) {
    throw storeErrorOf(error, path);
  } finally {
    const line = privacyNotice(notes);
    if (line) notice(line);
  }
}

export function createSqliteStore(path: string, options: SqliteOpenOptions = {}): StateStore {
  const db = path === ':memory:' ? new Database(path) : openStateFile(path, options);
  if (path === ':memory:') migrate(db);

  /** Every statement is prepared once, on first use, and reused: preparing costs more than running most of them. */
  const statements = new Map<string, Database.Statement>();
  const sql = (text: string): Database.Statement => {
    let statement = statements.get(text);
    if (!statement) statements.set(text, (statement = db.prepare(text)));
    return statement;
  };

  /**
   * The writes asked for while the event loop turns once are made in one BEGIN IMMEDIATE transaction, each in a
   * savepoint of its own (so one that fails rolls back alone), in the order asked; each caller's promise settles once
   * the transaction has committed. Concurrent deliveries, claims and batch commits thus share a commit. When BEGIN,
   * COMMIT or the file fails (full disk, I/O error, corruption, lock), the batch is rolled back whole and every one
   * of its callers gets the error: nothing is half-written, nobody waits forever, and the connection stays usable.
   */
  const queued: Array<{ run: () => unknown; settle: (ok: boolean, value: unknown) => void }> = [];
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commitAll = db.prepare('COMMIT');
  const rollbackAll = db.prepare('ROLLBACK');
  const flushQueued = () => {
    // Taken off the queue before anything can throw: each item is settled below, whatever fails.
    const batch = queued.splice(0);
    if (batch.length === 0) return;
    const outcomes: Array<{ ok: boolean; value: unknown }> = [];
    try {
      // A transaction a failed ROLLBACK left open would make every later BEGIN fail.
      if (db.inTransaction) rollbackAll.run();
      begin.run();
      for (const item of batch) {
        try {
          outcomes.push({ ok: true, value: item.run() });
        } catch (error) {
          // The file failed, or SQLite ended the transaction itself (it does on SQLITE_FULL): the batch cannot commit.
          if (isFileFault(error) || !db.inTransaction) throw error;
          outcomes.push({ ok: false, value: error });
        }
      }
      commitAll.run();
    } catch (error) {
      try {
        if (db.open && db.inTransaction) rollbackAll.run();
      } catch {
        // Ended at the next flush's start instead.
      }
      for (const item of batch) item.settle(false, error);
      return;
    }
    batch.forEach((item, i) => item.settle(outcomes[i].ok, outcomes[i].value));
  };
  const write = <A extends unknown[], R>(fn: (...args: A) => R) => {
    const alone = db.transaction(fn);
    return (...args: A): Promise<R> =>
      new Promise<R>((resolve, reject) => {
        if (queued.length === 0) setImmediate(flushQueued);
        queued.push({
          run: () => alone(...args),
          settle: (ok, value) => (ok ? resolve(value as R) : reject(value instanceof Error ? value : new Error(String(value)))),
        });
      });
  };

  /** `where` conditions joined to the range: rows after the cursor by `sort_key`, up to the limit. */
  const rangeOf = <T>(table: string, where: Array<[clause: string, value: unknown]>, range: RangeRequest): Array<{ key: string; record: T }> => {
    const clauses = ['sort_key > ?', ...where.map(([clause]) => clause)];
    const rows = sql(`SELECT sort_key, body FROM ${table} WHERE ${clauses.join(' AND ')} ORDER BY sort_key LIMIT ?`).all(
      range.after ?? '',
      ...where.map(([, value]) => value),
      range.limit,
    ) as { sort_key: string; body: string }[];
    return rows.map((r) => ({ key: r.sort_key, record: JSON.parse(r.body) as T }));
  };
  const present = (filter: Record<string, string | undefined>) =>
    Object.entries(filter).flatMap(([column, value]): Array<[string, unknown]> => (value ? [[`${column} = ?`, value]] : []));

  const getTask = sql(`SELECT * FROM tasks WHERE key = ?`);
  const rangeAll = sql(`SELECT * FROM tasks WHERE key > ? ORDER BY key LIMIT ?`);
  const rangeActive = sql(`SELECT * FROM tasks WHERE active = 1 AND key > ? ORDER BY key LIMIT ?`);
  const rangeAllUpTo = sql(`SELECT * FROM tasks WHERE key > ? AND key <= ? ORDER BY key LIMIT ?`);
  const rangeActiveUpTo = sql(`SELECT * FROM tasks WHERE active = 1 AND key > ? AND key <= ? ORDER BY key LIMIT ?`);
  const activeKeysUpTo = sql(`SELECT key FROM tasks WHERE active = 1 AND key > ? AND key <= ? ORDER BY key LIMIT ?`);
  const getMark = sql(`SELECT value FROM marks WHERE name = ?`);
  const putMark = sql(
    `INSERT INTO marks (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  );
  const selectEvent = sql(`SELECT body FROM events WHERE id = ?`);
  const insertEventRow = sql(`INSERT OR IGNORE INTO events (id, region_id, task_id, type, sort_key, recorded_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const insertFeed = sql(`INSERT INTO feed (event_id, at) VALUES (?, ?)`);
  /** The event and its feed entry in the caller's transaction: its position is taken in commit order. */
  const insertEvent = {
    run(id: string, regionId: string, taskId: string, type: string, sortKey: string, recordedAt: string, body: string) {
      const inserted = insertEventRow.run(id, regionId, taskId, type, sortKey, recordedAt, body);
      if (inserted.changes === 1) insertFeed.run(id, Date.now());
      return inserted;
    },
  };
  const readFeed = sql(`SELECT position, event_id, at FROM feed WHERE position > ? ORDER BY position LIMIT ?`);
  const readFeedHead = sql(`SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'feed'), 0) AS head`);
  const insertDelivery = sql(
    `INSERT OR IGNORE INTO deliveries (id, event_id, webhook_id, sort_key, region_id, task_id, sequence, status, next_attempt_at, updated_at, body)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertDeliveries = (list: Delivery[]) => {
    for (const d of list)
      insertDelivery.run(
        d.id,
        d.eventId,
        d.webhookId,
        deliverySortKey(d),
        d.regionId,
        d.taskId,
        d.sequence,
        d.status,
        d.nextAttemptAt,
        d.updatedAt,
        JSON.stringify(d),
      );
  };
  const insertAttempt = (a: DeliveryAttempt) =>
    sql(`INSERT OR REPLACE INTO attempts (delivery_id, attempt, event_id, webhook_id, at, sort_key, body) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
      a.deliveryId,
      a.attempt,
      a.eventId,
      a.webhookId,
      a.at,
      attemptSortKey(a),
      JSON.stringify(a),
    );
  const bodies = <T>(table: string, ids: string[]) => {
    const select = sql(`SELECT body FROM ${table} WHERE id = ?`);
    return new Map(
      ids.flatMap((id) => {
        const row = select.get(id) as { body: string } | undefined;
        return row ? [[id, JSON.parse(row.body) as T] as const] : [];
      }),
    );
  };

  const updateTask = sql(
    `UPDATE tasks SET snapshot = ?, version = version + 1, sequence = ?, active = ?, invalid = ?, pending_verdict = ?, updated_at = ? WHERE key = ? AND version = ?`,
  );
  const commitOne = (c: PreparedCommit): boolean => {
    const moved = updateTask.run(
      JSON.stringify(c.snapshot),
      c.sequence,
      c.active ? 1 : 0,
      c.invalid ? JSON.stringify(c.invalid) : null,
      c.pendingVerdict ? JSON.stringify(c.pendingVerdict) : null,
      c.updatedAt,
      taskKeyString(c.key),
      c.expectedVersion,
    );
    if (moved.changes !== 1) return false;
    for (const s of c.events) {
      if (insertEvent.run(s.event.id, s.regionId, s.taskId, s.event.type, eventSortKey(s), s.recordedAt, JSON.stringify(s)).changes === 1) continue;
      const existing = JSON.parse((selectEvent.get(s.event.id) as { body: string }).body) as StoredEvent;
      // Thrown inside the transaction: it rolls back, and nothing of the commit is written.
      if (!sameEvent(existing.event, s.event)) throw eventIdConflict(s);
    }
    insertDeliveries(c.deliveries);
    return true;
  };
  const commit = write(commitOne);
  /** Each commit in a savepoint of one transaction: one that fails rolls back alone. */
  const commitOneAlone = db.transaction(commitOne);
  const commitMany = write((list: PreparedCommit[]): Array<boolean | Error> =>
    list.map((c) => {
      try {
        return commitOneAlone(c);
      } catch (error) {
        // A failure of the file is the batch's, not this commit's: the whole transaction is rolled back.
        if (isFileFault(error) || !db.inTransaction) throw error;
        return error instanceof Error ? error : new Error(String(error));
      }
    }),
  );
  const setPolled = sql(`UPDATE tasks SET last_polled_at = ? WHERE key = ?`);
  const markPolled = write((ids: string[], at: string) => {
    for (const id of ids) setPolled.run(at, id);
  });

  const replaceDelivery = write((current: { value: Delivery; revision: string }, next: Delivery, attempt?: DeliveryAttempt): boolean => {
    if (attempt) insertAttempt(attempt);
    // The stored body is the revision: the change applies only if nobody rewrote it since it was read.
    const changed = sql(`UPDATE deliveries SET status = ?, next_attempt_at = ?, updated_at = ?, body = ? WHERE id = ? AND body = ?`).run(
      next.status,
      next.nextAttemptAt,
      next.updatedAt,
      JSON.stringify(next),
      next.id,
      current.revision,
    );
    return changed.changes === 1;
  });

  const backend: StorageBackend = {
    tasks: {
      async get(ids) {
        const out = new Map<string, TaskRecord>();
        for (const id of ids) {
          const row = getTask.get(id) as TaskRow | undefined;
          if (row) out.set(row.key, toTask(row));
        }
        return out;
      },
      insert: write((r: TaskRecord) => {
        const inserted = sql(
          `INSERT OR IGNORE INTO tasks (key, region_id, task_id, sources, snapshot, version, sequence, active, invalid, watched_at, updated_at) VALUES (?, ?, ?, ?, NULL, ?, ?, ?, NULL, ?, ?)`,
        ).run(taskKeyString(r), r.regionId, r.taskId, JSON.stringify(r.sources), r.version, r.sequence, r.active ? 1 : 0, r.watchedAt, r.updatedAt);
        return inserted.changes === 1;
      }),
      setSources: write(
        (current: TaskRecord, sources: WatchSource[]) =>
          sql(`UPDATE tasks SET sources = ? WHERE key = ? AND sources = ?`).run(
            JSON.stringify(sources),
            taskKeyString(current),
            JSON.stringify(current.sources),
          ).changes === 1,
      ),
      delete: write(
        (current: TaskRecord) =>
          sql(`DELETE FROM tasks WHERE key = ? AND version = ? AND sources = ?`).run(taskKeyString(current), current.version, JSON.stringify(current.sources))
            .changes === 1,
      ),
      async range(range, activeOnly) {
        const rows = (
          range.upTo === undefined
            ? (activeOnly ? rangeActive : rangeAll).all(range.after ?? '', range.limit)
            : (activeOnly ? rangeActiveUpTo : rangeAllUpTo).all(range.after ?? '', range.upTo, range.limit)
        ) as TaskRow[];
        return rows.map((r) => ({ key: r.key, record: toTask(r) }));
      },
      commit,
      commitMany,
      activeKeys: async (range) => (activeKeysUpTo.all(range.after ?? '', range.upTo ?? '\uffff', range.limit) as { key: string }[]).map((r) => r.key),
      markPolled,
      completePendingCommits: async () => 0,
    },

    marks: {
      async get(name) {
        return (getMark.get(name) as { value: string } | undefined)?.value ?? null;
      },
      put: write((name: string, value: string, updatedAt: string) => void putMark.run(name, value, updatedAt)),
    },

    runs: {
      insert: write((run: RunRecord) => {
        sql(`INSERT OR IGNORE INTO runs (sort_key, id, finished_at, body) VALUES (?, ?, ?, ?)`).run(
          runSortKey(run),
          run.id,
          run.finishedAt,
          JSON.stringify(run),
        );
      }),
      range: async (range) => rangeOf<RunRecord>('runs', [], range),
    },

    events: {
      get: async (ids) => bodies<StoredEvent>('events', ids),
      insert: write((list: StoredEvent[]) => {
        const present = new Map<string, StoredEvent>();
        for (const s of list) {
          if (insertEvent.run(s.event.id, s.regionId, s.taskId, s.event.type, eventSortKey(s), s.recordedAt, JSON.stringify(s)).changes === 1) continue;
          present.set(s.event.id, JSON.parse((selectEvent.get(s.event.id) as { body: string }).body) as StoredEvent);
        }
        return present;
      }),
      range: async (filter, range) => rangeOf<StoredEvent>('events', present({ region_id: filter.regionId, task_id: filter.taskId, type: filter.type }), range),
      feed: async (position, limit) =>
        (readFeed.all(position, limit) as Array<{ position: number; event_id: string; at: number }>).map((r) => ({
          position: r.position,
          eventId: r.event_id,
          at: r.at,
        })),
      feedHead: async () => (readFeedHead.get() as { head: number }).head,
    },

    deliveries: {
      insert: write(insertDeliveries),
      async get(ids) {
        const select = sql(`SELECT body FROM deliveries WHERE id = ?`);
        return new Map(
          ids.flatMap((id) => {
            const row = select.get(id) as { body: string } | undefined;
            return row ? [[id, { value: JSON.parse(row.body) as Delivery, revision: row.body }] as const] : [];
          }),
        );
      },
      replace: replaceDelivery,
      appendAttempt: write((attempt: DeliveryAttempt) => void insertAttempt(attempt)),
      async due(now, limit) {
        const rows = sql(`SELECT body FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`).all(
          now,
          limit,
        ) as { body: string }[];
        return rows.map((r) => JSON.parse(r.body) as Delivery);
      },
      async pendingInOrder(webhookId, key, limit) {
        const rows = sql(
          `SELECT body FROM deliveries WHERE status = 'pending' AND webhook_id = ? AND region_id = ? AND task_id = ? ORDER BY sequence, id LIMIT ?`,
        ).all(webhookId, key.regionId, key.taskId, limit) as { body: string }[];
        return rows.map((r) => JSON.parse(r.body) as Delivery);
      },
      range: async (filter, range) => rangeOf<Delivery>('deliveries', present({ event_id: filter.eventId, webhook_id: filter.webhookId }), range),
      rangeAttempts: async (filter, range) => rangeOf<DeliveryAttempt>('attempts', present({ event_id: filter.eventId, webhook_id: filter.webhookId }), range),
    },

    webhooks: {
      async get(id) {
        const row = sql(`SELECT body FROM webhooks WHERE id = ?`).get(id) as { body: string } | undefined;
        return row ? { value: JSON.parse(row.body) as WebhookRecord, revision: row.body } : null;
      },
      put: write((webhook: WebhookRecord) => {
        sql(`INSERT OR REPLACE INTO webhooks (id, created_at, body) VALUES (?, ?, ?)`).run(webhook.id, webhook.createdAt, JSON.stringify(webhook));
      }),
      // The stored body is the revision, as for deliveries.
      replace: write(
        (current: { value: WebhookRecord; revision: string }, next: WebhookRecord) =>
          sql(`UPDATE webhooks SET created_at = ?, body = ? WHERE id = ? AND body = ?`).run(
            next.createdAt,
            JSON.stringify({ ...next, id: current.value.id }),
            current.value.id,
            current.revision,
          ).changes === 1,
      ),
      all: async () => (sql(`SELECT body FROM webhooks`).all() as { body: string }[]).map((r) => JSON.parse(r.body) as WebhookRecord),
      delete: write((id: string) => sql(`DELETE FROM webhooks WHERE id = ?`).run(id).changes === 1),
    },

    leases: {
      insert: write(
        (name: string, lease: Lease) =>
          sql(`INSERT OR IGNORE INTO leases (name, holder, expires_at) VALUES (?, ?, ?)`).run(name, lease.holder, lease.expiresAtMs).changes === 1,
      ),
      replaceIf: write(
        (name: string, lease: Lease, when: { heldBy: string; expiredBy: number; insaneAfter: number }) =>
          sql(`UPDATE leases SET holder = ?, expires_at = ? WHERE name = ? AND (holder = ? OR expires_at <= ? OR expires_at > ?)`).run(
            lease.holder,
            lease.expiresAtMs,
            name,
            when.heldBy,
            when.expiredBy,
            when.insaneAfter,
          ).changes === 1,
      ),
      delete: write((name: string, holder: string) => {
        sql(`DELETE FROM leases WHERE name = ? AND holder = ?`).run(name, holder);
      }),
    },

    // The SQL form of ./retention.ts `purgeable`.
    purge: write((before: string, keep: ReadonlySet<string>) => {
      const result = {
        // json_each: the kept keys as one bound parameter, however many there are.
        tasks: sql(`DELETE FROM tasks WHERE active = 0 AND updated_at < ? AND key NOT IN (SELECT value FROM json_each(?))`).run(
          before,
          JSON.stringify([...keep]),
        ).changes,
        events: sql(`DELETE FROM events WHERE recorded_at < ?`).run(before).changes,
        deliveries: sql(`DELETE FROM deliveries WHERE status != 'pending' AND updated_at < ?`).run(before).changes,
        attempts: sql(`DELETE FROM attempts WHERE at < ?`).run(before).changes,
        runs: sql(`DELETE FROM runs WHERE finished_at < ?`).run(before).changes,
      };
      // A purged event leaves the feed too; the positions after it stay as they are.
      sql(`DELETE FROM feed WHERE event_id NOT IN (SELECT id FROM events)`).run();
      return result;
    }),

    async close() {
      // Writes asked for just before closing are made, not dropped.
      if (db.open && queued.length > 0) flushQueued();
      if (db.open) db.close();
    },
  };
  return createStateStore(guarded(backend, path));
}

/** Every call of the backend with its SQLite failures as StoreErrors that name the file and the fix (./sqlite-errors.ts). */
function guarded<T extends object>(methods: T, path: string): T {
  const wrap =
    (fn: (...args: unknown[]) => unknown) =>
    (...args: unknown[]): Promise<unknown> => {
      try {
        return Promise.resolve(fn(...args)).catch((error: unknown) => Promise.reject(storeErrorOf(error, path)));
      } catch (error) {
        return Promise.reject(storeErrorOf(error, path));
      }
    };
  return Object.fromEntries(
    Object.entries(methods).map(([name, value]) => [
      name,
      typeof value === 'function'
        ? wrap(value as (...args: unknown[]) => unknown)
        : value && typeof value === 'object'
          ? guarded(value as object, path)
          : value,
    ]),
  ) as T;
}
