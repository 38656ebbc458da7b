/** The API description served at GET /openapi.json; grows with every route. */
import { version } from '../../package.json';

const error = { $ref: '#/components/schemas/Error' };
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: error } } });
const regionQuery = { name: 'regionId', in: 'query', required: true, schema: { type: 'string', example: 'cn-hangzhou' } };
const taskIdPath = { name: 'taskId', in: 'path', required: true, schema: { type: 'string', pattern: '^t-[A-Za-z0-9]+$' } };
const pathId = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const paging = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
  { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'from the previous page' },
];
const jsonBody = (schema: unknown) => ({ required: true, content: { 'application/json': { schema } } });
const ok = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });
const webhookInput = {
  type: 'object',
  properties: {
    url: { type: 'string', format: 'uri', description: 'https, public address (SSRF-checked at registration and every send)' },
    description: { type: 'string', maxLength: 500 },
    events: {
      type: 'array',
      items: { type: 'string' },
      description: 'default: the completion events; "*" is every task event; webhook.disabled, webhook.recovered and delivery.exhausted only when named',
    },
    signing: {
      enum: ['hmac', 'ed25519'],
      default: 'hmac',
      description: 'POST only: hmac signs v1 with a shared whsec_ secret; ed25519 signs v1a, the receiver verifies with the public key',
    },
    filter: {
      type: 'object',
      properties: {
        regions: { type: 'array', items: { type: 'string' } },
        actions: { type: 'array', items: { type: 'string' } },
        taskIds: { type: 'array', items: { type: 'string' } },
      },
    },
    enabled: { type: 'boolean', description: 'PATCH only' },
  },
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'taskhook',
    version,
    description: 'Webhooks for Alibaba Cloud ECS asynchronous tasks: lookups, the watch list, webhooks and the event log.',
  },
  security: [{ bearer: [] }],
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token from TASKHOOK_API_TOKENS' } },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message', 'requestId'],
            properties: {
              code: { type: 'string', examples: ['InvalidTaskId.NotFound', 'WebhookNotFound', 'InvalidWebhookUrl.BlockedAddress'] },
              message: { type: 'string' },
              field: { type: 'string', description: 'the input that is wrong, when the error names one', examples: ['regionId', 'url', 'filter.regions'] },
              requestId: { type: ['string', 'null'] },
            },
          },
        },
      },
      TaskSnapshot: {
        type: 'object',
        required: ['id', 'regionId', 'action', 'status', 'outcome', 'terminal', 'observedAt'],
        properties: {
          id: { type: 'string' },
          regionId: { type: 'string' },
          action: { type: 'string', examples: ['ExportImage', 'ImportImage', 'ModifyDiskSpec'] },
          status: { type: 'string', description: 'TaskStatus as ECS reported it' },
          outcome: { enum: ['pending', 'running', 'paused', 'succeeded', 'partially_failed', 'failed', 'cancelled', 'not_found', 'unknown'] },
          terminal: { type: 'boolean' },
          progress: { type: ['number', 'null'], minimum: 0, maximum: 100 },
          supportCancel: { type: 'boolean' },
          createdAt: { type: ['string', 'null'], format: 'date-time' },
          finishedAt: { type: ['string', 'null'], format: 'date-time' },
          durationSeconds: { type: ['number', 'null'] },
          counts: {
            type: ['object', 'null'],
            properties: { total: { type: 'integer' }, succeeded: { type: 'integer' }, failed: { type: 'integer' } },
          },
          operations: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                status: { type: ['string', 'null'] },
                errorCode: { type: ['string', 'null'] },
                errorMessage: { type: ['string', 'null'] },
                relatedItems: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, value: { type: 'string' } } } },
              },
            },
          },
          resourceId: { type: ['string', 'null'] },
          requestId: { type: ['string', 'null'] },
          observedAt: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
  paths: {
    '/healthz': { get: { summary: 'Liveness', security: [], responses: { 200: { description: 'ok' } } } },
    '/openapi.json': { get: { summary: 'This document', security: [], responses: { 200: { description: 'OpenAPI 3.1' } } } },
    '/v1/tasks/{taskId}': {
      get: {
        summary: 'Look a task up live through DescribeTaskAttribute (or its last-seen state with cached=1)',
        parameters: [taskIdPath, regionQuery, { name: 'cached', in: 'query', schema: { enum: ['1'] } }],
        responses: {
          200: {
            description: 'The normalized task',
            content: {
              'application/json': {
                schema: { type: 'object', properties: { task: { $ref: '#/components/schemas/TaskSnapshot' }, source: { enum: ['live', 'cache'] } } },
              },
            },
          },
          400: errorResponse('MissingParameter, InvalidRegionId.NotFound or a malformed id'),
          401: errorResponse('Missing or wrong bearer token'),
          404: errorResponse('InvalidTaskId.NotFound'),
          429: errorResponse('ECS throttled the account; see Retry-After'),
          502: errorResponse('ECS failed'),
        },
      },
      delete: {
        summary: 'Stop watching a task',
        parameters: [taskIdPath, regionQuery],
        responses: { 204: { description: 'no longer watched' }, 404: errorResponse('not watched through the API') },
      },
    },
    '/v1/tasks': {
      get: { summary: 'The watch list with last-seen state', parameters: paging, responses: { 200: ok('{tasks, cursor}') } },
      post: {
        summary: 'Watch a task (watching twice is not an error)',
        requestBody: jsonBody({ type: 'object', required: ['regionId', 'taskId'], properties: { regionId: { type: 'string' }, taskId: { type: 'string' } } }),
        responses: { 201: ok('watched'), 200: ok('already watched'), 400: errorResponse('malformed ids') },
      },
    },
    '/v1/events': {
      get: {
        summary: 'The event log, newest first',
        parameters: [
          ...paging,
          { name: 'taskId', in: 'query', schema: { type: 'string' } },
          { name: 'regionId', in: 'query', schema: { type: 'string' } },
          { name: 'type', in: 'query', schema: { type: 'string' } },
        ],
        responses: { 200: ok('{events, cursor}') },
      },
    },
    '/v1/events/{eventId}': {
      get: {
        summary: 'One event with its deliveries and attempts',
        parameters: [pathId('eventId')],
        responses: { 200: ok('{event, deliveries, attempts}'), 404: errorResponse('no such event') },
      },
    },
    '/v1/events/{eventId}/redeliver': {
      post: {
        summary: 'Deliver again, to every matching webhook or to {"webhookId"}',
        parameters: [pathId('eventId')],
        responses: { 202: ok('{deliveries}'), 404: errorResponse('no such event or webhook'), 409: errorResponse('no enabled webhook to send to') },
      },
    },
    '/v1/webhooks': {
      get: { summary: 'All webhooks (without secrets)', responses: { 200: ok('{webhooks}') } },
      post: {
        summary: 'Register a webhook; the answer holds its secret (hmac, shown only here) or its public key (ed25519)',
        requestBody: jsonBody({ ...webhookInput, required: ['url'] }),
        responses: {
          201: ok('{webhook, secret} or, for ed25519, {webhook, publicKey, algorithm}'),
          400: errorResponse('invalid or blocked URL, unknown event type, bad filter, unknown signing'),
        },
      },
    },
    '/v1/webhooks/{webhookId}': {
      get: { summary: 'One webhook', parameters: [pathId('webhookId')], responses: { 200: ok('{webhook}'), 404: errorResponse('no such webhook') } },
      patch: {
        summary: 'Change url, description, events, filter or enabled',
        parameters: [pathId('webhookId')],
        requestBody: jsonBody(webhookInput),
        responses: { 200: ok('{webhook}'), 400: errorResponse('invalid change'), 409: errorResponse('a webhook from TASKHOOK_WEBHOOKS') },
      },
      delete: {
        summary: 'Remove a webhook',
        parameters: [pathId('webhookId')],
        responses: { 204: { description: 'removed' }, 404: errorResponse('no such webhook') },
      },
    },
    '/v1/webhooks/{webhookId}/rotate-secret': {
      post: {
        summary: 'A new secret (or Ed25519 key pair); every earlier one keeps signing for 24 h after the rotation that replaced it',
        parameters: [pathId('webhookId')],
        responses: { 200: ok('{secret, previousSecretExpiresAt} or, for ed25519, {publicKey, algorithm, previousKeyExpiresAt}') },
      },
    },
    '/v1/webhooks/{webhookId}/public-key': {
      get: {
        summary: 'The Ed25519 public key that verifies this webhook’s v1a signatures (Standard Webhooks whpk_ form)',
        parameters: [pathId('webhookId')],
        responses: {
          200: {
            description: 'The current key, and earlier keys still signing after a rotation',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['publicKey', 'algorithm'],
                  properties: {
                    publicKey: { type: 'string', pattern: '^whpk_[A-Za-z0-9+/]{43}=$', description: 'whpk_ + base64 of the raw 32-byte key' },
                    algorithm: { const: 'ed25519' },
                    previous: {
                      type: 'array',
                      items: { type: 'object', properties: { publicKey: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } } },
                    },
                  },
                },
              },
            },
          },
          404: errorResponse('no such webhook'),
          409: errorResponse('WebhookNotAsymmetric: the webhook signs with HMAC'),
        },
      },
    },
    '/v1/webhooks/{webhookId}/test': {
      post: {
        summary: 'Send a signed webhook.test ping and answer the attempt',
        parameters: [pathId('webhookId')],
        responses: { 200: ok('{eventId, status, success, durationMs, error, responseSnippet}') },
      },
    },
    '/v1/webhooks/{webhookId}/recover': {
      post: {
        summary: 'Deliver again every failed or dead delivery since a time (at most 14 days back)',
        parameters: [pathId('webhookId'), { name: 'since', in: 'query', required: true, schema: { type: 'string', format: 'date-time' } }],
        responses: { 202: ok('{recovered, deliveries}'), 400: errorResponse('since missing or too old') },
      },
    },
    '/v1/webhooks/{webhookId}/attempts': {
      get: { summary: 'The attempt log, newest first', parameters: [pathId('webhookId'), ...paging], responses: { 200: ok('{attempts, cursor}') } },
    },
    '/v1/poll': { post: { summary: 'Run a poll cycle now', responses: { 200: ok('{summary}'), 409: ok('another run holds the lease') } } },
  } as Record<string, Record<string, unknown>>,
};
