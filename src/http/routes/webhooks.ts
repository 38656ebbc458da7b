/** Webhook endpoints: register, inspect, change, rotate, test, recover. */
import { HttpError } from '../../errors.js';
import { createWebhook, publicWebhook, requireWebhook, rotateSecret, updateWebhook } from '../../webhooks/registry.js';
import { recover, sendTestPing } from '../../webhooks/replay.js';
import type { ApiRoute } from '../app.js';
import { json, jsonBody, pageLimit, queryParam, timeParam } from '../request.js';

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
      return json(200, await sendTestPing(deps.webhookClient, webhook, deps.now));
    },
  },
  {
    method: 'POST',
    path: '/v1/webhooks/{webhookId}/recover',
    handler: async (event, deps) => {
      const webhook = await requireWebhook(deps.store, event.pathParameters?.webhookId);
      const since = timeParam(event, 'since');
      if (!since) throw new HttpError(400, 'MissingParameter', 'since is required, e.g. ?since=2026-11-26T00:00:00Z');
      const deliveries = await recover(deps.store, webhook, since, deps.now());
      return json(202, { recovered: deliveries.length, deliveries });
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
