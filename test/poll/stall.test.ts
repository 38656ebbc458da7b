/**
 * Stalls: a running task whose progress has not moved for longer than its kind usually takes per step (from the
 * durations taskhook keeps, a floor without them), or that runs past the slowest recent task of its kind, makes one
 * `ecs.task.stalled`, and one `ecs.task.resumed` (or the completion) when it moves again. Opt-in per webhook.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EcsSimulator, SimTask } from '../../src/ecs/simulator/index.js';
import { webhookRecord } from '../../src/fakes/records.js';
import { pollOnce } from '../../src/poller.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { StateStore } from '../../src/store/port.js';
import type { TaskEvent } from '../../src/tasks/events.js';
import { keysOf, simPollDeps, startSimulator } from '../support/helpers.js';

const T0 = Date.parse('2026-11-27T02:00:00Z');
const REGION = 'cn-hangzhou';
const MIN = 60_000;
let now = T0;
let sim: EcsSimulator | undefined;

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  now = T0;
});

/** Stuck at 40 % from minute 2 to minute 40, then 70 %, then finished at minute 45. */
function frozen(taskId: string, createdAt = T0): SimTask {
  return {
    taskId,
    regionId: REGION,
    action: 'ExportImage',
    createdAt,
    timeline: [
      { afterMs: 0, status: 'Processing', progress: 5 },
      { afterMs: 2 * MIN, status: 'Processing', progress: 40 },
      { afterMs: 40 * MIN, status: 'Processing', progress: 70 },
      { afterMs: 45 * MIN, status: 'Finished', progress: 100 },
    ],
    result: { totalCount: 1, operations: [{ status: 'Success', relatedItems: [{ name: 'OSSObject', value: `${taskId}.vhd` }] }] },
  };
}

const deps = (store: StateStore, tasks: SimTask[], stallFloorSeconds = 600) =>
  simPollDeps(sim!, store, { now: () => now, config: { tasks: keysOf(tasks), stallFloorSeconds }, client: { rate: 100 } });

const eventsOf = async (store: StateStore, taskId: string): Promise<TaskEvent[]> =>
  (await store.listEvents({ taskId, regionId: REGION, limit: 200 })).items.map((e) => e.event).reverse();
const ofType = (events: TaskEvent[], ...types: string[]) => events.filter((e) => types.includes(e.type));

describe('stalls', () => {
  it('reports one stalled per stall, with how long and the expectation broken, and one resumed when the progress moves', async () => {
    const task = frozen('t-bp1stallstep0001');
    sim = await startSimulator([task], () => now);
    const store = createMemoryStore();
    await store.putWebhook(webhookRecord('wh_stalls', { events: ['ecs.task.stalled', 'ecs.task.resumed', 'ecs.task.succeeded'] }));
    const d = deps(store, [task]);
    for (now = T0 + MIN; now <= T0 + 50 * MIN; now += MIN) await pollOnce(d, { budgetMs: 30_000 });

    const events = await eventsOf(store, task.taskId);
    const [stalled, ...moreStalls] = ofType(events, 'ecs.task.stalled');
    expect(moreStalls).toEqual([]);
    // The progress reached 40 % at minute 2 and was first seen there at minute 2; the floor is 10 minutes.
    expect(Date.parse(stalled.time) - (T0 + 2 * MIN)).toBeGreaterThan(10 * MIN);
    expect(Date.parse(stalled.time) - (T0 + 2 * MIN)).toBeLessThanOrEqual(11 * MIN);
    expect(stalled.data.task.stall).toMatchObject({ expectation: 'step', expectedSeconds: 600, since: new Date(T0 + 2 * MIN).toISOString() });
    expect(stalled.data.task.stall!.stuckSeconds).toBeGreaterThan(600);
    expect(stalled.data.task.stall!.reason).toMatch(/^progress stuck at 40 % for 1[01] min; nothing moves for longer than 10 min/);
    const resumed = ofType(events, 'ecs.task.resumed');
    expect(resumed).toHaveLength(1);
    expect(resumed[0].data.task).toMatchObject({ progress: 70, stall: null });
    expect(Date.parse(resumed[0].time)).toBe(T0 + 40 * MIN);
    expect(ofType(events, 'ecs.task.succeeded')).toHaveLength(1);
    expect(events.map((e) => e.data.sequence)).toEqual(events.map((_, i) => i + 1));
    // Delivered to the webhook that asked for them.
    const deliveries = (await store.listDeliveries({ webhookId: 'wh_stalls', limit: 50 })).items;
    expect(deliveries.map((dl) => dl.eventId).sort()).toEqual([stalled.id, resumed[0].id, ofType(events, 'ecs.task.succeeded')[0].id].sort());
  });

  it('judges a step against what the kind usually takes: a 10 % step of a 10-minute task is 1 minute, so 3 minutes at one value is long', async () => {
    // Three earlier exports of 10 minutes teach taskhook the kind's pace.
    const history = [0, 1, 2].map((i): SimTask => ({
      ...frozen(`t-bp1stallhist000${i}`, T0 - 15 * MIN),
      timeline: [
        { afterMs: 0, status: 'Processing', progress: 5 },
        { afterMs: 10 * MIN, status: 'Finished', progress: 100 },
      ],
    }));
    const task = frozen('t-bp1stallpace0001');
    sim = await startSimulator([...history, task], () => now);
    const store = createMemoryStore();
    await store.putWebhook(webhookRecord('wh_stalls', { events: ['ecs.task.stalled'] }));
    const d = deps(store, [...history, task], 60);
    for (now = T0 + MIN; now <= T0 + 30 * MIN; now += MIN) await pollOnce(d, { budgetMs: 30_000 });
    const [stalled, ...more] = ofType(await eventsOf(store, task.taskId), 'ecs.task.stalled');
    expect(more).toEqual([]);
    expect(stalled.data.task.stall).toMatchObject({ expectation: 'step', expectedSeconds: 180 });
    expect(stalled.data.task.stall!.reason).toContain('a 10 % step usually takes 60 s');
    // At 40 % since minute 2: stuck past 3 minutes at minute 6.
    expect(stalled.time).toBe(new Date(T0 + 6 * MIN).toISOString());
  });

  it('reports a task running past the slowest recent task of its kind once, though its progress is never read', async () => {
    const history = [0, 1, 2].map((i): SimTask => ({
      ...frozen(`t-bp1stalldur000${i}`, T0 - 15 * MIN),
      timeline: [
        { afterMs: 0, status: 'Processing' },
        { afterMs: (10 + i) * MIN, status: 'Finished' },
      ],
    }));
    const slow: SimTask = {
      ...frozen('t-bp1stalldur0009'),
      timeline: [
        { afterMs: 0, status: 'Processing' },
        { afterMs: 60 * MIN, status: 'Finished' },
      ],
    };
    sim = await startSimulator([...history, slow], () => now);
    const store = createMemoryStore();
    const d = deps(store, [...history, slow], 60);
    let attributeCalls = 0;
    for (now = T0 + MIN; now <= T0 + 50 * MIN; now += MIN) attributeCalls += (await pollOnce(d, { budgetMs: 30_000 })).ecsCalls.DescribeTaskAttribute ?? 0;
    const [stalled, ...more] = ofType(await eventsOf(store, slow.taskId), 'ecs.task.stalled');
    expect(more).toEqual([]);
    // The slowest took 12 minutes: past 18 (1.5 ×) it is a stall, seen at minute 19.
    expect(stalled.data.task.stall).toMatchObject({ expectation: 'duration', expectedSeconds: 1080 });
    expect(stalled.time).toBe(new Date(T0 + 19 * MIN).toISOString());
    expect(stalled.data.task.stall!.reason).toContain('the slowest of the last 3 ExportImage tasks here took 12 min');
    // Nobody asked for progress or stalls: DescribeTaskAttribute only for each finished task.
    expect(attributeCalls).toBe(3);
  });

  it('is opt-in: a webhook on the default completion events gets no stalled delivery', async () => {
    const task = frozen('t-bp1stalloptin001');
    sim = await startSimulator([task], () => now);
    const store = createMemoryStore();
    await store.putWebhook(webhookRecord('wh_default', { events: ['ecs.task.succeeded'] }));
    await store.putWebhook(webhookRecord('wh_stalls', { events: ['ecs.task.stalled'] }));
    const d = deps(store, [task]);
    for (now = T0 + MIN; now <= T0 + 20 * MIN; now += MIN) await pollOnce(d, { budgetMs: 30_000 });
    expect((await store.listDeliveries({ webhookId: 'wh_default', limit: 50 })).items).toEqual([]);
    expect((await store.listDeliveries({ webhookId: 'wh_stalls', limit: 50 })).items).toHaveLength(1);
  });
});
