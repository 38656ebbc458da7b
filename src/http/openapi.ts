/** The API description served at GET /openapi.json; grows with every route. */

const error = { $ref: '#/components/schemas/Error' };
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: error } } });
const regionQuery = { name: 'regionId', in: 'query', required: true, schema: { type: 'string', example: 'cn-hangzhou' } };
const taskIdPath = { name: 'taskId', in: 'path', required: true, schema: { type: 'string', pattern: '^t-[A-Za-z0-9]+$' } };

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'taskhook',
    version: '0.1.0',
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
            properties: { code: { type: 'string' }, message: { type: 'string' }, requestId: { type: ['string', 'null'] } },
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
        summary: 'Look a task up live through DescribeTaskAttribute',
        parameters: [taskIdPath, regionQuery],
        responses: {
          200: {
            description: 'The normalized task',
            content: { 'application/json': { schema: { type: 'object', properties: { task: { $ref: '#/components/schemas/TaskSnapshot' }, source: { enum: ['live', 'cache'] } } } } },
          },
          400: errorResponse('MissingParameter, InvalidRegionId.NotFound or a malformed id'),
          401: errorResponse('Missing or wrong bearer token'),
          404: errorResponse('InvalidTaskId.NotFound'),
          429: errorResponse('ECS throttled the account; see Retry-After'),
          502: errorResponse('ECS failed'),
        },
      },
    },
  } as Record<string, unknown>,
};
