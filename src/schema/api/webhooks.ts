/** Webhook routes: registration, changes, secrets and keys, the test ping, recovery and the attempt log. */
import { z } from 'zod';
import { SUBSCRIBABLE_EVENT_TYPES } from '../../tasks/events.js';
import { withRule } from '../rules.js';
import { isoTime } from '../snapshot.js';
import { cursorField, cursorOf, limit, timeParam, webhookId } from './common.js';
import { deliveryAttempt, EXAMPLE_ATTEMPT } from './events.js';

const eventChoices = `${SUBSCRIBABLE_EVENT_TYPES.join(', ')} (or "*")`;

const url = withRule(
  z
    .string()
    .min(1)
    .meta({
      description: 'absolute https URL of a public address (SSRF-checked at registration and at every send)',
      examples: ['https://example.com/hooks/taskhook'],
    }),
  { code: 'InvalidWebhookUrl', message: () => '"url" must be a URL such as https://example.com/hooks/taskhook', example: 'https://example.com/hooks/taskhook' },
);
const description = withRule(
  z
    .string()
    .max(500)
    .nullable()
    .meta({ examples: ['ops on-call'] }),
  {
    code: 'InvalidDescription',
    message: () => '"description" must be a string of at most 500 characters',
  },
);
const events = withRule(
  z
    .array(z.enum([...SUBSCRIBABLE_EVENT_TYPES, '*']))
    .min(1)
    .meta({
      description:
        'default: the completion events; "*" is every task event; webhook.disabled, webhook.recovered, delivery.exhausted, poller.blocked and poller.resumed only when named',
      examples: [['ecs.task.succeeded', 'ecs.task.failed']],
    }),
  { code: 'InvalidEvents', message: () => `"events" must be a non-empty list of: ${eventChoices}` },
);
const filterList = (what: string) =>
  withRule(z.array(z.string()).meta({ description: `only events of these ${what}` }), {
    code: 'InvalidFilter',
    message: (_, field) => `"${field}" must be a list of strings`,
  });
const filterInput = withRule(
  z
    .strictObject({ regions: filterList('regions').optional(), actions: filterList('actions').optional(), taskIds: filterList('task ids').optional() })
    .nullable()
    .meta({ examples: [{ regions: ['cn-hangzhou'] }] }),
  { code: 'InvalidFilter', message: () => '"filter" must be an object like {"regions":["cn-hangzhou"],"actions":["ExportImage"],"taskIds":[]}' },
);
const signing = withRule(
  z
    .enum(['hmac', 'ed25519'])
    .meta({ description: 'hmac signs v1 with a shared whsec_ secret; ed25519 signs v1a, verified with the public key', default: 'hmac' }),
  { code: 'InvalidSigning', message: () => '"signing" must be one of hmac, ed25519' },
);
const enabled = withRule(z.boolean().meta({ description: 'false disables the webhook; true turns it back on (and clears its failure record)' }), {
  code: 'InvalidEnabled',
  message: () => '"enabled" must be true or false',
});

export const createWebhookBody = z
  .strictObject({ url, description: description.optional(), events: events.optional(), signing: signing.optional(), filter: filterInput.optional() })
  .meta({ examples: [{ url: 'https://example.com/hooks/taskhook', events: ['ecs.task.succeeded', 'ecs.task.failed'], filter: { regions: ['cn-hangzhou'] } }] });
export const updateWebhookBody = z
  .strictObject({
    url: url.optional(),
    description: description.optional(),
    events: events.optional(),
    filter: filterInput.optional(),
    enabled: enabled.optional(),
  })
  .meta({ examples: [{ enabled: true }] });
export const webhookPath = z.strictObject({ webhookId });
export const recoverQuery = z.strictObject({ since: timeParam('since', '2026-11-26T00:00:00Z') });
export const listAttemptsQuery = z.strictObject({ limit, cursor: cursorOf('attempts') });

const EXAMPLE_WEBHOOK = {
  id: 'wh_3f2a9c0d1e4b5a6978c0d1e2',
  url: 'https://example.com/hooks/taskhook',
  description: 'ops on-call',
  events: ['ecs.task.succeeded', 'ecs.task.failed'],
  filter: { regions: ['cn-hangzhou'] },
  enabled: true,
  disabledReason: null,
  source: 'api' as const,
  failingSince: null,
  createdAt: '2026-11-26T09:00:00.000Z',
  updatedAt: '2026-11-26T09:00:00.000Z',
  signing: 'hmac' as const,
  secretRotation: null,
};

export const webhook = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(z.string()),
    filter: z.object({ regions: z.array(z.string()).optional(), actions: z.array(z.string()).optional(), taskIds: z.array(z.string()).optional() }),
    enabled: z.boolean(),
    disabledReason: z.string().nullable().meta({ description: 'why it is disabled (a 410, 5 days of failures, or over the API)' }),
    source: z.enum(['api', 'config']).meta({ description: 'config: from TASKHOOK_WEBHOOKS, changed there' }),
    failingSince: isoTime.nullable().meta({ description: 'when the current run of failures began; null while healthy' }),
    createdAt: isoTime,
    updatedAt: isoTime,
    signing: z.enum(['hmac', 'ed25519']),
    secretRotation: z
      .object({ previousExpiresAt: isoTime, previousSecrets: z.int().min(1) })
      .nullable()
      .meta({ description: 'earlier secrets still signing after a rotation, and when the newest of them stops' }),
  })
  .meta({ id: 'Webhook', description: 'A webhook as the API shows it: never its secrets.', examples: [EXAMPLE_WEBHOOK] });

const hmacSecret = z.string().meta({ description: '`whsec_` + base64 of 32 random bytes; shown only in this answer', examples: ['whsec_…'] });
const publicKey = z.string().meta({ description: '`whpk_` + base64 of the raw 32-byte Ed25519 public key', examples: ['whpk_…'] });

export const webhookCreated = z
  .union([z.object({ webhook, secret: hmacSecret, note: z.string() }), z.object({ webhook, publicKey, algorithm: z.literal('ed25519'), note: z.string() })])
  .meta({
    id: 'WebhookCreated',
    description: 'The new webhook with its secret (hmac, shown only here) or its public key (ed25519).',
    examples: [{ webhook: EXAMPLE_WEBHOOK, secret: 'whsec_…', note: 'store the secret now: it is not shown again' }],
  });
export const webhookList = z
  .object({ webhooks: z.array(webhook) })
  .meta({ id: 'WebhookList', description: 'Oldest first.', examples: [{ webhooks: [EXAMPLE_WEBHOOK] }] });
export const webhookOne = z.object({ webhook }).meta({ id: 'WebhookOne', examples: [{ webhook: EXAMPLE_WEBHOOK }] });
export const secretRotated = z
  .union([
    z.object({ secret: hmacSecret, previousSecretExpiresAt: isoTime, note: z.string() }),
    z.object({ publicKey, algorithm: z.literal('ed25519'), previousKeyExpiresAt: isoTime, note: z.string() }),
  ])
  .meta({
    id: 'SecretRotated',
    description: 'The new secret (or key pair’s public key); every earlier one keeps signing for 24 h after the rotation that replaced it.',
    examples: [
      {
        secret: 'whsec_…',
        previousSecretExpiresAt: '2026-11-28T10:00:00.000Z',
        note: 'every earlier secret still signs (one v1 entry each) until its own 24 h are over',
      },
    ],
  });
export const publicKeys = z.object({ publicKey, algorithm: z.literal('ed25519'), previous: z.array(z.object({ publicKey, expiresAt: isoTime })) }).meta({
  id: 'PublicKeys',
  description: 'The key that verifies v1a signatures, and earlier keys still signing after a rotation.',
  examples: [{ publicKey: 'whpk_…', algorithm: 'ed25519', previous: [] }],
});
export const testPing = z
  .object({
    eventId: z.string(),
    at: isoTime,
    status: z.int().nullable(),
    durationMs: z.number().min(0),
    success: z.boolean(),
    error: z.string().nullable(),
    responseSnippet: z.string(),
  })
  .meta({
    id: 'TestPing',
    description: 'The attempt of a signed webhook.test ping; nothing is stored.',
    examples: [
      {
        eventId: 'evt_test_4f1c2b9a8e7d6c5b4a30',
        at: '2026-11-27T10:00:00.000Z',
        status: 204,
        durationMs: 42,
        success: true,
        error: null,
        responseSnippet: '',
      },
    ],
  });
export const recovered = z.object({ recovered: z.int().min(0), deliveries: z.array(z.string()).meta({ description: 'the delivery ids due now' }) }).meta({
  id: 'Recovered',
  description: 'Failed and dead deliveries since the time, due again; the next poll run sends them.',
  examples: [{ recovered: 1, deliveries: ['dlv_0b9e3c1d7a2f4e8c6b5a1d0e9f'] }],
});
export const attemptList = z
  .object({ attempts: z.array(deliveryAttempt), cursor: cursorField })
  .meta({ id: 'AttemptList', examples: [{ attempts: [EXAMPLE_ATTEMPT], cursor: null }] });
