/** On FC a poll run hands each webhook's deliveries to an asynchronous delivery run of its own. */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { createPollHandler, type PollerDeps } from '../../src/fc/poll-handler.js';
import { parseTimerEvent } from '../../src/fc/timer-event.js';
import { buildDeps, closeDeps, type AppDeps } from '../../src/runtime.js';
import type { Invoker } from '../../src/shards/invoker.js';
import { newWebhookSecret } from '../../src/webhooks/signing.js';
import { KEYS, finishedExport, startSimulator } from '../support/helpers.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

let sim: EcsSimulator | undefined;
let deps: AppDeps | undefined;
let receiver: Receiver | undefined;

afterEach(async () => {
  if (deps) await closeDeps(deps);
  await sim?.stop();
  await receiver?.close();
  deps = undefined;
  sim = undefined;
  receiver = undefined;
});

const deliverEvent = (webhookId: string) => Buffer.from(JSON.stringify({ deliver: { webhookId } }));
const timerEvent = () => Buffer.from(JSON.stringify({ triggerTime: new Date().toISOString(), triggerName: 'every-minute', payload: '' }));

async function setUp(respond?: Parameters<typeof startReceiver>[1]) {
  sim = await startSimulator([finishedExport('t-fcdeliver00001', Date.now() - 600_000)]);
  receiver = await startReceiver([], respond);
  const config = loadConfig({
    TASKHOOK_STORE: 'memory',
    TASKHOOK_ECS_ENDPOINT: sim.endpoint,
    TASKHOOK_TASKS: 'cn-hangzhou/t-fcdeliver00001',
    TASKHOOK_WEBHOOKS: JSON.stringify([{ url: receiver.url, secret: newWebhookSecret() }]),
    TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: '127.0.0.1/32',
    TASKHOOK_HOT_INTERVAL: '0',
    TASKHOOK_LOG_LEVEL: 'error',
  });
  deps = await buildDeps(config, () => KEYS);
  return deps;
}

describe('delivery runs on FC', () => {
  it('reads a delivery event, and refuses one without a usable webhook id or mixed with a shard', () => {
    expect(parseTimerEvent(deliverEvent('wh_cfg_0123456789abcdef')).options).toEqual({ deliver: { webhookId: 'wh_cfg_0123456789abcdef' } });
    expect(() => parseTimerEvent(Buffer.from('{"deliver":{}}'))).toThrow(/"deliver": \{"webhookId"/);
    expect(() => parseTimerEvent(Buffer.from('{"deliver":{"webhookId":"a b"}}'))).toThrow(/"deliver": \{"webhookId"/);
    expect(() => parseTimerEvent(Buffer.from('{"deliver":{"webhookId":"wh_1"},"shard":{}}'))).toThrow(/names only its webhook/);
  });

  it('hands the webhook off instead of sending from the poll run, and the delivery run sends it once', async () => {
    const d = await setUp();
    const handed: string[] = [];
    const invoker: Invoker = { invokeShard: async () => undefined, invokeDelivery: async (id) => void handed.push(id) };
    const handler = createPollHandler((): PollerDeps => ({ ...d, invoker }));
    const polled = await handler(timerEvent(), { requestId: 'r-poll', function: { timeout: 60 } });
    expect(polled.events['ecs.task.succeeded']).toBe(1);
    const [webhook] = await d.store.listWebhooks();
    expect([...new Set(handed)]).toEqual([webhook.id]);
    expect(receiver!.received).toHaveLength(0);

    const sent = await handler(deliverEvent(webhook.id), { requestId: 'r-deliver', function: { timeout: 60 } });
    expect(sent).toMatchObject({ leased: true, delivery: { webhookId: webhook.id }, deliveries: { succeeded: 1, failed: 0, dead: 0 } });
    // A second run of the same webhook finds nothing left: nothing is sent twice.
    const again = await handler(deliverEvent(webhook.id), { requestId: 'r-deliver-2', function: { timeout: 60 } });
    expect(again.deliveries).toEqual({ succeeded: 0, failed: 0, dead: 0 });
    expect(receiver!.received).toHaveLength(1);
  });

  it('keeps two delivery runs of one webhook apart through its lease', async () => {
    const d = await setUp();
    const webhook = { id: 'wh_leased0000001' };
    expect(await d.store.acquireLease(`deliver:${webhook.id}`, 'another-run', 60_000, Date.now())).toBe(true);
    const handler = createPollHandler((): PollerDeps => d);
    const skipped = await handler(deliverEvent(webhook.id), { requestId: 'r-deliver', function: { timeout: 60 } });
    expect(skipped.leased).toBe(false);
  });

  it('delivers from the poll run itself when FC refuses the delivery run', async () => {
    const d = await setUp();
    const invoker: Invoker = {
      invokeShard: async () => undefined,
      invokeDelivery: async () => {
        throw new Error('AccessDenied: the role may not call fc:InvokeFunction');
      },
    };
    const handler = createPollHandler((): PollerDeps => ({ ...d, invoker }));
    const polled = await handler(timerEvent(), { requestId: 'r-poll', function: { timeout: 60 } });
    expect(polled.deliveries.succeeded).toBe(1);
    expect(receiver!.received).toHaveLength(1);
  });
});
