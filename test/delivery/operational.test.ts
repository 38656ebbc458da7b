/** Operational events (webhook.disabled, webhook.recovered, delivery.exhausted) through real receivers that verify with `standardwebhooks`. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { commitObserved, webhookRecord } from '../../src/fakes/records.js';
import { eventRoutes } from '../../src/http/routes/events.js';
import { createLogger, setLogSink } from '../../src/log.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { StateStore, WebhookRecord } from '../../src/store/port.js';
import { deliverDue } from '../../src/webhooks/delivery.js';
import { createWebhookClient, type WebhookClient } from '../../src/webhooks/http-client.js';
import { healthEvents, operationalEvent, operationalSubscribers, publishOperational } from '../../src/webhooks/operational.js';
import { redeliver } from '../../src/webhooks/replay.js';
import { checkEvents } from '../../src/webhooks/registry.js';
import { DISABLE_AFTER_MS, RETRY_SCHEDULE_MS } from '../../src/webhooks/schedule.js';
import { newWebhookSecret } from '../../src/webhooks/signing.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { snapshot } from '../store/contract.js';

const T0 = Date.parse('2026-11-27T02:00:00Z');
const OPS = ['webhook.disabled', 'webhook.recovered', 'delivery.exhausted'];
let store: StateStore;
let client: WebhookClient;
const receivers: Receiver[] = [];
let logLines: string[];
let restoreLogs: () => void;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  store = createMemoryStore();
  client = createWebhookClient({ policy: { allowPrivate: ['127.0.0.1/32'] } });
  logLines = [];
  restoreLogs = setLogSink((line) => logLines.push(line));
});

afterEach(async () => {
  restoreLogs();
  vi.useRealTimers();
  await client.close();
  for (const r of receivers.splice(0)) await r.close();
});

const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);
const run = (budgetMs = 3_000) =>
  deliverDue(
    { store, client, logger: createLogger('debug'), now: Date.now, random: () => 0.5, sleep: async (ms) => void advance(ms) },
    { deadlineMs: Date.now() + budgetMs },
  );

/** A webhook with its own secret and a receiver that verifies with it and answers `respond`. */
async function endpoint(id: string, events: string[], respond?: Parameters<typeof startReceiver>[1]) {
  const secret = newWebhookSecret();
  const receiver = await startReceiver([secret], respond);
  receivers.push(receiver);
  const webhook = webhookRecord(id, { url: receiver.url, events, secrets: { current: secret }, createdAt: new Date().toISOString() });
  await store.putWebhook(webhook);
  return { webhook, receiver, secret };
}

let tasks = 0;
async function emit(webhooks: WebhookRecord[]) {
  const key = { regionId: 'cn-hangzhou', taskId: `t-operational${String(++tasks).padStart(4, '0')}` };
  await store.watchTask(key, 'api', new Date().toISOString());
  const next = snapshot(key, 'Finished', { observedAt: new Date().toISOString(), finishedAt: new Date().toISOString() });
  const events = await commitObserved(store, key, next, webhooks);
  return events.find((e) => e.type === 'ecs.task.succeeded')!;
}

const received = (r: Receiver, type: string) => r.received.filter((x) => x.event?.type === type);
const warnLines = (msg: string) => logLines.map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => l.level === 'warn' && l.msg === msg);

describe('operational events', () => {
  it('webhook.disabled on 410: to the webhooks that name it, verified; not to "*", not by default, not to the disabled one', async () => {
    const gone = await endpoint('wh_gone', ['ecs.task.succeeded', 'webhook.disabled'], () => ({ status: 410 }));
    const ops = await endpoint('wh_ops', ['webhook.disabled']);
    const star = await endpoint('wh_star', ['*']);
    const plain = await endpoint('wh_plain', ['ecs.task.succeeded']);
    await emit([gone.webhook]);
    await run();

    expect(await store.getWebhook('wh_gone')).toMatchObject({ enabled: false });
    const [got] = received(ops.receiver, 'webhook.disabled');
    expect(got.verifiedWith).toBe(ops.secret);
    expect(got.event).toMatchObject({ specversion: '1.0', type: 'webhook.disabled', source: 'taskhook', subject: 'wh_gone' });
    expect(got.event!.data).toEqual({ webhookId: 'wh_gone', reason: expect.stringContaining('410 Gone'), failingSince: null });
    expect(got.headers['webhook-id']).toBe(got.event!.id);
    for (const r of [gone.receiver, star.receiver, plain.receiver]) expect(received(r, 'webhook.disabled')).toEqual([]);
    expect(warnLines('webhook.disabled')).toHaveLength(1);
  });

  it('webhook.disabled after five failing days, with failingSince', async () => {
    const failing = await endpoint('wh_failing', ['ecs.task.succeeded'], () => ({ status: 500 }));
    const ops = await endpoint('wh_ops', ['webhook.disabled', 'webhook.recovered']);
    for (let day = 0; day <= 5; day++) {
      await emit([failing.webhook]);
      await run();
      advance(24 * 3_600_000 + 1);
    }
    const [got] = received(ops.receiver, 'webhook.disabled');
    expect(got.verifiedWith).toBe(ops.secret);
    expect(got.event!.data).toMatchObject({ webhookId: 'wh_failing', failingSince: new Date(T0).toISOString() });
    expect(Date.parse(got.event!.time!) - T0).toBeGreaterThanOrEqual(DISABLE_AFTER_MS);
    expect(received(ops.receiver, 'webhook.recovered')).toEqual([]);
  });

  it('webhook.recovered when a failing webhook succeeds again', async () => {
    let down = true;
    const flaky = await endpoint('wh_flaky', ['ecs.task.succeeded'], () => ({ status: down ? 503 : 204 }));
    const ops = await endpoint('wh_ops', ['webhook.recovered']);
    await emit([flaky.webhook]);
    await run(3_000); // one failed attempt
    expect((await store.getWebhook('wh_flaky'))!.failingSince).toBe(new Date(T0).toISOString());
    down = false;
    advance(RETRY_SCHEDULE_MS[0]);
    await run(3_000);
    const [got] = received(ops.receiver, 'webhook.recovered');
    expect(got.verifiedWith).toBe(ops.secret);
    expect(got.event).toMatchObject({ type: 'webhook.recovered', subject: 'wh_flaky' });
    expect(got.event!.data).toMatchObject({ webhookId: 'wh_flaky', failingSince: new Date(T0).toISOString() });
    expect(warnLines('webhook.recovered')).toHaveLength(1);
  });

  it('delivery.exhausted after the last retry, naming the event and the delivery', async () => {
    const dead = await endpoint('wh_dead', ['ecs.task.succeeded'], () => ({ status: 500 }));
    const ops = await endpoint('wh_ops', ['delivery.exhausted']);
    const event = await emit([dead.webhook]);
    for (let i = 0; i < 12; i++) {
      await run();
      const [d] = (await store.listDeliveries({ webhookId: 'wh_dead', limit: 1 })).items;
      if (d.status === 'dead') break;
      vi.setSystemTime(Date.parse(d.nextAttemptAt!));
    }
    const [d] = (await store.listDeliveries({ webhookId: 'wh_dead', limit: 1 })).items;
    expect(d.status).toBe('dead');
    const got = received(ops.receiver, 'delivery.exhausted');
    expect(got).toHaveLength(1);
    expect(got[0].verifiedWith).toBe(ops.secret);
    expect(got[0].event!.data).toMatchObject({ webhookId: 'wh_dead', eventId: event.id, deliveryId: d.id, reason: expect.stringContaining('HTTP 500') });
    expect(warnLines('delivery.exhausted')).toHaveLength(1);
  });

  it('ids are deterministic: webhook id + what happened + when', () => {
    const data = { webhookId: 'wh_1', reason: 'x', failingSince: null };
    const at = new Date(T0).toISOString();
    expect(operationalEvent('webhook.disabled', data, at).id).toBe(operationalEvent('webhook.disabled', { ...data, reason: 'y' }, at).id);
    expect(operationalEvent('webhook.disabled', data, at).id).not.toBe(operationalEvent('webhook.recovered', data, at).id);
    expect(operationalEvent('webhook.disabled', data, at).id).not.toBe(operationalEvent('webhook.disabled', data, new Date(T0 + 1000).toISOString()).id);
    expect(operationalEvent('webhook.disabled', data, at).id).not.toBe(operationalEvent('webhook.disabled', { ...data, webhookId: 'wh_2' }, at).id);
    expect(operationalEvent('webhook.disabled', data, at).id).toMatch(/^evt_op_[0-9a-f]{26}$/);
  });

  it('healthEvents: nothing when nothing changed', () => {
    const healthy = { enabled: true, failingSince: null, disabledReason: null };
    const failing = { enabled: true, failingSince: new Date(T0).toISOString(), disabledReason: null };
    expect(healthEvents('wh_1', healthy, failing, new Date().toISOString())).toEqual([]);
    expect(healthEvents('wh_1', failing, failing, new Date().toISOString())).toEqual([]);
    expect(healthEvents('wh_1', healthy, healthy, new Date().toISOString())).toEqual([]);
  });

  it('subscribing: the types are accepted explicitly and never part of the defaults or of "*"', () => {
    expect(checkEvents(OPS)).toEqual(OPS);
    expect(checkEvents(undefined)).not.toEqual(expect.arrayContaining(['webhook.disabled']));
    const event = operationalEvent('delivery.exhausted', { webhookId: 'wh_x', reason: 'r', failingSince: null }, new Date().toISOString());
    const star = webhookRecord('wh_star', { events: ['*'] });
    const named = webhookRecord('wh_named', { events: ['delivery.exhausted'] });
    const disabled = webhookRecord('wh_off', { events: ['delivery.exhausted'], enabled: false });
    expect(operationalSubscribers(event, [star, named, disabled]).map((w) => w.id)).toEqual(['wh_named']);
  });

  it('GET /v1/events?type=webhook.disabled is a valid query', async () => {
    const route = eventRoutes.find((r) => r.method === 'GET' && r.path === '/v1/events')!;
    for (const type of OPS) {
      const res = await route.handler({ queryStringParameters: { type }, deps: { store } } as never);
      expect(res).toMatchObject({ statusCode: 200 });
    }
    await expect(route.handler({ queryStringParameters: { type: 'webhook.nonsense' }, deps: { store } } as never)).rejects.toThrow(/type must be one of/);
  });

  it('stored in the event log, listed by type, and delivered (with retries) from the queue', async () => {
    let opsUp = false;
    const gone = await endpoint('wh_gone', ['ecs.task.succeeded'], () => ({ status: 410 }));
    const ops = await endpoint('wh_ops', ['webhook.disabled'], () => ({ status: opsUp ? 204 : 500 }));
    await emit([gone.webhook]);
    await run(3_000);
    const listed = await store.listEvents({ type: 'webhook.disabled', limit: 10 });
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0]).toMatchObject({ regionId: 'taskhook', taskId: 'wh_gone', event: { type: 'webhook.disabled', subject: 'wh_gone' } });
    expect(await store.getEvent(listed.items[0].event.id)).toEqual(listed.items[0]);
    expect(received(ops.receiver, 'webhook.disabled')).toHaveLength(1); // the first attempt, answered 500
    opsUp = true;
    advance(RETRY_SCHEDULE_MS[0]);
    await run(3_000);
    const got = received(ops.receiver, 'webhook.disabled');
    expect(got).toHaveLength(2);
    expect(got.every((x) => x.verifiedWith === ops.secret && x.event!.id === listed.items[0].event.id)).toBe(true);
    expect((await store.listDeliveries({ webhookId: 'wh_ops', limit: 5 })).items[0]).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      regionId: 'taskhook',
      taskId: 'wh_gone',
    });
  });

  it('publishing the same operational event twice stores and delivers it once', async () => {
    const ops = await endpoint('wh_ops', ['webhook.recovered']);
    const event = operationalEvent('webhook.recovered', { webhookId: 'wh_x', reason: 'r', failingSince: null }, new Date().toISOString());
    const deps = { store, logger: createLogger('error'), now: Date.now };
    await publishOperational(deps, event);
    await publishOperational(deps, event);
    await run();
    expect((await store.listEvents({ type: 'webhook.recovered', limit: 10 })).items.map((e) => e.event.id)).toEqual([event.id]);
    expect(received(ops.receiver, 'webhook.recovered')).toHaveLength(1);
  });

  it('redeliver sends a stored operational event again to its subscribers, or to a named webhook', async () => {
    const ops = await endpoint('wh_ops', ['delivery.exhausted']);
    const other = await endpoint('wh_other', ['ecs.task.succeeded']);
    const event = operationalEvent('delivery.exhausted', { webhookId: 'wh_x', reason: 'r', failingSince: null }, new Date().toISOString());
    await publishOperational({ store, logger: createLogger('error'), now: Date.now }, event);
    await run();
    const stored = (await store.getEvent(event.id))!;
    advance(1_000);
    expect((await redeliver(store, stored, undefined, Date.now())).map((d) => d.webhookId)).toEqual(['wh_ops']);
    expect((await redeliver(store, stored, 'wh_other', Date.now() + 1)).map((d) => d.webhookId)).toEqual(['wh_other']);
    await run();
    expect(received(ops.receiver, 'delivery.exhausted')).toHaveLength(2);
    expect(received(other.receiver, 'delivery.exhausted').map((x) => x.event!.id)).toEqual([event.id]);
    await store.updateWebhook('wh_ops', (w) => ({ ...w, events: ['ecs.task.succeeded'] }));
    await expect(redeliver(store, stored, undefined, Date.now() + 2)).rejects.toMatchObject({ code: 'NoMatchingWebhook' });
  });
});
