import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { pollOnce } from '../../src/poller.js';
import { buildDeps, closeDeps, type AppDeps } from '../../src/runtime.js';
import { snapshot, transition } from '../store/contract.js';

const DAY = 24 * 3_600_000;
let deps: AppDeps | undefined;

afterEach(async () => {
  if (deps) await closeDeps(deps);
  deps = undefined;
});

describe('a poll run', () => {
  it('purges terminal tasks and events past TASKHOOK_RETENTION_DAYS, at most once a day', async () => {
    const config = loadConfig({ TASKHOOK_STORE: 'memory', TASKHOOK_RETENTION_DAYS: '30', TASKHOOK_LOG_LEVEL: 'error' });
    const built = await buildDeps(config, () => null);
    let now = Date.parse('2026-11-27T00:00:00Z');
    deps = { ...built, now: () => now };
    const { store } = deps;

    const finishOld = async (taskId: string, daysAgo: number) => {
      const key = { regionId: 'cn-hangzhou', taskId };
      await store.watchTask(key, 'api', new Date(now).toISOString());
      const at = new Date(now - daysAgo * DAY).toISOString();
      await store.commitTransition(transition(key, 0, null, snapshot(key, 'Finished', { observedAt: at, finishedAt: at }), 0));
    };
    const remaining = async () => (await store.listTasks({ limit: 10 })).items.map((t) => t.taskId).sort();

    await finishOld('t-retain00000001', 40);
    await finishOld('t-retain00000002', 10);
    await pollOnce(deps, { budgetMs: 10_000 });
    expect(await remaining()).toEqual(['t-retain00000002']);
    expect((await store.listEvents({ taskId: 't-retain00000001', limit: 10 })).items).toEqual([]);

    await finishOld('t-retain00000003', 45);
    now += DAY / 2;
    await pollOnce(deps, { budgetMs: 10_000 });
    expect(await remaining()).toEqual(['t-retain00000002', 't-retain00000003']); // purged already today

    now += DAY;
    await pollOnce(deps, { budgetMs: 10_000 });
    expect(await remaining()).toEqual(['t-retain00000002']);
  });
});
