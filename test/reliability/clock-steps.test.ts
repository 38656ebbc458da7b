/**
 * "Time cannot lie to a verdict": this machine's wall clock stepping either way (an NTP step, a hand-set clock) makes
 * no event, loses no task and freezes no ECS call. The local clock is injected where no process boundary is needed
 * (`deps.now`, and the process's Date for the pacer); ECS's clock is the simulator's, carried in its answers' Date.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPopEcsApi } from '../../src/ecs/pop-client.js';
import type { EcsSimulator, SimTask } from '../../src/ecs/simulator/index.js';
import { pollOnce, type PollDeps } from '../../src/poller.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { StateStore, TaskKey } from '../../src/store/port.js';
import { KEYS, finishedExport, simPollDeps, startSimulator } from '../support/helpers.js';

const T0 = Date.parse('2026-11-27T02:00:00Z');
const HOUR = 3_600_000;
/** ECS's clock (the simulator's) and this machine's, apart so one can step. */
let ecsNow = T0;
let localNow = T0;
let sim: EcsSimulator | undefined;

afterEach(async () => {
  vi.useRealTimers();
  await sim?.stop();
  sim = undefined;
  ecsNow = localNow = T0;
});

const deps = (store: StateStore, config: Partial<PollDeps['config']> = {}) => simPollDeps(sim!, store, { now: () => localNow, config });

/** Both clocks move on together by `ms`. */
const tick = (ms: number) => {
  ecsNow += ms;
  localNow += ms;
};

const eventTypes = async (store: StateStore) => (await store.listEvents({ limit: 500 })).items.map((e) => e.event.type);

/** A task ECS does not show yet (its creation lies ahead on ECS's clock), then shows, then finishes. */
function lateTask(taskId: string, appearsAfterMs: number): SimTask {
  return { ...finishedExport(taskId, T0 + appearsAfterMs, 'cn-hangzhou', 60_000) };
}

describe('a wall clock that steps', () => {
  it('a forward jump of one hour turns no pending "not found" into ecs.task.not_found, and the real completions arrive', async () => {
    const tasks = Array.from({ length: 12 }, (_, i) => lateTask(`t-bp1clockahead${String(i).padStart(4, '0')}`, 90_000));
    sim = await startSimulator(tasks, () => ecsNow);
    const store = createMemoryStore();
    const keys: TaskKey[] = tasks.map((t) => ({ regionId: t.regionId, taskId: t.taskId }));
    const d = deps(store, { tasks: keys });
    tick(30_000);
    await pollOnce(d, { budgetMs: 30_000 });
    expect((await store.listTasks({ limit: 100 })).items.every((t) => t.pendingVerdict !== null)).toBe(true);

    // This machine's clock jumps an hour ahead; ECS's moves on 30 s.
    localNow += HOUR;
    tick(30_000);
    const jumped = await pollOnce(d, { budgetMs: 30_000 });
    expect(jumped.clockSkewSeconds).toBeLessThanOrEqual(-3_590);
    expect(await eventTypes(store)).not.toContain('ecs.task.not_found');

    // The tasks show up, run and finish on ECS's clock.
    for (let i = 0; i < 4; i++) {
      tick(60_000);
      await pollOnce(d, { budgetMs: 30_000 });
    }
    const types = await eventTypes(store);
    expect(types.filter((t) => t === 'ecs.task.succeeded')).toHaveLength(12);
    expect(types).not.toContain('ecs.task.not_found');
  });

  it('a clock that ran 85 s fast leaves no discovery gap: tasks created meanwhile are found', async () => {
    const early = finishedExport('t-bp1clockfast0001', T0 - 30_000, 'cn-hangzhou', 600_000);
    const meanwhile = finishedExport('t-bp1clockfast0002', T0 + 20_000, 'cn-hangzhou', 600_000);
    sim = await startSimulator([early, meanwhile], () => ecsNow);
    const store = createMemoryStore();
    const d = deps(store, { discover: [{ regionId: 'cn-hangzhou', actions: [] }] });
    // This machine runs 85 s fast for one run, then is set right: the next runs come 10 s and 100 s later.
    localNow = ecsNow + 85_000;
    const summaries = [await pollOnce(d, { budgetMs: 30_000 })];
    localNow = ecsNow;
    tick(10_000);
    summaries.push(await pollOnce(d, { budgetMs: 30_000 }));
    tick(90_000);
    summaries.push(await pollOnce(d, { budgetMs: 30_000 }));
    // No window ever ran backwards (ECS would refuse it as a parameter error).
    expect(summaries.map((s) => s.blocked)).toEqual([undefined, undefined, undefined]);
    const watched = (await store.listTasks({ limit: 10 })).items.map((t) => t.taskId).sort();
    expect(watched).toEqual(['t-bp1clockfast0001', 't-bp1clockfast0002']);
  });

  it('a step during a run is detected, logged and put in the summary, and makes no event', async () => {
    const task = finishedExport('t-bp1clockstep0001', T0 - 30_000, 'cn-hangzhou', 600_000);
    sim = await startSimulator([task], () => ecsNow);
    const store = createMemoryStore();
    const d = deps(store, { tasks: [{ regionId: task.regionId, taskId: task.taskId }] });
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const base = d.ecsFor;
    // The wall clock steps an hour ahead as the run makes its first ECS call.
    d.ecsFor = (onCall, options) => {
      vi.setSystemTime(Date.now() + HOUR);
      return base(onCall, options);
    };
    tick(30_000);
    const summary = await pollOnce(d, { budgetMs: 30_000 });
    expect(summary.clockStepSeconds).toBeGreaterThanOrEqual(3_599);
    expect(await eventTypes(store)).not.toContain('ecs.task.not_found');
  });

  it('a backward jump of one hour does not freeze the ECS calls of the process', async () => {
    sim = await startSimulator([finishedExport('t-bp1clockback0001', Date.now() - 60_000)]);
    const ecs = createPopEcsApi({ endpoint: sim.endpoint, credentials: () => KEYS, rate: 5, retry: { baseDelayMs: 1, maxDelayMs: 5, budgetMs: 2_000 } });
    try {
      await ecs.describeTasks('cn-hangzhou', { taskIds: ['t-bp1clockback0001'] });
      // The wall clock (Date) steps back an hour; the pacer's slots are kept on the monotonic clock.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() - HOUR });
      const started = performance.now();
      for (let i = 0; i < 5; i++) await ecs.describeTasks('cn-hangzhou', { taskIds: ['t-bp1clockback0001'] });
      // Five calls at 5 a second: about a second, not an hour.
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      ecs.close();
    }
  });
});
