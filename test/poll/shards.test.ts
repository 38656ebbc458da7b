import { afterEach, describe, expect, it } from 'vitest';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { createPopEcsApi } from '../../src/ecs/pop-client.js';
import { silentLogger } from '../../src/log.js';
import { pollOnce, type PollDeps, type PollSummary } from '../../src/poller.js';
import type { Invoker } from '../../src/shards/invoker.js';
import type { ShardSpec } from '../../src/shards/shard.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { StateStore } from '../../src/store/port.js';
import { KEYS, everyTask, finishedExport, startSimulator } from '../support/helpers.js';

const T0 = Date.parse('2026-11-27T02:00:00Z');
const MONTH_MS = 30 * 24 * 3_600_000;
let now = T0;
let sim: EcsSimulator | undefined;

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  now = T0;
});

const REGIONS = { 'cn-hangzhou': 150, 'cn-beijing': 100, 'cn-shanghai': 450 };

/** Runs each handed-off shard in this process, as the local runtime does, and keeps what each did. */
function recordingInvoker(deps: () => PollDeps, refuse: (shard: ShardSpec) => boolean = () => false) {
  const runs: Array<{ shard: ShardSpec; done: Promise<PollSummary> }> = [];
  const invoker: Invoker = {
    async invokeShard(shard) {
      if (refuse(shard)) throw new Error(`refused ${shard.id}`);
      runs.push({ shard, done: pollOnce(deps(), { budgetMs: 30_000, shard }) });
    },
  };
  return { invoker, runs };
}

async function setUp(store: StateStore) {
  const tasks = Object.entries(REGIONS).flatMap(([regionId, count]) =>
    Array.from({ length: count }, (_, i) => finishedExport(`t-shard${regionId.slice(3, 6)}${String(i).padStart(5, '0')}`, T0, regionId, MONTH_MS)),
  );
  sim = await startSimulator(tasks, () => now);
  const base: PollDeps = {
    ecsFor: (onCall, options) => createPopEcsApi({ endpoint: sim!.endpoint, credentials: () => KEYS, now: () => now, rate: options?.rate ?? 1_000, onCall }),
    store,
    config: {
      tasks: tasks.map((t) => ({ regionId: t.regionId, taskId: t.taskId })),
      discover: [],
      webhooks: [],
      retentionDays: 30,
      confirmSeconds: 120,
      ecsRate: 300,
      shardTasks: 200,
    },
    logger: silentLogger,
    now: () => now,
  };
  return base;
}

describe('shards', () => {
  it('splits a list longer than one run sweeps: regions packed, a long region cut into ranges sharing its rate, every task polled once', async () => {
    const store = createMemoryStore();
    const base = await setUp(store);
    const { invoker, runs } = recordingInvoker(() => base);
    const deps = { ...base, invoker };

    // The first run knows nothing of the list's size yet: it sweeps everything and remembers the count.
    now += 60_000;
    const first = await pollOnce(deps, { budgetMs: 30_000 });
    expect(first).toMatchObject({ shards: 0, tasks: { active: 700, polled: 700 } });

    now += 60_000;
    const second = await pollOnce(deps, { budgetMs: 30_000 });
    const shardSummaries = await Promise.all(runs.map((r) => r.done));
    expect(second.shards).toBe(4);
    expect(runs.map((r) => [r.shard.regions, r.shard.range ? 'range' : 'whole', r.shard.share ?? 1])).toEqual([
      [['cn-beijing'], 'whole', 1],
      [['cn-shanghai'], 'range', 1 / 3],
      [['cn-shanghai'], 'range', 1 / 3],
      [['cn-shanghai'], 'range', 1 / 3],
    ]);
    // The run's own shard is the biggest whole region; the three ranges split the long one evenly and exactly.
    expect(second.tasks.polled).toBe(150);
    const polledByShards = shardSummaries.map((s) => s.tasks.polled);
    expect(polledByShards[0]).toBe(100);
    expect(polledByShards.slice(1).reduce((a, b) => a + b, 0)).toBe(450);
    for (const n of polledByShards.slice(1)) expect(n).toBeGreaterThanOrEqual(100);
    const at = new Date(now).toISOString();
    const tasks = await everyTask(store);
    expect(tasks.filter((t) => t.lastPolledAt === at)).toHaveLength(700);
    expect(shardSummaries.every((s) => s.leased && s.tasks.deferred === 0)).toBe(true);
  });

  it('plans a shard the invoker refused again next run, under the same id', async () => {
    const store = createMemoryStore();
    const base = await setUp(store);
    let refuse = true;
    const { invoker, runs } = recordingInvoker(
      () => base,
      (shard) => refuse && shard.regions.includes('cn-beijing'),
    );
    const deps = { ...base, invoker };
    now += 60_000;
    await pollOnce(deps, { budgetMs: 30_000 });
    now += 60_000;
    const refused = await pollOnce(deps, { budgetMs: 30_000 });
    expect(refused.shards).toBe(3);
    await Promise.all(runs.map((r) => r.done));
    const ids = runs.map((r) => r.shard.id);
    refuse = false;
    runs.length = 0;
    now += 60_000;
    const again = await pollOnce(deps, { budgetMs: 30_000 });
    expect(again.shards).toBe(4);
    await Promise.all(runs.map((r) => r.done));
    expect(runs.map((r) => r.shard.id)).toEqual(expect.arrayContaining(ids));
    const beijing = (await everyTask(store)).filter((t) => t.regionId === 'cn-beijing');
    expect(beijing.every((t) => t.lastPolledAt === new Date(now).toISOString())).toBe(true);
  });

  it('does not shard without an invoker, or when the list fits one run', async () => {
    const store = createMemoryStore();
    const base = await setUp(store);
    for (let i = 0; i < 2; i++) {
      now += 60_000;
      expect((await pollOnce(base, { budgetMs: 30_000 })).shards).toBe(0);
    }
    const { invoker, runs } = recordingInvoker(() => base);
    now += 60_000;
    expect((await pollOnce({ ...base, invoker, config: { ...base.config, shardTasks: 1_000 } }, { budgetMs: 30_000 })).shards).toBe(0);
    expect(runs).toEqual([]);
  });
});
