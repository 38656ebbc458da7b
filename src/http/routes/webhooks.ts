/** Webhook endpoints: register, inspect, change, rotate, public key, test, recover. */
import { ConflictError } from '../../errors.js';
import {
  attemptList,
  createWebhookBody,
  listAttemptsQuery,
  publicKeys,
  recovered,
  recoverQuery,
  secretRotated,
  testPing,
  updateWebhookBody,
  webhookCreated,
  webhookList,
  webhookOne,
  webhookPath,
} from '../../schema/api/webhooks.js';
import { createWebhook, publicWebhook, receiverKey, requireWebhook, rotateSecret, updateWebhook } from '../../webhooks/registry.js';
import { unexpiredPrevious } from '../../webhooks/secrets.js';
import { admitReplay } from '../replay-limit.js';
import { recover, sendTestPing } from '../../webhooks/replay.js';
import { json } from '../request.js';
import type { ApiRoute } from '../route.js';
import { defineRoute } from '../validate.js';

const NOT_FOUND = { 404: 'WebhookNotFound' };
const FROM_CONFIG = 'WebhookFromConfig: the webhook comes from TASKHOOK_WEBHOOKS; change it there';

export const webhookRoutes: ApiRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/v1/webhooks',
    schema: {
      operationId: 'createWebhook',
      summary: 'Register a webhook',
      description:
        'The answer holds its secret (hmac: `whsec_…`, shown only here) or its public key (ed25519: `whpk_…`). The URL must be https to a public address: it is checked at registration and at every send.',
      tag: 'Webhooks',
      body: createWebhookBody,
      responses: { 201: { description: 'Registered', body: webhookCreated } },
      errors: {
        400: 'InvalidWebhookUrl[.Scheme/.Credentials/.BlockedAddress/.Unresolvable], InvalidEvents, InvalidFilter, InvalidDescription, InvalidSigning, an unknown field',
      },
    },
    handler: async ({ input, deps }) => {
      const { webhook, secret, publicKey } = await createWebhook(deps.store, input.body, deps.webhookPolicy, deps.now());
      // Ed25519: the receiver gets the public key only; the secret key never leaves taskhook.
      if (publicKey) return json(201, { webhook: publicWebhook(webhook), publicKey, algorithm: 'ed25519', note: 'verify v1a signatures with this key' });
      return json(201, { webhook: publicWebhook(webhook), secret, note: 'store the secret now: it is not shown again' });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/webhooks',
    schema: {
      operationId: 'listWebhooks',
      summary: 'All webhooks',
      description: 'Without their secrets, oldest first.',
      tag: 'Webhooks',
      responses: { 200: { description: 'Every webhook', body: webhookList } },
    },
    handler: async ({ deps }) => json(200, { webhooks: (await deps.store.listWebhooks()).map(publicWebhook) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/webhooks/{webhookId}',
    schema: {
      operationId: 'getWebhook',
      summary: 'One webhook',
      tag: 'Webhooks',
      params: webhookPath,
      responses: { 200: { description: 'The webhook', body: webhookOne } },
      errors: NOT_FOUND,
    },
    handler: async ({ input, deps }) => json(200, { webhook: publicWebhook(await requireWebhook(deps.store, input.params.webhookId)) }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/webhooks/{webhookId}',
    schema: {
      operationId: 'updateWebhook',
      summary: 'Change a webhook',
      description: 'Its url, description, events, filter, or enabled (`{"enabled": true}` turns a disabled one back on).',
      tag: 'Webhooks',
      params: webhookPath,
      body: updateWebhookBody,
      responses: { 200: { description: 'The webhook as changed', body: webhookOne } },
      errors: { ...NOT_FOUND, 409: `${FROM_CONFIG} (enabled and description may be changed here)` },
    },
    handler: async ({ input, deps }) => {
      const webhook = await updateWebhook(deps.store, input.params.webhookId, input.body, deps.webhookPolicy, deps.now());
      return json(200, { webhook: publicWebhook(webhook) });
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/webhooks/{webhookId}',
    schema: {
      operationId: 'deleteWebhook',
      summary: 'Remove a webhook',
      tag: 'Webhooks',
      params: webhookPath,
      responses: { 204: { description: 'Removed' } },
      errors: { ...NOT_FOUND, 409: FROM_CONFIG },
    },
    handler: async ({ input, deps }) => {
      const webhook = await requireWebhook(deps.store, input.params.webhookId);
      if (webhook.source === 'config') throw new ConflictError('WebhookFromConfig', 'this webhook comes from TASKHOOK_WEBHOOKS; remove it there');
      await deps.store.deleteWebhook(webhook.id);
      return { statusCode: 204, headers: {}, body: '' };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/webhooks/{webhookId}/rotate-secret',
    schema: {
      operationId: 'rotateWebhookSecret',
      summary: 'Rotate the secret',
      description: 'A new secret (or Ed25519 key pair); every earlier one keeps signing for 24 h after the rotation that replaced it.',
      tag: 'Webhooks',
      params: webhookPath,
      responses: { 200: { description: 'The new secret or public key', body: secretRotated } },
      errors: { ...NOT_FOUND, 409: FROM_CONFIG },
    },
    handler: async ({ input, deps }) => {
      const { secret, publicKey, previousExpiresAt } = await rotateSecret(deps.store, input.params.webhookId, deps.now());
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
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/webhooks/{webhookId}/public-key',
    schema: {
      operationId: 'getWebhookPublicKey',
      summary: 'The Ed25519 public key',
      description: 'The key that verifies this webhook’s v1a signatures (Standard Webhooks `whpk_` form), and earlier keys still signing.',
      tag: 'Webhooks',
      params: webhookPath,
      responses: { 200: { description: 'The current key and earlier ones still signing', body: publicKeys } },
      errors: { ...NOT_FOUND, 409: 'WebhookNotAsymmetric: the webhook signs with a shared HMAC secret' },
    },
    handler: async ({ input, deps }) => {
      const webhook = await requireWebhook(deps.store, input.params.webhookId);
      const { publicKey } = receiverKey(webhook.secrets.current);
      if (!publicKey) throw new ConflictError('WebhookNotAsymmetric', 'this webhook signs with a shared HMAC secret; create one with {"signing":"ed25519"}');
      const now = deps.now();
      // Keys from before a rotation still sign until their overlap ends: a receiver may trust them until then.
      const previous = unexpiredPrevious(webhook.secrets, now).map((p) => ({ publicKey: receiverKey(p.secret).secret, expiresAt: p.expiresAt }));
      return json(200, { publicKey, algorithm: 'ed25519', previous });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/webhooks/{webhookId}/test',
    schema: {
      operationId: 'testWebhook',
      summary: 'Send a test ping',
      description: 'A signed `webhook.test` event, sent at once; the answer is the attempt (nothing is stored).',
      tag: 'Webhooks',
      params: webhookPath,
      responses: { 200: { description: 'The attempt', body: testPing } },
      errors: NOT_FOUND,
    },
    handler: async ({ input, deps }) => {
      const webhook = await requireWebhook(deps.store, input.params.webhookId);
      return json(200, await sendTestPing(deps.webhookClient, webhook, deps.now));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/webhooks/{webhookId}/recover',
    schema: {
      operationId: 'recoverWebhook',
      summary: 'Deliver failures again',
      description: 'Every failed or dead delivery of the webhook since a time (at most 14 days back) is due again.',
      tag: 'Webhooks',
      params: webhookPath,
      query: recoverQuery,
      responses: { 202: { description: 'The deliveries now due', body: recovered } },
      errors: {
        400: 'MissingParameter (since), or since is not a time or more than 14 days back',
        ...NOT_FOUND,
        429: 'TooManyReplays: more than 30 replays a minute with this token (Retry-After)',
      },
    },
    handler: async ({ input, deps, headers }) => {
      admitReplay({ headers }, deps.now());
      const webhook = await requireWebhook(deps.store, input.params.webhookId);
      const deliveries = await recover(deps.store, webhook, input.query.since, deps.now());
      return json(202, { recovered: deliveries.length, deliveries });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/webhooks/{webhookId}/attempts',
    schema: {
      operationId: 'listWebhookAttempts',
      summary: 'The attempt log',
      description: 'Every delivery attempt to the webhook, newest first.',
      tag: 'Webhooks',
      params: webhookPath,
      query: listAttemptsQuery,
      responses: { 200: { description: 'A page of attempts', body: attemptList } },
      errors: NOT_FOUND,
    },
    handler: async ({ input, deps }) => {
      const webhook = await requireWebhook(deps.store, input.params.webhookId);
      const page = await deps.store.listAttempts({ webhookId: webhook.id, ...input.query });
      return json(200, { attempts: page.items, cursor: page.cursor ?? null });
    },
  }),
];
