/**
 * One poll cycle, start to end: the only place that orchestrates ECS, the store and webhook delivery.
 * Lease → static webhooks in step → unfinished commits completed → configured and discovered tasks watched →
 * DescribeTasks per region in batches, DescribeTaskAttribute where the transition rules ask for it → one
 * versioned commit per changed task with its events and deliveries → due deliveries sent → daily purge.
 */
import { randomUUID } from 'node:crypto';
import { chunk, groupBy, runBounded } from './batching.js';
import { runDeadlines } from './budget.js';
import type { Config } from './config.js';
import type { EcsApi, EcsCallRecord } from './ecs/api.js';
import { EcsError, VersionConflictError } from './errors.js';
import type { Logger } from './log.js';
import { taskKeyString, type StateStore, type TaskKey, type TaskRecord, type TransitionCommit, type WebhookRecord } from './store/port.js';
import type { TaskSnapshot } from './tasks/snapshot.js';
import {
  carryDetail,
  emptySnapshot,
  needsDetail,
  notFoundSnapshot,
  retiredSnapshot,
  transition,
  VERDICT,
  weighVerdict,
  type PendingVerdict,
} from './tasks/transition.js';
import { deliverDue, type AttemptReport, type DeliverySummary } from './webhooks/delivery.js';
import type { WebhookClient } from './webhooks/http-client.js';
import { deliveriesFor, webhookWants } from './webhooks/matching.js';
import { syncStaticWebhooks } from './webhooks/registry.js';

export interface PollDeps {
  /** A client for one run alone: its calls are counted in this run's summary. */
  ecsFor: (onCall: (record: EcsCallRecord) => void) => EcsApi & { close?: () => void };
  store: StateStore;
  config: Pick<Config, 'tasks' | 'discover' | 'webhooks' | 'retentionDays' | 'confirmSeconds'> & Partial<Pick<Config, 'leaseSeconds' | 'allowPrivateWebhooks'>>;
  logger: Logger;
  now: () => number;
  /** The one SSRF-safe client deliveries go through; without one, due deliveries wait for a run that has it. */
  webhookClient?: WebhookClient;
  /** Told of every delivery attempt of the run. */
  onDeliveryAttempt?: (report: AttemptReport) => void;
  accountId?: string;
}

export interface PollOptions {
  /** The run's whole budget (see budget.ts); every deadline of the run derives from it. */
  budgetMs: number;
  /** Poll only these regions (timer payload option). */
  regions?: string[];
  /** How far back discovery looks for newly created tasks. */
  discoveryWindowMs?: number;
  concurrency?: number;
  holder?: string;
}

export interface PollSummary {
  leased: boolean;
  /** `unconfirmed`: tasks ECS said were gone (or in an unknown region) once; a second answer must agree first. */
  tasks: { active: number; polled: number; deferred: number; discovered: number; invalid: number; unconfirmed: number };
  ecsCalls: Record<string, number>;
  throttled: number;
  events: Record<string, number>;
  conflicts: number;
  deliveries: DeliverySummary;
  durationMs: number;
}

const LEASE = 'poll';
const PURGE_LEASE = 'purge';
const IDS_PER_CALL = 100;
/** A task ECS refused for good is asked about again this often: the refusal may have been ECS's mistake. */
const RECHECK_INVALID_MS = 3_600_000;
/** Refusals about the caller, not about the ids in a batch: splitting the batch would not help. */
const NOT_ABOUT_THE_BATCH = /Signature|AccessKey|SecurityToken|Credentials|Forbidden|NoPermission|Unauthorized|Throttling/;
const DAY_MS = 24 * 3_600_000;

export async function pollOnce(deps: PollDeps, options: PollOptions): Promise<PollSummary> {
  const started = deps.now();
  const { workUntil, leaseTtlMs, leaseRenewEveryMs } = runDeadlines(started, options.budgetMs, deps.config.leaseSeconds);
  const holder = options.holder ?? randomUUID();
  const summary: PollSummary = {
    leased: false,
    tasks: { active: 0, polled: 0, deferred: 0, discovered: 0, invalid: 0, unconfirmed: 0 },
    ecsCalls: {},
    throttled: 0,
    events: {},
    conflicts: 0,
    deliveries: { succeeded: 0, failed: 0, dead: 0 },
    durationMs: 0,
  };
  const ecs = deps.ecsFor((call) => {
    if (call.sent !== false) summary.ecsCalls[call.action] = (summary.ecsCalls[call.action] ?? 0) + 1;
    if (call.throttled) summary.throttled++;
    if (call.note) deps.logger.warn('ECS answer set aside', { action: call.action, regionId: call.regionId, code: call.code, note: call.note });
  });

  if (!(await deps.store.acquireLease(LEASE, holder, leaseTtlMs, started))) {
    ecs.close?.();
    summary.durationMs = deps.now() - started;
    deps.logger.info('poll skipped: another run holds the lease', { summary });
    return summary;
  }
  summary.leased = true;
  const run: Run = { deps, ecs, options, workUntil, summary, leaseLost: false };
  // Renewed while the run works; if another run took it meanwhile (ours had expired), no new work starts.
  const renewal = setInterval(() => {
    deps.store.acquireLease(LEASE, holder, leaseTtlMs, deps.now()).then(
      (held) => (run.leaseLost ||= !held),
      () => undefined,
    );
  }, leaseRenewEveryMs);
  renewal.unref();
  try {
    await syncStaticWebhooks(deps.store, deps.config.webhooks, started, {
      policy: { allowPrivate: deps.config.allowPrivateWebhooks ?? [] },
      logger: deps.logger,
    });
    await deps.store.completePendingCommits();
    await watchConfigured(run);
    summary.tasks.discovered = await discover(run);

    const webhooks = await deps.store.listWebhooks();
    const active = (await listAll(deps.store)).filter(
      (t) => inRegion(run, t.regionId) && (!t.invalid || started - Date.parse(t.updatedAt) >= RECHECK_INVALID_MS),
    );
    summary.tasks.active = active.length;

    const byRegion = groupBy(active, (t) => t.regionId);
    const batches = [...byRegion.entries()].flatMap(([regionId, tasks]) => chunk(tasks, IDS_PER_CALL).map((batch) => ({ regionId, tasks: batch })));
    await runBounded(batches, options.concurrency ?? 4, async ({ regionId, tasks }) => {
      if (stopping(run)) {
        summary.tasks.deferred += tasks.length;
        return;
      }
      await pollBatch(run, regionId, tasks, webhooks);
    });

    if (deps.webhookClient && !stopping(run)) {
      summary.deliveries = await deliverDue(
        { store: deps.store, client: deps.webhookClient, logger: deps.logger, now: deps.now, onAttempt: deps.onDeliveryAttempt },
        { deadlineMs: workUntil },
      );
    }
    await purgeDaily(deps);
  } finally {
    clearInterval(renewal);
    ecs.close?.();
    await deps.store.releaseLease(LEASE, holder).catch(() => undefined);
    summary.durationMs = deps.now() - started;
  }
  deps.logger.info('poll finished', { summary });
  return summary;
}

interface Run {
  deps: PollDeps;
  ecs: EcsApi;
  options: PollOptions;
  workUntil: number;
  summary: PollSummary;
  leaseLost: boolean;
}

const stopping = (run: Run) => run.leaseLost || run.deps.now() >= run.workUntil;

const inRegion = (run: Run, regionId: string) => !run.options.regions || run.options.regions.includes(regionId);
const nowIso = (run: Run) => new Date(run.deps.now()).toISOString();

async function pollBatch(run: Run, regionId: string, tasks: TaskRecord[], webhooks: WebhookRecord[]): Promise<void> {
  const { deps, ecs, summary } = run;
  let listed: TaskSnapshot[];
  try {
    listed = await ecs.describeTasks(regionId, { taskIds: tasks.map((t) => t.taskId) });
  } catch (error) {
    if (error instanceof EcsError && error.code === VERDICT.invalidRegion) {
      for (const task of tasks) await weigh(run, task, VERDICT.invalidRegion, error, webhooks);
      return;
    }
    if (error instanceof EcsError && rejectsTheBatch(error)) {
      // One bad id must not stall the other 99: halve until it stands alone, then mark it.
      if (tasks.length === 1) return retire(run, tasks[0], error);
      const half = Math.ceil(tasks.length / 2);
      await pollBatch(run, regionId, tasks.slice(0, half), webhooks);
      await pollBatch(run, regionId, tasks.slice(half), webhooks);
      return;
    }
    noteFailure(deps, error, { regionId, tasks: tasks.length });
    summary.tasks.deferred += tasks.length;
    return;
  }
  const seen = new Map(listed.map((s) => [s.id, s]));

  for (const task of tasks) {
    if (stopping(run)) {
      summary.tasks.deferred++;
      continue;
    }
    const previous = task.snapshot;
    const entry = seen.get(task.taskId);
    const progressWanted = entry !== undefined && webhooks.some((w) => webhookWants(w, 'ecs.task.progress', entry));
    if (!needsDetail(previous, entry, progressWanted)) {
      if (entry) {
        summary.tasks.polled++;
        await commit(run, task, carryDetail(previous, entry), webhooks);
      } else {
        // An action DescribeTaskAttribute does not document: missing from the list is the only evidence.
        await weigh(run, task, VERDICT.missingFromList, null, webhooks);
      }
      continue;
    }
    let detail: TaskSnapshot;
    try {
      detail = await ecs.describeTaskAttribute(regionId, task.taskId);
    } catch (error) {
      if (!(error instanceof EcsError && error.code === VERDICT.notFound)) {
        noteFailure(deps, error, { regionId, taskId: task.taskId });
        summary.tasks.deferred++;
      } else if (entry) {
        // DescribeTasks lists it, so it exists: the list's view stands and nothing ends.
        summary.tasks.polled++;
        await commit(run, task, carryDetail(previous, entry), webhooks);
      } else {
        await weigh(run, task, VERDICT.notFound, error, webhooks);
      }
      continue;
    }
    summary.tasks.polled++;
    await commit(run, task, detail, webhooks);
  }
}

/** A client error about the request's content (not the caller, not throttling): some id in the batch is refused. */
const rejectsTheBatch = (error: EcsError) =>
  !error.retryable && error.httpStatus !== null && error.httpStatus >= 400 && error.httpStatus < 500 && !NOT_ABOUT_THE_BATCH.test(error.code);

/**
 * Evidence that a task is gone (or its region unknown) becomes a verdict only when a second answer, far enough
 * from the first, agrees; until then the first sighting is kept on the record and the task stays watched.
 */
async function weigh(run: Run, task: TaskRecord, code: string, error: EcsError | null, webhooks: WebhookRecord[]) {
  const observedAt = nowIso(run);
  const requestId = error?.requestId ?? null;
  const { confirmed, pending } = weighVerdict(task.pendingVerdict, code, requestId, observedAt, run.deps.config.confirmSeconds * 1000);
  if (confirmed) {
    run.summary.tasks.polled++;
    if (code === VERDICT.invalidRegion) return retire(run, task, error!);
    return commit(run, task, notFoundSnapshot(task.snapshot, task, requestId, observedAt), webhooks);
  }
  run.summary.tasks.unconfirmed++;
  if (pending === task.pendingVerdict) return;
  await write(run, task, {
    snapshot: task.snapshot ?? emptySnapshot(task, observedAt),
    sequence: task.sequence,
    active: task.active,
    invalid: task.invalid,
    events: [],
    deliveries: [],
    pendingVerdict: pending,
  });
}

async function commit(run: Run, task: TaskRecord, next: TaskSnapshot, webhooks: WebhookRecord[]) {
  const { deps, summary } = run;
  const { events, changed, unknownStatus } = transition({ previous: task.snapshot, next, sequence: task.sequence, accountId: deps.accountId });
  if (unknownStatus) {
    deps.logger.warn('ECS reported a task status taskhook does not know; it keeps polling the task', {
      regionId: task.regionId,
      taskId: task.taskId,
      status: next.status,
    });
  }
  // A verdict left pending or a refusal left standing is cleared by any answer that shows the task.
  if (!changed && !task.pendingVerdict && !task.invalid) return;
  const deliveries = events.flatMap((event) => deliveriesFor(event, webhooks, next.observedAt));
  if (
    await write(run, task, {
      snapshot: next,
      sequence: task.sequence + events.length,
      active: !next.terminal,
      invalid: null,
      events,
      deliveries,
      pendingVerdict: null,
    })
  ) {
    for (const event of events) summary.events[event.type] = (summary.events[event.type] ?? 0) + 1;
  }
}

/** ECS refused the task for good (an unknown region, an id it rejects): it is skipped, with the reason shown, and asked about again hourly. */
async function retire(run: Run, task: TaskRecord, error: EcsError) {
  const invalid = { code: error.code, message: error.message };
  const snapshot = retiredSnapshot(task.snapshot, task, error.requestId, nowIso(run));
  if (await write(run, task, { snapshot, sequence: task.sequence, active: true, invalid, events: [], deliveries: [], pendingVerdict: null }))
    run.summary.tasks.invalid++;
}

/** The versioned commit; false when another run committed this task first (its write stands, the next poll starts from it). */
async function write(
  run: Run,
  task: TaskRecord,
  change: Omit<TransitionCommit, 'key' | 'expectedVersion'> & { pendingVerdict: PendingVerdict | null },
): Promise<boolean> {
  try {
    await run.deps.store.commitTransition({ key: { regionId: task.regionId, taskId: task.taskId }, expectedVersion: task.version, ...change });
    return true;
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    run.summary.conflicts++;
    return false;
  }
}

async function watchConfigured(run: Run) {
  const targets: TaskKey[] = run.deps.config.tasks.filter((t) => inRegion(run, t.regionId));
  if (targets.length === 0) return;
  const known = await run.deps.store.getTasks(targets);
  for (const target of targets) {
    if (!known.get(taskKeyString(target))?.sources.includes('config')) await run.deps.store.watchTask(target, 'config', nowIso(run));
  }
}

/** DescribeTasks by region, action and a creation-time window; every task not yet known is watched. */
async function discover(run: Run): Promise<number> {
  const { deps, ecs } = run;
  let added = 0;
  const windowMs = run.options.discoveryWindowMs ?? 60 * 60_000;
  const endTime = nowIso(run);
  const startTime = new Date(deps.now() - windowMs).toISOString();
  for (const rule of deps.config.discover.filter((r) => inRegion(run, r.regionId))) {
    for (const action of rule.actions.length ? rule.actions : [undefined]) {
      let found: TaskSnapshot[];
      try {
        found = await ecs.describeTasks(rule.regionId, { action, startTime, endTime });
      } catch (error) {
        noteFailure(deps, error, { regionId: rule.regionId, action, during: 'discovery' });
        continue;
      }
      const known = await deps.store.getTasks(found.map((t) => ({ regionId: rule.regionId, taskId: t.id })));
      for (const task of found) {
        if (known.has(taskKeyString({ regionId: rule.regionId, taskId: task.id }))) continue;
        await deps.store.watchTask({ regionId: rule.regionId, taskId: task.id }, 'discovery', endTime);
        added++;
      }
    }
  }
  return added;
}

/** A lease that is never released, held for a day: whichever run takes it purges, the others skip. */
async function purgeDaily(deps: PollDeps): Promise<void> {
  const now = deps.now();
  if (!(await deps.store.acquireLease(PURGE_LEASE, randomUUID(), DAY_MS, now))) return;
  const before = new Date(now - deps.config.retentionDays * DAY_MS).toISOString();
  try {
    const removed = await deps.store.purge(before);
    deps.logger.info('purged records past retention', { before, removed });
  } catch (error) {
    deps.logger.warn('purge failed; it is tried again tomorrow', { error });
  }
}

function noteFailure(deps: PollDeps, error: unknown, where: Record<string, unknown>) {
  deps.logger.warn('ECS call failed; the affected tasks are polled again next run', { ...where, error });
}

async function listAll(store: StateStore): Promise<TaskRecord[]> {
  const all: TaskRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listActiveTasks({ limit: 1000, cursor });
    all.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return all;
}
