/**
 * One poll cycle, start to end: the only place that orchestrates ECS, the store and webhook delivery.
 * Lease → static webhooks in step → unfinished commits completed → configured and discovered tasks watched →
 * every region swept at once (src/poll/sweep.ts: the watch list streamed in batches of 100, DescribeTasks and,
 * where the transition rules ask, DescribeTaskAttribute, each paced per API and region; one commit call per
 * batch) → due deliveries sent → the tasks likely to finish soon polled again every few seconds (src/poll/hot.ts)
 * → daily purge. A run that would not cover the list hands shards off (src/poll/shards.ts).
 */
import { randomUUID } from 'node:crypto';
import { runDeadlines } from './budget.js';
import type { TaskSnapshot } from './tasks/snapshot.js';
import { taskKeyString, type TaskKey } from './store/port.js';
import { createDispatcher } from './webhooks/dispatcher.js';
import { syncStaticWebhooks } from './webhooks/registry.js';
import {
  ecsNowIso,
  emptySummary,
  inRegion,
  noteFailure,
  nowIso,
  recordCall,
  stopping,
  type PollDeps,
  type PollOptions,
  type PollSummary,
  type Run,
} from './poll/run.js';
import { blocksRegion, isBlocked, settleBlockages } from './poll/blocked.js';
import { EcsError } from './errors.js';
import { sweepLane, type Lane } from './poll/sweep.js';
import { ACTIVE_COUNT_MARK, planShards } from './poll/shards.js';
import { saveDurations } from './poll/durations.js';
import { coverCallsPerPass, pollHot } from './poll/hot.js';
import { checkReadiness } from './poll/readiness.js';
import { sleep } from './retry.js';
import { monotonicNow, wallStepSince } from './clock.js';
import { DEFAULT_ECS_RATE } from './config.js';
import type { EcsCallRecord } from './ecs/api.js';
import type { ShardSpec } from './shards/shard.js';

export type { PollDeps, PollOptions, PollSummary } from './poll/run.js';
export { pollTasks } from './poll/targeted.js';

const LEASE = 'poll';
/** A wall-clock jump this large within one run is a step (NTP, a hand-set clock), not drift. */
const CLOCK_STEP_MS = 2_000;
const PURGE_LEASE = 'purge';
const DAY_MS = 24 * 3_600_000;
/** Discovery windows overlap by this much: a task created right at a window's end is not missed. */
const DISCOVERY_OVERLAP_MS = 60_000;
/** However long the poller was down, a window reaches back at most this far. */
const MAX_DISCOVERY_WINDOW_MS = 7 * 24 * 3_600_000;

export async function pollOnce(deps: PollDeps, options: PollOptions): Promise<PollSummary> {
  const started = deps.now();
  const anchor = { wall: Date.now(), mono: monotonicNow() };
  const { workUntil, leaseTtlMs, leaseRenewEveryMs } = runDeadlines(started, options.budgetMs, deps.config.leaseSeconds);
  const holder = options.holder ?? randomUUID();
  const summary = emptySummary();
  const onCall = (call: EcsCallRecord) => recordCall(run, call);
  const ecs = deps.ecsFor(onCall, rateOf(deps, options.shard));
  const lease = options.shard ? `${LEASE}:${options.shard.id}` : LEASE;

  if (!(await deps.store.acquireLease(lease, holder, leaseTtlMs, started))) {
    ecs.close?.();
    summary.durationMs = deps.now() - started;
    deps.logger.info('poll skipped: another run holds the lease', { summary });
    return summary;
  }
  summary.leased = true;
  const run: Run = { deps, ecs, options, workUntil, summary, leaseLost: false, webhooks: [] };
  // Without a dispatcher of the process's own, the run's lives and ends with the run, bounded by its deadline.
  const ownDispatcher =
    !deps.deliveries && deps.webhookClient
      ? createDispatcher(
          { store: deps.store, client: deps.webhookClient, logger: deps.logger, now: deps.now, onAttempt: deps.onDeliveryAttempt },
          // On FC each webhook's deliveries go to a delivery run of their own, when the invoker can start one.
          { deadlineMs: () => (run.leaseLost ? 0 : workUntil), handOff: deps.invoker?.invokeDelivery?.bind(deps.invoker) },
        )
      : undefined;
  run.dispatcher = deps.deliveries ?? ownDispatcher;
  const hotIntervalMs = (deps.config.hotIntervalSeconds ?? 0) * 1000;
  if (options.hot && hotIntervalMs > 0) run.hotUntil = Math.min(started + (deps.config.hotBudgetSeconds ?? 0) * 1000, workUntil);
  // Renewed while the run works; if another run took it meanwhile (ours had expired), no new work starts.
  const renewal = setInterval(() => {
    deps.store.acquireLease(lease, holder, leaseTtlMs, deps.now()).then(
      (held) => (run.leaseLost ||= !held),
      () => undefined,
    );
  }, leaseRenewEveryMs);
  renewal.unref();
  try {
    // A shard only sweeps: the run that handed it off did the rest.
    if (!options.shard) {
      await syncStaticWebhooks(deps.store, deps.config.webhooks, started, {
        policy: { allowPrivate: deps.config.allowPrivateWebhooks ?? [] },
        logger: deps.logger,
      });
      await deps.store.completePendingCommits();
      await watchConfigured(run);
      summary.tasks.discovered = await discover(run);
    }

    run.webhooks = await deps.store.listWebhooks();
    if (!options.shard && deps.invoker) await handOffShards(run, onCall);
    const lanes = await lanesOf(run);
    const results = await Promise.all(lanes.map((lane) => sweepLane(run, lane)));
    // The finished tasks the sweep found waiting for their resource: one describe call per kind and region.
    await checkReadiness(run);
    const oldest = results.reduce<string | null>(
      (min, r) => (r.oldestUnpolled !== null && (min === null || r.oldestUnpolled < min) ? r.oldestUnpolled : min),
      null,
    );
    // Nothing left unanswered: the oldest answer of the list is this run's first.
    const oldestPolledAt = oldest ?? (summary.tasks.polled > 0 ? new Date(started).toISOString() : null);
    summary.staleness = { oldestPolledAt, seconds: oldestPolledAt === null ? 0 : Math.max(0, Math.round((deps.now() - Date.parse(oldestPolledAt)) / 1000)) };

    // Before the deliveries, so a region's poller.blocked or poller.resumed goes out with this run.
    await settleBlockages(run);
    // Deliveries queued before this run (retries, a crashed run's) and the blockage events: the sweep's went out as committed.
    if (!stopping(run)) run.dispatcher?.kick();
    // A shard covers its range in its sweep alone: the whole list is re-polled only by a run that holds all of it.
    run.coverAll = run.hotUntil !== undefined && !run.options.shard && summary.tasks.active > 0 && coverCallsPerPass(run, hotIntervalMs) > 0;
    if (run.hotUntil !== undefined && (run.hot?.size || run.waiting?.size || run.coverAll) && !stopping(run)) {
      summary.tasks.hot = run.hot?.size ?? 0;
      summary.hotPasses = await pollHot(run, hotIntervalMs, deps.sleep ?? sleep);
    }
    await saveDurations(run);
    // A blockage found by the hot passes is told now and delivered by the next run.
    await settleBlockages(run);
    if (ownDispatcher) {
      await ownDispatcher.idle(Math.max(0, workUntil - deps.now()));
      summary.deliveries = { ...ownDispatcher.summary };
    }
    if (!options.shard) {
      await deps.store.setMark(ACTIVE_COUNT_MARK, String(run.listSize ?? summary.tasks.active), nowIso(run));
      await purgeDaily(deps);
    }
  } finally {
    clearInterval(renewal);
    ecs.close?.();
    if (run.ecs !== ecs) (run.ecs as typeof ecs).close?.();
    await deps.store.releaseLease(lease, holder).catch(() => undefined);
    summary.durationMs = deps.now() - started;
  }
  noteClockStep(deps, summary, anchor);
  await recordRun(deps, holder, started, summary, options.shard);
  deps.logger.info('poll finished', { summary });
  return summary;
}

/**
 * A list longer than one run sweeps is split (src/poll/shards.ts): every shard but the first is handed to the
 * invoker, and this run goes on as the first. A shard the invoker refuses is planned again next run.
 */
async function handOffShards(run: Run, onCall: (call: EcsCallRecord) => void): Promise<void> {
  const plan = await planShards(run);
  if (!plan) return;
  const [own, ...others] = plan.shards;
  const handed = await Promise.allSettled(others.map((shard) => run.deps.invoker!.invokeShard(shard)));
  run.summary.shards = handed.filter((h) => h.status === 'fulfilled').length;
  handed.forEach((h, i) => {
    if (h.status !== 'rejected') return;
    run.deps.logger.warn('a shard could not be handed off; the next run plans it again', { shard: others[i].id, error: h.reason });
    const error = h.reason instanceof Error ? h.reason.message : String(h.reason);
    (run.summary.shardFailures ??= []).push({ shard: others[i].id, error });
  });
  run.options = { ...run.options, shard: own };
  run.listSize = plan.total;
  if (own.share !== undefined && own.share < 1) run.ecs = run.deps.ecsFor(onCall, rateOf(run.deps, own));
  run.deps.logger.info('the watch list is split into shards', { tasks: plan.total, shards: plan.shards.map((s) => s.id), own: own.id });
}

/** A shard that shares its region with others is paced at its share of the rate. */
function rateOf(deps: PollDeps, shard: ShardSpec | undefined): { rate?: number } {
  if (shard?.share === undefined || shard.share >= 1) return {};
  return { rate: Math.max(1, Math.floor((deps.config.ecsRate ?? DEFAULT_ECS_RATE) * shard.share)) };
}

/** Every region with active tasks that this run polls, whole, or the shard's task-id range of it. */
async function lanesOf(run: Run): Promise<Lane[]> {
  const { shard } = run.options;
  const regions = (await run.deps.store.listActiveRegions()).filter((r) => inRegion(run, r));
  const range = shard?.range;
  return regions.map((regionId) => ({
    regionId,
    // Whole regions keep their mark however the regions are grouped; a range has its own.
    markName: range ? `sweep/${regionId}/${range.from ?? ''}..${range.to ?? ''}` : `sweep/${regionId}`,
    ...(range?.from ? { after: range.from } : {}),
    ...(range?.to ? { upTo: range.to } : {}),
  }));
}

async function watchConfigured(run: Run) {
  const targets: TaskKey[] = run.deps.config.tasks.filter((t) => inRegion(run, t.regionId));
  if (targets.length === 0) return;
  const known = await run.deps.store.getTasks(targets);
  for (const target of targets) {
    if (!known.get(taskKeyString(target))?.sources.includes('config')) await run.deps.store.watchTask(target, 'config', nowIso(run));
  }
}

/**
 * DescribeTasks by region, action and a creation-time window; every task not yet known is watched. Each rule
 * remembers where its last window ended, so a poller that was down for hours still finds every task created
 * meanwhile; a rule's first run looks back `discoveryWindowMs` (1 h).
 */
async function discover(run: Run): Promise<number> {
  const { deps, ecs } = run;
  let added = 0;
  const lookbackMs = run.options.discoveryWindowMs ?? 60 * 60_000;
  const endTime = nowIso(run);
  for (const rule of deps.config.discover.filter((r) => inRegion(run, r.regionId))) {
    for (const action of rule.actions.length ? rule.actions : [undefined]) {
      if (isBlocked(run, rule.regionId)) break;
      const mark = `discover/${rule.regionId}/${action ?? '*'}`;
      const coveredUntil = await deps.store.getMark(mark);
      // A mark a clock running ahead left in the future would skip the tasks created until then: never past now.
      const from = coveredUntil ? Math.min(Date.parse(coveredUntil), deps.now()) - DISCOVERY_OVERLAP_MS : deps.now() - lookbackMs;
      const startTime = new Date(Math.max(from, deps.now() - MAX_DISCOVERY_WINDOW_MS)).toISOString();
      let found: TaskSnapshot[];
      try {
        found = await ecs.describeTasks(rule.regionId, { action, startTime, endTime });
      } catch (error) {
        // The mark stays: the next run's window starts where this one should have.
        if (!(error instanceof EcsError && blocksRegion(run, rule.regionId, 'DescribeTasks', error))) {
          noteFailure(deps, error, { regionId: rule.regionId, action, during: 'discovery', since: startTime });
        }
        continue;
      }
      const known = await deps.store.getTasks(found.map((t) => ({ regionId: rule.regionId, taskId: t.id })));
      for (const task of found) {
        if (known.has(taskKeyString({ regionId: rule.regionId, taskId: task.id }))) continue;
        await deps.store.watchTask({ regionId: rule.regionId, taskId: task.id }, 'discovery', endTime);
        added++;
      }
      // Covered up to now on ECS's clock (its answer's Date), which a fast local clock cannot push into the future.
      const coveredTo = new Date(Math.min(Date.parse(endTime), Date.parse(ecsNowIso(run)))).toISOString();
      await deps.store.setMark(mark, coveredTo, endTime);
    }
  }
  return added;
}

/** The wall clock moved apart from the monotonic one during the run: said once, and never an event (verdicts use ECS's clock). */
function noteClockStep(deps: PollDeps, summary: PollSummary, anchor: { wall: number; mono: number }) {
  const step = wallStepSince(anchor);
  if (Math.abs(step) < CLOCK_STEP_MS) return;
  summary.clockStepSeconds = Math.round(step / 1000);
  deps.logger.warn(
    `this machine's wall clock stepped ${step > 0 ? 'ahead' : 'back'} by ${Math.abs(summary.clockStepSeconds)} s during the run; verdicts are timed on ECS's clock, so no event came of it`,
    {
      clockStepSeconds: summary.clockStepSeconds,
    },
  );
}

/** The run's summary in the run log (`GET /v1/runs`); a failure to keep it costs the history one entry, not the run. */
async function recordRun(deps: PollDeps, id: string, started: number, summary: PollSummary, shard: ShardSpec | undefined) {
  try {
    await deps.store.recordRun({
      id,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(started + summary.durationMs).toISOString(),
      summary: shard ? { ...summary, shard: shard.id } : summary,
    });
  } catch (error) {
    deps.logger.warn('the run summary could not be kept in the run log', { error });
  }
}

/** A lease that is never released, held for a day: whichever run takes it purges, the others skip. */
async function purgeDaily(deps: PollDeps): Promise<void> {
  const now = deps.now();
  if (!(await deps.store.acquireLease(PURGE_LEASE, randomUUID(), DAY_MS, now))) return;
  const before = new Date(now - deps.config.retentionDays * DAY_MS).toISOString();
  try {
    // Configured tasks stay: purged, the configuration would watch them again from zero and re-announce their end.
    const removed = await deps.store.purge(before, new Set(deps.config.tasks.map(taskKeyString)));
    deps.logger.info('purged records past retention', { before, removed });
  } catch (error) {
    deps.logger.warn('purge failed; it is tried again tomorrow', { error });
  }
}
