/**
 * What a storage backend provides to the store layer (./layer.ts): reads by key, ordered index ranges, conditional
 * writes, deletes. A backend translates these to its storage and decides nothing; the layer holds every rule.
 */
import type {
  Delivery,
  DeliveryAttempt,
  PendingVerdict,
  RetentionResult,
  RunRecord,
  StoredEvent,
  TaskKey,
  TaskRecord,
  WatchSource,
  WebhookRecord,
} from './port.js';
import type { TaskSnapshot } from '../tasks/snapshot.js';

/** A range over an index in its sort order, starting after a sort key (exclusive). */
export interface RangeRequest {
  after?: string;
  /** Inclusive upper bound of the sort key, where a caller bounds the range. */
  upTo?: string;
  limit: number;
}

/** One index entry, by its sort key: the record itself where the index holds it, else the id to read it by. */
export type IndexEntry<T> = { key: string; record: T } | { key: string; id: string };

/** A record with what the backend compares a conditional write against (opaque to the layer). */
export interface Revised<T> {
  value: T;
  revision: string;
}

/** A commit as the layer prepared it: the record's new fields, and every event and delivery in its stored form. */
export interface PreparedCommit {
  key: TaskKey;
  expectedVersion: number;
  snapshot: TaskSnapshot;
  sequence: number;
  active: boolean;
  invalid: { code: string; message: string } | null;
  pendingVerdict: PendingVerdict | null;
  updatedAt: string;
  /** Each written only if its id is absent; one present with a different body fails the commit (eventIdConflict). */
  events: StoredEvent[];
  /** Each written only if its id is absent. */
  deliveries: Delivery[];
}

export interface TaskRows {
  /** By `taskKeyString`; absent ids are left out. */
  get(ids: string[]): Promise<Map<string, TaskRecord>>;
  /** Insert-if-absent: false if a task with that key exists. */
  insert(record: TaskRecord): Promise<boolean>;
  /** Sets the sources if they are still those of `current`: false if they changed. */
  setSources(current: TaskRecord, sources: WatchSource[]): Promise<boolean>;
  /** Deletes the task if it is unchanged since `current` was read: false if it changed. */
  delete(current: TaskRecord): Promise<boolean>;
  /** Every task by key; `activeOnly` ranges over the index of active ones. */
  range(range: RangeRequest, activeOnly: boolean): Promise<Array<IndexEntry<TaskRecord>>>;
  /** The atomic step: false, with nothing written, if the task is absent or its version is not `expectedVersion`. */
  commit(commit: PreparedCommit): Promise<boolean>;
  /** Several commits, each atomic alone (an Error in place of one that failed otherwise); absent, the layer makes them one by one. */
  commitMany?(commits: PreparedCommit[]): Promise<Array<boolean | Error>>;
  /** Keys of the active index after `after`, in order, up to `limit`, reading nothing else. */
  activeKeys(range: RangeRequest): Promise<string[]>;
  /** Sets `lastPolledAt` on each task of `ids` that exists, touching nothing else (not the version). */
  markPolled(ids: string[], at: string): Promise<void>;
  /** See TaskStore.completePendingCommits. */
  completePendingCommits(): Promise<number>;
}

export interface EventFilter {
  regionId?: string;
  taskId?: string;
  type?: string;
}

export interface EventRows {
  get(ids: string[]): Promise<Map<string, StoredEvent>>;
  /** Each, with the index rows that list it, only if its id is absent; returns the stored form of those already there. */
  insert(events: StoredEvent[]): Promise<Map<string, StoredEvent>>;
  /** Ordered by `eventSortKey`, only the events the filter names. */
  range(filter: EventFilter, range: RangeRequest): Promise<Array<IndexEntry<StoredEvent>>>;
  /** Feed entries after `position`, in position order, up to `limit`. */
  feed(position: number, limit: number): Promise<FeedEntry[]>;
  /** The highest feed position given so far; 0 when none. */
  feedHead(): Promise<number>;
}

/**
 * The commit-ordered feed: every event gets one position when it is first stored. Positions increase in commit order
 * and are dense where the store commits atomically (memory, SQLite); Tablestore takes them from a counter before it
 * writes the entries, so a reader may meet a position not written yet (see layer.ts `readFeed`).
 */
export interface FeedEntry {
  position: number;
  eventId: string;
  /** Epoch ms when the entry was written. */
  at: number;
}

export interface DeliveryFilter {
  eventId?: string;
  webhookId?: string;
}

export interface DeliveryRows {
  /** Each only if its id is absent. */
  insert(deliveries: Delivery[]): Promise<void>;
  get(ids: string[]): Promise<Map<string, Revised<Delivery>>>;
  /**
   * Replaces the delivery if it is unchanged since `current` was read: false if it changed. `attempt` is appended
   * whatever the outcome: it happened.
   */
  replace(current: Revised<Delivery>, next: Delivery, attempt?: DeliveryAttempt): Promise<boolean>;
  appendAttempt(attempt: DeliveryAttempt): Promise<void>;
  /** Pending deliveries with `nextAttemptAt <= now`, by (nextAttemptAt, id), reading no finished ones. */
  due(now: string, limit: number): Promise<Delivery[]>;
  /** Pending deliveries of one webhook and task by `orderSortKey`. */
  pendingInOrder(webhookId: string, key: TaskKey, limit: number): Promise<Delivery[]>;
  /** Ordered by `deliverySortKey`. */
  range(filter: DeliveryFilter, range: RangeRequest): Promise<Array<IndexEntry<Delivery>>>;
  /** Ordered by `attemptSortKey`; attempts are read only through this range, so every entry holds its record. */
  rangeAttempts(filter: DeliveryFilter, range: RangeRequest): Promise<Array<{ key: string; record: DeliveryAttempt }>>;
}

export interface WebhookRows {
  get(id: string): Promise<Revised<WebhookRecord> | null>;
  /** Inserts or replaces. */
  put(webhook: WebhookRecord): Promise<void>;
  /** Replaces the webhook if it is unchanged since `current` was read: false if it changed or is gone. */
  replace(current: Revised<WebhookRecord>, next: WebhookRecord): Promise<boolean>;
  /** In no particular order. */
  all(): Promise<WebhookRecord[]>;
  /** False if it was not there. */
  delete(id: string): Promise<boolean>;
}

export interface Lease {
  holder: string;
  expiresAtMs: number;
}

export interface LeaseRows {
  /** Insert-if-absent: false if the lease exists. */
  insert(name: string, lease: Lease): Promise<boolean>;
  /** Replaces the lease if its holder is `heldBy` or its `expiresAtMs <= expiredBy`: false otherwise. */
  /**
   * Replaces the lease if `heldBy` holds it, it expired by `expiredBy`, or it expires after `insaneAfter` (set by a
   * clock that ran ahead: no sane holder sets an expiry further off than one lease).
   */
  replaceIf(name: string, lease: Lease, when: { heldBy: string; expiredBy: number; insaneAfter: number }): Promise<boolean>;
  /** Deletes the lease if `holder` holds it. */
  delete(name: string, holder: string): Promise<void>;
}

export interface MarkRows {
  get(name: string): Promise<string | null>;
  put(name: string, value: string, updatedAt: string): Promise<void>;
}

/** The run log: records by `runSortKey` (newest first). */
export interface RunRows {
  /** Insert-if-absent by sort key. */
  insert(run: RunRecord): Promise<void>;
  /** Ordered by `runSortKey`; every entry holds its record. */
  range(range: RangeRequest): Promise<Array<{ key: string; record: RunRecord }>>;
}

export interface StorageBackend {
  tasks: TaskRows;
  events: EventRows;
  deliveries: DeliveryRows;
  webhooks: WebhookRows;
  leases: LeaseRows;
  marks: MarkRows;
  runs: RunRows;
  /** Deletes exactly what ./retention.ts `purgeable` names, every table at once. */
  purge(before: string, keep: ReadonlySet<string>): Promise<RetentionResult>;
  close(): Promise<void>;
}
