/** The poll cycle end to end on the cloud store: the simulator over pop-core, Tablestore through its SDK to the fake. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { createPopEcsApi } from '../../src/ecs/pop-client.js';
import { silentLogger } from '../../src/log.js';
import { pollOnce, type PollDeps } from '../../src/poller.js';
import type { StateStore } from '../../src/store/port.js';
import { createTables, createTablestoreStore } from '../../src/store/tablestore.js';
import { startFakeTablestore, type FakeTablestore } from '../../src/fakes/tablestore/index.js';
import { KEYS, finishedExport, startSimulator } from '../support/helpers.js';
import { webhook } from '../store/contract.js';

const T0 = Date.parse('2026-11-27T02:00:00Z');
let now = T0;
let sim: EcsSimulator;
let ots: FakeTablestore;
let store: StateStore;

beforeEach(async () => {
  now = T0;
  sim = await startSimulator(
    [finishedExport('t-otspoll0000001', T0, 'cn-hangzhou', 30_000), finishedExport('t-otspoll0000002', T0, 'cn-beijing', 30_000)],
    () => now,
  );
  ots = await startFakeTablestore();
  const options = {
    endpoint: ots.endpoint,
    instance: ots.instanceName,
    tablePrefix: 'e2e_',
    credentials: () => ({ accessKeyId: ots.accessKeyId, accessKeySecret: ots.accessKeySecret }),
    retry: { baseDelayMs: 5, maxDelayMs: 20, budgetMs: 2_000, maxAttempts: 3 },
  };
  await createTables(options);
  store = createTablestoreStore(options);
  await store.putWebhook(webhook('wh_e2e', { events: ['ecs.task.succeeded'] }));
});

afterEach(async () => {
  await store.close();
  await ots.close();
  await sim.stop();
});

function deps(): PollDeps {
  return {
    ecsFor: (onCall) => createPopEcsApi({ endpoint: sim.endpoint, credentials: () => KEYS, onCall, now: () => now }),
    store,
    config: {
      tasks: [
        { regionId: 'cn-hangzhou', taskId: 't-otspoll0000001' },
        { regionId: 'cn-beijing', taskId: 't-otspoll0000002' },
      ],
      discover: [],
      webhooks: [],
      retentionDays: 30,
      confirmSeconds: 120,
    },
    logger: silentLogger,
    now: () => now,
  };
}

async function succeededEvents() {
  return (await store.listEvents({ type: 'ecs.task.succeeded', limit: 100 })).items.map((e) => e.event.subject).sort();
}

describe('pollOnce on Tablestore', () => {
  it('turns the timelines into events and deliveries, and retires the finished tasks', async () => {
    now = T0 + 5_000;
    await pollOnce(deps(), { budgetMs: 30_000 });
    now = T0 + 40_000;
    const summary = await pollOnce(deps(), { budgetMs: 30_000 });
    expect(summary.events['ecs.task.succeeded']).toBe(2);
    expect(await succeededEvents()).toEqual(['t-otspoll0000001', 't-otspoll0000002']);
    expect((await store.listDeliveries({ webhookId: 'wh_e2e', limit: 10 })).items).toHaveLength(2);
    expect((await store.listActiveTasks({ limit: 10 })).items).toEqual([]);
  });

  it('loses and duplicates nothing when the event writes fail after the snapshots were committed', async () => {
    now = T0 + 5_000;
    await pollOnce(deps(), { budgetMs: 30_000 });
    now = T0 + 40_000;
    // Every BatchWriteRow fails: the commits land in the task rows, their outboxes cannot be flushed.
    ots.injectFault({ operation: 'BatchWriteRow', code: 'OTSServerBusy', times: 1_000 });
    await expect(pollOnce(deps(), { budgetMs: 30_000 })).rejects.toThrow(/OTSServerBusy/);
    expect(await succeededEvents()).toEqual([]);
    ots.clearFaults();
    const rerun = await pollOnce(deps(), { budgetMs: 30_000 });
    expect(rerun.events).toEqual({}); // nothing new to observe: the leftover outboxes were written instead
    expect(await succeededEvents()).toEqual(['t-otspoll0000001', 't-otspoll0000002']);
    await pollOnce(deps(), { budgetMs: 30_000 });
    expect(await succeededEvents()).toEqual(['t-otspoll0000001', 't-otspoll0000002']);
    expect((await store.listDeliveries({ webhookId: 'wh_e2e', limit: 10 })).items).toHaveLength(2);
  });

  it('emits each event once when two runs start together', async () => {
    now = T0 + 40_000;
    const [a, b] = await Promise.all([pollOnce(deps(), { budgetMs: 30_000 }), pollOnce(deps(), { budgetMs: 30_000 })]);
    expect([a.leased, b.leased].sort()).toEqual([false, true]);
    await pollOnce(deps(), { budgetMs: 30_000 });
    expect(await succeededEvents()).toEqual(['t-otspoll0000001', 't-otspoll0000002']);
  });
});
