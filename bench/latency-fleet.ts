/**
 * The latency scenario's tasks: seeded, so the bench and its peer build the same timelines (and true finish times)
 * from a spec. The measured tasks finish within the window; before it, a warm-up in which history tasks finish
 * teaches taskhook the typical durations its estimates fall back on, as a poller that has been running would know.
 */
import type { SimStep, SimTask } from '../src/ecs/simulator/index.js';

export interface LatencySpec {
  seed: number;
  /** Measured tasks: each finishes within (startAt, startAt + windowMs]. */
  count: number;
  /** History tasks: each finishes within the warm-up, (startAt − warmupMs, startAt]. */
  historyCount: number;
  regionId: string;
  /** Epoch ms the measured window starts at. */
  startAt: number;
  windowMs: number;
  /** Timer runs start this long before the window; at least the longest task, so every measured task is created after. */
  warmupMs: number;
  /**
   * `finishing` (default): tasks created during the scenario, progress in uneven whole-percent steps. `running`: every
   * measured task already runs when taskhook starts (created 2 to 30 minutes before), runs 2 to 30 minutes, and ECS
   * moves its progress in 10 % steps; no warm-up and no history, so taskhook starts knowing nothing.
   */
  shape?: 'finishing' | 'running';
}

export interface LatencyTask {
  task: SimTask;
  /** Epoch ms the timeline reaches its terminal step: the true finish. */
  finishAt: number;
  outcome: 'succeeded' | 'failed';
  /** Finishes within the window (a history task finishes in the warm-up). */
  measured: boolean;
}

/** Share of the tasks that end Failed (the rest Finished, every operation a success). */
const FAILED_SHARE = 0.05;
/** How long a task runs, creation to finish, by action: imports are the slower. */
const DURATION_MS: Record<string, { min: number; max: number }> = {
  ImportImage: { min: 4 * 60_000, max: 20 * 60_000 },
  ExportImage: { min: 2 * 60_000, max: 12 * 60_000 },
};
/** The longest task: the warm-up must be at least this long. */
export const LONGEST_TASK_MS = 20 * 60_000;
/** Waiting (0 %) for this long after creation, then Processing. */
const WAITING_MS = { min: 5_000, max: 30_000 };
/** ECS moves TaskProcess in steps: one every 15 to 45 s. */
const STEP_MS = { min: 15_000, max: 45_000 };
/** Progress is f^gamma of the elapsed share f: front-loaded below 1, back-loaded above it, so a linear estimate errs. */
const GAMMA = { min: 0.6, max: 1.5 };

/** mulberry32: a small, fast, seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const between = (random: () => number, range: { min: number; max: number }) => range.min + random() * (range.max - range.min);

/** The Processing steps from `waitMs` to `durationMs`, TaskProcess rising as f^gamma, whole percents, at most 99 %. */
function progressSteps(random: () => number, waitMs: number, durationMs: number): SimStep[] {
  const gamma = between(random, GAMMA);
  const steps: SimStep[] = [{ afterMs: waitMs, status: 'Processing', progress: 0 }];
  let last = 0;
  for (let at = waitMs + between(random, STEP_MS); at < durationMs; at += between(random, STEP_MS)) {
    const share = (at - waitMs) / (durationMs - waitMs);
    const progress = Math.min(99, Math.max(last, Math.floor(100 * share ** gamma)));
    steps.push({ afterMs: Math.round(at), status: 'Processing', progress });
    last = progress;
  }
  return steps;
}

/** A task of the `running` shape: its age at the start, its duration and its 10 % steps. */
const RUNNING = { minAgeMs: 2 * 60_000, maxDurationMs: 30 * 60_000 };

/** The Processing steps at each 10 % (f^gamma of the elapsed share, as the finishing shape's). */
function tenPercentSteps(random: () => number, waitMs: number, durationMs: number): SimStep[] {
  const gamma = between(random, GAMMA);
  const steps: SimStep[] = [{ afterMs: waitMs, status: 'Processing', progress: 0 }];
  for (let p = 10; p < 100; p += 10)
    steps.push({ afterMs: Math.round(waitMs + (durationMs - waitMs) * (p / 100) ** (1 / gamma)), status: 'Processing', progress: p });
  return steps;
}

function latencyTask(spec: LatencySpec, i: number, random: () => number): LatencyTask {
  const measured = i < spec.count;
  if (spec.shape === 'running') return runningTask(spec, i, random);
  const action = random() < 0.5 ? 'ImportImage' : 'ExportImage';
  const [from, span] = measured ? [spec.startAt, spec.windowMs] : [spec.startAt - spec.warmupMs, spec.warmupMs];
  const finishAt = from + Math.max(1_000, Math.round(random() * span));
  const durationMs = Math.round(between(random, DURATION_MS[action]));
  const createdAt = finishAt - durationMs;
  const waitMs = Math.round(between(random, WAITING_MS));
  const failed = random() < FAILED_SHARE;
  const id = `${measured ? 'm' : 'h'}${String(i).padStart(7, '0')}`;
  return fleetTask(spec, { id, action, createdAt, durationMs, finishAt, failed, measured, steps: progressSteps(random, waitMs, durationMs) });
}

/** A task already running at `startAt`, finishing within the window: created 2 to 30 minutes before, 2 to 30 minutes long. */
function runningTask(spec: LatencySpec, i: number, random: () => number): LatencyTask {
  const action = random() < 0.5 ? 'ImportImage' : 'ExportImage';
  const finishAt = spec.startAt + Math.max(1_000, Math.round(random() * spec.windowMs));
  const lower = finishAt - spec.startAt + RUNNING.minAgeMs;
  const durationMs = Math.round(lower + random() * Math.max(0, RUNNING.maxDurationMs - lower));
  const createdAt = finishAt - durationMs;
  const waitMs = Math.round(between(random, WAITING_MS));
  const failed = random() < FAILED_SHARE;
  const id = `r${String(i).padStart(7, '0')}`;
  return fleetTask(spec, { id, action, createdAt, durationMs, finishAt, failed, measured: true, steps: tenPercentSteps(random, waitMs, durationMs) });
}

/** The simulated task of one fleet member: its progress steps, then Finished or Failed, an operation naming its resource. */
function fleetTask(
  spec: LatencySpec,
  t: { id: string; action: string; createdAt: number; durationMs: number; finishAt: number; failed: boolean; measured: boolean; steps: SimStep[] },
): LatencyTask {
  const { id, action, failed } = t;
  const timeline: SimStep[] = [
    { afterMs: 0, status: 'Waiting', progress: 0 },
    ...t.steps,
    failed ? { afterMs: t.durationMs, status: 'Failed' } : { afterMs: t.durationMs, status: 'Finished', progress: 100 },
  ];
  const item = action === 'ImportImage' ? { name: 'ImageId', value: `m-lat${id}` } : { name: 'OSSObject', value: `bench/m-lat${id}.vhd` };
  const operation = failed
    ? { status: 'Failed', errorCode: 'InvalidOSSObject.NotFound', errorMessage: 'The specified OSS object does not exist.', relatedItems: [item] }
    : { status: 'Success', relatedItems: [item] };
  return {
    task: {
      taskId: `t-bplat${id}`,
      regionId: spec.regionId,
      action,
      resourceId: `m-lat${id}`,
      createdAt: t.createdAt,
      timeline,
      result: { totalCount: 1, successCount: failed ? 0 : 1, failedCount: failed ? 1 : 0, operations: [operation] },
    },
    finishAt: t.finishAt,
    outcome: failed ? 'failed' : 'succeeded',
    measured: t.measured,
  };
}

/** Every task of the scenario, the measured ones first; the same spec always gives the same tasks. */
export function latencyFleet(spec: LatencySpec): LatencyTask[] {
  if (!(Number.isInteger(spec.count) && spec.count > 0)) throw new Error(`a latency fleet needs a whole number of tasks > 0, not ${spec.count}`);
  if (!(Number.isInteger(spec.historyCount) && spec.historyCount >= 0))
    throw new Error(`a latency fleet needs a whole number of history tasks, not ${spec.historyCount}`);
  if (!(spec.windowMs >= 1_000)) throw new Error(`a latency fleet needs a window of at least 1 s, not ${spec.windowMs} ms`);
  if (spec.shape !== 'running' && !(spec.warmupMs >= LONGEST_TASK_MS))
    throw new Error(`a latency fleet needs a warm-up of at least ${LONGEST_TASK_MS / 60_000} min, not ${spec.warmupMs} ms`);
  const random = seededRandom(spec.seed);
  return Array.from({ length: spec.count + spec.historyCount }, (_, i) => latencyTask(spec, i, random));
}
