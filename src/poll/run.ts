/** What one poll run is given, what it reports, and the state its steps share while it works. */
import type { Config } from '../config.js';
import type { EcsApi, EcsCallRecord } from '../ecs/api.js';
import { describeSkew } from '../ecs/error-class.js';
import type { Logger } from '../log.js';
import type { Invoker } from '../shards/invoker.js';
import type { ShardSpec } from '../shards/shard.js';
import type { StateStore, TaskKey, WebhookRecord } from '../store/port.js';
import type { AttemptReport, DeliverySummary } from '../webhooks/delivery.js';
import type { DeliveryDispatcher } from '../webhooks/dispatcher.js';
import type { WebhookClient } from '../webhooks/http-client.js';

export interface PollDeps {
  /**
   * A client for one run alone: its calls are counted in this run's summary. With `rate`, the client is paced
   * at that rate on its own (a shard that shares its region's quota with others).
   */
  ecsFor: (onCall: (record: EcsCallRecord) => void, options?: { rate?: number }) => EcsApi & { close?: () => void };
  store: StateStore;
  config: Pick<Config, 'tasks' | 'discover' | 'webhooks' | 'retentionDays' | 'confirmSeconds'> &
    Partial<
      Pick<
        Config,
        | 'leaseSeconds'
        | 'allowPrivateWebhooks'
        | 'ecsRate'
        | 'shardTasks'
        | 'hotIntervalSeconds'
        | 'hotBudgetSeconds'
        | 'hotCoverPercent'
        | 'readyWaitSeconds'
        | 'stallFloorSeconds'
      >
    >;
  logger: Logger;
  now: () => number;
  /** The one SSRF-safe client deliveries go through; without one, due deliveries wait for a run that has it. */
  webhookClient?: WebhookClient;
  /**
   * Sends due deliveries apart from the run (the local process's per-webhook workers): the run only kicks it.
   * Without one, each run makes its own, which ends with the run.
   */
  deliveries?: DeliveryDispatcher;
  /** Aborted when the process stops: the run starts no new work and its hot passes end. */
  halt?: AbortSignal;
  /** Told of every delivery attempt of the run. */
  onDeliveryAttempt?: (report: AttemptReport) => void;
  /** How the hot-task loop waits between passes; default, a real timer (a benchmark passes its simulated clock's). */
  sleep?: (ms: number) => Promise<void>;
  /** Starts the runs of shards this run hands off; without one, a run sweeps everything itself. */
  invoker?: Invoker;
  accountId?: string;
}

export interface PollOptions {
  /** The run's whole budget (see budget.ts); every deadline of the run derives from it. */
  budgetMs: number;
  /** Poll only these regions (timer payload option). */
  regions?: string[];
  /** This run is one shard of a larger one: it sweeps only the shard's regions (and task-id range). */
  shard?: ShardSpec;
  /** Keep polling the tasks likely to finish soon after the sweep (the timer's runs; not a poll asked for over HTTP or the CLI). */
  hot?: boolean;
  /** How far back discovery looks for newly created tasks. */
  discoveryWindowMs?: number;
  holder?: string;
}

export interface PollSummary {
  leased: boolean;
  /**
   * `deferred`: due tasks this run did not get an answer for (out of time, or ECS failed); they go first next run.
   * `unconfirmed`: tasks ECS said were gone (or in an unknown region) once; a second answer must agree first.
   */
  tasks: { active: number; polled: number; deferred: number; discovered: number; invalid: number; unconfirmed: number; hot?: number };
  /** Passes of the hot-task loop after the sweep (0: no task was hot, or hot tasks are off). */
  hotPasses?: number;
  /** The oldest `lastPolledAt` among the active tasks once the run is done (a never-polled task counts from when it was watched). */
  staleness: { oldestPolledAt: string | null; seconds: number };
  ecsCalls: Record<string, number>;
  throttled: number;
  events: Record<string, number>;
  conflicts: number;
  deliveries: DeliverySummary;
  /** Shard runs this run handed off through the invoker (0: it swept everything itself). */
  shards: number;
  /** Shards the invoker refused (FC's code, message and fix): planned again by the next run. */
  shardFailures?: Array<{ shard: string; error: string }>;
  /**
   * Regions this run stopped polling because ECS refused the request or the caller (clock, signature, key,
   * permission, parameters): no task of theirs was judged; the next run tries again.
   */
  blocked?: Array<{ regionId: string; action: string; code: string; reason: string; fix: string }>;
  /** ECS's clock minus this machine's, in seconds, from the `Date` of its last answer. */
  clockSkewSeconds?: number;
  /** How far this machine's wall clock stepped during the run (seconds; absent when it did not). */
  clockStepSeconds?: number;
  /** The checks of finished tasks' resources (src/poll/readiness.ts); absent when no task waited. */
  readiness?: ReadinessSummary;
  /** Set on a delivery run (src/delivery/run.ts): the webhook whose deliveries it sent; nothing was polled. */
  delivery?: { webhookId: string };
  durationMs: number;
}

export interface Run {
  deps: PollDeps;
  ecs: EcsApi;
  options: PollOptions;
  workUntil: number;
  summary: PollSummary;
  leaseLost: boolean;
  /** Read once at the start of the sweep: whose deliveries a transition writes. */
  webhooks: WebhookRecord[];
  /** The whole list's size when this run split it into shards (its own summary counts only its shard). */
  listSize?: number;
  /** Recent durations by `durations/<region>/<action>` mark, read as batches need them (src/poll/durations.ts). */
  durations?: { byPair: Map<string, number[]>; changed: Set<string> };
  /** Tasks likely to finish soon, found by the sweep, for the hot-task loop (src/poll/hot.ts). */
  hot?: Map<string, TaskKey>;
  /** The ECS calls' observed latency (a moving average, ms): with the rate, how many batches a region keeps in flight. */
  callMs?: number;
  /** The end of the run's hot window (epoch ms); absent when hot tasks are off. */
  hotUntil?: number;
  /** ECS's clock minus ours (ms), from the last answer that carried a `Date`. */
  skewMs?: number;
  /** Regions where an ECS call of this run was answered. */
  answeredRegions?: Set<string>;
  /** Regions this run stopped polling, with why (src/poll/blocked.ts). */
  blocked?: Map<string, Blockage>;
  /** DescribeTaskAttribute calls this run made to confirm that tasks missing from DescribeTasks are gone. */
  confirmations?: number;
  /** Where the run's committed events go out from: kicked after each commit that queued deliveries. */
  dispatcher?: DeliveryDispatcher;
  /** The hot passes re-poll the whole active list too, as far as the rate allows (src/poll/hot.ts). */
  coverAll?: boolean;
  /** Where the hot passes' coverage of the whole list resumes, per region (src/poll/hot.ts). */
  coverAfter?: Map<string, string>;
  /** Finished tasks whose resource this run checks, until it is usable (src/poll/readiness.ts). */
  waiting?: Map<string, TaskKey>;
  /** Resource ids a hint saw in the call that started a task, by task key (src/poll/settle.ts). */
  resourceHints?: Map<string, string>;
}

/** The checks of succeeded tasks' resources in one run (src/poll/readiness.ts). */
export interface ReadinessSummary {
  /** Resources asked about this run (each pass counts). */
  checked: number;
  ready: number;
  notReady: number;
  /** Tasks still waiting when the run ended. */
  waiting: number;
  /** Describe calls ECS refused as a request (permission, clock, …): nothing was marked. */
  refused?: Array<{ regionId: string; action: string; code: string; reason: string; fix: string }>;
}

export interface Blockage {
  regionId: string;
  action: string;
  code: string;
  reason: string;
  fix: string;
}

const SKEW_NOISE_MS = 2_000;
/** From this skew on, a run warns: ECS refuses requests whose timestamp is 15 minutes off its clock. */
const SKEW_WARN_MS = 120_000;

/**
 * What every run does with each ECS call record: count it, learn the calls' latency and ECS's clock, and note the
 * regions that answered (a blocked region that answers again has resumed).
 */
export function recordCall(run: Pick<Run, 'summary' | 'deps' | 'callMs' | 'skewMs' | 'answeredRegions'>, call: EcsCallRecord): void {
  const { summary } = run;
  if (call.sent !== false) {
    summary.ecsCalls[call.action] = (summary.ecsCalls[call.action] ?? 0) + 1;
    run.callMs = run.callMs === undefined ? call.durationMs : run.callMs * 0.9 + call.durationMs * 0.1;
  }
  if (call.throttled) summary.throttled++;
  if (call.ok) (run.answeredRegions ??= new Set()).add(call.regionId);
  if (call.skewMs !== undefined) {
    const first = run.skewMs === undefined;
    // The Date header has whole seconds: a skew below two is its rounding, not a clock that is off.
    run.skewMs = Math.abs(call.skewMs) < SKEW_NOISE_MS ? 0 : call.skewMs;
    summary.clockSkewSeconds = Math.round(call.skewMs / 1000);
    if (first && Math.abs(call.skewMs) >= SKEW_WARN_MS) {
      run.deps.logger.warn(
        `this machine's clock is ${describeSkew(call.skewMs)}: ECS refuses requests 15 minutes off its clock; sync it (e.g. timedatectl set-ntp true)`,
        {
          clockSkewSeconds: summary.clockSkewSeconds,
        },
      );
    }
  }
  if (call.note) run.deps.logger.warn('ECS answer set aside', { action: call.action, regionId: call.regionId, code: call.code, note: call.note });
}

export const emptySummary = (): PollSummary => ({
  leased: false,
  tasks: { active: 0, polled: 0, deferred: 0, discovered: 0, invalid: 0, unconfirmed: 0 },
  staleness: { oldestPolledAt: null, seconds: 0 },
  ecsCalls: {},
  throttled: 0,
  events: {},
  conflicts: 0,
  deliveries: { succeeded: 0, failed: 0, dead: 0 },
  shards: 0,
  durationMs: 0,
});

export const stopping = (run: Run) => run.leaseLost || run.deps.halt?.aborted === true || run.deps.now() >= run.workUntil;

export const inRegion = (run: Run, regionId: string) =>
  (!run.options.regions || run.options.regions.includes(regionId)) && (!run.options.shard || run.options.shard.regions.includes(regionId));

export const nowIso = (run: Run) => new Date(run.deps.now()).toISOString();

/** Now on ECS's clock (ours corrected by the skew its answers showed): what verdicts about ECS's tasks are timed by. */
export const ecsNowIso = (run: Pick<Run, 'deps' | 'skewMs'>) => new Date(run.deps.now() + (run.skewMs ?? 0)).toISOString();

export function noteFailure(deps: PollDeps, error: unknown, where: Record<string, unknown>) {
  deps.logger.warn('ECS call failed; the affected tasks are polled again next run', { ...where, error });
}
