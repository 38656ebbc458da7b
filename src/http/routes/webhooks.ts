/** Webhook endpoints: register, inspect, change, rotate, test, recover. */
import { randomBytes } from 'node:crypto';
import { HttpError } from '../../errors.js';
import { deliveryId } from '../../webhooks/matching.js';
import type { Delivery } from '../../store/port.js';
import { attemptSend } from '../../webhooks/delivery.js';
import { createWebhook, publicWebhook, requireWebhook, rotateSecret, updateWebhook } from '../../webhooks/registry.js';
import type { ApiRoute } from '../app.js';
import { json, jsonBody, pageLimit, queryParam, timeParam } from '../request.js';

/** Svix's limit for a recovery window; older deliveries are replayed one event at a time. */
const MAX_RECOVER_WINDOW_MS = 14 * 24 * 3_600_000;

export const webhookRoutes: ApiRoute[] = [
  {
    method: 'POST',
    path: '/v1/webhooks',
    handler: async (event, deps) => {
      const { webhook, secret } = await createWebhook(deps.store, jsonBody(event), deps.webhookPolicy, deps.now());
      return json(201, { webhook: publicWebhook(webhook), secret, note: 'store the secret now: it is not shown again' });
    },
  },
  {
    method: 'GET',
    path: '/v1/webhooks',
    handler: async (_event, deps) => json(200, { webhooks: (await deps.store.listWebhooks()).map(publicWebhook) }),
  },
  {
    method: 'GET',
    path: '/v1/webhooks/{webhookId}',
    handler: async (event, deps) => json(200, { webhook: publicWebhook(await requireWebhook(deps.store, event.pathParameters?.webhookId)) }),
  },
  {
    method: 'PATCH',
    path: '/v1/webhooks/{webhookId}',
    handler: async (event, deps) => {
      const webhook = await updateWebhook(deps.store, event.pathParameters?.webhookId, jsonBody(event), deps.webhookPolicy, deps.now());
      return json(200, { webhook: publicWebhook(webhook) });
    },
  },
  {
    method: 'DELETE',
    path: '/v1/webhooks/{webhookId}',
    handler: async (event, deps) => {
      const webhook = await requireWebhook(deps.store, event.pathParameters?.webhookId);
      if (webhook.source === 'config') throw new HttpError(409, 'WebhookFromConfig', 'this webhook comes from TASKHOOK_WEBHOOKS; remove it there');
      await deps.store.deleteWebhook(webhook.id);
      return { statusCode: 204, headers: {}, body: '' };
    },
  },
  {
    method: 'POST',
    path: '/v1/webhooks/{webhookId}/rotate-secret',
    handler: async (event, deps) => {
      const { webhook, secret } = await rotateSecret(deps.store, event.pathParameters?.webhookId, deps.now());
      return json(200, { secret, previousSecretExpiresAt: webhook.secrets.previous?.expiresAt, note: 'both secrets sign every delivery until previousSecretExpiresAt' });
    },
  },
  {
    method: 'POST',
    path: '/v1/webhooks/{webhookId}/test',
    handler: async (event, deps) => {
      const webhook = await requireWebhook(deps.store, event.pathParameters?.webhookId);
      const now = new Date(deps.now()).toISOString();
      const ping = {
        specversion: '1.0',
        id: 'evt_test_' + randomBytes(10).toString('hex'),
        type: 'webhook.test',
        source: 'taskhook',
        subject: webhook.id,
        time: now,
        datacontenttype: 'application/json',
        data: { message: 'a test delivery from taskhook; answer 2xx to pass', webhookId: webhook.id },
      };
      const result = await attemptSend({ client: deps.webhookClient, now: deps.now }, webhook, ping.id, JSON.stringify(ping), 10_000);
      return json(200, { eventId: ping.id, ...result.attempt });
    },
  },
  {
    method: 'POST',
    path: '/v1/webhooks/{webhookId}/recover',
    handler: async (event, deps) => {
      const webhook = await requireWebhook(deps.store, event.pathParameters?.webhookId);
      const since = timeParam(event, 'since');
      if (!since) throw new HttpError(400, 'MissingParameter', 'since is required, e.g. ?since=2026-11-26T00:00:00Z');
      if (deps.now() - Date.parse(since) > MAX_RECOVER_WINDOW_MS) throw new HttpError(400, 'InvalidParameter', 'since may reach back at most 14 days');
      const failed: Delivery[] = [];
      let cursor: string | undefined;
      do {
        const page = await deps.store.listDeliveries({ webhookId: webhook.id, limit: 500, cursor });
        failed.push(...page.items.filter((d) => d.createdAt >= since && (d.status === 'dead' || (d.status === 'pending' && d.attempts > 0))));
        cursor = page.items.some((d) => d.createdAt < since) ? undefined : page.cursor;
      } while (cursor);
      const now = new Date(deps.now()).toISOString();
      const generation = deps.now();
      // Failing-but-pending ones are simply made due now; dead ones get a fresh delivery.
      for (const d of failed.filter((d) => d.status === 'pending')) await deps.store.rescheduleDelivery(d.id, now);
      const fresh = failed
        .filter((d) => d.status === 'dead')
        .map((d) => ({ id: deliveryId(d.eventId, webhook.id, generation), eventId: d.eventId, webhookId: webhook.id, regionId: d.regionId, taskId: d.taskId, sequence: d.sequence, dueAt: now, createdAt: now }));
      await deps.store.enqueueDeliveries(fresh);
      return json(202, { recovered: failed.length, deliveries: [...fresh.map((d) => d.id), ...failed.filter((d) => d.status === 'pending').map((d) => d.id)] });
    },
  },
  {
    method: 'GET',
    path: '/v1/webhooks/{webhookId}/attempts',
    handler: async (event, deps) => {
      const webhook = await requireWebhook(deps.store, event.pathParameters?.webhookId);
      const page = await deps.store.listAttempts({ webhookId: webhook.id, limit: pageLimit(event), cursor: queryParam(event, 'cursor') });
      return json(200, { attempts: page.items, cursor: page.cursor ?? null });
    },
  },
];
