/** One poll cycle: the only place that orchestrates ECS, the store and webhook fan-out. */
import { randomUUID } from 'node:crypto';
import { chunk, groupBy, runBounded } from './batching.js';
import type { Config } from './config.js';
import type { EcsApi, EcsCallRecord } from './ecs/api.js';
import { notFoundSnapshot } from './ecs/normalize.js';
import { EcsError, VersionConflictError } from './errors.js';
import type { Logger } from './log.js';
import { taskKeyString, type StateStore, type TaskKey, type TaskRecord, type WebhookRecord } from './store/port.js';
import { eventsForTransition, type TaskEvent } from './tasks/events.js';
import type { TaskSnapshot } from './tasks/snapshot.js';
import { deliveriesFor, webhookWants } from './webhooks/matching.js';

export interface PollDeps {
  /** A client for this run alone: its calls are counted here and its throttle pause is shared by this run's callers. */
  ecs: (onCall: (record: EcsCallRecord) => void) => EcsApi & { close?: () => void };
  store: StateStore;
  config: Pick<Config, 'tasks' | 'discover'>;
  logger: Logger;
  now: () => number;
  /** Sends due deliveries until the deadline; absent until webhooks are wired in. */
  deliver?: (deadlineMs: number) => Promise<DeliverySummary>;
  accountId?: string;
}

export interface PollOptions {
  /** Stop starting new work after this many milliseconds. */
  budgetMs: number;
  /** Poll only these regions (timer payload option). */
  regions?: string[];
  /** How far back discovery looks for newly created tasks. */
  discoveryWindowMs?: number;
  concurrency?: number;
  holder?: string;
}

export interface DeliverySummary {
  succeeded: number;
  failed: number;
  dead: number;
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
const IDS_PER_CALL = 100;
/** Leaves room at the end of the budget for the commits of work already started. */
const SAFETY_MARGIN_MS = 2_000;

export async function pollOnce(deps: PollDeps, options: PollOptions): Promise<PollSummary> {
  const started = deps.now();
  const deadline = started + Math.max(0, options.budgetMs - SAFETY_MARGIN_MS);
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
  const ecs = deps.ecs((call) => {
    summary.ecsCalls[call.action] = (summary.ecsCalls[call.action] ?? 0) + 1;
    if (call.throttled) summary.throttled++;
  });

  // The lease outlives the budget a little, so a crashed run blocks the next one only briefly.
  if (!(await deps.store.acquireLease(LEASE, holder, options.budgetMs + 30_000, started))) {
    ecs.close?.();
    summary.durationMs = deps.now() - started;
    deps.logger.info('poll skipped: another run holds the lease', { summary });
    return summary;
  }
  summary.leased = true;
  try {
    const inRegion = (regionId: string) => !options.regions || options.regions.includes(regionId);
    const nowIso = () => new Date(deps.now()).toISOString();

    await watchConfigured(deps.store, deps.config.tasks.filter((t) => inRegion(t.regionId)), nowIso());
    summary.tasks.discovered = await discover(deps, ecs, options, inRegion, nowIso, summary);

    const webhooks = await deps.store.listWebhooks();
    const active = (await listAll(deps.store)).filter((t) => inRegion(t.regionId) && !t.invalid);
    summary.tasks.active = active.length;

    const byRegion = groupBy(active, (t) => t.regionId);
    const chunks = [...byRegion.entries()].flatMap(([regionId, tasks]) => chunk(tasks, IDS_PER_CALL).map((c) => ({ regionId, tasks: c })));
    await runBounded(chunks, options.concurrency ?? 4, async ({ regionId, tasks }) => {
      if (deps.now() >= deadline) {
        summary.tasks.deferred += tasks.length;
        return;
      }
      await pollChunk(deps, ecs, regionId, tasks, webhooks, deadline, summary);
    });

    if (deps.deliver && deps.now() < deadline) summary.deliveries = await deps.deliver(deadline);
  } finally {
    ecs.close?.();
    await deps.store.releaseLease(LEASE, holder).catch(() => undefined);
    summary.durationMs = deps.now() - started;
  }
  deps.logger.info('poll finished', { summary });
  return summary;
}

async function pollChunk(deps: PollDeps, ecs: EcsApi, regionId: string, tasks: TaskRecord[], webhooks: WebhookRecord[], deadline: number, summary: PollSummary) {
  let listed: TaskSnapshot[];
  try {
    listed = await ecs.describeTasks(regionId, { taskIds: tasks.map((t) => t.taskId) });
  } catch (error) {
    if (error instanceof EcsError && error.code === 'InvalidRegionId.NotFound') {
      for (const task of tasks) await markInvalid(deps, task, error, summary);
      return;
    }
    noteFailure(deps, error, { regionId, tasks: tasks.length });
    summary.tasks.deferred += tasks.length;
    return;
  }
  const seen = new Map(listed.map((s) => [s.id, s]));

  for (const task of tasks) {
    if (deps.now() >= deadline) {
      summary.tasks.deferred++;
      continue;
    }
    const previous = task.snapshot;
    const entry = seen.get(task.taskId);
    // DescribeTasks has no progress, counts or error details: ask for the attribute when those matter.
    const wantsDetail = !entry || (entry.terminal && !previous?.terminal) || (!entry.terminal && entry.outcome === 'running' && hasProgressSubscriber(webhooks, entry));
    let next: TaskSnapshot;
    if (!wantsDetail) {
      next = carryDetail(previous, entry!);
    } else {
      try {
        next = await ecs.describeTaskAttribute(regionId, task.taskId);
      } catch (error) {
        if (error instanceof EcsError && error.code === 'InvalidTaskId.NotFound') {
          next = notFoundSnapshot(previous, task.taskId, regionId, error.requestId, new Date(deps.now()).toISOString());
        } else {
          noteFailure(deps, error, { regionId, taskId: task.taskId });
          summary.tasks.deferred++;
          continue;
        }
      }
    }
    summary.tasks.polled++;
    await commit(deps, task, next, webhooks, summary);
  }
}

async function commit(deps: PollDeps, task: TaskRecord, next: TaskSnapshot, webhooks: WebhookRecord[], summary: PollSummary) {
  const previous = task.snapshot;
  if (next.outcome === 'unknown' && previous?.status !== next.status) {
    deps.logger.warn('ECS reported a task status taskhook does not know; it keeps polling the task', { regionId: task.regionId, taskId: task.taskId, status: next.status });
  }
  const events = eventsForTransition({ previous, next, sequence: task.sequence, accountId: deps.accountId });
  const changed = !previous || events.length > 0 || previous.status !== next.status || previous.progress !== next.progress;
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

async function markInvalid(deps: PollDeps, task: TaskRecord, error: EcsError, summary: PollSummary) {
  const observedAt = new Date(deps.now()).toISOString();
  const snapshot: TaskSnapshot = task.snapshot ?? { ...notFoundSnapshot(null, task.taskId, task.regionId, error.requestId, observedAt), status: '', outcome: 'unknown', terminal: false };
  try {
    await deps.store.commitTransition({
      key: { regionId: task.regionId, taskId: task.taskId },
      expectedVersion: task.version,
      snapshot: { ...snapshot, observedAt },
      sequence: task.sequence,
      active: false,
      invalid: { code: error.code, message: error.message },
      events: [],
      deliveries: [],
    });
    summary.tasks.invalid++;
  } catch (e) {
    if (!(e instanceof VersionConflictError)) throw e;
  }
}

/** Keeps what only DescribeTaskAttribute knows while the status has not moved. */
function carryDetail(previous: TaskSnapshot | null, entry: TaskSnapshot): TaskSnapshot {
  if (!previous || previous.status !== entry.status) return entry;
  return { ...entry, progress: previous.progress, counts: previous.counts, operations: previous.operations };
}

function hasProgressSubscriber(webhooks: WebhookRecord[], task: TaskSnapshot): boolean {
  return webhooks.some((w) => webhookWants(w, 'ecs.task.progress', task));
}

async function watchConfigured(store: StateStore, targets: TaskKey[], now: string) {
  if (targets.length === 0) return;
  const known = await store.getTasks(targets);
  for (const target of targets) {
    if (!known.get(taskKeyString(target))?.sources.includes('config')) await store.watchTask(target, 'config', now);
  }
}

/** DescribeTasks by region, action and a creation-time window; every task not yet known is watched. */
async function discover(deps: PollDeps, ecs: EcsApi, options: PollOptions, inRegion: (r: string) => boolean, nowIso: () => string, summary: PollSummary): Promise<number> {
  let added = 0;
  const windowMs = options.discoveryWindowMs ?? 60 * 60_000;
  const endTime = nowIso();
  const startTime = new Date(deps.now() - windowMs).toISOString();
  for (const rule of deps.config.discover.filter((r) => inRegion(r.regionId))) {
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
