/**
 * Odd ECS answers never retire a good task or invent a completion: verdicts need two agreeing answers, identity is
 * the one asked for, undocumented actions are read from DescribeTasks alone, a rejected batch is split, revisited
 * statuses keep every event. Through the real pop-core client against the simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EcsApi } from '../../src/ecs/api.js';
import type { EcsSimulator, SimTask } from '../../src/ecs/simulator/index.js';
import { createPopEcsApi } from '../../src/ecs/pop-client.js';
import { EcsError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { pollOnce, type PollDeps } from '../../src/poller.js';
import { webhookRecord } from '../../src/fakes/records.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { StateStore } from '../../src/store/port.js';
import { KEYS, finishedExport, startSimulator } from '../support/helpers.js';

const T0 = Date.parse('2026-11-27T02:00:00Z');
let now = T0;
let sim: EcsSimulator | undefined;
const budget = { budgetMs: 60_000 };

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  now = T0;
});

function deps(store: StateStore, tasks: SimTask[], wrap: (api: EcsApi) => EcsApi = (api) => api): PollDeps {
  return {
    ecsFor: (onCall) => {
      const api = createPopEcsApi({
        endpoint: sim!.endpoint,
        credentials: () => KEYS,
        onCall,
        now: () => now,
        retry: { baseDelayMs: 5, maxDelayMs: 20, budgetMs: 500 },
      });
      const close = api.close.bind(api);
      return Object.assign(wrap(api), { close });
    },
    store,
    config: { tasks: tasks.map((t) => ({ regionId: t.regionId, taskId: t.taskId })), discover: [], webhooks: [], retentionDays: 30, confirmSeconds: 120 },
    logger: silentLogger,
    now: () => now,
  };
}

const eventsOf = async (store: StateStore, taskId: string) =>
  (await store.listEvents({ taskId, regionId: 'cn-hangzhou', limit: 100 })).items.map((e) => e.event).reverse();

function redeploy(taskId: string): SimTask {
  return {
    taskId,
    regionId: 'cn-hangzhou',
    action: 'RedeployInstance',
    createdAt: T0,
    timeline: [
      { afterMs: 0, status: 'Processing' },
      { afterMs: 600_000, status: 'Finished' },
    ],
  };
}

describe('verdicts need two agreeing answers', () => {
  it('keeps polling a task that ECS called not found once, and ends nothing when it is back', async () => {
    const task = finishedExport('t-evidence000001', T0, 'cn-hangzhou', 600_000);
    sim = await startSimulator([task], () => now);
    const store = createMemoryStore();
    const d = deps(store, [task]);
    now = T0 + 5_000;
    await pollOnce(d, budget);
    sim.removeTask('cn-hangzhou', task.taskId);
    now += 10_000;
    expect((await pollOnce(d, budget)).tasks.unconfirmed).toBe(1);
    sim.addTask(task);
    now += 200_000;
    await pollOnce(d, budget);
    const types = (await eventsOf(store, task.taskId)).map((e) => e.type);
    expect(types).not.toContain('ecs.task.not_found');
    const [record] = (await store.listActiveTasks({ limit: 10 })).items;
    expect(record).toMatchObject({ taskId: task.taskId, pendingVerdict: null, active: true });
  });

  it('emits ecs.task.not_found only when a second answer at least TASKHOOK_CONFIRM_SECONDS later agrees', async () => {
    const task = finishedExport('t-evidence000002', T0, 'cn-hangzhou', 600_000);
    sim = await startSimulator([task], () => now);
    const store = createMemoryStore();
    await store.putWebhook(webhookRecord('wh_notfound', { events: ['ecs.task.not_found'] }));
    const d = deps(store, [task]);
    now = T0 + 5_000;
    await pollOnce(d, budget);
    sim.removeTask('cn-hangzhou', task.taskId);
    for (const step of [10_000, 30_000, 30_000]) {
      now += step;
      await pollOnce(d, budget);
    }
    expect((await eventsOf(store, task.taskId)).map((e) => e.type)).not.toContain('ecs.task.not_found');
    now += 60_000; // 120 s after the first answer
    await pollOnce(d, budget);
    const [gone] = (await eventsOf(store, task.taskId)).filter((e) => e.type === 'ecs.task.not_found');
    expect(gone).toBeDefined();
    expect((await store.listDeliveries({ eventId: gone.id, limit: 10 })).items.map((x) => x.webhookId)).toEqual(['wh_notfound']);
  });
});

describe('undocumented actions', () => {
  it('never asks DescribeTaskAttribute about a RedeployInstance task, and reads its completion from DescribeTasks', async () => {
    const task = redeploy('t-evidenceredep01');
    sim = await startSimulator([task], () => now);
    const store = createMemoryStore();
    const d = deps(store, [task]);
    for (const at of [5_000, 700_000]) {
      now = T0 + at;
      await pollOnce(d, budget);
    }
    expect(sim.callLog().filter((c) => c.action === 'DescribeTaskAttribute')).toEqual([]);
    expect((await eventsOf(store, task.taskId)).map((e) => e.type)).toContain('ecs.task.succeeded');
  });

  it('ends a RedeployInstance task as not found only when DescribeTasks misses it twice, far enough apart', async () => {
    const task = redeploy('t-evidenceredep02');
    sim = await startSimulator([task], () => now);
    const store = createMemoryStore();
    const d = deps(store, [task]);
    now = T0 + 5_000;
    await pollOnce(d, budget);
    sim.removeTask('cn-hangzhou', task.taskId);
    now += 10_000;
    await pollOnce(d, budget);
    expect((await eventsOf(store, task.taskId)).map((e) => e.type)).not.toContain('ecs.task.not_found');
    now += 130_000;
    await pollOnce(d, budget);
    expect((await eventsOf(store, task.taskId)).map((e) => e.type)).toContain('ecs.task.not_found');
    expect(sim.callLog().filter((c) => c.action === 'DescribeTaskAttribute')).toEqual([]);
  });
});

describe('a poison id in a batch', () => {
  it('splits a batch ECS rejects until the offending id stands alone, polls the other tasks and marks that one once a second answer agrees', async () => {
    const tasks = Array.from({ length: 20 }, (_, i) => finishedExport(`t-evidencepoison${String(i).padStart(2, '0')}`, T0, 'cn-hangzhou', 1_000));
    const poison = tasks[13].taskId;
    sim = await startSimulator(tasks, () => now);
    const store = createMemoryStore();
    // ECS rejecting any DescribeTasks call that names one particular id.
    const rejecting = (api: EcsApi): EcsApi => ({
      describeTaskAttribute: (r, t) => api.describeTaskAttribute(r, t),
      describeResources: (r, type, ids) => api.describeResources(r, type, ids),
      describeTasks: async (r, q) => {
        if (q.taskIds?.includes(poison))
          throw new EcsError({
            // A code no ECS page documents: it may name one id, so the batch is split to find it.
            code: 'InvalidTaskIds.Unrecognised',
            message: 'The specified parameter "TaskIds" is not valid.',
            requestId: 'req-poison',
            httpStatus: 400,
            retryable: false,
          });
        return api.describeTasks(r, q);
      },
    });
    now = T0 + 60_000;
    const summary = await pollOnce(deps(store, tasks, rejecting), budget);
    expect(summary.tasks).toMatchObject({ polled: 19, invalid: 0, unconfirmed: 1, deferred: 0 });
    expect((await store.listTasks({ limit: 100 })).items.filter((t) => t.invalid)).toEqual([]);
    now += 130_000;
    expect((await pollOnce(deps(store, tasks, rejecting), budget)).tasks).toMatchObject({ invalid: 1 });
    const all = (await store.listTasks({ limit: 100 })).items;
    expect(all.filter((t) => t.invalid).map((t) => [t.taskId, t.invalid!.code])).toEqual([[poison, 'InvalidTaskIds.Unrecognised']]);
    expect(all.filter((t) => t.snapshot?.outcome === 'succeeded')).toHaveLength(19);
  });
});

describe('revisited statuses', () => {
  it('keeps every event of Processing → Paused → Processing → Finished, with contiguous sequences and unique ids', async () => {
    const task: SimTask = {
      taskId: 't-evidencerevisit',
      regionId: 'cn-hangzhou',
      action: 'ImportImage',
      createdAt: T0,
      timeline: [
        { afterMs: 0, status: 'Waiting' },
        { afterMs: 10_000, status: 'Processing', progress: 5 },
        { afterMs: 20_000, status: 'Paused', progress: 5 },
        { afterMs: 30_000, status: 'Processing', progress: 5 },
        { afterMs: 40_000, status: 'Finished', progress: 100 },
      ],
      result: { totalCount: 1, successCount: 1, failedCount: 0, operations: [{ status: 'Success' }] },
    };
    sim = await startSimulator([task], () => now);
    const store = createMemoryStore();
    const d = deps(store, [task]);
    for (const at of [1_000, 15_000, 25_000, 35_000, 45_000]) {
      now = T0 + at;
      await pollOnce(d, budget);
    }
    const events = await eventsOf(store, task.taskId);
    expect(events.map((e) => `${e.data.sequence}:${e.type}:${e.data.previousStatus}`)).toEqual([
      '1:ecs.task.status_changed:null',
      '2:ecs.task.status_changed:Waiting',
      '3:ecs.task.started:Waiting',
      '4:ecs.task.status_changed:Processing',
      '5:ecs.task.status_changed:Paused',
      '6:ecs.task.status_changed:Processing',
      '7:ecs.task.succeeded:Processing',
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(7);
  });
});

describe('invalid tasks', () => {
  it('asks again about a task it marked invalid an hour later, and brings it back when ECS knows it after all', async () => {
    const task = finishedExport('t-evidencecomeback', T0, 'cn-hangzhou', 7_200_000);
    sim = await startSimulator([task], () => now);
    const store = createMemoryStore();
    let refuse = true;
    const flaky = (api: EcsApi): EcsApi => ({
      describeTaskAttribute: (r, t) => api.describeTaskAttribute(r, t),
      describeResources: (r, type, ids) => api.describeResources(r, type, ids),
      describeTasks: async (r, q) => {
        if (refuse)
          throw new EcsError({
            code: 'InvalidRegionId.NotFound',
            message: 'The specified RegionId does not exist.',
            requestId: 'req-region',
            httpStatus: 404,
            retryable: false,
          });
        return api.describeTasks(r, q);
      },
    });
    const d = deps(store, [task], flaky);
    now = T0 + 5_000;
    await pollOnce(d, budget);
    now += 121_000;
    expect((await pollOnce(d, budget)).tasks.invalid).toBe(1);
    refuse = false;
    now += 60_000;
    expect((await pollOnce(d, budget)).tasks.polled).toBe(0); // not yet due for a re-check
    now += 3_600_000;
    await pollOnce(d, budget);
    const [record] = (await store.listTasks({ limit: 10 })).items;
    expect(record).toMatchObject({ invalid: null, active: true, snapshot: { status: 'Processing' } });
  });
});

describe('leases', () => {
  it('lets a crashed run hold up the next one only for TASKHOOK_LEASE_SECONDS', async () => {
    sim = await startSimulator([], () => now);
    const store = createMemoryStore();
    const d = { ...deps(store, []), config: { ...deps(store, []).config, leaseSeconds: 10 } };
    // A run that took the lease and died without releasing it.
    expect(await store.acquireLease('poll', 'crashed-run', 10_000, now)).toBe(true);
    now += 5_000;
    expect((await pollOnce(d, budget)).leased).toBe(false);
    now += 5_500;
    expect((await pollOnce(d, budget)).leased).toBe(true);
  });
});
