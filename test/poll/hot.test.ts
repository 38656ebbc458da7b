import { afterEach, describe, expect, it } from 'vitest';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { createPopEcsApi } from '../../src/ecs/pop-client.js';
import { silentLogger } from '../../src/log.js';
import { pollOnce, type PollDeps } from '../../src/poller.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { StateStore } from '../../src/store/port.js';
import { KEYS, finishedExport, startSimulator } from '../support/helpers.js';

let sim: EcsSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

function deps(
  store: StateStore,
  taskIds: string[],
  hot: { hotIntervalSeconds: number; hotBudgetSeconds: number; hotCoverPercent?: number; ecsRate?: number },
): PollDeps {
  return {
    ecsFor: (onCall) => createPopEcsApi({ endpoint: sim!.endpoint, credentials: () => KEYS, rate: hot.ecsRate ?? 100, onCall }),
    store,
    config: {
      tasks: taskIds.map((taskId) => ({ regionId: 'cn-hangzhou', taskId })),
      discover: [],
      webhooks: [],
      retentionDays: 30,
      confirmSeconds: 120,
      ...hot,
    },
    logger: silentLogger,
    now: Date.now,
  };
}

describe('hot tasks', () => {
  it('keeps polling a task created minutes ago after the sweep, and reports its completion within the run', async () => {
    const started = Date.now();
    // Created a minute ago; finishes two seconds after the run starts.
    sim = await startSimulator([finishedExport('t-hottask0000001', started - 60_000, 'cn-hangzhou', 62_000)]);
    const store = createMemoryStore();
    const summary = await pollOnce(deps(store, ['t-hottask0000001'], { hotIntervalSeconds: 1, hotBudgetSeconds: 8 }), { budgetMs: 30_000, hot: true });
    expect(summary.tasks.hot).toBe(1);
    expect(summary.hotPasses).toBeGreaterThanOrEqual(2);
    expect(summary.events['ecs.task.succeeded']).toBe(1);
    // It ends once nothing is hot, well before the hot window's end.
    expect(Date.now() - started).toBeLessThan(7_000);
  });

  it('ends at once when no task is hot, and never lingers for a poll asked for outside the timer', async () => {
    const started = Date.now();
    sim = await startSimulator([finishedExport('t-hottask0000002', started - 60_000, 'cn-hangzhou', 3_600_000)]);
    const store = createMemoryStore();
    const asked = await pollOnce(deps(store, ['t-hottask0000002'], { hotIntervalSeconds: 1, hotBudgetSeconds: 8 }), { budgetMs: 30_000 });
    expect(asked.hotPasses).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(3_000);
    // Hot tasks off: the timer's run ends after its sweep too.
    const off = await pollOnce(deps(store, ['t-hottask0000002'], { hotIntervalSeconds: 0, hotBudgetSeconds: 8 }), { budgetMs: 30_000, hot: true });
    expect(off.hotPasses).toBeUndefined();
  });

  it('estimates a running task’s finish from how long the last finished tasks of its action took', async () => {
    const started = Date.now();
    sim = await startSimulator([
      finishedExport('t-hotestimate001', started - 10 * 60_000, 'cn-hangzhou', 5 * 60_000),
      finishedExport('t-hotestimate002', started - 60_000, 'cn-hangzhou', 3_600_000),
    ]);
    const store = createMemoryStore();
    const d = deps(store, ['t-hotestimate001'], { hotIntervalSeconds: 0, hotBudgetSeconds: 0 });
    await pollOnce(d, { budgetMs: 30_000 });
    expect(await store.getMark('durations/cn-hangzhou/ExportImage')).toBe('[300]');
    await pollOnce({ ...d, config: { ...d.config, tasks: [{ regionId: 'cn-hangzhou', taskId: 't-hotestimate002' }] } }, { budgetMs: 30_000 });
    const [second] = (await store.getTasks([{ regionId: 'cn-hangzhou', taskId: 't-hotestimate002' }])).values();
    const created = Date.parse(second.snapshot!.createdAt!);
    expect(Date.parse(second.snapshot!.estimatedFinishAt!)).toBe(created + 300_000);
  });

  it('re-polls every active task on each pass when the list fits the rate, so a task no estimate pointed at is found within the run', async () => {
    const started = Date.now();
    // Created half an hour ago with no estimate: not hot. It finishes two seconds into the run.
    sim = await startSimulator([finishedExport('t-hotcover000001', started - 1_800_000, 'cn-hangzhou', 1_802_000)]);
    const covered = await pollOnce(deps(createMemoryStore(), ['t-hotcover000001'], { hotIntervalSeconds: 1, hotBudgetSeconds: 8, hotCoverPercent: 50 }), {
      budgetMs: 30_000,
      hot: true,
    });
    expect(covered.tasks.hot).toBe(0);
    expect(covered.events['ecs.task.succeeded']).toBe(1);
  });

  it('finds nothing in the same run without coverage: only hot tasks are asked about', async () => {
    const started = Date.now();
    sim = await startSimulator([finishedExport('t-hotcover000002', started - 1_800_000, 'cn-hangzhou', 1_802_000)]);
    const plain = await pollOnce(deps(createMemoryStore(), ['t-hotcover000002'], { hotIntervalSeconds: 1, hotBudgetSeconds: 8, hotCoverPercent: 0 }), {
      budgetMs: 30_000,
      hot: true,
    });
    expect(plain.hotPasses).toBeUndefined();
    expect(plain.events['ecs.task.succeeded']).toBeUndefined();
  });

  it('covers a list longer than one pass in turns, within its share of the rate', async () => {
    const started = Date.now();
    const ids = Array.from({ length: 350 }, (_, i) => `t-hotturns${String(i).padStart(6, '0')}`);
    // One task in the middle of the list finishes three seconds into the run; the rest run for an hour.
    sim = await startSimulator(ids.map((id, i) => finishedExport(id, started - 1_800_000, 'cn-hangzhou', i === 200 ? 1_803_000 : 5_400_000)));
    const d = deps(createMemoryStore(), ids, { hotIntervalSeconds: 1, hotBudgetSeconds: 8, hotCoverPercent: 100, ecsRate: 2 });
    const summary = await pollOnce({ ...d, config: { ...d.config, ecsRate: 2 } }, { budgetMs: 30_000, hot: true });
    expect(summary.events['ecs.task.succeeded']).toBe(1);
    // The sweep's 4 calls, then at most 2 per pass (2 calls a second, 1 s apart).
    expect(summary.ecsCalls.DescribeTasks).toBeLessThanOrEqual(4 + 2 * summary.hotPasses!);
    expect(summary.hotPasses).toBeGreaterThanOrEqual(4);
  }, 30_000);

  it('ends at once with coverage on when no task is active', async () => {
    sim = await startSimulator([]);
    const summary = await pollOnce(deps(createMemoryStore(), [], { hotIntervalSeconds: 1, hotBudgetSeconds: 8, hotCoverPercent: 50 }), {
      budgetMs: 30_000,
      hot: true,
    });
    expect(summary.hotPasses).toBeUndefined();
  });
});
