import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { createPopEcsApi } from '../../src/ecs/pop-client.js';
import { silentLogger } from '../../src/log.js';
import { pollOnce, type PollDeps } from '../../src/poller.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { StateStore } from '../../src/store/port.js';
import { createSqliteStore } from '../../src/store/sqlite.js';
import { KEYS, everyTask, finishedExport, startSimulator } from '../support/helpers.js';

const T0 = Date.parse('2026-11-27T02:00:00Z');
const MONTH_MS = 30 * 24 * 3_600_000;
let now = T0;
let sim: EcsSimulator | undefined;
const stores: StateStore[] = [];

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  for (const s of stores.splice(0)) await s.close();
  now = T0;
});

const ids = (region: string, count: number) => Array.from({ length: count }, (_, i) => `t-sweep${region.slice(3, 6)}${String(i).padStart(5, '0')}`);

/** Tasks that run for a month, in the given regions; each ECS call moves the clock by `tickMs`. */
async function setUp(store: StateStore, regions: Record<string, number>, tickMs: number, ecsRate = 1_000) {
  stores.push(store);
  const tasks = Object.entries(regions).flatMap(([regionId, count]) => ids(regionId, count).map((id) => finishedExport(id, T0, regionId, MONTH_MS)));
  sim = await startSimulator(tasks, () => now);
  const deps: PollDeps = {
    ecsFor: (onCall) =>
      createPopEcsApi({
        endpoint: sim!.endpoint,
        credentials: () => KEYS,
        now: () => now,
        rate: 1_000,
        throttlePauseMs: 50,
        retry: { baseDelayMs: 5, maxDelayMs: 20, budgetMs: 1_000 },
        onCall: (record) => {
          onCall(record);
          now += tickMs;
        },
      }),
    store,
    config: {
      tasks: tasks.map((t) => ({ regionId: t.regionId, taskId: t.taskId })),
      discover: [],
      webhooks: [],
      retentionDays: 30,
      confirmSeconds: 120,
      ecsRate,
    },
    logger: silentLogger,
    now: () => now,
  };
  return deps;
}

const stores_ = {
  memory: () => createMemoryStore(),
  sqlite: () => createSqliteStore(join(mkdtempSync(join(tmpdir(), 'taskhook-sweep-')), 'state.db')),
};

describe.each(Object.entries(stores_))('the sweep (%s)', (_name, open) => {
  it('starves no task: what one run could not reach goes first in the next, and every task is polled in every two runs', async () => {
    const store = open();
    // Each call moves the clock 1 s and a run works for 5 s; at 1 call/s, a few batches of 100 out of 8.
    const deps = await setUp(store, { 'cn-hangzhou': 800 }, 1_000, 1);
    const runs: Array<{ startedAt: string; summary: Awaited<ReturnType<typeof pollOnce>>; polled: Map<string, string | null> }> = [];
    for (let i = 0; i < 4; i++) {
      now += 60_000;
      const startedAt = new Date(now).toISOString();
      const summary = await pollOnce(deps, { budgetMs: 7_000 });
      const polled = new Map((await everyTask(store)).map((t) => [t.taskId, t.lastPolledAt]));
      runs.push({ startedAt, summary, polled });
    }
    for (const { summary } of runs) {
      expect(summary.tasks.active).toBe(800);
      expect(summary.tasks.deferred).toBeGreaterThan(0);
      expect(summary.tasks.polled + summary.tasks.deferred).toBe(800);
    }
    // Each run answers about half: over any two consecutive runs, every task was asked about.
    for (let i = 1; i < runs.length; i++) {
      const stale = [...runs[i].polled].filter(([, at]) => at === null || at < runs[i - 1].startedAt);
      expect(stale).toEqual([]);
    }
    // The summary says how stale the list is: never older than the run before the last.
    const last = runs[runs.length - 1].summary;
    expect(last.staleness.oldestPolledAt! >= runs[runs.length - 2].startedAt).toBe(true);
    expect(last.staleness.seconds).toBeGreaterThan(0);
    // In the first run, a task not yet reached counts from when it was watched: that run's start.
    expect(runs[0].summary.staleness.oldestPolledAt).toBe(runs[0].startedAt);
  });

  it('polls every task of a list that fits the run, and says the list is as fresh as the run', async () => {
    const store = open();
    const deps = await setUp(store, { 'cn-hangzhou': 250, 'cn-beijing': 120 }, 0);
    now += 60_000;
    const summary = await pollOnce(deps, { budgetMs: 30_000 });
    expect(summary.tasks).toMatchObject({ active: 370, polled: 370, deferred: 0 });
    expect(summary.ecsCalls).toEqual({ DescribeTasks: 5 });
    expect(summary.staleness).toEqual({ oldestPolledAt: new Date(now).toISOString(), seconds: 0 });
    expect((await everyTask(store)).every((t) => t.lastPolledAt === new Date(now).toISOString())).toBe(true);
  });

  it('keeps polling the other regions at full speed while one region is throttled throughout', async () => {
    const store = open();
    const regions = { 'cn-hangzhou': 150, 'cn-beijing': 150, 'cn-shanghai': 150, 'cn-shenzhen': 150 };
    const deps = await setUp(store, regions, 0);
    sim!.injectFault({ kind: 'throttle', action: 'DescribeTasks', regionId: 'cn-beijing', times: Infinity });
    now += 60_000;
    const summary = await pollOnce(deps, { budgetMs: 30_000 });
    expect(summary.tasks).toMatchObject({ active: 600, polled: 450, deferred: 150 });
    const byRegion = new Map<string, number>();
    for (const t of await everyTask(store)) if (t.lastPolledAt) byRegion.set(t.regionId, (byRegion.get(t.regionId) ?? 0) + 1);
    expect(Object.fromEntries(byRegion)).toEqual({ 'cn-hangzhou': 150, 'cn-shanghai': 150, 'cn-shenzhen': 150 });
    expect(summary.throttled).toBeGreaterThan(0);
  });
});
