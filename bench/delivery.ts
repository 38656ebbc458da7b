/** Webhook delivery throughput: due deliveries sent to a local receiver that answers 204. */
import { silentLogger } from '../src/log.js';
import { commitObserved, webhookRecord } from '../src/fakes/records.js';
import type { DeliveryAttempt, StateStore } from '../src/store/port.js';
import type { TaskSnapshot } from '../src/tasks/snapshot.js';
import { deliverDue } from '../src/webhooks/delivery.js';
import { createWebhookClient } from '../src/webhooks/http-client.js';
import { newWebhookSecret } from '../src/webhooks/signing.js';
import type { Peer } from './peer-client.js';
import { collect, cpuMs, mb, percentile } from './stats.js';
import { openStore, type StoreKind } from './stores.js';

export interface DeliveryCase {
  store: StoreKind;
  deliveries: number;
  endpoints: number;
}

export interface DeliveryRow extends DeliveryCase {
  succeeded: number;
  failed: number;
  dead: number;
  wallMs: number;
  perSecond: number;
  cpuMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  rssDeltaMb: number;
  signaturesChecked: number;
  signaturesValid: number;
}

const VERIFY_FIRST = 20;
const DELIVERY_BUDGET_MS = 90_000;

function finished(regionId: string, taskId: string, at: string): TaskSnapshot {
  return {
    id: taskId,
    regionId,
    action: 'ExportImage',
    status: 'Finished',
    outcome: 'succeeded',
    terminal: true,
    progress: 100,
    supportCancel: true,
    createdAt: at,
    finishedAt: at,
    durationSeconds: 600,
    counts: { total: 1, succeeded: 1, failed: 0 },
    operations: [{ status: 'Success', errorCode: null, errorMessage: null, relatedItems: [{ name: 'OSSObject', value: `bench/${taskId}.vhd` }] }],
    resourceId: 'm-bench0001',
    requestId: 'BENCH-REQUEST',
    observedAt: at,
  };
}

async function allAttempts(store: StateStore): Promise<DeliveryAttempt[]> {
  const out: DeliveryAttempt[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const got = await store.listAttempts({ limit: 500, cursor });
    out.push(...got.items);
    cursor = got.cursor;
    if (!cursor) break;
  }
  return out;
}

export async function benchDelivery(peer: Peer, c: DeliveryCase): Promise<DeliveryRow> {
  const secret = newWebhookSecret();
  const base = await peer.startReceiver(secret, VERIFY_FIRST);
  const opened = await openStore(c.store, peer);
  const { store } = opened;
  const client = createWebhookClient({ policy: { allowPrivate: ['127.0.0.1/32'] } });
  try {
    const at = new Date().toISOString();
    const hooks = Array.from({ length: c.endpoints }, (_, i) =>
      webhookRecord(`wh_bench${i}`, { url: `${base}/hook/${i}`, secrets: { current: secret }, createdAt: at }),
    );
    for (const w of hooks) await store.putWebhook(w);
    // One finished task per delivery: each commit writes its events and a delivery to one of the webhooks.
    for (let i = 0; i < c.deliveries; i++) {
      const key = { regionId: 'cn-hangzhou', taskId: `t-benchdlv${String(i).padStart(7, '0')}` };
      await store.watchTask(key, 'api', at);
      await commitObserved(store, key, finished(key.regionId, key.taskId, at), [hooks[i % hooks.length]], at);
    }

    collect();
    const rss0 = process.memoryUsage().rss;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const summary = await deliverDue({ store, client, logger: silentLogger, now: Date.now }, { deadlineMs: Date.now() + DELIVERY_BUDGET_MS });
    const wallMs = performance.now() - t0;
    const cpu1 = process.cpuUsage();
    const rss1 = process.memoryUsage().rss;

    const durations = (await allAttempts(store)).map((a) => a.durationMs);
    const received = await peer.receiverStats();
    return {
      ...c,
      ...summary,
      wallMs,
      perSecond: summary.succeeded / (wallMs / 1000),
      cpuMs: cpuMs(cpu0, cpu1),
      p50Ms: percentile(durations, 50),
      p95Ms: percentile(durations, 95),
      maxMs: Math.max(...durations),
      rssDeltaMb: mb(rss1 - rss0),
      signaturesChecked: received.verified + received.unverified,
      signaturesValid: received.verified,
    };
  } finally {
    await client.close();
    await store.close();
    await opened.cleanup();
    await peer.stopAll();
  }
}
