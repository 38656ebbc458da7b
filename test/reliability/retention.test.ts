/**
 * "A purge never makes an event id reusable": a finished task still in TASKHOOK_TASKS is not purged and not
 * re-announced; a task registered again after its records were purged gets ids that cannot collide with the ones
 * delivered before. Through pollOnce, the real pop-core client and the simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { pollOnce } from '../../src/poller.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { StateStore, TaskKey } from '../../src/store/port.js';
import { finishedExport, simPollDeps, startSimulator } from '../support/helpers.js';

const T0 = Date.parse('2026-11-01T02:00:00Z');
const DAY = 24 * 3_600_000;
const RETENTION_DAYS = 3;
let now = T0;
let sim: EcsSimulator | undefined;

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  now = T0;
});

const deps = (store: StateStore, tasks: TaskKey[]) => simPollDeps(sim!, store, { now: () => now, config: { tasks, retentionDays: RETENTION_DAYS } });

const eventsOf = async (store: StateStore, key: TaskKey) => (await store.listEvents({ ...key, limit: 100 })).items.map((e) => e.event);

describe('retention', () => {
  it('keeps a configured task past retention: it is not watched again from zero and its completion is not re-announced', async () => {
    const key = { regionId: 'cn-hangzhou', taskId: 't-bp1retainconfig01' };
    sim = await startSimulator([finishedExport(key.taskId, T0, key.regionId, 60_000)], () => now);
    const store = createMemoryStore();
    const d = deps(store, [key]);
    now = T0 + 120_000;
    await pollOnce(d, { budgetMs: 30_000 });
    const first = await eventsOf(store, key);
    expect(first.map((e) => e.type)).toContain('ecs.task.succeeded');
    const sequence = (await store.getTasks([key])).get(`${key.regionId}/${key.taskId}`)!.sequence;

    // Days pass: each day's first run purges what is older than the retention period.
    for (let day = 1; day <= RETENTION_DAYS + 3; day++) {
      now = T0 + day * DAY;
      await pollOnce(d, { budgetMs: 30_000 });
    }
    const record = (await store.getTasks([key])).get(`${key.regionId}/${key.taskId}`);
    expect(record?.sequence).toBe(sequence);
    expect(record?.active).toBe(false);
    // The old events are purged, and nothing new was announced.
    expect(await eventsOf(store, key)).toEqual([]);
  });

  it('gives a task registered again after its purge event ids that cannot collide with those delivered before', async () => {
    const key = { regionId: 'cn-hangzhou', taskId: 't-bp1retainapi00001' };
    sim = await startSimulator([finishedExport(key.taskId, T0, key.regionId, 60_000)], () => now);
    const store = createMemoryStore();
    const d = deps(store, []);
    await store.watchTask(key, 'api', new Date(T0).toISOString());
    now = T0 + 120_000;
    await pollOnce(d, { budgetMs: 30_000 });
    const before = new Set((await eventsOf(store, key)).map((e) => e.id));
    expect(before.size).toBeGreaterThan(0);

    for (let day = 1; day <= RETENTION_DAYS + 2; day++) {
      now = T0 + day * DAY;
      await pollOnce(d, { budgetMs: 30_000 });
    }
    expect((await store.getTasks([key])).size).toBe(0);

    await store.watchTask(key, 'api', new Date(now).toISOString());
    now += 60_000;
    await pollOnce(d, { budgetMs: 30_000 });
    const after = await eventsOf(store, key);
    expect(after.map((e) => e.type)).toContain('ecs.task.succeeded');
    for (const event of after) expect(before.has(event.id)).toBe(false);
  });
});
