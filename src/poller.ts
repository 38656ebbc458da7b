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
import { taskKeyString, type StateStore, type TaskKey, type TaskRecord, type WebhookRecord } from './store/port.js';
import type { TaskSnapshot } from './tasks/snapshot.js';
import { carryDetail, needsDetail, notFoundSnapshot, retiredSnapshot, transition } from './tasks/transition.js';
import { deliverDue, type DeliverySummary } from './webhooks/delivery.js';
import type { WebhookClient } from './webhooks/http-client.js';
import { deliveriesFor, webhookWants } from './webhooks/matching.js';
import { syncStaticWebhooks } from './webhooks/registry.js';

export interface PollDeps {
  /** A client for one run alone: its calls are counted in this run's summary. */
  ecsFor: (onCall: (record: EcsCallRecord) => void) => EcsApi & { close?: () => void };
  store: StateStore;
  config: Pick<Config, 'tasks' | 'discover' | 'webhooks' | 'retentionDays'>;
  logger: Logger;
  now: () => number;
  /** The one SSRF-safe client deliveries go through; without one, due deliveries wait for a run that has it. */
  webhookClient?: WebhookClient;
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
  tasks: { active: number; polled: number; deferred: number; discovered: number; invalid: number };
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
const DAY_MS = 24 * 3_600_000;

export async function pollOnce(deps: PollDeps, options: PollOptions): Promise<PollSummary> {
  const started = deps.now();
  const { workUntil, leaseTtlMs } = runDeadlines(started, options.budgetMs);
  const holder = options.holder ?? randomUUID();
  const summary: PollSummary = {
    leased: false,
    tasks: { active: 0, polled: 0, deferred: 0, discovered: 0, invalid: 0 },
    ecsCalls: {},
    throttled: 0,
    events: {},
    conflicts: 0,
    deliveries: { succeeded: 0, failed: 0, dead: 0 },
    durationMs: 0,
  };
  const ecs = deps.ecsFor((call) => {
    summary.ecsCalls[call.action] = (summary.ecsCalls[call.action] ?? 0) + 1;
    if (call.throttled) summary.throttled++;
  });

  if (!(await deps.store.acquireLease(LEASE, holder, leaseTtlMs, started))) {
    ecs.close?.();
    summary.durationMs = deps.now() - started;
    deps.logger.info('poll skipped: another run holds the lease', { summary });
    return summary;
  }
  summary.leased = true;
  const run: Run = { deps, ecs, options, workUntil, summary };
  try {
    await syncStaticWebhooks(deps.store, deps.config.webhooks, started);
    await deps.store.completePendingCommits();
    await watchConfigured(run);
    summary.tasks.discovered = await discover(run);

    const webhooks = await deps.store.listWebhooks();
    const active = (await listAll(deps.store)).filter((t) => inRegion(run, t.regionId) && !t.invalid);
    summary.tasks.active = active.length;

    const byRegion = groupBy(active, (t) => t.regionId);
    const batches = [...byRegion.entries()].flatMap(([regionId, tasks]) => chunk(tasks, IDS_PER_CALL).map((batch) => ({ regionId, tasks: batch })));
    await runBounded(batches, options.concurrency ?? 4, async ({ regionId, tasks }) => {
      if (deps.now() >= workUntil) {
        summary.tasks.deferred += tasks.length;
        return;
      }
      await pollBatch(run, regionId, tasks, webhooks);
    });

    if (deps.webhookClient && deps.now() < workUntil) {
      summary.deliveries = await deliverDue({ store: deps.store, client: deps.webhookClient, logger: deps.logger, now: deps.now }, { deadlineMs: workUntil });
    }
    await purgeDaily(deps);
  } finally {
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
}

const inRegion = (run: Run, regionId: string) => !run.options.regions || run.options.regions.includes(regionId);
const nowIso = (run: Run) => new Date(run.deps.now()).toISOString();

async function pollBatch(run: Run, regionId: string, tasks: TaskRecord[], webhooks: WebhookRecord[]) {
  const { deps, ecs, summary } = run;
  let listed: TaskSnapshot[];
  try {
    listed = await ecs.describeTasks(regionId, { taskIds: tasks.map((t) => t.taskId) });
  } catch (error) {
    if (error instanceof EcsError && error.code === 'InvalidRegionId.NotFound') {
      for (const task of tasks) await retire(run, task, error);
      return;
    }
    noteFailure(deps, error, { regionId, tasks: tasks.length });
    summary.tasks.deferred += tasks.length;
    return;
  }
  const seen = new Map(listed.map((s) => [s.id, s]));

  for (const task of tasks) {
    if (deps.now() >= run.workUntil) {
      summary.tasks.deferred++;
      continue;
    }
    const previous = task.snapshot;
    const entry = seen.get(task.taskId);
    const progressWanted = entry !== undefined && webhooks.some((w) => webhookWants(w, 'ecs.task.progress', entry));
    let next: TaskSnapshot;
    if (entry && !needsDetail(previous, entry, progressWanted)) {
      next = carryDetail(previous, entry);
    } else {
      try {
        next = await ecs.describeTaskAttribute(regionId, task.taskId);
      } catch (error) {
        if (error instanceof EcsError && error.code === 'InvalidTaskId.NotFound') {
          next = notFoundSnapshot(previous, task, error.requestId, nowIso(run));
        } else {
          noteFailure(deps, error, { regionId, taskId: task.taskId });
          summary.tasks.deferred++;
          continue;
        }
      }
    }
    summary.tasks.polled++;
    await commit(run, task, next, webhooks);
  }
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
  if (!changed) return;
  const deliveries = events.flatMap((event) => deliveriesFor(event, webhooks, next.observedAt));
  try {
    await deps.store.commitTransition({
      key: { regionId: task.regionId, taskId: task.taskId },
      expectedVersion: task.version,
      snapshot: next,
      sequence: task.sequence + events.length,
      active: !next.terminal,
      events,
      deliveries,
    });
    for (const event of events) summary.events[event.type] = (summary.events[event.type] ?? 0) + 1;
  } catch (error) {
    // Another run committed this task first; its events stand, and the next poll starts from its snapshot.
    if (error instanceof VersionConflictError) summary.conflicts++;
    else throw error;
  }
}

/** ECS refused the task for good (an unknown region): it leaves the active list, with the reason kept. */
async function retire(run: Run, task: TaskRecord, error: EcsError) {
  try {
    await run.deps.store.commitTransition({
      key: { regionId: task.regionId, taskId: task.taskId },
      expectedVersion: task.version,
      snapshot: retiredSnapshot(task.snapshot, task, error.requestId, nowIso(run)),
      sequence: task.sequence,
      active: false,
      invalid: { code: error.code, message: error.message },
      events: [],
      deliveries: [],
    });
    run.summary.tasks.invalid++;
  } catch (e) {
    if (!(e instanceof VersionConflictError)) throw e;
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
