/**
 * "Unknown ids cannot starve real tasks": 5,000 ids ECS does not know, watched ahead of 20 real tasks (they sort
 * first), cost a share of one DescribeTasks each per run; the real tasks are polled every run and their completions
 * arrive on the first run after they finish. Through pollOnce, the real pop-core client and the simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { pollOnce } from '../../src/poller.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { StateStore, TaskKey } from '../../src/store/port.js';
import { finishedExport, simPollDeps, startSimulator } from '../support/helpers.js';

const T0 = Date.parse('2026-11-27T02:00:00Z');
const REGION = 'cn-hangzhou';
const UNKNOWN = 5_000;
const REAL = 20;
/** What the poller is told; the client itself is paced faster so the test runs in seconds. */
const CONFIGURED_RATE = 20;
let now = T0;
let sim: EcsSimulator | undefined;

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  now = T0;
});

const deps = (store: StateStore, tasks: TaskKey[]) =>
  simPollDeps(sim!, store, {
    now: () => now,
    config: { tasks, ecsRate: CONFIGURED_RATE },
    client: { rate: 1_000, retry: { baseDelayMs: 1, maxDelayMs: 5, budgetMs: 5_000 } },
  });

describe('ids ECS does not know', () => {
  it('never hold up the real tasks behind them, and are confirmed gone a bounded number per run', async () => {
    const unknown = Array.from({ length: UNKNOWN }, (_, i): TaskKey => ({ regionId: REGION, taskId: `t-aaunknown${String(i).padStart(6, '0')}` }));
    const real = Array.from({ length: REAL }, (_, i) => finishedExport(`t-zzreal${String(i).padStart(6, '0')}`, T0, REGION, 90_000));
    sim = await startSimulator(real, () => now);
    const store = createMemoryStore();
    const d = deps(store, [...unknown, ...real.map((t) => ({ regionId: t.regionId, taskId: t.taskId }))]);
    const attributeCalls = () => sim!.callLog().filter((c) => c.action === 'DescribeTaskAttribute').length;
    const completions = async () => (await store.listEvents({ type: 'ecs.task.succeeded', limit: 100 })).items.length;

    now = T0 + 60_000;
    const first = await pollOnce(d, { budgetMs: 60_000 });
    // The misses are the first sighting: no call per unknown id.
    expect(attributeCalls()).toBe(0);
    expect(first.tasks.polled).toBe(REAL);
    expect(first.tasks.deferred).toBe(0);

    now = T0 + 120_000;
    sim.resetCounters();
    await pollOnce(d, { budgetMs: 60_000 });
    // Every real task finished at 90 s: all completions on the first run after, one detail call each.
    expect(await completions()).toBe(REAL);
    expect(attributeCalls()).toBe(REAL);

    // Confirmations come due: each run asks about a bounded number of them, and the rest wait, answered by the list.
    now = T0 + 200_000;
    sim.resetCounters();
    const third = await pollOnce(d, { budgetMs: 60_000 });
    expect(attributeCalls()).toBe(CONFIGURED_RATE * 10);
    expect((await store.listEvents({ type: 'ecs.task.not_found', limit: 1_000 })).items).toHaveLength(CONFIGURED_RATE * 10);
    expect(third.tasks.deferred).toBe(0);
    expect(sim.callLog().filter((c) => c.action === 'DescribeTasks').length).toBe(UNKNOWN / 100);
  }, 60_000);
});
