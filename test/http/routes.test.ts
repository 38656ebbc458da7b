import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import type { LocalServer } from '../../src/local/http-server.js';
import { startApi, type ApiHarness } from '../support/api.js';
import type { Receiver } from '../support/receiver.js';
import { finishedExport } from '../support/helpers.js';

const TOKEN = 'routes-token-0123456789abcdef';
let sim: EcsSimulator;
let server: LocalServer;
let receiver: Receiver;

let harness: ApiHarness;

beforeAll(async () => {
  harness = await startApi(TOKEN, [
    finishedExport('t-routes00000001', Date.now() - 600_000),
    finishedExport('t-routes00000002', Date.now() - 600_000, 'cn-beijing'),
  ]);
  ({ sim, server, receiver } = harness);
});

afterAll(() => harness.close());

const api = (method: string, path: string, body?: unknown) => harness.call(method, path, body);

describe('watch list routes', () => {
  it('watches a task (201), again without error (200), lists it, and stops watching it (204, then 404)', async () => {
    expect((await api('POST', '/v1/tasks', { regionId: 'cn-hangzhou', taskId: 't-routes00000001' })).status).toBe(201);
    const again = await api('POST', '/v1/tasks', { regionId: 'cn-hangzhou', taskId: 't-routes00000001' });
    expect(again.status).toBe(200);
    expect(again.body.task.sources).toEqual(['api']);
    const list = await api('GET', '/v1/tasks');
    expect(list.body.tasks.map((t: { taskId: string }) => t.taskId)).toContain('t-routes00000001');
    expect((await api('DELETE', '/v1/tasks/t-routes00000001?regionId=cn-hangzhou')).status).toBe(204);
    expect((await api('DELETE', '/v1/tasks/t-routes00000001?regionId=cn-hangzhou')).status).toBe(404);
  });

  it('names what is wrong with a bad watch request', async () => {
    expect((await api('POST', '/v1/tasks', { regionId: 'cn-hangzhou', taskId: 'oops' })).body.error.code).toBe('InvalidTaskId.Malformed');
    expect((await api('POST', '/v1/tasks', { taskId: 't-routes00000001' })).body.error.code).toBe('MissingParameter');
    const notJson = await fetch(server.url + '/v1/tasks', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' },
      body: 'hi',
    });
    expect(notJson.status).toBe(415);
    expect((await api('GET', '/v1/tasks?limit=0')).status).toBe(400);
    expect((await api('GET', '/v1/tasks?cursor=%%%')).status).toBe(400);
  });
});

describe('webhook, poll and event routes', () => {
  let webhookId: string;
  let secret: string;

  it('registers a webhook, shows its secret once, and never again', async () => {
    const created = await api('POST', '/v1/webhooks', {
      url: receiver.url,
      events: ['ecs.task.succeeded'],
      filter: { regions: ['cn-hangzhou'] },
      description: 'ops',
    });
    expect(created.status).toBe(201);
    ({ secret } = created.body);
    webhookId = created.body.webhook.id;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const shown = JSON.stringify([(await api('GET', `/v1/webhooks/${webhookId}`)).body, (await api('GET', '/v1/webhooks')).body]);
    expect(shown).not.toContain(secret.slice(6));
    expect((await api('GET', `/v1/webhooks/${webhookId}`)).body.webhook).toMatchObject({
      url: receiver.url,
      enabled: true,
      filter: { regions: ['cn-hangzhou'] },
    });
  });

  it.each([
    ['http://100.100.100.200/latest/meta-data/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://169.254.169.254/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://[::ffff:127.0.0.2]/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://2130706434/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://user:pw@example.com/', 'InvalidWebhookUrl.Credentials'],
    ['ftp://example.com/', 'InvalidWebhookUrl.Scheme'],
    ['not a url', 'InvalidWebhookUrl'],
  ])('refuses to register %s (%s)', async (url, code) => {
    const res = await api('POST', '/v1/webhooks', { url });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
  });

  it('refuses unknown event types and filters with a message that lists the valid ones', async () => {
    const res = await api('POST', '/v1/webhooks', { url: receiver.url, events: ['ecs.task.done'] });
    expect(res.body.error.message).toContain('ecs.task.succeeded');
    expect((await api('POST', '/v1/webhooks', { url: receiver.url, filter: { zones: ['a'] } })).body.error.code).toBe('InvalidFilter');
  });

  it('answers a test ping with the attempt result, signed with the webhook secret', async () => {
    const res = await api('POST', `/v1/webhooks/${webhookId}/test`);
    expect(res.body).toMatchObject({ success: true, status: 204 });
    const ping = receiver.received.at(-1)!;
    expect(() => new Webhook(secret).verify(ping.body, ping.headers)).not.toThrow();
  });

  it('polls now, delivers the event, and shows it with its deliveries and attempts', async () => {
    await api('POST', '/v1/tasks', { regionId: 'cn-hangzhou', taskId: 't-routes00000001' });
    await api('POST', '/v1/tasks', { regionId: 'cn-beijing', taskId: 't-routes00000002' });
    const poll = await api('POST', '/v1/poll');
    expect(poll.status).toBe(200);
    expect(poll.body.summary).toMatchObject({ leased: true, events: { 'ecs.task.succeeded': 2 }, deliveries: { succeeded: 1 } });
    const events = await api('GET', '/v1/events?type=ecs.task.succeeded');
    expect(events.body.events).toHaveLength(2);
    const hangzhou = events.body.events.find((e: { subject: string }) => e.subject === 't-routes00000001');
    const detail = await api('GET', `/v1/events/${hangzhou.id}`);
    expect(detail.body.deliveries).toMatchObject([{ webhookId, status: 'succeeded', attempts: 1 }]);
    expect(detail.body.attempts).toMatchObject([{ status: 204, success: true }]);
    // The Beijing task is outside the webhook's region filter.
    const beijing = events.body.events.find((e: { subject: string }) => e.subject === 't-routes00000002');
    expect((await api('GET', `/v1/events/${beijing.id}`)).body.deliveries).toEqual([]);
    expect((await api('GET', `/v1/webhooks/${webhookId}/attempts`)).body.attempts.length).toBeGreaterThanOrEqual(1);
    expect((await api('GET', '/v1/events?taskId=t-routes00000002')).body.events.every((e: { subject: string }) => e.subject === 't-routes00000002')).toBe(true);
    expect((await api('GET', '/v1/tasks/t-routes00000001?regionId=cn-hangzhou&cached=1')).body).toMatchObject({
      source: 'cache',
      task: { outcome: 'succeeded' },
    });
  });

  it('redelivers an event on request, with the same webhook-id', async () => {
    const [event] = (await api('GET', '/v1/events?type=ecs.task.succeeded&taskId=t-routes00000001')).body.events;
    const before = receiver.received.length;
    const res = await api('POST', `/v1/events/${event.id}/redeliver`);
    expect(res.status).toBe(202);
    await api('POST', '/v1/poll');
    expect(receiver.received.length).toBe(before + 1);
    expect(receiver.received.at(-1)!.headers['webhook-id']).toBe(event.id);
    expect((await api('POST', '/v1/events/evt_nope/redeliver')).status).toBe(404);
  });

  it('recovers failed deliveries since a time', async () => {
    receiver.respond = () => ({ status: 500 });
    sim.addTask(finishedExport('t-routes00000003', Date.now() - 600_000));
    await api('POST', '/v1/tasks', { regionId: 'cn-hangzhou', taskId: 't-routes00000003' });
    const since = new Date(Date.now() - 60_000).toISOString();
    await api('POST', '/v1/poll');
    receiver.respond = () => ({ status: 204 });
    const recovered = await api('POST', `/v1/webhooks/${webhookId}/recover?since=${since}`);
    expect(recovered.status).toBe(202);
    expect(recovered.body.recovered).toBe(1);
    const poll = await api('POST', '/v1/poll');
    expect(poll.body.summary.deliveries.succeeded).toBe(1);
    expect((await api('POST', `/v1/webhooks/${webhookId}/recover`)).body.error.code).toBe('MissingParameter');
  });

  it('rotates the secret: both sign for a day', async () => {
    const rotated = await api('POST', `/v1/webhooks/${webhookId}/rotate-secret`);
    expect(rotated.body.secret).not.toBe(secret);
    expect(Date.parse(rotated.body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    await api('POST', `/v1/webhooks/${webhookId}/test`);
    const ping = receiver.received.at(-1)!;
    expect(ping.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(rotated.body.secret).verify(ping.body, ping.headers)).not.toThrow();
    expect(() => new Webhook(secret).verify(ping.body, ping.headers)).not.toThrow();
  });

  it('disables, re-enables and deletes a webhook', async () => {
    expect((await api('PATCH', `/v1/webhooks/${webhookId}`, { enabled: false })).body.webhook).toMatchObject({
      enabled: false,
      disabledReason: 'disabled over the API',
    });
    expect((await api('PATCH', `/v1/webhooks/${webhookId}`, { enabled: true, description: 'back' })).body.webhook).toMatchObject({
      enabled: true,
      disabledReason: null,
      description: 'back',
    });
    expect((await api('PATCH', `/v1/webhooks/${webhookId}`, { url: 'http://10.0.0.1/' })).status).toBe(400);
    expect((await api('DELETE', `/v1/webhooks/${webhookId}`)).status).toBe(204);
    expect((await api('GET', `/v1/webhooks/${webhookId}`)).status).toBe(404);
  });

  it('describes every route in /openapi.json, all but the pages for people and their assets', async () => {
    const doc = (await api('GET', '/openapi.json')).body;
    const { apiRoutes } = await import('../../src/http/app.js');
    const documented = apiRoutes.filter((route) => /^\/(v1\/|healthz$|openapi\.json$|schemas\/)/.test(route.path));
    expect(documented.length).toBeGreaterThan(20);
    for (const route of documented) expect(doc.paths[route.path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
    for (const route of apiRoutes.filter((r) => !documented.includes(r))) expect(doc.paths[route.path], route.path).toBeUndefined();
  });
});
