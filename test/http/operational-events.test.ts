/** Operational events through the API: listed by type from the event log, and redelivered like task events. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import type { AppDeps } from '../../src/runtime.js';
import { startApi, type ApiHarness } from '../support/api.js';
import { operationalEvent, publishOperational } from '../../src/webhooks/operational.js';
import type { Receiver } from '../support/receiver.js';

const TOKEN = 'operational-token-0123456789abcdef';
let deps: AppDeps;
let receiver: Receiver;

let harness: ApiHarness;

beforeAll(async () => {
  harness = await startApi(TOKEN);
  ({ deps, receiver } = harness);
});

afterAll(() => harness.close());

const api = (method: string, path: string, body?: unknown) => harness.call(method, path, body);

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

    // Its delivery is still waiting: redelivery makes that one due now rather than queuing another.
    const again = await api('POST', `/v1/events/${first.id}/redeliver`);
    expect(again.status).toBe(202);
    expect(again.body.deliveries).toMatchObject([{ webhookId, id: shown.body.deliveries[0].id }]);
    expect((await api('GET', `/v1/events/${first.id}`)).body.deliveries).toHaveLength(1);
  });
});
