/**
 * The latency scenario in this (fresh) process: tasks finishing at seeded random times over a window, a timer run
 * every interval of simulated time with the FC budget (plus, by mode, hot tasks or a hint at each ImportImage's
 * finish), and the time from each true finish to the arrival of its completion event at a receiver in the peer.
 */
import { runBudgetMs } from '../src/budget.js';
import { loadConfig } from '../src/config.js';
import type { EcsApi, EcsCallRecord } from '../src/ecs/api.js';
import { webhookRecord } from '../src/fakes/records.js';
import { silentLogger } from '../src/log.js';
import { pollOnce, pollTasks, type PollDeps } from '../src/poller.js';
import type { StateStore, TaskKey, TransitionCommit } from '../src/store/port.js';
import { DEFAULT_WEBHOOK_EVENTS } from '../src/webhooks/matching.js';
import { createWebhookClient, type WebhookClient } from '../src/webhooks/http-client.js';
import { newWebhookSecret } from '../src/webhooks/signing.js';
import { estimateFigures, spread, type EstimateSample } from './latency-figures.js';
import { latencyFleet, type LatencySpec } from './latency-fleet.js';
import { Peer } from './peer-client.js';
import { BenchClock, benchEcs } from './poll.js';
import type { EcsSetting, LatencyMode, LatencyRow } from './rows.js';
import { SimScheduler } from './sim-scheduler.js';
import { peakRssMb } from './stats.js';
import { openStore } from './stores.js';

export interface LatencyJob {
  kind: 'latency';
  mode: LatencyMode;
  /** Measured tasks (finishing within the window) and history tasks (finishing within the warm-up before it). */
  tasks: number;
  historyTasks: number;
  seed: number;
  windowMs: number;
  warmupMs: number;
  ecs: EcsSetting;
  /** The timer's period. */
  intervalMs: number;
  /**
   * The hot-task settings of the hot and cover modes (and of hints over coverage), as the environment would give them
   * (null: the config's default); coverPercent is TASKHOOK_HOT_COVER (the hot mode's is 0: only hot tasks).
   */
  hot: { intervalSeconds: number; budgetSeconds: number | null; coverPercent?: number };
  /** The tasks' shape (bench/latency-fleet.ts); default `finishing`. */
  shape?: 'finishing' | 'running';
  /** The hints mode runs over continuous coverage instead of the timer alone. */
  hintsOverCover?: boolean;
  /** A hint reaches taskhook this long after its task's true finish. */
  hintDelayMs: number;
  /** The scenario stops starting runs after this much wall time (the poller may wait on real timers). */
  maxWallMs: number;
}

const REGION = 'cn-hangzhou';
const WEBHOOK_ID = 'wh_bench_latency';
/** FC's timer run: the poller's 300 s function timeout, TASKHOOK_POLL_BUDGET 240 s (s.yaml). */
const TIMER_BUDGET_MS = runBudgetMs({ kind: 'timer', functionTimeoutSeconds: 300 }, 240);
/** A hint arrives over the API (an EventBridge target calling it): the budget of a run started over HTTP. */
const HINT_BUDGET_MS = runBudgetMs({ kind: 'http' }, null);
/** Timer runs after the window, for the tasks that finished at its end or were missed. */
const EXTRA_RUNS = 5;
/** The lease is renewed on real timers while the clock jumps: held this long, it cannot lapse within a run's budget. */
const LEASE_SECONDS = 300;
/** Room before the first timer run for registering the tasks. */
const SETUP_LEAD_MS = 5_000;
/** A task created during the scenario is registered over the API this long after its creation. */
const REGISTER_DELAY_MS = 1_000;

/**
 * A Proxy that notes each task's first committed snapshot whose outcome is running (its "first running sample"), and
 * counts every store call as work in flight: deliveries go on beside a run's waits, and the clock must not jump under them.
 */
function sampleFirstRunning(inner: StateStore, samples: Map<string, EstimateSample>, scheduler: SimScheduler): StateStore {
  const note = (commit: TransitionCommit) => {
    const snapshot = commit.snapshot as typeof commit.snapshot & { estimatedFinishAt?: string | null };
    if (snapshot.outcome !== 'running' || samples.has(commit.key.taskId)) return;
    samples.set(
      commit.key.taskId,
      'estimatedFinishAt' in snapshot && snapshot.estimatedFinishAt !== undefined
        ? { field: true, estimatedFinishAt: snapshot.estimatedFinishAt }
        : { field: false },
    );
  };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'commitTransition') {
        return async (commit: TransitionCommit) => {
          await scheduler.track(() => target.commitTransition(commit));
          note(commit);
        };
      }
      if (prop === 'commitTransitions') {
        return async (commits: TransitionCommit[]) => {
          const results = await scheduler.track(() => target.commitTransitions(commits));
          results.forEach((r, i) => r === 'committed' && note(commits[i]));
          return results;
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        return result instanceof Promise ? scheduler.track(() => result) : result;
      };
    },
  });
}

/** The poller's memory on FC (s.yaml): what a second of a run costs in GB-seconds. */
const POLLER_GB = 0.5;

/** Whether the job's runs have hot passes: the hot and cover modes, and hints over coverage. */
const hotOn = (job: LatencyJob) => job.mode === 'hot' || job.mode === 'cover' || (job.mode === 'hints' && job.hintsOverCover === true);

/** The poller's config as FC would load it, with the bench's ECS rate and receiver; hot passes only where the mode has them. */
export function latencyConfig(job: LatencyJob) {
  const coverPercent = job.mode === 'hot' ? 0 : (job.hot.coverPercent ?? 0);
  const env: Record<string, string> = hotOn(job)
    ? {
        TASKHOOK_HOT_INTERVAL: String(job.hot.intervalSeconds),
        TASKHOOK_HOT_COVER: String(coverPercent),
        ...(job.hot.budgetSeconds === null ? {} : { TASKHOOK_HOT_BUDGET: String(job.hot.budgetSeconds) }),
      }
    : {};
  const loaded = loadConfig(env, 'fc');
  // Read without assuming them: a poller without hot tasks has neither field.
  const read = (name: string) => {
    const value = (loaded as unknown as Record<string, unknown>)[name];
    return typeof value === 'number' ? value : null;
  };
  const hotSupported = 'hotIntervalSeconds' in loaded;
  const hot = hotOn(job)
    ? { hotIntervalSeconds: read('hotIntervalSeconds'), hotBudgetSeconds: read('hotBudgetSeconds'), coverPercent: read('hotCoverPercent') ?? 0 }
    : { hotIntervalSeconds: 0, hotBudgetSeconds: null, coverPercent: 0 };
  const config = {
    ...loaded,
    tasks: [],
    discover: [],
    webhooks: [],
    ecsRate: job.ecs.quotaPerSecond,
    leaseSeconds: LEASE_SECONDS,
    allowPrivateWebhooks: ['127.0.0.1/32'],
    ...(hotOn(job) ? {} : { hotIntervalSeconds: 0 }),
  };
  return { config, hotSupported, ...hot };
}

/** ECS and webhook calls counted in flight by the scheduler, so the clock never jumps under one. */
function trackedEcs(scheduler: SimScheduler, make: (onCall?: (record: EcsCallRecord) => void) => EcsApi & { close?: () => void }) {
  return (onCall: (record: EcsCallRecord) => void) => {
    const api = make(onCall);
    return {
      describeTasks: (...args: Parameters<EcsApi['describeTasks']>) => scheduler.track(() => api.describeTasks(...args)),
      describeTaskAttribute: (...args: Parameters<EcsApi['describeTaskAttribute']>) => scheduler.track(() => api.describeTaskAttribute(...args)),
      describeResources: (...args: Parameters<EcsApi['describeResources']>) => scheduler.track(() => api.describeResources(...args)),
      close: () => api.close?.(),
    };
  };
}

function trackedClient(scheduler: SimScheduler, client: WebhookClient): WebhookClient {
  return { send: (req) => scheduler.track(() => client.send(req)), close: () => client.close() };
}

export async function runLatencyScenario(job: LatencyJob): Promise<LatencyRow> {
  const wall0 = performance.now();
  const peer = Peer.start();
  const clock = new BenchClock(peer);
  try {
    const firstRunAt = clock.now() + SETUP_LEAD_MS;
    const spec: LatencySpec = {
      seed: job.seed,
      count: job.tasks,
      historyCount: job.historyTasks,
      regionId: REGION,
      startAt: firstRunAt + job.warmupMs,
      windowMs: job.windowMs,
      warmupMs: job.warmupMs,
      shape: job.shape ?? 'finishing',
    };
    const fleet = latencyFleet(spec);
    const measured = new Set(fleet.filter((t) => t.measured).map((t) => t.task.taskId));
    const secret = newWebhookSecret();
    const { endpoint, url } = await peer.latencyStart(spec, job.ecs, secret);
    const opened = await openStore('sqlite', peer);
    const samples = new Map<string, EstimateSample>();
    const scheduler = new SimScheduler(clock);
    const store = sampleFirstRunning(opened.store, samples, scheduler);
    const client = createWebhookClient({ policy: { allowPrivate: ['127.0.0.1/32'] } });
    try {
      const at = new Date(clock.now()).toISOString();
      await store.putWebhook(
        webhookRecord(WEBHOOK_ID, { url, secrets: { current: secret }, events: [...DEFAULT_WEBHOOK_EVENTS], createdAt: at, updatedAt: at }),
      );
      const keys = new Map<string, TaskKey>(fleet.map((t) => [t.task.taskId, { regionId: REGION, taskId: t.task.taskId }]));
      // A task that exists before the first run is watched now; a later one right after its creation, as a client would.
      const later = fleet.filter((t) => t.task.createdAt > firstRunAt);
      for (const t of fleet) if (t.task.createdAt <= firstRunAt) await store.watchTask(keys.get(t.task.taskId)!, 'api', at);

      const { config, hotSupported, hotIntervalSeconds, hotBudgetSeconds, coverPercent } = latencyConfig(job);
      // Built as a variable: `sleep` is offered to a poller that waits through its deps, and passed along untyped.
      const withSleep = {
        ecsFor: trackedEcs(scheduler, benchEcs(endpoint, job.ecs, clock.now)),
        store,
        config,
        logger: silentLogger,
        now: clock.now,
        webhookClient: trackedClient(scheduler, client),
        sleep: scheduler.sleep,
      };
      const deps: PollDeps = withSleep;

      const runs = { started: 0, leased: 0, runMs: 0, throttled: 0 };
      let cutShort = false;
      let lastEnd = firstRunAt;
      const lastRun = Math.ceil((job.warmupMs + job.windowMs) / job.intervalMs) + EXTRA_RUNS;
      const delivered = async () => (await peer.latencyArrivals()).arrivals.filter((a) => measured.has(a.taskId)).length;
      for (const t of later) {
        scheduler.at(t.task.createdAt + REGISTER_DELAY_MS, async () => {
          await store.watchTask(keys.get(t.task.taskId)!, 'api', new Date(clock.now()).toISOString());
        });
      }
      const tick = (k: number) =>
        scheduler.at(firstRunAt + k * job.intervalMs, async () => {
          if (k > 0 && (await delivered()) >= measured.size) return;
          if (performance.now() - wall0 > job.maxWallMs) return void (cutShort = true);
          // The timer fires on time whether or not the previous run is still working (that one holds the lease).
          if (k < lastRun) tick(k + 1);
          runs.started++;
          // A timer run, as FC's timer starts it: hot tasks run after its sweep when the config turns them on.
          const summary = await pollOnce(deps, { budgetMs: TIMER_BUDGET_MS, hot: true });
          if (summary.leased) runs.leased++;
          runs.runMs += summary.durationMs;
          runs.throttled += summary.throttled;
          lastEnd = Math.max(lastEnd, clock.now());
        });
      tick(0);

      const hintAt = new Map<string, number>();
      if (job.mode === 'hints') {
        for (const t of fleet.filter((f) => f.task.action === 'ImportImage')) {
          scheduler.at(t.finishAt + job.hintDelayMs, async () => {
            if (performance.now() - wall0 > job.maxWallMs) return void (cutShort = true);
            hintAt.set(t.task.taskId, clock.now());
            await pollTasks(deps, [keys.get(t.task.taskId)!], { budgetMs: HINT_BUDGET_MS });
            lastEnd = Math.max(lastEnd, clock.now());
          });
        }
      }
      await scheduler.run();

      const report = await peer.latencyArrivals();
      report.arrivals = report.arrivals.filter((a) => measured.has(a.taskId));
      const calls = await peer.latencyCalls();
      const finishAt = new Map(fleet.map((t) => [t.task.taskId, t.finishAt]));
      const latencies = report.arrivals.map((a) => (a.at - finishAt.get(a.taskId)!) / 1000);
      const afterHint = report.arrivals.filter((a) => hintAt.has(a.taskId)).map((a) => (a.at - hintAt.get(a.taskId)!) / 1000);
      const hinted = spread(afterHint);
      const all = spread(latencies);
      const estimate = estimateFigures(new Map([...samples].filter(([id]) => measured.has(id))), finishAt);
      const callsTotal = Object.values(calls).reduce((a, b) => a + b, 0);
      return {
        kind: 'latency',
        mode: job.mode,
        store: 'sqlite',
        tasks: measured.size,
        historyTasks: fleet.length - measured.size,
        seed: job.seed,
        windowS: job.windowMs / 1000,
        warmupS: job.warmupMs / 1000,
        delivered: report.arrivals.length,
        ...all,
        calls,
        callsTotal,
        callsPerTask: callsTotal / fleet.length,
        callsVsPlain: null,
        timerRuns: runs.started,
        timerRunsLeased: runs.leased,
        hints: hintAt.size,
        hintDelayS: job.mode === 'hints' ? job.hintDelayMs / 1000 : null,
        hintedTasks: job.mode === 'hints' ? fleet.filter((f) => f.measured && f.task.action === 'ImportImage').length : 0,
        hintToArrivalP50S: hinted.p50S,
        hintToArrivalP95S: hinted.p95S,
        hintToArrivalMaxS: hinted.maxS,
        hotSupported,
        hotIntervalSeconds,
        hotBudgetSeconds,
        shape: spec.shape,
        coverPercent,
        gbSecondsPerMinute: lastEnd > firstRunAt ? ((runs.runMs / 1000) * POLLER_GB) / ((lastEnd - firstRunAt) / 60_000) : 0,
        throttled: runs.throttled,
        // Over every task's sample, history included: whether this poller's snapshots carry the field at all.
        estimateField: [...samples.values()].some((sample) => sample.field),
        estimateSamples: estimate.samples,
        estimateMedianErrorS: estimate.medianErrorS,
        estimateP90ErrorS: estimate.p90ErrorS,
        sleptS: scheduler.sleptMs / 1000,
        simulatedS: (lastEnd - firstRunAt) / 1000,
        wallMs: performance.now() - wall0,
        cutShort: cutShort && report.arrivals.length < measured.size,
        repeats: report.repeats,
        unverified: report.unverified,
        peakRssMb: peakRssMb(),
      };
    } finally {
      await client.close();
      await opened.store.close();
      await opened.cleanup();
    }
  } finally {
    await peer.close();
  }
}
