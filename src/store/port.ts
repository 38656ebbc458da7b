/**
 * The StateStore port, split by role so a consumer can depend on the narrowest one. One contract suite
 * (test/store/contract.ts) holds every store to the same behaviour; the rules live once in ./layer.ts.
 */
import type { TaskSnapshot } from '../tasks/snapshot.js';
import type { TaskEvent } from '../tasks/events.js';

/** Why a task is watched; `hint` is an EventBridge hint's speculative watch, which a user's registration (`api`) outlives. */
export type WatchSource = 'config' | 'api' | 'discovery' | 'hint';

export interface TaskKey {
  regionId: string;
  taskId: string;
}

export const taskKeyString = (key: TaskKey) => `${key.regionId}/${key.taskId}`;

/** An answer from ECS that would end the task, seen once and waiting for a later answer to confirm it. */
export interface PendingVerdict {
  code: string;
  firstSeenAt: string;
  requestId: string | null;
}

export interface TaskRecord extends TaskKey {
  sources: WatchSource[];
  /** The last-seen state; null until the first poll commits one. */
  snapshot: TaskSnapshot | null;
  /** 0 before the first commit, then +1 per commit: the optimistic-concurrency guard. */
  version: number;
  /** The `data.sequence` of this task's last event. */
  sequence: number;
  /** Polled while true; false once terminal or retired. */
  active: boolean;
  /** Set when ECS refused the task for good (e.g. an unknown region); shown in the API, never retried. */
  invalid: { code: string; message: string } | null;
  /** A verdict not yet confirmed (e.g. InvalidTaskId.NotFound once); null when none is waiting. */
  pendingVerdict: PendingVerdict | null;
  watchedAt: string;
  updatedAt: string;
  /** When a poll last asked ECS about the task and got an answer for it; null until the first. */
  lastPolledAt: string | null;
}

export interface NewDelivery {
  id: string;
  eventId: string;
  webhookId: string;
  regionId: string;
  taskId: string;
  sequence: number;
  /** When the first attempt is due. */
  dueAt: string;
  createdAt: string;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'dead';

export interface Delivery extends NewDelivery {
  status: DeliveryStatus;
  attempts: number;
  /** Null once succeeded or dead. */
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  updatedAt: string;
}

export interface DeliveryAttempt {
  deliveryId: string;
  eventId: string;
  webhookId: string;
  attempt: number;
  at: string;
  /** HTTP status, null when no response came back. */
  status: number | null;
  durationMs: number;
  success: boolean;
  error: string | null;
  /** The first 4 KB of the response body. */
  responseSnippet: string;
}

export interface DeliveryUpdate {
  status: DeliveryStatus;
  nextAttemptAt: string | null;
}

export interface WebhookFilter {
  regions?: string[];
  actions?: string[];
  taskIds?: string[];
}

export interface PreviousSecret {
  secret: string;
  expiresAt: string;
}

export interface WebhookSecrets {
  current: string;
  /** Each still signs until its own `expiresAt`; records written before rotation kept a list hold one object. */
  previous?: PreviousSecret[] | PreviousSecret;
}

export interface WebhookRecord {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  filter: WebhookFilter;
  enabled: boolean;
  disabledReason: string | null;
  secrets: WebhookSecrets;
  source: 'api' | 'config';
  /** When the current run of failures began; null while healthy. */
  failingSince: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface StoredEvent {
  event: TaskEvent;
  regionId: string;
  taskId: string;
  recordedAt: string;
}

export interface Page<T> {
  items: T[];
  /** Pass back to get the next page; absent on the last page. */
  cursor?: string;
}

export interface PageRequest {
  cursor?: string;
  limit: number;
}

/**
 * A page of the active watch list in key order. With `regionId`, only that region's tasks; `after`/`upTo` bound
 * them by task id (after: exclusive, upTo: inclusive), which a sweep and a shard's key range use.
 */
export interface ActiveTaskQuery extends PageRequest {
  regionId?: string;
  after?: string;
  upTo?: string;
}

export interface EventQuery extends PageRequest {
  regionId?: string;
  taskId?: string;
  type?: string;
}

export interface TransitionCommit {
  key: TaskKey;
  /** The version the caller read; the commit fails with VersionConflictError if the row moved on. */
  expectedVersion: number;
  snapshot: TaskSnapshot;
  sequence: number;
  active: boolean;
  invalid?: { code: string; message: string } | null;
  /** Stored as given; a commit that passes none clears it. */
  pendingVerdict?: PendingVerdict | null;
  /**
   * Written only if absent (ids are deterministic), together with the snapshot. An existing event with the same id
   * and a different body fails the commit with StoreError `EventIdConflict`.
   */
  events: TaskEvent[];
  deliveries: NewDelivery[];
}

export interface RetentionResult {
  tasks: number;
  events: number;
  deliveries: number;
  attempts: number;
  runs: number;
}

/** The watch list and its transitions: what the poller reads and commits. */
export interface TaskStore {
  /** Adds the task to the watch list (or adds a source to it); watching twice is not an error. */
  watchTask(key: TaskKey, source: WatchSource, now: string): Promise<TaskRecord>;
  /** Removes one source; the task is forgotten when none is left. True if it was watched by that source. */
  unwatchTask(key: TaskKey, source: WatchSource): Promise<boolean>;
  getTasks(keys: TaskKey[]): Promise<Map<string, TaskRecord>>;
  listActiveTasks(page: ActiveTaskQuery): Promise<Page<TaskRecord>>;
  /** The regions that have active tasks, in key order: one small read per region, however long the list. */
  listActiveRegions(): Promise<string[]>;
  /**
   * How many active tasks a region has, reading keys only, and every `sampleEvery`-th task id in order: the
   * boundaries a region too large for one run is split at.
   */
  countActiveTasks(regionId: string, sampleEvery: number): Promise<{ count: number; samples: string[] }>;
  listTasks(page: PageRequest): Promise<Page<TaskRecord>>;
  /**
   * The new snapshot and its events and deliveries, as one unit: exactly one of two racing commits wins, and a
   * crash at any point neither loses nor duplicates an event. SQLite and memory make all of it visible at once;
   * Tablestore commits the snapshot with an outbox in one conditional row write and writes the events from it
   * right after — or, after a crash, in completePendingCommits or when the task's next commit meets the outbox.
   */
  commitTransition(commit: TransitionCommit): Promise<void>;
  /**
   * Several commits as commitTransition makes each, in as few round trips as the store allows (SQLite: one
   * transaction). Each succeeds or fails alone: the answer says, per commit, whether it won or lost the version
   * race; any other failure of one commit is thrown after the others were made.
   */
  commitTransitions(commits: TransitionCommit[]): Promise<Array<'committed' | 'conflict'>>;
  /** Sets `lastPolledAt` of each task still there (a gone one is not written back); one round trip per batch. */
  markPolled(keys: TaskKey[], at: string): Promise<void>;
  /**
   * Finishes the commits a crash left half-written (snapshot stored, events and deliveries not yet): writes them
   * out exactly once and returns how many it finished. Idempotent; 0 where every commit is atomic (memory, SQLite).
   */
  completePendingCommits(): Promise<number>;
}

/** The events that transitions recorded, and the operational ones (webhook.disabled, ...) appended on their own. */
export interface EventLog {
  /**
   * Stores each event whose id is absent; one stored with the same body is a no-op, one with a different body fails
   * with StoreError `EventIdConflict` (nothing of the call written when that is known up front). For events of no
   * task: an operational event is stored under its own region and subject (src/webhooks/operational.ts) and has no
   * `data.sequence`.
   */
  appendEvents(events: StoredEvent[]): Promise<void>;
  getEvent(id: string): Promise<StoredEvent | null>;
  /** Newest first. */
  listEvents(query: EventQuery): Promise<Page<StoredEvent>>;
  /**
   * The events committed after a feed cursor, in commit order, only those the filter wants (see FeedQuery). The
   * answer's cursor resumes after the last event looked at, on any instance and after a restart.
   */
  readFeed(query: FeedQuery): Promise<FeedPage>;
  /** Settles when this store object commits an event, after `ms`, or when `signal` aborts, whichever comes first. */
  eventsCommitted(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface FeedQuery {
  /** A cursor from an earlier FeedPage; `now` for only what is committed from now on; `start` for every event kept. */
  after: string;
  limit: number;
  /** Which events the reader wants (src/webhooks/matching.ts decides, as for a webhook); absent: every one. */
  wants?: (stored: StoredEvent) => boolean;
}

export interface FeedPage {
  items: StoredEvent[];
  /** Where the next read starts; the same as the one asked with when nothing new was looked at. */
  cursor: string;
}

export interface DeliveryQuery extends PageRequest {
  eventId?: string;
  webhookId?: string;
}

/** Deliveries waiting to be sent, their attempts, and how each moves on. */
export interface DeliveryQueue {
  /** Inserts deliveries that do not exist yet (by id). */
  enqueueDeliveries(deliveries: NewDelivery[]): Promise<void>;
  /** Pending deliveries whose next attempt is due at `now`, oldest due first, without scanning finished ones. */
  listDueDeliveries(now: string, limit: number): Promise<Delivery[]>;
  /** Moves a pending delivery's next attempt (it waits behind an earlier one, or its webhook is paused). */
  rescheduleDelivery(id: string, nextAttemptAt: string): Promise<void>;
  /**
   * Takes a pending delivery for one send: moves its next attempt from exactly `expectedNextAttemptAt` to `until`
   * (later, so no other run lists it as due meanwhile). False if it is not pending or another run moved it first:
   * of racing claims with the same expected time exactly one is true.
   */
  claimDelivery(id: string, expectedNextAttemptAt: string, until: string): Promise<boolean>;
  /** Marks a pending delivery dead without an attempt (its webhook was disabled or deleted). */
  abandonDelivery(id: string, reason: string, now: string): Promise<void>;
  /** The pending delivery with the lowest sequence for this webhook and task: the one that must go first. */
  firstPendingDelivery(webhookId: string, key: TaskKey): Promise<Delivery | null>;
  /** Appends the attempt and moves the delivery on (rescheduled, succeeded or dead). */
  recordAttempt(attempt: DeliveryAttempt, update: DeliveryUpdate): Promise<void>;
  /** Newest first. */
  listDeliveries(query: DeliveryQuery): Promise<Page<Delivery>>;
  /** Newest first. */
  listAttempts(query: DeliveryQuery): Promise<Page<DeliveryAttempt>>;
}

export interface WebhookStore {
  /** Inserts or replaces the whole record: for creating one; changes to a stored one go through updateWebhook. */
  putWebhook(webhook: WebhookRecord): Promise<void>;
  getWebhook(id: string): Promise<WebhookRecord | null>;
  /**
   * Read → `change` → replace only if nobody wrote the record meanwhile, else again on the fresh record (so two
   * concurrent changes both survive). `change` gets a copy it may modify and returns the new record, or null to
   * leave it. Resolves to the record as stored afterwards; null if there is no webhook with that id.
   */
  updateWebhook(id: string, change: (current: WebhookRecord) => WebhookRecord | null): Promise<WebhookRecord | null>;
  /** Oldest first. */
  listWebhooks(): Promise<WebhookRecord[]>;
  deleteWebhook(id: string): Promise<boolean>;
}

/** Named leases, so only one poll run works at a time. */
export interface LeaseStore {
  /** True if `holder` now holds the lease (it was free, expired, or already theirs). */
  acquireLease(name: string, holder: string, ttlMs: number, nowMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
}

/**
 * Small named positions a run leaves for the next: where a region's sweep stopped, where a discovery rule's last
 * window ended. Last write wins; a lost write only costs the next run some repeated work.
 */
export interface MarkStore {
  getMark(name: string): Promise<string | null>;
  setMark(name: string, value: string, now: string): Promise<void>;
}

export interface RetentionStore {
  /** Removes inactive tasks, events, deliveries, attempts and runs last touched before `before`. */
  /** `keep`: tasks that stay however old (the configured ones), keyed by taskKeyString. */
  purge(before: string, keep?: ReadonlySet<string>): Promise<RetentionResult>;
}

/**
 * One finished poll run as the run log keeps it. `summary` is the run's PollSummary (src/poller.ts), stored as given:
 * the store is below the poller and does not read it.
 */
export interface RunRecord<Summary extends object = object> {
  id: string;
  startedAt: string;
  finishedAt: string;
  summary: Summary;
}

/** The summaries of the recent poll runs, newest first; the retention purge removes those finished before its cut-off. */
export interface RunLog {
  /** Stores the run if no run with the same id and start is stored yet (recording it again is a no-op). */
  recordRun(run: RunRecord): Promise<void>;
  /** Newest `startedAt` first. */
  listRuns(page: PageRequest): Promise<Page<RunRecord>>;
}

/** Everything taskhook remembers: every role, and the connection behind them. */
export interface StateStore extends TaskStore, EventLog, DeliveryQueue, WebhookStore, LeaseStore, MarkStore, RunLog, RetentionStore {
  close(): Promise<void>;
}
