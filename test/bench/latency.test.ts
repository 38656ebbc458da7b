import { describe, expect, it } from 'vitest';
import { estimateFigures, spread, type EstimateSample } from '../../bench/latency-figures';
import { latencyFleet, seededRandom, type LatencySpec } from '../../bench/latency-fleet';
import { withCallsVsPlain } from '../../bench/latency-report';
import type { LatencyRow } from '../../bench/rows';
import { SimScheduler } from '../../bench/sim-scheduler';
import { percentile } from '../../bench/stats';
import { latencyTargets } from '../../bench/targets';

const spec: LatencySpec = {
  seed: 42,
  count: 200,
  historyCount: 50,
  regionId: 'cn-hangzhou',
  startAt: Date.UTC(2026, 11, 1, 12),
  windowMs: 600_000,
  warmupMs: 1_200_000,
};

describe('percentiles of the latencies', () => {
  it('takes the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentile([], 50)).toBeNaN();
  });

  it('reports p50, p95, max and mean, and nothing for no latencies', () => {
    expect(spread([4, 1, 3, 2, 10])).toEqual({ p50S: 3, p95S: 10, maxS: 10, meanS: 4 });
    expect(spread([])).toEqual({ p50S: null, p95S: null, maxS: null, meanS: null });
  });
});

describe("the estimate's error", () => {
  const finishAt = new Map([
    ['t-a', Date.parse('2026-12-01T12:05:00Z')],
    ['t-b', Date.parse('2026-12-01T12:06:00Z')],
    ['t-c', Date.parse('2026-12-01T12:07:00Z')],
  ]);

  it('is not measured when no snapshot carries the field', () => {
    const samples = new Map<string, EstimateSample>([
      ['t-a', { field: false }],
      ['t-b', { field: false }],
    ]);
    expect(estimateFigures(samples, finishAt)).toEqual({ field: false, samples: 0, medianErrorS: null, p90ErrorS: null });
  });

  it('is the absolute difference to the true finish, over the tasks that had an estimate', () => {
    const samples = new Map<string, EstimateSample>([
      ['t-a', { field: true, estimatedFinishAt: '2026-12-01T12:05:30Z' }],
      ['t-b', { field: true, estimatedFinishAt: '2026-12-01T12:05:50Z' }],
      ['t-c', { field: true, estimatedFinishAt: null }],
    ]);
    expect(estimateFigures(samples, finishAt)).toEqual({ field: true, samples: 2, medianErrorS: 10, p90ErrorS: 30 });
  });
});

describe('the latency fleet', () => {
  it('is the same for the same spec and differs with the seed', () => {
    expect(latencyFleet(spec)).toEqual(latencyFleet({ ...spec }));
    const other = latencyFleet({ ...spec, seed: 43 });
    expect(other.map((t) => t.finishAt)).not.toEqual(latencyFleet(spec).map((t) => t.finishAt));
    const a = seededRandom(7);
    const b = seededRandom(7);
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
  });

  it('mixes ImportImage and ExportImage: the measured ones finish within the window, the history ones in the warm-up', () => {
    const fleet = latencyFleet(spec);
    expect(fleet).toHaveLength(250);
    expect(new Set(fleet.map((t) => t.task.taskId)).size).toBe(250);
    const measured = fleet.filter((t) => t.measured);
    expect(measured).toHaveLength(200);
    const imports = measured.filter((t) => t.task.action === 'ImportImage').length;
    expect(imports).toBeGreaterThan(60);
    expect(imports).toBeLessThan(140);
    for (const { task, finishAt } of measured) {
      // Created after the warm-up began, so taskhook sees each one from its start.
      expect(task.createdAt).toBeGreaterThanOrEqual(spec.startAt - spec.warmupMs);
      expect(finishAt).toBeGreaterThan(spec.startAt);
      expect(finishAt).toBeLessThanOrEqual(spec.startAt + spec.windowMs);
    }
    expect(measured.some((t) => t.task.createdAt > spec.startAt)).toBe(true);
    for (const { finishAt } of fleet.filter((t) => !t.measured)) {
      expect(finishAt).toBeGreaterThan(spec.startAt - spec.warmupMs);
      expect(finishAt).toBeLessThanOrEqual(spec.startAt);
    }
  });

  it('gives every task a rising TaskProcess and ends it with its terminal step at the true finish', () => {
    for (const { task, finishAt, outcome } of latencyFleet(spec)) {
      const steps = task.timeline;
      const last = steps[steps.length - 1];
      expect(task.createdAt + last.afterMs).toBe(finishAt);
      expect(last.status).toBe(outcome === 'succeeded' ? 'Finished' : 'Failed');
      const running = steps.slice(1, -1);
      expect(running.length).toBeGreaterThan(1);
      expect(running.every((s) => s.status === 'Processing')).toBe(true);
      for (let i = 1; i < running.length; i++) {
        expect(running[i].afterMs).toBeGreaterThan(running[i - 1].afterMs);
        expect(running[i].progress!).toBeGreaterThanOrEqual(running[i - 1].progress!);
      }
      expect(running[running.length - 1].progress!).toBeLessThan(100);
    }
  });

  it('refuses a spec it cannot build', () => {
    expect(() => latencyFleet({ ...spec, count: 0 })).toThrow(/whole number of tasks/);
    expect(() => latencyFleet({ ...spec, windowMs: 10 })).toThrow(/window/);
    expect(() => latencyFleet({ ...spec, warmupMs: 60_000 })).toThrow(/warm-up/);
  });
});

/** A clock that only the scheduler moves (real time stands still for it). */
function manualClock() {
  let now = 1_000_000;
  const jumps: number[] = [];
  return {
    jumps,
    clock: {
      now: () => now,
      jumpTo: async (at: number) => {
        jumps.push(at);
        now = Math.max(now, at);
      },
    },
  };
}

describe('the simulated-time scheduler', () => {
  it('starts activities in time order, jumping the clock while none works', async () => {
    const { clock, jumps } = manualClock();
    const scheduler = new SimScheduler(clock);
    const seen: Array<[string, number]> = [];
    scheduler.at(1_060_000, async () => void seen.push(['b', clock.now()]));
    scheduler.at(1_000_500, async () => void seen.push(['a', clock.now()]));
    scheduler.at(1_060_000, async () => void seen.push(['c', clock.now()]));
    await scheduler.run();
    expect(seen).toEqual([
      ['a', 1_000_500],
      ['b', 1_060_000],
      ['c', 1_060_000],
    ]);
    expect(jumps).toEqual([1_000_500, 1_060_000]);
  });

  it('lets a sleeping activity wait in simulated time, and starts what falls due meanwhile', async () => {
    const { clock } = manualClock();
    const scheduler = new SimScheduler(clock);
    const seen: Array<[string, number]> = [];
    scheduler.at(1_000_000, async () => {
      for (let pass = 0; pass < 3; pass++) {
        seen.push([`pass ${pass}`, clock.now()]);
        await scheduler.sleep(5_000);
      }
    });
    scheduler.at(1_007_000, async () => void seen.push(['hint', clock.now()]));
    await scheduler.run();
    expect(seen).toEqual([
      ['pass 0', 1_000_000],
      ['pass 1', 1_005_000],
      ['hint', 1_007_000],
      ['pass 2', 1_010_000],
    ]);
    expect(scheduler.sleeps).toBe(3);
    expect(scheduler.sleptMs).toBe(15_000);
  });

  it('does not jump under a call in flight', async () => {
    const { clock, jumps } = manualClock();
    const scheduler = new SimScheduler(clock);
    let release: () => void = () => undefined;
    let during: number[] = [];
    scheduler.at(1_000_000, async () => {
      const call = scheduler.track(() => new Promise<void>((resolve) => (release = resolve)));
      void scheduler.sleep(1_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
      during = [...jumps];
      release();
      await call;
    });
    await scheduler.run();
    expect(during).toEqual([]);
  });

  it('passes on the first error an activity threw', async () => {
    const { clock } = manualClock();
    const scheduler = new SimScheduler(clock);
    scheduler.at(1_000_000, () => Promise.reject(new Error('poll failed')));
    await expect(scheduler.run()).rejects.toThrow('poll failed');
  });
});

function row(overrides: Partial<LatencyRow>): LatencyRow {
  return {
    kind: 'latency',
    mode: 'hot',
    store: 'sqlite',
    tasks: 200,
    historyTasks: 50,
    seed: 1,
    windowS: 600,
    warmupS: 1_200,
    delivered: 200,
    p50S: 4,
    p95S: 9,
    maxS: 12,
    meanS: 5,
    calls: { DescribeTasks: 300, DescribeTaskAttribute: 200 },
    callsTotal: 500,
    callsPerTask: 2.5,
    callsVsPlain: null,
    timerRuns: 11,
    timerRunsLeased: 11,
    hints: 0,
    hintDelayS: null,
    hintedTasks: 0,
    hintToArrivalP50S: null,
    hintToArrivalP95S: null,
    hintToArrivalMaxS: null,
    hotSupported: true,
    hotIntervalSeconds: 5,
    hotBudgetSeconds: 50,
    estimateField: true,
    estimateSamples: 200,
    estimateMedianErrorS: 20,
    estimateP90ErrorS: 60,
    sleptS: 400,
    simulatedS: 620,
    wallMs: 20_000,
    cutShort: false,
    repeats: 0,
    unverified: 0,
    peakRssMb: 90,
    ...overrides,
  };
}

const find = (checks: ReturnType<typeof latencyTargets>, starts: string) => checks.find((c) => c.target.includes(starts))!;

describe('the latency targets', () => {
  it('checks hot tasks, hints and calls against plain polling', () => {
    const rows = withCallsVsPlain([
      row({ mode: 'plain', p50S: 30, p95S: 57, callsPerTask: 1.1, hotIntervalSeconds: 0 }),
      row({}),
      row({ mode: 'hints', hints: 100, hintedTasks: 100, hintToArrivalMaxS: 0.6 }),
    ]);
    const checks = latencyTargets(rows);
    expect(find(checks, 'p50').status).toBe('pass');
    expect(find(checks, 'p95').status).toBe('pass');
    expect(find(checks, 'after a hint')).toMatchObject({ status: 'pass', reached: expect.stringContaining('0.60 s') });
    expect(find(checks, 'ECS calls')).toMatchObject({ status: 'pass', reached: expect.stringContaining('2.27×') });
    const slow = latencyTargets(withCallsVsPlain([row({ mode: 'plain', callsPerTask: 0.5 }), row({ p95S: 25 })]));
    expect(find(slow, 'p95').status).toBe('fail');
    expect(find(slow, 'ECS calls').status).toBe('fail');
  });

  it('fails a mode that lost events, and does not measure what the run has no row or setting for', () => {
    expect(find(latencyTargets([row({ delivered: 199 })]), 'p50').status).toBe('fail');
    const unsupported = latencyTargets([row({ hotSupported: false })]);
    expect(find(unsupported, 'p50')).toMatchObject({ status: 'not measured', reached: expect.stringContaining('no hot-task settings') });
    expect(find(latencyTargets([row({})]), 'ECS calls').status).toBe('not measured');
    expect(find(latencyTargets([]), 'after a hint').status).toBe('not measured');
  });
});
