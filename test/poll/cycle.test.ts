import { afterEach, describe, expect, it } from 'vitest';
import type { EcsSimulator, SimTask } from '../../src/ecs/simulator/index.js';
import { createPopEcsApi } from '../../src/ecs/pop-client.js';
import { silentLogger } from '../../src/log.js';
import { pollOnce, type PollDeps } from '../../src/poller.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { StateStore, TransitionCommit } from '../../src/store/port.js';
import { createSqliteStore } from '../../src/store/sqlite.js';
import { KEYS, finishedExport, startSimulator } from '../support/helpers.js';
import { webhook } from '../store/contract.js';

const T0 = Date.parse('2026-11-27T02:00:00Z');
let now = T0;
const clock = () => now;
let sim: EcsSimulator | undefined;
const stores: StateStore[] = [];

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  for (const s of stores.splice(0)) await s.close();
  now = T0;
});

function deps(store: StateStore, config: Partial<PollDeps['config']> = {}): PollDeps {
  stores.push(store);
  return {
    ecsFor: (onCall) =>
      createPopEcsApi({
        endpoint: sim!.endpoint,
        credentials: () => KEYS,
        onCall,
        now: clock,
        throttlePauseMs: 200,
        retry: { baseDelayMs: 5, maxDelayMs: 20, budgetMs: 2_000 },
      }),
    store,
    config: { tasks: [], discover: [], ...config, webhooks: [], retentionDays: 30, confirmSeconds: config.confirmSeconds ?? 120 },
    logger: silentLogger,
    now: clock,
  };
}

const budget = { budgetMs: 60_000 };

async function allEvents(store: StateStore) {
  return (await store.listEvents({ limit: 1000 })).items.map((e) => e.event).reverse();
}

function failedImport(taskId: string): SimTask {
  return {
    taskId,
    regionId: 'cn-hangzhou',
    action: 'ImportImage',
    createdAt: T0,
    timeline: [
      { afterMs: 0, status: 'Waiting' },
      { afterMs: 10_000, status: 'Processing', progress: 30 },
      { afterMs: 20_000, status: 'Failed' },
    ],
    result: {
      totalCount: 1,
      successCount: 0,
      failedCount: 1,
      operations: [{ status: 'Failed', errorCode: 'InvalidImage.Format', errorMessage: 'The image format is not supported.' }],
    },
  };
}

describe('pollOnce', () => {
  it('turns a scripted timeline into exactly the expected events, in order, with stable ids', async () => {
    sim = await startSimulator([finishedExport('t-pollexport0001', T0, 'cn-hangzhou', 60_000), failedImport('t-pollimport0001')], clock);
    const store = createMemoryStore();
    const d = deps(store, {
      tasks: [
        { regionId: 'cn-hangzhou', taskId: 't-pollexport0001' },
        { regionId: 'cn-hangzhou', taskId: 't-pollimport0001' },
      ],
    });
    await store.putWebhook(webhook('wh_all', { events: ['ecs.task.succeeded', 'ecs.task.failed', 'ecs.task.started', 'ecs.task.status_changed'] }));

    for (const at of [500, 5_000, 15_000, 25_000, 65_000, 80_000]) {
      now = T0 + at;
      await pollOnce(d, budget);
    }
    const events = await allEvents(store);
    const of = (id: string) => events.filter((e) => e.subject === id).map((e) => `${e.data.sequence}:${e.type}:${e.data.previousStatus}`);
    expect(of('t-pollexport0001')).toEqual([
      '1:ecs.task.status_changed:null',
      '2:ecs.task.status_changed:Waiting',
      '3:ecs.task.started:Waiting',
      '4:ecs.task.status_changed:Processing',
      '5:ecs.task.succeeded:Processing',
    ]);
    expect(of('t-pollimport0001')).toEqual([
      '1:ecs.task.status_changed:null',
      '2:ecs.task.status_changed:Waiting',
      '3:ecs.task.started:Waiting',
      '4:ecs.task.status_changed:Processing',
      '5:ecs.task.failed:Processing',
    ]);
    const failed = events.find((e) => e.type === 'ecs.task.failed')!;
    expect(failed).toMatchObject({
      specversion: '1.0',
      source: 'acs:ecs:cn-hangzhou::task/t-pollimport0001',
      subject: 't-pollimport0001',
      datacontenttype: 'application/json',
    });
    expect(failed.data.task.operations[0]).toMatchObject({ errorCode: 'InvalidImage.Format' });
    expect(failed.data.task.counts).toEqual({ total: 1, succeeded: 0, failed: 1 });
    const succeeded = events.find((e) => e.type === 'ecs.task.succeeded')!;
    expect(succeeded.time).toBe(succeeded.data.task.finishedAt);
    // Deliveries fan out to the matching webhook, one per event.
    expect((await store.listDeliveries({ webhookId: 'wh_all', limit: 100 })).items).toHaveLength(10);
    // Terminal tasks have left the active list; another poll costs nothing.
    expect((await store.listActiveTasks({ limit: 10 })).items).toHaveLength(0);
    sim.resetCounters();
    await pollOnce(d, budget);
    expect(sim.calls()).toEqual({});
  });

  it('polls 250 watched tasks with 3 DescribeTasks calls plus one DescribeTaskAttribute per completed task', async () => {
    const tasks = Array.from({ length: 250 }, (_, i) => finishedExport(`t-poll250${String(i).padStart(7, '0')}`, T0, 'cn-hangzhou', i < 40 ? 30_000 : 600_000));
    sim = await startSimulator(tasks, clock);
    const store = createMemoryStore();
    const d = deps(store, { tasks: tasks.map((t) => ({ regionId: 'cn-hangzhou', taskId: t.taskId })) });
    now = T0 + 5_000;
    const first = await pollOnce(d, budget);
    expect(first.tasks.polled).toBe(250);
    expect(sim.calls()).toEqual({ DescribeTasks: 3 });

    sim.resetCounters();
    now = T0 + 40_000; // 40 of the 250 have finished
    const second = await pollOnce(d, budget);
    expect(sim.calls()).toEqual({ DescribeTasks: 3, DescribeTaskAttribute: 40 });
    expect(second.ecsCalls).toEqual({ DescribeTasks: 3, DescribeTaskAttribute: 40 });
    expect(second.events['ecs.task.succeeded']).toBe(40);

    sim.resetCounters();
    now = T0 + 50_000;
    await pollOnce(d, budget);
    expect(sim.calls()).toEqual({ DescribeTasks: 3 }); // 210 left, still 3 pages of ≤100 ids
  });

  it('emits each event once when two runs start together', async () => {
    sim = await startSimulator([finishedExport('t-pollrace000001', T0, 'cn-hangzhou', 1_000)], clock);
    const store = createMemoryStore();
    const d = deps(store, { tasks: [{ regionId: 'cn-hangzhou', taskId: 't-pollrace000001' }] });
    now = T0 + 5_000;
    const [a, b] = await Promise.all([pollOnce(d, budget), pollOnce(d, budget)]);
    expect([a.leased, b.leased].sort()).toEqual([false, true]);
    const again = await pollOnce(d, budget);
    expect(again.leased).toBe(true);
    const types = (await allEvents(store)).map((e) => e.type);
    expect(types.filter((t) => t === 'ecs.task.succeeded')).toHaveLength(1);
  });

  it('emits each event once even when two runs race past the lease (version check)', async () => {
    sim = await startSimulator([finishedExport('t-pollrace000002', T0, 'cn-hangzhou', 1_000)], clock);
    const store = createMemoryStore();
    // A store whose lease is always granted: only the versioned commit stands between the two runs.
    const leaky: StateStore = { ...store, acquireLease: async () => true };
    const d = deps(leaky, { tasks: [{ regionId: 'cn-hangzhou', taskId: 't-pollrace000002' }] });
    now = T0 + 5_000;
    const [a, b] = await Promise.all([pollOnce(d, budget), pollOnce(d, budget)]);
    expect(a.conflicts + b.conflicts).toBe(1);
    const events = await allEvents(store);
    expect(events.filter((e) => e.type === 'ecs.task.succeeded')).toHaveLength(1);
    expect(new Set(events.map((e) => e.data.sequence)).size).toBe(events.length);
  });

  it('loses nothing and duplicates nothing when a run crashes at the commit', async () => {
    sim = await startSimulator([finishedExport('t-pollcrash00001', T0, 'cn-hangzhou', 1_000)], clock);
    const dir = await import('node:fs').then((fs) => fs.mkdtempSync(`${process.env.TMPDIR ?? '/tmp'}/taskhook-crash-`));
    const store = createSqliteStore(`${dir}/state.db`);
    let crash = true;
    const crashing: StateStore = {
      ...store,
      commitTransitions: async (list: TransitionCommit[]) => {
        if (crash) throw new Error('process died while committing');
        return store.commitTransitions(list);
      },
    };
    now = T0 + 5_000;
    await expect(pollOnce(deps(crashing, { tasks: [{ regionId: 'cn-hangzhou', taskId: 't-pollcrash00001' }] }), budget)).rejects.toThrow('process died');
    expect(await allEvents(store)).toHaveLength(0);
    crash = false;
    await pollOnce(deps(crashing, { tasks: [{ regionId: 'cn-hangzhou', taskId: 't-pollcrash00001' }] }), budget);
    await pollOnce(deps(crashing, { tasks: [{ regionId: 'cn-hangzhou', taskId: 't-pollcrash00001' }] }), budget);
    const types = (await allEvents(store)).map((e) => e.type);
    expect(types.filter((t) => t === 'ecs.task.succeeded')).toHaveLength(1);
  });

  it('delays events through a throttling storm but loses none', async () => {
    sim = await startSimulator([finishedExport('t-pollstorm00001', T0, 'cn-hangzhou', 1_000), failedImport('t-pollstorm00002')], clock);
    const store = createMemoryStore();
    const d = deps(store, {
      tasks: [
        { regionId: 'cn-hangzhou', taskId: 't-pollstorm00001' },
        { regionId: 'cn-hangzhou', taskId: 't-pollstorm00002' },
      ],
    });
    now = T0 + 30_000;
    sim.injectFault({ kind: 'throttle', times: Infinity });
    const stormy = await pollOnce(d, { budgetMs: 3_000 });
    expect(stormy.throttled).toBeGreaterThan(0);
    expect(stormy.tasks.deferred).toBe(2);
    expect(await allEvents(store)).toHaveLength(0);
    sim.clearFaults();
    await pollOnce(d, budget);
    const types = (await allEvents(store)).map((e) => e.type);
    expect(types).toContain('ecs.task.succeeded');
    expect(types).toContain('ecs.task.failed');
  });

  it('defers what a too-short budget could not reach and polls it next run', async () => {
    const tasks = Array.from({ length: 30 }, (_, i) => finishedExport(`t-pollbudget${String(i).padStart(4, '0')}`, T0, 'cn-hangzhou', 1_000));
    sim = await startSimulator(tasks, clock);
    const store = createMemoryStore();
    const d = deps(store, { tasks: tasks.map((t) => ({ regionId: 'cn-hangzhou', taskId: t.taskId })) });
    now = T0 + 5_000;
    // Each ECS call moves the clock by 1 s; the budget (minus the safety margin) lasts 10 s.
    const ticking = { ...d, ecsFor: (onCall: Parameters<PollDeps['ecsFor']>[0]) => d.ecsFor((r) => (onCall(r), (now += 1_000))) };
    const first = await pollOnce(ticking, { budgetMs: 12_000 });
    expect(first.tasks.deferred).toBeGreaterThan(0);
    expect(first.tasks.polled + first.tasks.deferred).toBe(30);
    const second = await pollOnce(d, budget);
    expect(second.tasks.polled).toBe(first.tasks.deferred);
    expect((await allEvents(store)).filter((e) => e.type === 'ecs.task.succeeded')).toHaveLength(30);
  });

  it('discovers a task created after start and follows it to the end', async () => {
    sim = await startSimulator([], clock);
    const store = createMemoryStore();
    const d = deps(store, { discover: [{ regionId: 'cn-beijing', actions: ['ImportImage'] }] });
    now = T0;
    expect((await pollOnce(d, budget)).tasks.discovered).toBe(0);
    sim.addTask({ ...failedImport('t-polldiscover01'), regionId: 'cn-beijing', createdAt: T0 + 30_000 });
    sim.addTask({ ...finishedExport('t-pollignored001', T0 + 30_000, 'cn-beijing'), action: 'ExportImage' });
    now = T0 + 35_000;
    const found = await pollOnce(d, budget);
    expect(found.tasks.discovered).toBe(1);
    now = T0 + 60_000;
    await pollOnce(d, budget);
    const tasks = (await store.listTasks({ limit: 10 })).items;
    expect(tasks.map((t) => [t.taskId, t.sources, t.snapshot?.outcome])).toEqual([['t-polldiscover01', ['discovery'], 'failed']]);
  });

  it('finds every task created while the poller was down: each discovery rule resumes where its last window ended', async () => {
    sim = await startSimulator([], clock);
    const store = createMemoryStore();
    const d = deps(store, { discover: [{ regionId: 'cn-hangzhou', actions: ['ImportImage'] }] });
    now = T0;
    await pollOnce(d, budget);
    // Down for three hours; the task was created 90 minutes in, well outside an hour's look-back from the restart.
    sim.addTask({ ...failedImport('t-polldowntime01'), createdAt: T0 + 90 * 60_000 });
    now = T0 + 3 * 3_600_000;
    expect((await pollOnce(d, budget)).tasks.discovered).toBe(1);
    expect(await store.getMark('discover/cn-hangzhou/ImportImage')).toBe(new Date(now).toISOString());
    // A failed discovery call leaves the mark, so the next window still starts there.
    sim.addTask({ ...failedImport('t-polldowntime02'), createdAt: now + 60_000 });
    sim.injectFault({ kind: 'http500', action: 'DescribeTasks', times: Infinity });
    now += 2 * 3_600_000;
    expect((await pollOnce(d, { budgetMs: 3_000 })).tasks.discovered).toBe(0);
    sim.clearFaults();
    now += 2 * 3_600_000;
    expect((await pollOnce(d, budget)).tasks.discovered).toBe(1);
  });

  it('retires a watched task that ECS no longer knows with one ecs.task.not_found event', async () => {
    sim = await startSimulator([finishedExport('t-pollgone000001', T0, 'cn-hangzhou', 600_000)], clock);
    const store = createMemoryStore();
    const d = deps(store, { tasks: [{ regionId: 'cn-hangzhou', taskId: 't-pollgone000001' }] });
    now = T0 + 5_000;
    await pollOnce(d, budget);
    sim.removeTask('cn-hangzhou', 't-pollgone000001');
    await pollOnce(d, budget);
    now += 121_000; // a second answer, TASKHOOK_CONFIRM_SECONDS later, confirms the first
    await pollOnce(d, budget);
    await pollOnce(d, budget);
    const notFound = (await allEvents(store)).filter((e) => e.type === 'ecs.task.not_found');
    expect(notFound).toHaveLength(1);
    expect((await store.listActiveTasks({ limit: 10 })).items).toHaveLength(0);
  });

  it('marks a task in an unknown region invalid, shows why, and stops polling it', async () => {
    sim = await startSimulator([], clock);
    const store = createMemoryStore();
    const d = deps(store, { tasks: [{ regionId: 'xx-nowhere-1', taskId: 't-pollbadregion1' }] });
    expect((await pollOnce(d, budget)).tasks).toMatchObject({ invalid: 0, unconfirmed: 1 });
    now += 121_000;
    const summary = await pollOnce(d, budget);
    expect(summary.tasks.invalid).toBe(1);
    const [task] = (await store.listTasks({ limit: 10 })).items;
    // Still watched, so an hourly re-check can bring it back if ECS was wrong.
    expect(task).toMatchObject({ active: true, invalid: { code: 'InvalidRegionId.NotFound' } });
    sim.resetCounters();
    await pollOnce(d, budget);
    expect(sim.calls()).toEqual({});
  });
});
