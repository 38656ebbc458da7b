/** Operational events through the API: listed by type from the event log, and redelivered like task events. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { createApiHandler } from '../../src/http/app.js';
import { startLocalServer, type LocalServer } from '../../src/local/http-server.js';
import { createLogger } from '../../src/log.js';
import { buildDeps, closeDeps, type AppDeps } from '../../src/runtime.js';
import { operationalEvent, publishOperational } from '../../src/webhooks/operational.js';
import { KEYS, startSimulator } from '../support/helpers.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

const TOKEN = 'operational-token-0123456789abcdef';
let sim: EcsSimulator;
let deps: AppDeps;
let server: LocalServer;
let receiver: Receiver;

beforeAll(async () => {
  sim = await startSimulator([]);
  receiver = await startReceiver([]);
  const config = loadConfig({
    TASKHOOK_ECS_ENDPOINT: sim.endpoint,
    ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret,
    TASKHOOK_API_TOKENS: TOKEN,
    TASKHOOK_STORE: 'memory',
    TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: '127.0.0.1/32',
    TASKHOOK_LOG_LEVEL: 'error',
  });
  deps = await buildDeps(config, () => config.credentials);
  server = await startLocalServer(createApiHandler(() => deps) as never, 0);
});

afterAll(async () => {
  await server.close();
  await closeDeps(deps);
  await receiver.close();
  await sim.stop();
});

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe('operational events in the event log', () => {
  it('GET /v1/events?type=webhook.disabled lists them newest first; GET one and redeliver it', async () => {
    const created = await api('POST', '/v1/webhooks', { url: receiver.url, events: ['webhook.disabled'] });
    expect(created.status).toBe(201);
    const webhookId = created.body.webhook.id as string;
    const publish = { store: deps.store, logger: createLogger('error'), now: Date.now };
    const first = operationalEvent('webhook.disabled', { webhookId: 'wh_one', reason: 'gone', failingSince: null }, new Date(Date.now() - 2_000).toISOString());
    const second = operationalEvent(
      'webhook.disabled',
      { webhookId: 'wh_two', reason: 'gone', failingSince: null },
      new Date(Date.now() - 1_000).toISOString(),
    );
    await publishOperational({ ...publish, now: () => Date.parse(first.time) }, first);
    await publishOperational({ ...publish, now: () => Date.parse(second.time) }, second);

    const listed = await api('GET', '/v1/events?type=webhook.disabled');
    expect(listed.status).toBe(200);
    expect(listed.body.events).toEqual([second, first]);
    const shown = await api('GET', `/v1/events/${first.id}`);
    expect(shown.body.event).toEqual(first);
    expect(shown.body.deliveries).toMatchObject([{ webhookId, status: 'pending', regionId: 'taskhook', taskId: 'wh_one' }]);

    const again = await api('POST', `/v1/events/${first.id}/redeliver`);
    expect(again.status).toBe(202);
    expect(again.body.deliveries).toMatchObject([{ webhookId }]);
    expect((await api('GET', `/v1/events/${first.id}`)).body.deliveries).toHaveLength(2);
  });
});
