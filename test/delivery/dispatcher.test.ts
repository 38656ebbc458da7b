import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPopEcsApi } from '../../src/ecs/pop-client.js';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { commitObserved } from '../../src/fakes/records.js';
import { silentLogger } from '../../src/log.js';
import { pollOnce, type PollDeps } from '../../src/poller.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { StateStore, WebhookRecord } from '../../src/store/port.js';
import { createDispatcher, type DeliveryDispatcher } from '../../src/webhooks/dispatcher.js';
import { createWebhookClient, type WebhookClient } from '../../src/webhooks/http-client.js';
import { newWebhookSecret } from '../../src/webhooks/signing.js';
import { KEYS, finishedExport, startSimulator } from '../support/helpers.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { snapshot, webhook } from '../store/contract.js';

let store: StateStore;
let client: WebhookClient;
let sim: EcsSimulator | undefined;
const receivers: Receiver[] = [];
const dispatchers: DeliveryDispatcher[] = [];

beforeEach(() => {
  store = createMemoryStore();
  client = createWebhookClient({ policy: { allowPrivate: ['127.0.0.1/32'] } });
});

afterEach(async () => {
  for (const d of dispatchers.splice(0)) await d.close(0);
  await client.close();
  for (const r of receivers.splice(0)) await r.close();
  await sim?.stop();
  sim = undefined;
});

async function receiver(respond?: Parameters<typeof startReceiver>[1]) {
  const r = await startReceiver([], respond);
  receivers.push(r);
  return r;
}

async function registered(url: string): Promise<WebhookRecord> {
  const w = webhook('wh_' + Math.random().toString(16).slice(2, 10), { url, secrets: { current: newWebhookSecret() } });
  await store.putWebhook(w);
  return w;
}

let counter = 0;
async function emit(webhooks: WebhookRecord[]) {
  const key = { regionId: 'cn-hangzhou', taskId: `t-dispatch${String(++counter).padStart(6, '0')}` };
  await store.watchTask(key, 'api', new Date().toISOString());
  await commitObserved(store, key, snapshot(key, 'Finished', { observedAt: new Date().toISOString(), finishedAt: new Date().toISOString() }), webhooks);
}

function dispatcher(options: Parameters<typeof createDispatcher>[1] = {}) {
  const d = createDispatcher({ store, client, logger: silentLogger, now: Date.now }, { attemptTimeoutMs: 60_000, ...options });
  dispatchers.push(d);
  return d;
}

const attemptsOf = async (w: WebhookRecord) => (await store.listAttempts({ webhookId: w.id, limit: 100 })).items;
const pendingOf = async (w: WebhookRecord) => (await store.listDeliveries({ webhookId: w.id, limit: 100 })).items.filter((d) => d.status === 'pending');

describe('per-webhook delivery workers', () => {
  it('delivers to a healthy webhook while another one hangs, and a poll run ends without waiting for the hanging one', async () => {
    const hanging = await receiver(() => 'hang');
    const healthy = await receiver();
    const [wh, wf] = [await registered(hanging.url), await registered(healthy.url)];
    await emit([wh, wf]);
    const d = dispatcher();
    d.kick();
    await vi.waitFor(() => expect(healthy.received).toHaveLength(1), { timeout: 10_000, interval: 10 });
    await vi.waitFor(() => expect(hanging.received).toHaveLength(1), { timeout: 10_000, interval: 10 });
    // The hanging attempt is still open: nothing recorded for it, while the healthy one succeeded (recorded just after its answer).
    await vi.waitFor(async () => expect((await attemptsOf(wf)).map((a) => a.success)).toEqual([true]), { timeout: 10_000, interval: 10 });
    expect(await attemptsOf(wh)).toHaveLength(0);

    // A run with the process's dispatcher kicks it and ends; the hanging attempt is still open when it has.
    const deps: PollDeps = {
      // Nothing is watched, so no ECS call is made.
      ecsFor: () => createPopEcsApi({ endpoint: 'http://127.0.0.1:9', credentials: () => KEYS }),
      store,
      config: { tasks: [], discover: [], webhooks: [], retentionDays: 30, confirmSeconds: 120 },
      logger: silentLogger,
      now: Date.now,
      webhookClient: client,
      deliveries: d,
    };
    await emit([wf]);
    const first = await pollOnce(deps, { budgetMs: 30_000 });
    const second = await pollOnce(deps, { budgetMs: 30_000 });
    expect([first.leased, second.leased]).toEqual([true, true]);
    await vi.waitFor(() => expect(healthy.received).toHaveLength(2), { timeout: 10_000, interval: 10 });
    expect(await attemptsOf(wh)).toHaveLength(0);
  });

  it('backs a failing webhook off after failures in a row: the rest of its deliveries wait, unattempted, until the back-off ends', async () => {
    const failing = await receiver(() => ({ status: 500 }));
    const w = await registered(failing.url);
    for (let i = 0; i < 5; i++) await emit([w]);
    const d = dispatcher({ perWebhook: 1, breakerFailures: 2, breakerOpenMs: 600_000 });
    d.kick();
    await vi.waitFor(async () => expect(await attemptsOf(w)).toHaveLength(2), { timeout: 10_000, interval: 10 });
    await d.idle(10_000);
    const until = d.backingOffUntil(w.id);
    expect(until).not.toBeNull();
    expect(await attemptsOf(w)).toHaveLength(2);
    const waiting = (await pendingOf(w)).filter((p) => p.attempts === 0);
    expect(waiting).toHaveLength(3);
    for (const p of waiting) expect(p.nextAttemptAt).toBe(until);
    expect(failing.received).toHaveLength(2);
  });

  it('starts no new attempt once closed, and its close returns while an attempt still hangs', async () => {
    const hanging = await receiver(() => 'hang');
    const w = await registered(hanging.url);
    await emit([w]);
    await emit([w]);
    const d = dispatcher({ perWebhook: 1 });
    d.kick();
    await vi.waitFor(() => expect(hanging.received).toHaveLength(1), { timeout: 10_000, interval: 10 });
    await d.close(50);
    await client.close();
    await vi.waitFor(async () => expect(await attemptsOf(w)).toHaveLength(1), { timeout: 10_000, interval: 10 });
    expect(hanging.received).toHaveLength(1);
    // Neither is lost: the cut-off one and the one never tried are both still to be delivered.
    expect(await pendingOf(w)).toHaveLength(2);
  });
});

describe('deliveries during the sweep', () => {
  it('sends an event found in the first batch before the sweep asks about the last batch', async () => {
    const started = Date.now();
    const ids = Array.from({ length: 300 }, (_, i) => `t-early${String(i).padStart(9, '0')}`);
    // The first task (in key order) has finished; the other 299 run for an hour.
    sim = await startSimulator(ids.map((id, i) => finishedExport(id, started - 120_000, 'cn-hangzhou', i === 0 ? 60_000 : 3_600_000)));
    const healthy = await receiver();
    await registered(healthy.url);
    let delivered!: () => void;
    const arrived = new Promise<void>((resolve) => (delivered = resolve));
    let lastBatchSawDelivery: boolean | null = null;
    const deps: PollDeps = {
      ecsFor: (onCall, options) => {
        const api = createPopEcsApi({ endpoint: sim!.endpoint, credentials: () => KEYS, rate: 100, onCall, ...options });
        return {
          ...api,
          close: () => api.close?.(),
          describeTasks: async (regionId, query) => {
            if (query.taskIds?.includes(ids[299])) {
              // Waits for the delivery, but not forever: a sweep that delivers only at its end would never see it here.
              const seen = await Promise.race([arrived.then(() => true), new Promise<boolean>((r) => setTimeout(r, 8_000, false))]);
              lastBatchSawDelivery ??= seen;
            }
            return api.describeTasks(regionId, query);
          },
        };
      },
      store,
      config: { tasks: ids.map((taskId) => ({ regionId: 'cn-hangzhou', taskId })), discover: [], webhooks: [], retentionDays: 30, confirmSeconds: 120 },
      logger: silentLogger,
      now: Date.now,
      webhookClient: client,
      onDeliveryAttempt: (report) => report.outcome === 'succeeded' && delivered(),
    };
    const summary = await pollOnce(deps, { budgetMs: 30_000 });
    expect(lastBatchSawDelivery).toBe(true);
    expect(summary.events['ecs.task.succeeded']).toBe(1);
    // Exactly once, though the dispatcher was kicked after every batch.
    expect(healthy.received.filter((r) => JSON.parse(r.body).type === 'ecs.task.succeeded')).toHaveLength(1);
  }, 30_000);
});
