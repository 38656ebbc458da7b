/** Webhook endpoints: register, inspect, change, rotate, test, recover. */
import { ConflictError, InvalidInputError } from '../../errors.js';
import { createWebhook, publicWebhook, requireWebhook, rotateSecret, updateWebhook } from '../../webhooks/registry.js';
import { recover, sendTestPing } from '../../webhooks/replay.js';
import { json, jsonBody, pageLimit, queryParam, timeParam } from '../request.js';
import type { ApiRoute } from '../route.js';

export const webhookRoutes: ApiRoute[] = [
  {
    method: 'POST',
    path: '/v1/webhooks',
    handler: async (event) => {
      const { webhook, secret } = await createWebhook(event.deps.store, jsonBody(event), event.deps.webhookPolicy, event.deps.now());
      return json(201, { webhook: publicWebhook(webhook), secret, note: 'store the secret now: it is not shown again' });
    },
  },
  {
    method: 'GET',
    path: '/v1/webhooks',
    handler: async ({ deps }) => json(200, { webhooks: (await deps.store.listWebhooks()).map(publicWebhook) }),
  },
  {
    method: 'GET',
    path: '/v1/webhooks/{webhookId}',
    handler: async (event) => json(200, { webhook: publicWebhook(await requireWebhook(event.deps.store, event.pathParameters?.webhookId)) }),
  },
  {
    method: 'PATCH',
    path: '/v1/webhooks/{webhookId}',
    handler: async (event) => {
      const webhook = await updateWebhook(event.deps.store, event.pathParameters?.webhookId, jsonBody(event), event.deps.webhookPolicy, event.deps.now());
      return json(200, { webhook: publicWebhook(webhook) });
    },
  },
  {
    method: 'DELETE',
    path: '/v1/webhooks/{webhookId}',
    handler: async (event) => {
      const webhook = await requireWebhook(event.deps.store, event.pathParameters?.webhookId);
      if (webhook.source === 'config') throw new ConflictError('WebhookFromConfig', 'this webhook comes from TASKHOOK_WEBHOOKS; remove it there');
      await event.deps.store.deleteWebhook(webhook.id);
      return { statusCode: 204, headers: {}, body: '' };
    },
  },
  {
    method: 'POST',
    path: '/v1/webhooks/{webhookId}/rotate-secret',
    handler: async (event) => {
      const { webhook, secret } = await rotateSecret(event.deps.store, event.pathParameters?.webhookId, event.deps.now());
      return json(200, {
        secret,
        previousSecretExpiresAt: webhook.secrets.previous?.expiresAt,
        note: 'both secrets sign every delivery until previousSecretExpiresAt',
      });
    },
  },
  {
    method: 'POST',
    path: '/v1/webhooks/{webhookId}/test',
    handler: async (event) => {
      const webhook = await requireWebhook(event.deps.store, event.pathParameters?.webhookId);
      return json(200, await sendTestPing(event.deps.webhookClient, webhook, event.deps.now));
    },
  },
  {
    method: 'POST',
    path: '/v1/webhooks/{webhookId}/recover',
    handler: async (event) => {
      const webhook = await requireWebhook(event.deps.store, event.pathParameters?.webhookId);
      const since = timeParam(event, 'since');
      if (!since) throw new InvalidInputError('MissingParameter', 'since is required, e.g. ?since=2026-11-26T00:00:00Z', 'since');
      const deliveries = await recover(event.deps.store, webhook, since, event.deps.now());
      return json(202, { recovered: deliveries.length, deliveries });
    },
  },
  {
    method: 'GET',
    path: '/v1/webhooks/{webhookId}/attempts',
    handler: async (event) => {
      const webhook = await requireWebhook(event.deps.store, event.pathParameters?.webhookId);
      const page = await event.deps.store.listAttempts({ webhookId: webhook.id, limit: pageLimit(event), cursor: queryParam(event, 'cursor') });
      return json(200, { attempts: page.items, cursor: page.cursor ?? null });
    },
  },
];
