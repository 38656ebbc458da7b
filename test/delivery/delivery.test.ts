import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, setLogSink } from '../../src/log.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { StateStore, WebhookRecord } from '../../src/store/port.js';
import type { TaskEvent } from '../../src/tasks/events.js';
import { commitObserved } from '../../src/fakes/records.js';
import { deliverDue } from '../../src/webhooks/delivery.js';
import { createWebhookClient, type WebhookClient } from '../../src/webhooks/http-client.js';
import { RETRY_SCHEDULE_MS } from '../../src/webhooks/schedule.js';
import { newWebhookSecret } from '../../src/webhooks/signing.js';
import { rotateSecret } from '../../src/webhooks/registry.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { snapshot, webhook } from '../store/contract.js';

const T0 = Date.parse('2026-11-27T02:00:00Z');
const HOUR = 3_600_000;
let store: StateStore;
let client: WebhookClient;
const receivers: Receiver[] = [];
const logLines: string[] = [];
let restoreLogs: () => void;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  store = createMemoryStore();
  client = createWebhookClient({ policy: { allowPrivate: ['127.0.0.1/32'] } });
  restoreLogs = setLogSink((line) => logLines.push(line));
});

afterEach(async () => {
  restoreLogs();
  vi.useRealTimers();
  await client.close();
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(secrets: string[], respond?: Parameters<typeof startReceiver>[1]) {
  const r = await startReceiver(secrets, respond);
  receivers.push(r);
  return r;
}

const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);
const deps = () => ({ store, client, logger: createLogger('debug'), now: Date.now, random: () => 0.5, sleep: async (ms: number) => void advance(ms) });
/** A run with a budget of `budgetMs` from now. */
const run = (budgetMs = 20_000, extra: Partial<Parameters<typeof deliverDue>[1]> = {}) => deliverDue(deps(), { deadlineMs: Date.now() + budgetMs, ...extra });

let taskCounter = 0;
/** Commits a finished task's events (optionally several tasks' worth) with deliveries to the given webhooks. */
async function emit(webhooks: WebhookRecord[], status = 'Finished', taskId = `t-deliver${String(++taskCounter).padStart(6, '0')}`): Promise<TaskEvent[]> {
  const key = { regionId: 'cn-hangzhou', taskId };
  await store.watchTask(key, 'api', new Date().toISOString());
  const next = snapshot(key, status, { observedAt: new Date().toISOString(), finishedAt: status === 'Processing' ? null : new Date().toISOString() });
  return commitObserved(store, key, next, webhooks);
}

async function registered(url: string, overrides: Partial<WebhookRecord> = {}) {
  const w = webhook('wh_' + Math.random().toString(16).slice(2, 10), { url, secrets: { current: newWebhookSecret() }, ...overrides });
  await store.putWebhook(w);
  return w;
}

describe('webhook delivery', () => {
  it('sends a CloudEvent that verifies with standardwebhooks, with the documented headers', async () => {
    const secret = newWebhookSecret();
    const r = await receiver([secret]);
    const w = await registered(r.url, { secrets: { current: secret } });
    const event = (await emit([w])).find((e) => e.type === 'ecs.task.succeeded')!;
    expect(await run()).toEqual({ succeeded: 1, failed: 0, dead: 0 });
    const got = r.received[0];
    expect(got.verifiedWith).toBe(secret);
    expect(got.headers).toMatchObject({
      'content-type': 'application/cloudevents+json; charset=utf-8',
      'webhook-id': event.id,
      'webhook-timestamp': String(Math.floor(T0 / 1000)),
    });
    expect(got.headers['user-agent']).toMatch(/^taskhook\//);
    expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    expect(got.event).toMatchObject({
      specversion: '1.0',
      id: event.id,
      type: 'ecs.task.succeeded',
      source: 'acs:ecs:cn-hangzhou::task/' + event.subject,
      subject: event.subject,
    });
    expect((got.event!.data as { task: { outcome: string } }).task.outcome).toBe('succeeded');
    expect((await store.listDeliveries({ webhookId: w.id, limit: 1 })).items[0]).toMatchObject({ status: 'succeeded', attempts: 1, lastStatus: 204 });
  });

  it('retries on the schedule 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, keeping the event id, then gives up', async () => {
    const r = await receiver([], () => ({ status: 500, body: 'down for maintenance' }));
    const w = await registered(r.url);
    const event = (await emit([w])).find((e) => e.type === 'ecs.task.succeeded')!;
    const attemptTimes: number[] = [];
    for (let i = 0; i < 20 && attemptTimes.length < 8; i++) {
      await run(4_000); // too short to retry within the run: each run makes one attempt
      attemptTimes.push(...r.received.slice(attemptTimes.length).map((x) => x.at));
      const [d] = (await store.listDeliveries({ webhookId: w.id, limit: 1 })).items;
      if (d.nextAttemptAt) vi.setSystemTime(Date.parse(d.nextAttemptAt));
    }
    const gaps = attemptTimes.slice(1).map((t, i) => t - attemptTimes[i]);
    expect(gaps).toEqual(RETRY_SCHEDULE_MS); // random() = 0.5 → no jitter
    expect(new Set(r.received.map((x) => x.headers['webhook-id']))).toEqual(new Set([event.id]));
    expect(new Set(r.received.map((x) => x.headers['webhook-timestamp'])).size).toBe(8);
    const [d] = (await store.listDeliveries({ webhookId: w.id, limit: 1 })).items;
    expect(d).toMatchObject({ status: 'dead', attempts: 8, lastStatus: 500 });
    const attempts = (await store.listAttempts({ webhookId: w.id, limit: 20 })).items;
    expect(attempts).toHaveLength(8);
    expect(attempts[0].responseSnippet).toBe('down for maintenance');
  });

  it('retries within the same run after 5 s when the budget allows', async () => {
    const r = await receiver([], (_r, i) => ({ status: i === 0 ? 503 : 200 }));
    const w = await registered(r.url);
    await emit([w]);
    expect(await run(30_000)).toEqual({ succeeded: 1, failed: 1, dead: 0 });
    expect(r.received[1].at - r.received[0].at).toBe(5_000);
  });

  it('honours Retry-After on 429 and 503, clamped to twice the scheduled delay', async () => {
    const r = await receiver([], () => ({ status: 429, headers: { 'retry-after': '8' } }));
    const w = await registered(r.url);
    await emit([w]);
    await run(3_000);
    let [d] = (await store.listDeliveries({ webhookId: w.id, limit: 1 })).items;
    expect(Date.parse(d.nextAttemptAt!) - Date.now()).toBe(8_000);
    r.respond = () => ({ status: 503, headers: { 'retry-after': '86400' } });
    vi.setSystemTime(Date.parse(d.nextAttemptAt!));
    await run(3_000);
    [d] = (await store.listDeliveries({ webhookId: w.id, limit: 1 })).items;
    expect(Date.parse(d.nextAttemptAt!) - Date.now()).toBe(2 * RETRY_SCHEDULE_MS[1]);
  });

  it('counts a redirect as a failure and does not follow it', async () => {
    const target = await receiver([]);
    const r = await receiver([], () => ({ status: 302, headers: { location: target.url } }));
    const w = await registered(r.url);
    await emit([w]);
    expect(await run(3_000)).toEqual({ succeeded: 0, failed: 1, dead: 0 });
    expect(target.received).toHaveLength(0);
    expect((await store.listAttempts({ webhookId: w.id, limit: 1 })).items[0].error).toContain('redirects are not followed');
  });

  it('disables the webhook when it answers 410 Gone, and abandons its other deliveries', async () => {
    const r = await receiver([], () => ({ status: 410 }));
    const w = await registered(r.url);
    await emit([w]);
    await emit([w]);
    const summary = await run(20_000, { perEndpoint: 1 });
    expect(summary.dead).toBe(2);
    expect(r.received).toHaveLength(1);
    expect(await store.getWebhook(w.id)).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('410') });
  });

  it('disables a webhook that has failed without a success for five days', async () => {
    const r = await receiver([], () => ({ status: 500 }));
    const w = await registered(r.url);
    for (let day = 0; day <= 5; day++) {
      await emit([w]);
      await run(3_000);
      advance(24 * HOUR + 1);
    }
    expect(await store.getWebhook(w.id)).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('every delivery failed since') });
  });

  it('does not disable a webhook, nor abandon its delivery, when a clock jump of five days makes the span but not the failures', async () => {
    const r = await receiver([], () => ({ status: 500 }));
    const w = await registered(r.url);
    await emit([w]);
    await run(3_000);
    advance(5 * 24 * HOUR + 1);
    await run(3_000);
    expect(r.received.length).toBe(2);
    expect(await store.getWebhook(w.id)).toMatchObject({ enabled: true, disabledReason: null });
    expect((await store.listDeliveries({ webhookId: w.id, limit: 10 })).items.map((d) => d.status)).toEqual(['pending']);
  });

  it('delivers every event to a receiver that was down for two simulated days (recent ones by retry, older ones by recovery)', async () => {
    const secret = newWebhookSecret();
    const r = await receiver([secret]);
    const w = await registered(r.url, { secrets: { current: secret } });
    await r.down();
    const emitted: string[] = [];
    // Model a timer that runs whenever something is due: every retry happens on schedule while the receiver is down.
    const outageEnds = T0 + 48 * HOUR;
    let nextEmit = T0;
    for (;;) {
      const due = (await store.listDeliveries({ webhookId: w.id, limit: 500 })).items
        .filter((d) => d.status === 'pending')
        .map((d) => Date.parse(d.nextAttemptAt!));
      const next = Math.min(nextEmit, ...due);
      if (next >= outageEnds) break;
      vi.setSystemTime(next);
      if (next === nextEmit) {
        emitted.push(...(await emit([w])).filter((e) => e.type === 'ecs.task.succeeded').map((e) => e.id));
        nextEmit += 4 * HOUR;
      }
      await run(3_000);
    }
    vi.setSystemTime(outageEnds);
    await r.up();
    // Retries carry on by themselves for the last ~27 h of events …
    for (let i = 0; i < 12; i++) {
      await run(3_000);
      advance(HOUR);
    }
    const autoDelivered = new Set(r.received.map((x) => x.headers['webhook-id']));
    expect(autoDelivered.size).toBeGreaterThan(0);
    // … and the dead ones come back with one recovery call (the API's /recover does exactly this).
    const dead = (await store.listDeliveries({ webhookId: w.id, limit: 500 })).items.filter((d) => d.status === 'dead');
    expect(dead.length).toBeGreaterThan(0);
    await store.enqueueDeliveries(dead.map((d) => ({ ...d, id: d.id + '_r', dueAt: new Date().toISOString(), createdAt: new Date().toISOString() })));
    await run();
    const all = new Set(r.received.filter((x) => x.verifiedWith).map((x) => x.headers['webhook-id']));
    expect([...all].sort()).toEqual([...new Set(emitted)].sort());
  }, 30_000);

  it('signs with both secrets during a rotation overlap, and only with the new one after 24 h', async () => {
    const old = newWebhookSecret();
    const oldOnly = await receiver([old]);
    const w = await registered(oldOnly.url, { secrets: { current: old } });
    const { secret: fresh } = await rotateSecret(store, w.id, Date.now());
    const newOnly = await receiver([fresh]);
    await emit([(await store.getWebhook(w.id)) as WebhookRecord]);
    await run();
    expect(oldOnly.received[0].verifiedWith).toBe(old);
    expect(oldOnly.received[0].headers['webhook-signature'].split(' ')).toHaveLength(2);

    await store.putWebhook({ ...(await store.getWebhook(w.id))!, url: newOnly.url });
    await emit([(await store.getWebhook(w.id))!]);
    await run();
    expect(newOnly.received[0].verifiedWith).toBe(fresh);

    advance(24 * HOUR + 1);
    await store.putWebhook({ ...(await store.getWebhook(w.id))!, url: oldOnly.url });
    await emit([(await store.getWebhook(w.id))!]);
    await run();
    expect(oldOnly.received[1].verifiedWith).toBeNull();
    expect(oldOnly.received[1].headers['webhook-signature'].split(' ')).toHaveLength(1);
  });

  it('does not let a hanging endpoint delay another', async () => {
    vi.useRealTimers();
    const slow = await receiver([], () => 'hang');
    const fast = await receiver([]);
    const ws = await registered(slow.url);
    const wf = await registered(fast.url);
    await emit([ws, wf]);
    const started = Date.now();
    const running = deliverDue({ ...deps(), now: Date.now, sleep: undefined }, { deadlineMs: Date.now() + 4_000, attemptTimeoutMs: 1_500 });
    await vi.waitFor(() => expect(fast.received).toHaveLength(1), { timeout: 1_000, interval: 10 });
    expect(Date.now() - started).toBeLessThan(1_000);
    const summary = await running;
    expect(summary.succeeded).toBe(1);
    expect((await store.listAttempts({ webhookId: ws.id, limit: 1 })).items[0].error).toMatch(/^Timeout/);
  });

  it('delivers a task’s later event only after the earlier one succeeded', async () => {
    let failFirst = true;
    const r = await receiver([], (x) => {
      const type = JSON.parse(x.body).type as string;
      if (type === 'ecs.task.started' && failFirst) return { status: 500 };
      return { status: 200 };
    });
    const w = await registered(r.url, { events: ['ecs.task.started', 'ecs.task.succeeded'] });
    const taskId = 't-deliverorder01';
    await emit([w], 'Processing', taskId);
    const key = { regionId: 'cn-hangzhou', taskId };
    await commitObserved(store, key, snapshot(key, 'Finished', { observedAt: new Date().toISOString() }), [w]);
    await run(3_000);
    expect(r.received.map((x) => JSON.parse(x.body).type)).toEqual(['ecs.task.started']);
    failFirst = false;
    advance(5_000);
    await run(3_000);
    const seq = r.received.map((x) => [JSON.parse(x.body).type, JSON.parse(x.body).data.sequence]);
    expect(seq).toEqual([
      ['ecs.task.started', 2],
      ['ecs.task.started', 2],
      ['ecs.task.succeeded', 4],
    ]);
  });

  it('never writes a secret or a signature into a log line', async () => {
    const secret = newWebhookSecret();
    const r = await receiver([secret], (_x, i) => ({ status: i === 0 ? 500 : 200 }));
    const w = await registered(r.url, { secrets: { current: secret } });
    await emit([w]);
    logLines.length = 0;
    await run(30_000);
    expect(logLines.length).toBeGreaterThan(0);
    const signatures = r.received.map((x) => x.headers['webhook-signature'].slice(3));
    for (const line of logLines) {
      expect(line).not.toContain(secret);
      expect(line).not.toContain(secret.slice(6));
      for (const s of signatures) expect(line).not.toContain(s);
    }
  });
});
