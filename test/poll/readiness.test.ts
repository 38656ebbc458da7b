/**
 * Completion means usable: a succeeded task's `ecs.task.succeeded` waits until its resource's own describe call shows
 * it usable (or the action's bound passes), checked in batches through the paced client; a request-level refusal of
 * those calls marks nothing. Through the real pop-core client against the simulator, which keeps each resource
 * unusable for a while after its task finished.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EcsSimulator, SimResource, SimTask } from '../../src/ecs/simulator/index.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { pollOnce, pollTasks, type PollDeps } from '../../src/poller.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { StateStore } from '../../src/store/port.js';
import type { TaskEvent } from '../../src/tasks/events.js';
import { captureLogs, keysOf, simPollDeps, startSimulator } from '../support/helpers.js';

const T0 = Date.parse('2026-11-27T02:00:00Z');
const REGION = 'cn-hangzhou';
const FINISH_MS = 60_000;
const LAG_MS = 150_000;
let now = T0;
let sim: EcsSimulator | undefined;

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  now = T0;
});

const CASES = [
  { action: 'ImportImage', resourceId: 'm-bp1readyimage0001', type: 'image', pending: 'Creating', ready: 'Available', call: 'DescribeImages' },
  { action: 'ModifyDiskSpec', resourceId: 'd-bp1readydisk00001', type: 'disk', pending: 'Modifying', ready: 'In_use', call: 'DescribeDisks' },
  { action: 'RedeployInstance', resourceId: 'i-bp1readyinst00001', type: 'instance', pending: 'Starting', ready: 'Running', call: 'DescribeInstances' },
  { action: 'ArchiveSnapshot', resourceId: 's-bp1readysnap00001', type: 'snapshot', pending: 'standard', ready: 'archive', call: 'DescribeSnapshots' },
] as const;

function taskOf(action: string, taskId: string, resourceId: string, resource: SimResource = { readyAfterMs: LAG_MS }, end = 'Finished'): SimTask {
  const item = action === 'ImportImage' ? [{ name: 'ImageId', value: resourceId }] : [];
  return {
    taskId,
    regionId: REGION,
    action,
    resourceId,
    createdAt: T0,
    timeline: [
      { afterMs: 0, status: 'Processing', progress: 10 },
      { afterMs: FINISH_MS, status: end, ...(end === 'Finished' ? { progress: 100 } : {}) },
    ],
    result: { totalCount: 1, operations: [{ status: end === 'Finished' ? 'Success' : 'Failed', relatedItems: item }] },
    resource,
  };
}

const deps = (store: StateStore, tasks: SimTask[], config: Partial<PollDeps['config']> = {}, logger = silentLogger) =>
  simPollDeps(sim!, store, {
    now: () => now,
    config: { tasks: keysOf(tasks), ...config },
    logger,
    client: { rate: 100, retry: { baseDelayMs: 5, maxDelayMs: 20, budgetMs: 300 } },
  });

const eventsOf = async (store: StateStore, taskId: string): Promise<TaskEvent[]> =>
  (await store.listEvents({ taskId, regionId: REGION, limit: 100 })).items.map((e) => e.event).reverse();
const recordOf = async (store: StateStore, taskId: string) => (await store.getTasks([{ regionId: REGION, taskId }])).get(`${REGION}/${taskId}`)!;
const completions = (events: TaskEvent[]) => events.filter((e) => !['ecs.task.status_changed', 'ecs.task.started', 'ecs.task.progress'].includes(e.type));

describe('readiness: ecs.task.succeeded waits for the resource', () => {
  it.each(CASES)('$action: no succeeded while the $type is $pending; one, with readyAt and $ready, once it is usable', async (c) => {
    const taskId = `t-bp1ready${c.type}0001`;
    const task = taskOf(c.action, taskId, c.resourceId);
    sim = await startSimulator([task], () => now);
    const store = createMemoryStore();
    const d = deps(store, [task]);
    const usableAt = T0 + FINISH_MS + LAG_MS;

    // Every 30 s from before the finish to well after the resource is usable.
    for (now = T0 + 30_000; now < usableAt; now += 30_000) {
      await pollOnce(d, { budgetMs: 30_000 });
      expect(completions(await eventsOf(store, taskId)), `at +${(now - T0) / 1000} s`).toEqual([]);
    }
    const waiting = await recordOf(store, taskId);
    expect(waiting.active).toBe(true);
    expect(waiting.snapshot).toMatchObject({
      status: 'Finished',
      terminal: true,
      ready: null,
      resource: { type: c.type, id: c.resourceId, status: c.pending },
      readiness: { state: 'waiting', reason: expect.stringContaining(c.pending) },
    });
    expect(sim.calls()[c.call]).toBeGreaterThan(0);

    for (; now < usableAt + 90_000; now += 30_000) await pollOnce(d, { budgetMs: 30_000 });
    const done = completions(await eventsOf(store, taskId));
    expect(done.map((e) => e.type)).toEqual(['ecs.task.succeeded']);
    const [succeeded] = done;
    expect(Date.parse(succeeded.data.task.readyAt!)).toBeGreaterThanOrEqual(usableAt);
    expect(succeeded.data.task).toMatchObject({ ready: true, resource: { type: c.type, id: c.resourceId, status: c.ready }, readiness: { state: 'ready' } });
    expect(succeeded.time).toBe(succeeded.data.task.finishedAt);
    const all = await eventsOf(store, taskId);
    expect(all.map((e) => e.data.sequence)).toEqual(all.map((_, i) => i + 1));
    expect((await recordOf(store, taskId)).active).toBe(false);
  });

  it('sends the completion anyway once the action’s bound passes, ready: false with the status it was stuck in', async () => {
    const task = taskOf('ImportImage', 't-bp1readybound0001', 'm-bp1readybound0001', { readyAfterMs: 3_600_000 });
    sim = await startSimulator([task], () => now);
    const store = createMemoryStore();
    const d = deps(store, [task], { readyWaitSeconds: { ImportImage: 120 } });
    for (now = T0 + 90_000; now <= T0 + FINISH_MS + 240_000; now += 30_000) await pollOnce(d, { budgetMs: 30_000 });
    const [event, ...more] = completions(await eventsOf(store, task.taskId));
    expect(more).toEqual([]);
    expect(event.type).toBe('ecs.task.succeeded');
    expect(event.data.task).toMatchObject({ ready: false, readyAt: null, resource: { status: 'Creating' }, readiness: { state: 'not_ready' } });
    expect(event.data.task.readiness!.reason).toMatch(/still Creating after .*TASKHOOK_READY_WAIT/);
    expect(Date.parse(event.data.task.observedAt)).toBeGreaterThanOrEqual(Date.parse(event.data.task.readiness!.until!));
  });

  it('ends the wait at once when the resource ends unusable (an image that failed to be created)', async () => {
    const task = taskOf('ImportImage', 't-bp1readyfailed001', 'm-bp1readyfailed001', { readyAfterMs: 30_000, readyStatus: 'CreateFailed' });
    sim = await startSimulator([task], () => now);
    const store = createMemoryStore();
    now = T0 + FINISH_MS + 60_000;
    await pollOnce(deps(store, [task]), { budgetMs: 30_000 });
    const [event] = completions(await eventsOf(store, task.taskId));
    expect(event.type).toBe('ecs.task.succeeded');
    expect(event.data.task).toMatchObject({ ready: false, readiness: { state: 'not_ready', reason: 'image m-bp1readyfailed001 is CreateFailed' } });
  });

  it('sends a failed or cancelled task at once, and an export (an OSS object nothing can check) when it finishes, without a describe call', async () => {
    const failed = taskOf('ImportImage', 't-bp1readyfail0002', 'm-bp1readyfail0002', {}, 'Failed');
    const cancelled = taskOf('ModifyDiskSpec', 't-bp1readycncl0003', 'd-bp1readycncl0003', {}, 'Deleted');
    const exported: SimTask = {
      ...taskOf('ExportImage', 't-bp1readyexpo0004', 'm-bp1readyexpo0004'),
      result: {
        totalCount: 1,
        operations: [
          {
            status: 'Success',
            relatedItems: [
              { name: 'OSSObject', value: 'exports/m-bp1readyexpo0004.vhd' },
              { name: 'OSSBucket', value: 'ecs-image-exports' },
            ],
          },
        ],
      },
    };
    sim = await startSimulator([failed, cancelled, exported], () => now);
    const store = createMemoryStore();
    now = T0 + FINISH_MS + 1_000;
    await pollOnce(deps(store, [failed, cancelled, exported]), { budgetMs: 30_000 });
    expect(completions(await eventsOf(store, failed.taskId)).map((e) => e.type)).toEqual(['ecs.task.failed']);
    expect(completions(await eventsOf(store, cancelled.taskId)).map((e) => e.type)).toEqual(['ecs.task.cancelled']);
    const [done] = completions(await eventsOf(store, exported.taskId));
    expect(done.type).toBe('ecs.task.succeeded');
    expect(done.data.task).toMatchObject({
      ready: null,
      resource: { type: 'oss-object', id: 'ecs-image-exports/exports/m-bp1readyexpo0004.vhd', status: null },
      readiness: { state: 'unchecked', reason: expect.stringContaining('no ECS call can check') },
    });
    expect(sim.calls().DescribeImages ?? 0).toBe(0);
    expect(sim.calls().DescribeDisks ?? 0).toBe(0);
  });

  it('checks 150 waiting images with two DescribeImages calls a pass (100 ids a call), only for the tasks that wait', async () => {
    const tasks = Array.from({ length: 150 }, (_, i) =>
      taskOf('ImportImage', `t-bp1readymany${String(i).padStart(4, '0')}`, `m-bp1readymany${String(i).padStart(4, '0')}`),
    );
    const running = taskOf('ImportImage', 't-bp1readystillrun1', 'm-bp1readystillrun1');
    running.timeline = [{ afterMs: 0, status: 'Processing', progress: 10 }];
    sim = await startSimulator([...tasks, running], () => now);
    const store = createMemoryStore();
    const d = deps(store, [...tasks, running]);
    now = T0 + 30_000;
    await pollOnce(d, { budgetMs: 60_000 });
    expect(sim.calls().DescribeImages ?? 0).toBe(0);
    now = T0 + FINISH_MS + 30_000;
    const first = await pollOnce(d, { budgetMs: 60_000 });
    expect(first.ecsCalls.DescribeImages).toBe(2);
    expect(first.readiness).toMatchObject({ checked: 150, ready: 0, waiting: 150 });
    now = T0 + FINISH_MS + LAG_MS + 30_000;
    const second = await pollOnce(d, { budgetMs: 60_000 });
    expect(second.ecsCalls.DescribeImages).toBe(2);
    expect(second.events['ecs.task.succeeded']).toBe(150);
    expect(second.readiness).toMatchObject({ ready: 150, waiting: 0 });
    const third = await pollOnce(d, { budgetMs: 60_000 });
    expect(third.ecsCalls.DescribeImages ?? 0).toBe(0);
  });

  it('checks the waiting resources on every hot pass, so the completion arrives within the run that sees it usable', async () => {
    const task = taskOf('ModifyDiskSpec', 't-bp1readyhot00001', 'd-bp1readyhot00001', { readyAfterMs: 20_000 });
    sim = await startSimulator([task], () => now);
    const store = createMemoryStore();
    now = T0 + FINISH_MS + 1_000;
    const d: PollDeps = { ...deps(store, [task], { hotIntervalSeconds: 5, hotBudgetSeconds: 45 }), sleep: async (ms) => void (now += ms) };
    const summary = await pollOnce(d, { budgetMs: 60_000, hot: true });
    expect(summary.events['ecs.task.succeeded']).toBe(1);
    expect(summary.hotPasses).toBeGreaterThanOrEqual(4);
    const [event] = completions(await eventsOf(store, task.taskId));
    expect(Date.parse(event.data.task.readyAt!) - (T0 + FINISH_MS + 20_000)).toBeLessThanOrEqual(5_000);
  });

  it('commits the completion once when two polls race for it (a hint and the timer)', async () => {
    const task = taskOf('ImportImage', 't-bp1readyrace0001', 'm-bp1readyrace0001', { readyAfterMs: 0 });
    sim = await startSimulator([task], () => now);
    const store = createMemoryStore();
    const d = deps(store, [task]);
    now = T0 + 30_000;
    await pollOnce(d, { budgetMs: 30_000 });
    now = T0 + FINISH_MS + 1_000;
    const key = { regionId: REGION, taskId: task.taskId };
    await Promise.all([pollTasks(d, [key], { budgetMs: 30_000 }), pollTasks(d, [key], { budgetMs: 30_000 }), pollOnce(d, { budgetMs: 30_000 })]);
    await pollOnce(d, { budgetMs: 30_000 });
    const events = await eventsOf(store, task.taskId);
    expect(events.filter((e) => e.type === 'ecs.task.succeeded')).toHaveLength(1);
    expect(events.map((e) => e.data.sequence)).toEqual(events.map((_, i) => i + 1));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });
});

describe('readiness: crash safety', () => {
  it('loses nothing and sends nothing twice when the run dies as it commits the completion', async () => {
    const task = taskOf('ModifyDiskSpec', 't-bp1readycrash001', 'd-bp1readycrash001', { readyAfterMs: 30_000 });
    sim = await startSimulator([task], () => now);
    const inner = createMemoryStore();
    let crashes = 1;
    // The store dies on the commit that carries the completion, after writing it: the worst moment for a rerun.
    const store = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'commitTransitions') {
          return async (commits: Parameters<StateStore['commitTransitions']>[0]) => {
            const result = await target.commitTransitions(commits);
            if (crashes > 0 && commits.some((c) => c.events.some((e) => e.type === 'ecs.task.succeeded'))) {
              crashes--;
              throw new Error('the process died here');
            }
            return result;
          };
        }
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const d = deps(store, [task]);
    now = T0 + FINISH_MS + 10_000;
    await pollOnce(d, { budgetMs: 30_000 });
    now = T0 + FINISH_MS + 60_000;
    await expect(pollOnce(d, { budgetMs: 30_000 })).rejects.toThrow('the process died here');
    now += 30_000;
    await pollOnce(d, { budgetMs: 30_000 });
    now += 60_000;
    await pollOnce(d, { budgetMs: 30_000 });
    const events = await eventsOf(inner, task.taskId);
    expect(events.filter((e) => e.type === 'ecs.task.succeeded')).toHaveLength(1);
    expect(events.map((e) => e.data.sequence)).toEqual(events.map((_, i) => i + 1));
    expect((await recordOf(inner, task.taskId)).active).toBe(false);
  });
});

describe('readiness: a request-level refusal of the describe call marks nothing', () => {
  it.each([
    { code: 'Forbidden.RAM', httpStatus: 403, fix: /grant the role or user ecs:DescribeImages/ },
    { code: 'InvalidTimeStamp.Expired', httpStatus: 400, fix: /sync the clock/ },
    { code: 'SignatureDoesNotMatch', httpStatus: 400, fix: /AccessKey secret/ },
    { code: 'InvalidAccessKeyId.NotFound', httpStatus: 404, fix: /create or enable a key/ },
  ])('$code: the task stays waiting with nothing judged, task polling goes on, one error line; usable again once it clears', async (fault) => {
    const task = taskOf('ImportImage', 't-bp1readyrefused1', 'm-bp1readyrefused1', { readyAfterMs: 0 });
    const other: SimTask = { ...taskOf('ExportImage', 't-bp1readyrefused2', 'm-bp1readyrefused2'), result: { totalCount: 1 } };
    sim = await startSimulator([task, other], () => now);
    sim.injectFault({ kind: 'error', code: fault.code, httpStatus: fault.httpStatus, message: 'refused', action: 'DescribeImages', times: Infinity });
    const store = createMemoryStore();
    const d = deps(store, [task, other], {}, createLogger('warn'));
    now = T0 + FINISH_MS + 1_000;
    const { result: summary, lines } = await captureLogs(() => pollOnce(d, { budgetMs: 30_000 }));
    now += 60_000;
    await pollOnce(d, { budgetMs: 30_000 });

    const record = await recordOf(store, task.taskId);
    expect(record.active).toBe(true);
    expect(record.snapshot).toMatchObject({ ready: null, resource: { status: null }, readiness: { state: 'waiting', checkedAt: null } });
    expect(completions(await eventsOf(store, task.taskId))).toEqual([]);
    // The region is not blocked: other tasks are polled and completed.
    expect(summary.blocked).toBeUndefined();
    expect(completions(await eventsOf(store, other.taskId)).map((e) => e.type)).toEqual(['ecs.task.succeeded']);
    expect(summary.readiness?.refused).toEqual([
      expect.objectContaining({ regionId: REGION, action: 'DescribeImages', code: fault.code, fix: expect.stringMatching(fault.fix) }),
    ]);
    const errors = lines.filter((l) => JSON.parse(l).level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(fault.fix);

    sim.clearFaults();
    now += 60_000;
    await pollOnce(d, { budgetMs: 30_000 });
    const [event] = completions(await eventsOf(store, task.taskId));
    expect(event.data.task).toMatchObject({ ready: true, resource: { status: 'Available' } });
  });
});
