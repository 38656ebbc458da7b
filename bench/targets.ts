/** The targets the bench checks, each with the number reached and pass/fail, computed from the result rows alone. */
import { modeName } from './latency-mode.js';
import type { BundleRow, DeliveryRow, FirstPollRow, LatencyRow, PollRow, ResultRow } from './rows.js';

export interface TargetCheck {
  target: string;
  /** The figure reached (the worst case over the rows the target covers), in words. */
  reached: string;
  status: 'pass' | 'fail' | 'not measured';
}

export interface TargetLimits {
  budgetMs: number;
  stalenessCycles: number;
  vsBound: number;
  callsVsNeeded: number;
  throttledShare: number;
  peakRssMb: number;
  peakRssAtTasks: number;
  firstPollTasks: number;
  firstPollVsReference: number;
  deliveryVsPlain: number;
  bundleBytes: number;
  aboveEmptyMs: number;
  hotP50S: number;
  hotP95S: number;
  hintToArrivalS: number;
  callsVsPlain: number;
}

export const TARGETS: TargetLimits = {
  budgetMs: 240_000,
  stalenessCycles: 2,
  vsBound: 1.3,
  callsVsNeeded: 1.05,
  throttledShare: 0.02,
  peakRssMb: 128,
  peakRssAtTasks: 100_000,
  firstPollTasks: 10_000,
  firstPollVsReference: 1.5,
  deliveryVsPlain: 0.7,
  bundleBytes: 1024 * 1024,
  aboveEmptyMs: 40,
  hotP50S: 10,
  hotP95S: 20,
  hintToArrivalS: 2,
  callsVsPlain: 3,
};

const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 2 : 1)} %`;
const times = (x: number) => `${x.toFixed(2)}×`;
export const scenarioName = (r: PollRow) => `${r.store} ${r.tasks.toLocaleString('en-US')} × ${r.regions} region${r.regions > 1 ? 's' : ''}, cycle ${r.cycle}`;

/** The row where `value` is worst (highest, or lowest with `lowest`), ignoring rows without a value. */
function worst<T>(rows: T[], value: (r: T) => number | null, lowest = false): { row: T; value: number } | null {
  let best: { row: T; value: number } | null = null;
  for (const row of rows) {
    const v = value(row);
    if (v === null || !Number.isFinite(v)) continue;
    if (!best || (lowest ? v < best.value : v > best.value)) best = { row, value: v };
  }
  return best;
}

function check(target: string, found: { value: number; where: string } | null, pass: (v: number) => boolean, show: (v: number) => string): TargetCheck {
  if (!found) return { target, reached: 'not measured in this run', status: 'not measured' };
  return { target, reached: `${show(found.value)} (${found.where})`, status: pass(found.value) ? 'pass' : 'fail' };
}

const seconds = (v: number) => `${v.toFixed(1)} s`;

/**
 * A latency figure of one row: not measured without the row (or, for hot tasks, without the poller's settings),
 * failed when any task's event never arrived.
 */
function latencyCheck(target: string, row: LatencyRow | undefined, value: (r: LatencyRow) => number | null, limit: number, show = seconds): TargetCheck {
  if (!row) return { target, reached: 'not measured in this run', status: 'not measured' };
  if (row.mode === 'hot' && !row.hotSupported) return { target, reached: 'not measured: the poller has no hot-task settings yet', status: 'not measured' };
  const v = value(row);
  const where = `${modeName(row)}, ${row.delivered.toLocaleString('en-US')} of ${row.tasks.toLocaleString('en-US')} delivered`;
  if (v === null) return { target, reached: `no figure (${where})`, status: 'fail' };
  return { target, reached: `${show(v)} (${where})`, status: v <= limit && row.delivered === row.tasks ? 'pass' : 'fail' };
}

export function latencyTargets(rows: ResultRow[], limits: TargetLimits = TARGETS): TargetCheck[] {
  const latency = rows.filter((r): r is LatencyRow => r.kind === 'latency');
  const finishing = latency.filter((r) => (r.shape ?? 'finishing') === 'finishing');
  const hot = finishing.find((r) => r.mode === 'hot');
  const hints = finishing.find((r) => r.mode === 'hints');
  const cover = (tasks: number) => latency.find((r) => r.shape === 'running' && r.mode === 'cover' && r.tasks === tasks);
  return [
    latencyCheck(`finish → event p50 ≤ ${limits.hotP50S} s with hot tasks`, hot, (r) => r.p50S, limits.hotP50S),
    latencyCheck(`finish → event p95 ≤ ${limits.hotP95S} s with hot tasks`, hot, (r) => r.p95S, limits.hotP95S),
    latencyCheck(
      `event ≤ ${limits.hintToArrivalS} s after a hint (every hinted task)`,
      hints,
      (r) => r.hintToArrivalMaxS,
      limits.hintToArrivalS,
      (v) => `${v.toFixed(2)} s`,
    ),
    // Against the plain row of the same run: without it, not measured.
    latencyCheck(
      `ECS calls per task ≤ ${limits.callsVsPlain}× plain polling with hot tasks`,
      finishing.some((r) => r.mode === 'plain') ? hot : undefined,
      (r) => r.callsVsPlain,
      limits.callsVsPlain,
      times,
    ),
    latencyCheck(`finish → event p95 ≤ 10 s at 1,000 active tasks (already running, continuous coverage)`, cover(1_000), (r) => r.p95S, 10),
    latencyCheck(`finish → event p95 ≤ 20 s at 10,000 active tasks (already running, continuous coverage)`, cover(10_000), (r) => r.p95S, 20),
    latencyCheck(`finish → event max ≤ 30 s at 1,000 active tasks (continuous coverage)`, cover(1_000), (r) => r.maxS, 30),
    latencyCheck(`finish → event max ≤ 30 s at 10,000 active tasks (continuous coverage)`, cover(10_000), (r) => r.maxS, 30),
    latencyCheck(
      `no ECS call throttled with continuous coverage at 10,000 tasks`,
      cover(10_000),
      (r) => r.throttled ?? null,
      0,
      (v) => `${v}`,
    ),
  ];
}

export function checkTargets(rows: ResultRow[], limits: TargetLimits = TARGETS): TargetCheck[] {
  const poll = rows.filter((r): r is PollRow => r.kind === 'poll');
  const fitting = poll.filter((r) => r.boundMs <= limits.budgetMs);
  const firstPoll = rows.filter((r): r is FirstPollRow => r.kind === 'first-poll');
  const delivery = rows.filter((r): r is DeliveryRow => r.kind === 'delivery');
  const bundles = rows.filter((r): r is BundleRow => r.kind === 'bundle');
  const at = <T>(w: { row: T; value: number } | null, where: (r: T) => string) => (w ? { value: w.value, where: where(w.row) } : null);

  const share = worst(fitting, (r) => r.polledShare, true);
  const stale = worst(fitting, (r) => r.stalenessCycles);
  // The first poll writes every task once: it has its own target against the reference below.
  const steady = poll.filter((r) => r.cycle > 0);
  const bound = worst(steady, (r) => r.vsBound);
  const calls = worst(poll, (r) => r.callsVsNeeded);
  const throttled = worst(poll, (r) => r.throttledShare);
  const rss = worst(
    poll.filter((r) => r.tasks >= limits.peakRssAtTasks),
    (r) => r.peakRssMb,
  );
  const first = worst(
    firstPoll.filter((r) => r.tasks >= limits.firstPollTasks),
    (r) => r.vsReference,
  );
  const deliver = worst(delivery, (r) => r.vsPlain, true);
  const size = worst(bundles, (r) => r.bytes);
  const load = worst(bundles, (r) => r.aboveEmptyMs);
  const n = (x: number) => x.toLocaleString('en-US');

  return [
    check(
      `100 % of the list polled in every cycle whose lower bound fits the budget (${limits.budgetMs / 1000} s)`,
      at(share, (r) => `lowest: ${scenarioName(r)}; ${fitting.length} cycle${fitting.length === 1 ? '' : 's'} checked`),
      (v) => v >= 1,
      pct,
    ),
    check(
      `staleness ≤ ${limits.stalenessCycles} cycles`,
      at(
        stale,
        (r) => `highest: ${scenarioName(r)}, ${Math.round(r.stalenessS ?? 0)} s, from the ${r.stalenessSource === 'summary' ? 'poll summary' : 'simulator'}`,
      ),
      (v) => v <= limits.stalenessCycles,
      (v) => `${v.toFixed(2)} cycles`,
    ),
    check(
      `cycle time ≤ ${limits.vsBound}× the lower bound (cycles after the first poll)`,
      at(bound, (r) => `worst: ${scenarioName(r)}, ${n(Math.round(r.cycleMs))} ms vs ${n(Math.round(r.boundMs))} ms`),
      (v) => v <= limits.vsBound,
      times,
    ),
    check(
      `ECS calls ≤ ${limits.callsVsNeeded}× the strictly needed ones`,
      at(calls, (r) => `worst: ${scenarioName(r)}, ${n(r.callsTotal)} vs ${n(r.neededCalls)}`),
      (v) => v <= limits.callsVsNeeded,
      times,
    ),
    check(
      `throttled ≤ ${pct(limits.throttledShare)} of calls`,
      at(throttled, (r) => `worst: ${scenarioName(r)}, ${n(r.throttled)} of ${n(r.callsTotal)}`),
      (v) => v <= limits.throttledShare,
      pct,
    ),
    check(
      `peak RSS ≤ ${limits.peakRssMb} MB at ${n(limits.peakRssAtTasks)} tasks`,
      at(rss, (r) => scenarioName(r)),
      (v) => v <= limits.peakRssMb,
      (v) => `${v.toFixed(0)} MB`,
    ),
    check(
      `first poll of ${n(limits.firstPollTasks)} new tasks ≤ ${limits.firstPollVsReference}× the reference`,
      at(first, (r) => `${n(Math.round(r.cycleMs))} ms vs ${n(Math.round(r.referenceMs))} ms`),
      (v) => v <= limits.firstPollVsReference,
      times,
    ),
    check(
      `delivery ≥ ${limits.deliveryVsPlain}× the plain undici loop`,
      at(deliver, (r) => `lowest: ${r.receivers} receivers, ${n(Math.round(r.taskhookPerSecond))}/s vs ${n(Math.round(r.plainPerSecond))}/s`),
      (v) => v >= limits.deliveryVsPlain,
      times,
    ),
    check(
      `each bundle ≤ ${limits.bundleBytes / 1024 / 1024} MB`,
      at(size, (r) => `largest: ${r.bundle}`),
      (v) => v <= limits.bundleBytes,
      (v) => `${(v / 1024 / 1024).toFixed(2)} MB`,
    ),
    check(
      `each bundle's load ≤ ${limits.aboveEmptyMs} ms above an empty node`,
      at(load, (r) => `slowest: ${r.bundle}, ${Math.round(r.spawnExitMs)} ms vs ${Math.round(r.emptyNodeMs)} ms`),
      (v) => v <= limits.aboveEmptyMs,
      (v) => `${Math.round(v)} ms`,
    ),
    ...latencyTargets(rows, limits),
  ];
}
