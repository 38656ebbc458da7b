/** Webhook endpoints: register, inspect, change, rotate, public key, test, recover. */
import { ConflictError, InvalidInputError } from '../../errors.js';
import { createWebhook, publicWebhook, receiverKey, requireWebhook, rotateSecret, updateWebhook } from '../../webhooks/registry.js';
import { unexpiredPrevious } from '../../webhooks/secrets.js';
import { recover, sendTestPing } from '../../webhooks/replay.js';
import { json, jsonBody, pageLimit, queryParam, timeParam } from '../request.js';
import type { ApiRoute } from '../route.js';

export const webhookRoutes: ApiRoute[] = [
  {
    method: 'POST',
    path: '/v1/webhooks',
    handler: async (event) => {
      const { webhook, secret, publicKey } = await createWebhook(event.deps.store, jsonBody(event), event.deps.webhookPolicy, event.deps.now());
      // Ed25519: the receiver gets the public key only; the secret key never leaves taskhook.
      if (publicKey) return json(201, { webhook: publicWebhook(webhook), publicKey, algorithm: 'ed25519', note: 'verify v1a signatures with this key' });
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
      const { secret, publicKey, previousExpiresAt } = await rotateSecret(event.deps.store, event.pathParameters?.webhookId, event.deps.now());
      if (publicKey) {
        return json(200, {
          publicKey,
          algorithm: 'ed25519',
          previousKeyExpiresAt: previousExpiresAt,
          note: 'every earlier key still signs (one v1a entry each) until its own 24 h are over',
        });
      }
      return json(200, {
        secret,
        previousSecretExpiresAt: previousExpiresAt,
        note: 'every earlier secret still signs (one v1 entry each) until its own 24 h are over',
      });
    },
  },
  {
    method: 'GET',
    path: '/v1/webhooks/{webhookId}/public-key',
    handler: async (event) => {
      const webhook = await requireWebhook(event.deps.store, event.pathParameters?.webhookId);
      const { publicKey } = receiverKey(webhook.secrets.current);
      if (!publicKey) throw new ConflictError('WebhookNotAsymmetric', 'this webhook signs with a shared HMAC secret; create one with {"signing":"ed25519"}');
      const now = event.deps.now();
      // Keys from before a rotation still sign until their overlap ends: a receiver may trust them until then.
      const previous = unexpiredPrevious(webhook.secrets, now).map((p) => ({ publicKey: receiverKey(p.secret).secret, expiresAt: p.expiresAt }));
      return json(200, { publicKey, algorithm: 'ed25519', previous });
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
