/**
 * Three runs started at once, over and over, on SQLite and on Tablestore (through the SDK to the fake): whichever
 * gets the lease polls, and even when the lease is skipped (each run its own store handle racing the others' commits)
 * every event exists once with a contiguous sequence.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { createPopEcsApi } from '../../src/ecs/pop-client.js';
import { startFakeTablestore, type FakeTablestore } from '../../src/fakes/tablestore/index.js';
import { webhookRecord } from '../../src/fakes/records.js';
import { silentLogger } from '../../src/log.js';
import { pollOnce, type PollDeps } from '../../src/poller.js';
import type { StateStore } from '../../src/store/port.js';
import { createSqliteStore } from '../../src/store/sqlite.js';
import { createTables, createTablestoreStore } from '../../src/store/tablestore.js';
import { KEYS, finishedExport, startSimulator } from '../support/helpers.js';

const T0 = Date.parse('2026-11-27T02:00:00Z');
const TASKS = Array.from({ length: 6 }, (_, i) => finishedExport(`t-racing0000000${i}`, T0, 'cn-hangzhou', 20_000 + i * 5_000));
let now = T0;
let sim: EcsSimulator | undefined;
let ots: FakeTablestore | undefined;
const opened: StateStore[] = [];

afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  await ots?.close();
  await sim?.stop();
  ots = undefined;
  sim = undefined;
  now = T0;
});

function deps(store: StateStore): PollDeps {
  return {
    ecsFor: (onCall) => createPopEcsApi({ endpoint: sim!.endpoint, credentials: () => KEYS, onCall, now: () => now }),
    store,
    config: { tasks: TASKS.map((t) => ({ regionId: t.regionId, taskId: t.taskId })), discover: [], webhooks: [], retentionDays: 30, confirmSeconds: 120 },
    logger: silentLogger,
    now: () => now,
  };
}

/** Three runs at each step of the timeline: three at once through the lease, then three that each skip it. */
async function race(stores: StateStore[]) {
  await stores[0].putWebhook(webhookRecord('wh_racing', { events: ['*'] }));
  for (const at of [1_000, 12_000, 22_000, 27_000, 32_000, 37_000, 42_000, 60_000]) {
    now = T0 + at;
    const summaries = await Promise.all(stores.map((s) => pollOnce(deps(s), { budgetMs: 30_000 })));
    expect(summaries.filter((s) => s.leased).length).toBeGreaterThanOrEqual(1);
    // Past the lease, as when a run outlives an expired one: only the version check keeps the runs apart.
    await Promise.all(stores.map((s) => pollOnce(deps({ ...s, acquireLease: async () => true }), { budgetMs: 30_000 })));
  }
  const events = (await stores[0].listEvents({ limit: 1000 })).items;
  const completions = events
    .filter((e) => e.event.type === 'ecs.task.succeeded')
    .map((e) => e.taskId)
    .sort();
  expect(completions).toEqual(TASKS.map((t) => t.taskId).sort());
  expect(new Set(events.map((e) => e.event.id)).size).toBe(events.length);
  for (const task of TASKS) {
    const sequences = events
      .filter((e) => e.taskId === task.taskId)
      .map((e) => e.event.data.sequence)
      .sort((a, b) => a - b);
    expect(sequences).toEqual(sequences.map((_, i) => i + 1));
  }
  const deliveries = (await stores[0].listDeliveries({ webhookId: 'wh_racing', limit: 1000 })).items;
  expect(new Set(deliveries.map((d) => d.eventId)).size).toBe(events.length); // one delivery per event, none twice
  expect(deliveries).toHaveLength(events.length);
}

describe('three runs started at once, repeated', () => {
  it('on SQLite, through three connections to one file', async () => {
    sim = await startSimulator(TASKS, () => now);
    const file = join(mkdtempSync(join(tmpdir(), 'taskhook-racing-')), 'state.db');
    const stores = [0, 1, 2].map(() => createSqliteStore(file));
    opened.push(...stores);
    await race(stores);
  });

  it('on Tablestore, through three SDK clients to the fake', async () => {
    sim = await startSimulator(TASKS, () => now);
    ots = await startFakeTablestore();
    const options = {
      endpoint: ots.endpoint,
      instance: ots.instanceName,
      tablePrefix: 'race_',
      credentials: () => ({ accessKeyId: ots!.accessKeyId, accessKeySecret: ots!.accessKeySecret }),
    };
    await createTables(options);
    const stores = [0, 1, 2].map(() => createTablestoreStore(options));
    opened.push(...stores);
    await race(stores);
  });
});
