/** What `npm run bench` runs, and the smaller set `npm run bench -- --quick` runs (under two minutes on 2 cores, plus the latency scenario). */
import type { DeliveryJob } from './delivery.js';
import type { FirstPollJob } from './first-poll.js';
import type { LatencyJob } from './latency.js';
import type { NaiveJob } from './naive.js';
import type { PollJob } from './poll.js';
import type { ReadinessJob } from './readiness.js';
import type { EcsSetting, StoreKind } from './rows.js';

export const ECS: EcsSetting = { latencyMs: 20, quotaPerSecond: 50 };
/** The poller's budget per run (TASKHOOK_POLL_BUDGET): a cycle whose lower bound fits it must poll the whole list. */
export const BUDGET_MS = 240_000;
/** The timer's period: a cycle starts this long after the previous one started, or when it ended if it overran. */
export const INTERVAL_MS = 60_000;
const ONE = ['cn-hangzhou'];
const FOUR = ['cn-hangzhou', 'cn-shanghai', 'cn-beijing', 'cn-shenzhen'];
/** Enough for the quota: one worker at 20 ms a call already makes 50 calls/s; the adapter paces the rest. */
const NAIVE_WORKERS = 4;

export interface Plan {
  quick: boolean;
  poll: PollJob[];
  naive: NaiveJob[];
  firstPoll: FirstPollJob[];
  delivery: DeliveryJob[];
  latency: LatencyJob[];
  readiness: ReadinessJob[];
  bundleRuns: number;
  /** Scenarios left out, with the reason printed in the results. */
  skipped: { what: string; reason: string }[];
}

const poll = (store: StoreKind, tasks: number, regions: string[], cycles: number): PollJob => ({
  kind: 'poll',
  store,
  tasks,
  regions,
  cycles,
  ecs: ECS,
  budgetMs: BUDGET_MS,
  intervalMs: INTERVAL_MS,
});
const naive = (tasks: number, regions: string[], measureMs: number): NaiveJob => ({
  kind: 'naive',
  tasks,
  regions,
  ecs: ECS,
  budgetMs: BUDGET_MS,
  measureMs,
  workersPerRegion: NAIVE_WORKERS,
});

/**
 * The latency scenario: 200 tasks finishing over 10 simulated minutes, after a 20-minute warm-up in which 50 more
 * finish (so taskhook knows typical durations, as a poller that has been running does); the same seed in every run.
 */
export const LATENCY = { tasks: 200, historyTasks: 50, seed: 20_261_201, windowMs: 10 * 60_000, warmupMs: 20 * 60_000, hintDelayMs: 1_000 };
/** Hot tasks as TASKHOOK_HOT_INTERVAL's default (5 s) sets them; the hot budget is the config's default. */
const HOT = { intervalSeconds: 5, budgetSeconds: null };

/** Continuous coverage as the defaults set it: a pass every 5 s, half the rate for the whole list, the config's hot budget. */
const COVER = { intervalSeconds: 5, budgetSeconds: null, coverPercent: 50 };
/** Tasks already running when taskhook starts, finishing over 10 simulated minutes, nothing learnt beforehand. */
const RUNNING = { historyTasks: 0, seed: 20_261_207, windowMs: 10 * 60_000, warmupMs: 0, hintDelayMs: 1_000 };

const latency = (maxWallMs: number, runningSizes: number[]): LatencyJob[] => [
  ...(['plain', 'hot', 'hints'] as const).map((mode): LatencyJob => ({
    kind: 'latency',
    mode,
    ...LATENCY,
    ecs: ECS,
    intervalMs: INTERVAL_MS,
    hot: HOT,
    maxWallMs,
  })),
  // Side by side on the same fleet: the timer alone, continuous coverage, and coverage with hints.
  ...runningSizes.flatMap((tasks) =>
    (['plain', 'cover', 'hints'] as const).map((mode): LatencyJob => ({
      kind: 'latency',
      mode,
      ...RUNNING,
      tasks,
      shape: 'running',
      hintsOverCover: true,
      ecs: ECS,
      intervalMs: INTERVAL_MS,
      hot: COVER,
      maxWallMs,
    })),
  ),
];

/**
 * The readiness scenario: 1 % of the tasks finishing per cycle for 10 cycles, their resources usable 20 s to 2 min
 * later; with and without the checks (timer only, for the calls), and with hot tasks (for the latency).
 */
function readiness(sizes: number[], maxWallMs: number): ReadinessJob[] {
  const job = (tasks: number, mode: ReadinessJob['mode'], mix: ReadinessJob['mix'], on: boolean, hotBudgetSeconds?: number): ReadinessJob => ({
    kind: 'readiness',
    mode,
    readiness: on,
    tasks,
    mix,
    seed: 20_261_207,
    cycles: 10,
    intervalMs: INTERVAL_MS,
    ecs: ECS,
    maxWallMs,
    ...(hotBudgetSeconds === undefined ? {} : { hotBudgetSeconds }),
  });
  return sizes.flatMap((n) => [
    ...(['import', 'mixed'] as const).flatMap((mix) => [job(n, 'timer', mix, false), job(n, 'timer', mix, true)]),
    job(n, 'hot', 'mixed', false),
    job(n, 'hot', 'mixed', true),
    // Hot passes for 55 s of each minute: no usable resource waits past the next pass for a timer run.
    ...(n === sizes[0] ? [job(n, 'hot', 'mixed', false, 55), job(n, 'hot', 'mixed', true, 55)] : []),
  ]);
}

const TABLESTORE_100K =
  'Tablestore at 100,000 tasks: the wire-level fake serves every request through the real SDK on the same 2 cores, so registering the ' +
  'watch list and the first poll alone would take tens of minutes; the 10,000-task rows show how the Tablestore store scales';

export function plan(quick: boolean): Plan {
  if (quick) {
    return {
      quick,
      poll: [poll('sqlite', 1_000, ONE, 4), poll('sqlite', 1_000, FOUR, 4), poll('tablestore', 1_000, ONE, 4)],
      naive: [naive(1_000, ONE, 5_000), naive(1_000, FOUR, 5_000)],
      firstPoll: [{ kind: 'first-poll', tasks: 2_000, ecs: ECS, budgetMs: BUDGET_MS }],
      delivery: [
        { kind: 'delivery', store: 'sqlite', receivers: 10, deliveries: 400 },
        { kind: 'delivery', store: 'sqlite', receivers: 100, deliveries: 800 },
      ],
      latency: latency(120_000, [1_000]),
      readiness: readiness([1_000], 120_000),
      bundleRuns: 3,
      skipped: [{ what: 'N = 10,000 and 100,000, and the 10,000-task first poll', reason: '--quick runs N = 1,000 only (and a 2,000-task first poll)' }],
    };
  }
  const sizes = [1_000, 10_000, 100_000];
  return {
    quick,
    poll: [
      ...sizes.flatMap((n) => [poll('sqlite', n, ONE, 4), poll('sqlite', n, FOUR, 4)]),
      ...[1_000, 10_000].flatMap((n) => [poll('tablestore', n, ONE, 4), poll('tablestore', n, FOUR, 4)]),
    ],
    naive: sizes.flatMap((n) => [naive(n, ONE, 60_000), naive(n, FOUR, 60_000)]),
    firstPoll: [{ kind: 'first-poll', tasks: 10_000, ecs: ECS, budgetMs: BUDGET_MS }],
    delivery: [
      { kind: 'delivery', store: 'sqlite', receivers: 10, deliveries: 1_000 },
      { kind: 'delivery', store: 'sqlite', receivers: 100, deliveries: 2_000 },
    ],
    latency: latency(1_800_000, [1_000, 10_000]),
    readiness: readiness([1_000, 10_000], 1_800_000),
    bundleRuns: 7,
    skipped: [{ what: 'tablestore, 100,000 tasks', reason: TABLESTORE_100K }],
  };
}
