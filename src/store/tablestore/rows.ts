/** How records map to rows: task rows, event and delivery rows with their index rows, attempt rows. */
import type { RangeRequest } from '../backend.js';
import { attemptSortKey, deliverySortKey, eventSortKey, orderSortKey } from '../cursor.js';
import {
  taskKeyString,
  type Delivery,
  type DeliveryAttempt,
  type NewDelivery,
  type PendingVerdict,
  type StoredEvent,
  type TaskKey,
  type TaskRecord,
  type WatchSource,
} from '../port.js';
import type { TaskEvent, TaskEventData } from '../../tasks/events.js';
import type { TaskOperation, TaskSnapshot } from '../../tasks/snapshot.js';
import { ignore, INF_MAX, INF_MIN, long, mustNotExist, num, str, type Db, type Row, type Table, type WriteRow } from './client.js';
import type { Tables } from './schema.js';

/** An event as the outbox keeps it: `data.task` is null where it is the row's own snapshot, stored once. */
export type OutboxEvent = Omit<TaskEvent, 'data'> & { data: Omit<TaskEventData, 'task'> & { task: TaskSnapshot | null } };

/** What a commit still has to write to other tables; kept in the task row until it is written. */
export interface Outbox {
  recordedAt: string;
  events: OutboxEvent[];
  /** Pending deliveries; an outbox written before the store layer holds NewDelivery records instead. */
  deliveries: Array<Delivery | NewDelivery>;
  /** The commit made the task inactive: its active_tasks row goes. */
  deactivate: boolean;
}

export interface TaskRow {
  record: TaskRecord;
  /** `sources` exactly as stored, for conditions on it. */
  sourcesRaw: string;
  outbox: Outbox | null;
  commitId: string | null;
  /** Identifies the task's current active_tasks row; removers name it so they never remove a newer one. */
  activeId: string;
}

/** The task columns a reader needs (the outbox can be large and only the flush reads it). */
export const TASK_COLUMNS = [
  'region_id',
  'task_id',
  'sources',
  'snapshot',
  'version',
  'sequence',
  'active',
  'invalid',
  'pending_verdict',
  'watched_at',
  'updated_at',
  'active_id',
  'last_polled_at',
];

const json = <T>(v: unknown): T | null => (typeof v === 'string' && v !== '' ? (JSON.parse(v) as T) : null);

export function parseTask(row: Row): TaskRow {
  const a = row.attrs;
  return {
    record: {
      regionId: str(a.region_id)!,
      taskId: str(a.task_id)!,
      sources: json<WatchSource[]>(a.sources) ?? [],
      snapshot: json<TaskSnapshot>(a.snapshot),
      version: num(a.version),
      sequence: num(a.sequence),
      active: a.active === true,
      invalid: json<{ code: string; message: string }>(a.invalid),
      pendingVerdict: json<PendingVerdict>(a.pending_verdict),
      watchedAt: str(a.watched_at)!,
      updatedAt: str(a.updated_at)!,
      lastPolledAt: str(a.last_polled_at) ?? null,
    },
    sourcesRaw: str(a.sources) ?? '[]',
    outbox: json<Outbox>(a.outbox),
    commitId: str(a.commit_id) ?? null,
    activeId: str(a.active_id) ?? '',
  };
}

/** Column values for a task that was never committed. */
export function newTaskAttrs(key: TaskKey, sources: WatchSource[], now: string, activeId: string) {
  return {
    region_id: key.regionId,
    task_id: key.taskId,
    sources: JSON.stringify(sources),
    version: long(0),
    sequence: long(0),
    active: true,
    watched_at: now,
    updated_at: now,
    active_id: activeId,
  };
}

/** Keeps a snapshot's JSON under one attribute column's 2 MB limit, with room to spare in the request. */
export const SNAPSHOT_MAX_BYTES = 1_500_000;

/** Drops trailing operations until the snapshot fits, and says so in a last operation: never a silent cut. */
export function boundSnapshot(snapshot: TaskSnapshot): TaskSnapshot {
  if (Buffer.byteLength(JSON.stringify(snapshot)) <= SNAPSHOT_MAX_BYTES) return snapshot;
  const ops = snapshot.operations;
  // Room for the marker operation and the commas between elements.
  let total = Buffer.byteLength(JSON.stringify({ ...snapshot, operations: [] })) + 200;
  let kept = 0;
  for (; kept < ops.length; kept++) {
    const size = Buffer.byteLength(JSON.stringify(ops[kept])) + 1;
    if (total + size > SNAPSHOT_MAX_BYTES) break;
    total += size;
  }
  if (kept === ops.length) return snapshot; // the operations are not what makes it large; the write reports the size
  const marker: TaskOperation = {
    status: 'Omitted',
    errorCode: 'TooManyOperations',
    errorMessage: `${ops.length - kept} more operations omitted`,
    relatedItems: [],
  };
  return { ...snapshot, operations: [...ops.slice(0, kept), marker] };
}

/** The unscoped listings' rows spread over this many partitions (`all#00`..`all#15`), so Tablestore can split them. */
export const ALL_BUCKETS = 16;
/** Rows written before the buckets stay under `all`: read as one more bucket, purged like the others. */
export const LEGACY_ALL = 'all';
/** Every partition of an unscoped listing, the old one included. */
export const ALL_SCOPES = [...Array.from({ length: ALL_BUCKETS }, (_, i) => `all#${String(i).padStart(2, '0')}`), LEGACY_ALL];

/** The bucket of a row of an unscoped listing: FNV-1a of its id, so every writer (and purge) puts it in the same one. */
export function allScope(id: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return ALL_SCOPES[(hash >>> 0) % ALL_BUCKETS];
}

export const eventScopes = (s: StoredEvent) => [allScope(s.event.id), `task:${s.regionId}/${s.taskId}`, `type:${s.event.type}`];

/** Event ids are deterministic: an existing row is the same event written by an earlier try, or a collision to report. */
export const eventRow = (t: Tables, stored: StoredEvent): WriteRow => ({
  type: 'PUT',
  table: t.events,
  key: [stored.event.id],
  attrs: { body: JSON.stringify(stored) },
  condition: mustNotExist(),
});

export function eventIndexRows(t: Tables, stored: StoredEvent): WriteRow[] {
  const sortKey = eventSortKey(stored);
  const index = { event_id: stored.event.id, region_id: stored.regionId, task_id: stored.taskId, type: stored.event.type, recorded_at: stored.recordedAt };
  return eventScopes(stored).map((scope): WriteRow => ({ type: 'PUT', table: t.event_index, key: [scope, sortKey], attrs: index, condition: ignore() }));
}

export interface DeliveryRow {
  delivery: Delivery;
  /** +1 per change: the guard for read-modify-write, and the age of due rows. */
  rev: number;
  raw: string;
}

export function parseDelivery(row: Row): DeliveryRow {
  const raw = str(row.attrs.body)!;
  return { delivery: JSON.parse(raw) as Delivery, rev: num(row.attrs.rev), raw };
}

/** A delivery's listing rows; `listed` is the row's own id (the delivery's, or an attempt's). */
export const deliveryScopes = (d: { eventId: string; webhookId: string }, listed: string) => [allScope(listed), `event:${d.eventId}`, `webhook:${d.webhookId}`];
/** An attempt's id in the unscoped listing: its delivery and number. */
export const attemptId = (a: Pick<DeliveryAttempt, 'deliveryId' | 'attempt'>) => `${a.deliveryId}#${a.attempt}`;
export const orderScope = (webhookId: string, key: TaskKey) => `order:${webhookId}|${taskKeyString(key)}`;

export function deliveryRow(t: Tables, d: Delivery): WriteRow {
  // Never reset a delivery that exists: it may have moved on since.
  return {
    type: 'PUT',
    table: t.deliveries,
    key: [d.id],
    attrs: { body: JSON.stringify(d), rev: long(0), status: d.status, updated_at: d.updatedAt },
    condition: mustNotExist(),
  };
}

export const dueRow = (t: Tables, dueAt: string, id: string, rev: number): WriteRow => ({
  type: 'PUT',
  table: t.deliveries_due,
  key: [dueAt, id],
  attrs: { rev: long(rev) },
  condition: ignore(),
});

export const orderRow = (t: Tables, d: Delivery | NewDelivery): WriteRow => ({
  type: 'PUT',
  table: t.delivery_index,
  key: [orderScope(d.webhookId, d), orderSortKey(d)],
  attrs: { delivery_id: d.id },
  condition: ignore(),
});

/** The rows that find a new delivery: due, listings by event/webhook/all, and its place in its task's order. */
export function deliverySideRows(t: Tables, d: NewDelivery): WriteRow[] {
  const sortKey = deliverySortKey(d);
  const index = { delivery_id: d.id, event_id: d.eventId, webhook_id: d.webhookId, created_at: d.createdAt };
  return [
    dueRow(t, d.dueAt, d.id, 0),
    ...deliveryScopes(d, d.id).map((scope): WriteRow => ({ type: 'PUT', table: t.delivery_index, key: [scope, sortKey], attrs: index, condition: ignore() })),
    orderRow(t, d),
  ];
}

export function attemptRows(t: Tables, a: DeliveryAttempt): WriteRow[] {
  const body = JSON.stringify(a);
  return deliveryScopes(a, attemptId(a)).map((scope) => ({
    type: 'PUT',
    table: t.attempts,
    key: [scope, attemptSortKey(a)],
    attrs: { body, at: a.at },
    condition: ignore(),
  }));
}

/** Drops later rows for a key already in the list: BatchWriteRow refuses one key twice. */
export function uniqueRows(rows: WriteRow[]): WriteRow[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const k = `${r.table.name}\u0000${r.key.map(String).join('\u0000')}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** Up to `range.limit` rows of an index scope after the cursor, of rows `keep` accepts. */
export async function scopeRange(db: Db, table: Table, scope: string, range: RangeRequest, keep?: (row: Row) => boolean): Promise<Row[]> {
  const { after } = range;
  const rows: Row[] = [];
  // The range starts at the cursor's own row, which is skipped: one more row for it; filters read wider.
  const limit = keep ? Math.max(range.limit + 1, 500) : range.limit + (after === undefined ? 0 : 1);
  await db.scan(table, [scope, after ?? INF_MIN], [scope, INF_MAX], { limit }, async (batch) => {
    for (const row of batch) {
      if (after !== undefined && str(row.key.sort_key)! <= after) continue;
      if (keep && !keep(row)) continue;
      rows.push(row);
      if (rows.length === range.limit) return false;
    }
  });
  return rows;
}

/**
 * `scopeRange` of a listing; the unscoped one (`all`) merges its buckets: a page from each after the cursor, in
 * parallel, then the first `range.limit` by sort key. A record indexed both under `all` and a bucket counts once.
 */
export async function listingRange(db: Db, table: Table, scope: string, range: RangeRequest, keep?: (row: Row) => boolean): Promise<Row[]> {
  if (scope !== LEGACY_ALL) return scopeRange(db, table, scope, range, keep);
  const pages = await Promise.all(ALL_SCOPES.map((bucket) => scopeRange(db, table, bucket, range, keep)));
  const bySortKey = new Map(pages.flat().map((row) => [str(row.key.sort_key)!, row]));
  return [...bySortKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, range.limit)
    .map(([, row]) => row);
}

/** Rows by key: one by GetRow, more by BatchGetRow; absent ones left out. */
export async function rowsById<T>(db: Db, table: Table, ids: string[], parse: (row: Row) => T, columns?: string[]): Promise<Map<string, T>> {
  const rows =
    ids.length === 1
      ? [await db.getRow(table, [ids[0]], columns)]
      : await db.batchGet(
          table,
          ids.map((id) => [id]),
          columns,
        );
  return new Map(rows.flatMap((row, i) => (row ? [[ids[i], parse(row)] as const] : [])));
}
