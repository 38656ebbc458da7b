/**
 * Webhook delivery to R receivers (each its own port in the peer process, answering 204) against a plain undici POST
 * loop sending the same bodies to the same receivers at the same concurrency: 4 in flight per receiver.
 */
import { Agent, request } from 'undici';
import { silentLogger } from '../src/log.js';
import { commitObserved, webhookRecord } from '../src/fakes/records.js';
import type { StateStore } from '../src/store/port.js';
import type { TaskSnapshot } from '../src/tasks/snapshot.js';
import { deliverDue } from '../src/webhooks/delivery.js';
import { createWebhookClient } from '../src/webhooks/http-client.js';
import { newWebhookSecret } from '../src/webhooks/signing.js';
import { Peer } from './peer-client.js';
import type { DeliveryRow, StoreKind } from './rows.js';
import { cpuMs, peakRssMb } from './stats.js';
import { openStore } from './stores.js';

export interface DeliveryJob {
  kind: 'delivery';
  store: StoreKind;
  receivers: number;
  deliveries: number;
}

/** deliverDue's default: in flight at once per webhook. */
const PER_RECEIVER = 4;
const VERIFY_FIRST = 20;
const WARM_UP_POSTS = 100;
const DELIVERY_BUDGET_MS = 120_000;

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

interface Post {
  url: string;
  body: string;
}

/** The plain loop: PER_RECEIVER lanes per receiver, each POSTing its share one after another. */
async function plainLoop(posts: Post[], agent: Agent): Promise<number> {
  const byUrl = new Map<string, Post[]>();
  for (const p of posts) {
    const list = byUrl.get(p.url);
    if (list) list.push(p);
    else byUrl.set(p.url, [p]);
  }
  let ok = 0;
  await Promise.all(
    [...byUrl.values()].map(async (list) => {
      let next = 0;
      const lane = async () => {
        while (next < list.length) {
          const { url, body } = list[next++];
          const res = await request(url, {
            method: 'POST',
            body,
            headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
            dispatcher: agent,
          });
          await res.body.dump();
          if (res.statusCode >= 200 && res.statusCode < 300) ok++;
        }
      };
      await Promise.all(Array.from({ length: PER_RECEIVER }, lane));
    }),
  );
  return ok;
}

/** Every event body the store will deliver, with its receiver's URL. */
async function duePosts(store: StateStore, urlOf: Map<string, string>): Promise<Post[]> {
  const due = await store.listDueDeliveries(new Date(Date.now() + 60_000).toISOString(), 1_000_000);
  const posts: Post[] = [];
  for (const d of due) {
    const stored = await store.getEvent(d.eventId);
    if (stored) posts.push({ url: urlOf.get(d.webhookId)!, body: JSON.stringify(stored.event) });
  }
  return posts;
}

export async function runDelivery(job: DeliveryJob): Promise<DeliveryRow> {
  const peer = Peer.start();
  try {
    const secret = newWebhookSecret();
    const urls = await peer.startReceivers(job.receivers, secret, VERIFY_FIRST);
    const opened = await openStore(job.store, peer);
    const { store } = opened;
    const client = createWebhookClient({ policy: { allowPrivate: ['127.0.0.1/32'] } });
    const agent = new Agent();
    try {
      const at = new Date().toISOString();
      const hooks = urls.map((url, i) => webhookRecord(`wh_bench${String(i).padStart(3, '0')}`, { url, secrets: { current: secret }, createdAt: at }));
      for (const w of hooks) await store.putWebhook(w);
      // One finished task per delivery: each commit writes its event and one delivery to one receiver.
      for (let i = 0; i < job.deliveries; i++) {
        const key = { regionId: 'cn-hangzhou', taskId: `t-benchdlv${String(i).padStart(7, '0')}` };
        await store.watchTask(key, 'api', at);
        await commitObserved(store, key, finished(key.regionId, key.taskId, at), [hooks[i % hooks.length]], at);
      }
      const posts = await duePosts(store, new Map(hooks.map((h) => [h.id, h.url])));
      await plainLoop(posts.slice(0, WARM_UP_POSTS), agent);

      const p0 = performance.now();
      const plainOk = await plainLoop(posts, agent);
      const plainMs = performance.now() - p0;
      if (plainOk !== posts.length) throw new Error(`the plain loop got ${posts.length - plainOk} non-2xx answers`);

      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let succeeded = 0;
      const until = Date.now() + DELIVERY_BUDGET_MS;
      // As consecutive poll runs would: deliverDue takes at most a few batches per call.
      while (succeeded < job.deliveries && Date.now() < until) {
        const summary = await deliverDue({ store, client, logger: silentLogger, now: Date.now }, { deadlineMs: until });
        succeeded += summary.succeeded;
        if (summary.succeeded + summary.failed + summary.dead === 0) break;
      }
      const taskhookMs = performance.now() - t0;
      const cpu = cpuMs(cpu0, process.cpuUsage());
      const received = await peer.receiverStats();
      const taskhookPerSecond = succeeded / (taskhookMs / 1000);
      const plainPerSecond = posts.length / (plainMs / 1000);
      return {
        kind: 'delivery',
        store: job.store,
        receivers: job.receivers,
        deliveries: job.deliveries,
        concurrency: PER_RECEIVER * job.receivers,
        taskhookMs,
        plainMs,
        taskhookPerSecond,
        plainPerSecond,
        vsPlain: taskhookPerSecond / plainPerSecond,
        succeeded,
        signaturesChecked: received.verified + received.unverified,
        signaturesValid: received.verified,
        cpuMs: cpu,
        peakRssMb: peakRssMb(),
      };
    } finally {
      await agent.close();
      await client.close();
      await store.close();
      await opened.cleanup();
    }
  } finally {
    await peer.close();
  }
}
