/** The routes answered without a token: liveness, the OpenAPI document, the event's JSON Schema, and the /docs page with its assets. */
import { openApiDocument as openApiBody, health, jsonSchemaDocument } from '../../schema/api/system.js';
import { EVENT_SCHEMA_PATH, eventJsonSchema } from '../../schema/event.js';
import { DOCS_PATH, docsPage, RENDERER_LICENSE_PATH, RENDERER_PATH, rendererAsset, rendererLicense } from '../docs/page.js';
import { openApiDocument, type OpenApiDocument } from '../openapi.js';
import { requestOrigin } from '../origin.js';
import { json } from '../request.js';
import type { ApiRoute } from '../route.js';
import { defineRoute } from '../validate.js';
import { resourceRoutes } from './index.js';

/** Built once per instance; only `servers` differs between requests. */
let document: OpenApiDocument | undefined;
let eventSchema: ReturnType<typeof eventJsonSchema> | undefined;

export const systemRoutes: ApiRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/healthz',
    schema: {
      operationId: 'health',
      summary: 'Liveness',
      tag: 'System',
      public: true,
      responses: { 200: { description: 'The function answers', body: health } },
    },
    handler: async () => json(200, { ok: true }),
  }),
  defineRoute({
    method: 'GET',
    path: '/openapi.json',
    schema: {
      operationId: 'openApiDocument',
      summary: 'This document',
      description: 'OpenAPI 3.1, generated from the route table; `servers` is the origin it was asked at. People read it at /docs.',
      tag: 'System',
      public: true,
      responses: { 200: { description: 'OpenAPI 3.1', body: openApiBody } },
    },
    handler: async (event) => {
      document ??= openApiDocument([...systemRoutes, ...resourceRoutes]);
      const origin = requestOrigin(event);
      return json(200, origin ? { ...document, servers: [{ url: origin, description: 'where this document was asked for' }] } : document);
    },
  }),
  defineRoute({
    method: 'GET',
    path: EVENT_SCHEMA_PATH,
    schema: {
      operationId: 'eventSchema',
      summary: 'The delivered event’s JSON Schema',
      description: 'The body of every webhook delivery (CloudEvents 1.0, structured JSON), as committed in schemas/ecs-task-event.json.',
      tag: 'System',
      public: true,
      responses: { 200: { description: 'JSON Schema draft 2020-12', body: jsonSchemaDocument } },
    },
    handler: async () => json(200, (eventSchema ??= eventJsonSchema())),
  }),
  { method: 'GET', path: DOCS_PATH, handler: async () => docsPage() },
  { method: 'GET', path: RENDERER_PATH, handler: async (event) => rendererAsset(event.headers['accept-encoding'], event.headers['if-none-match']) },
  { method: 'GET', path: RENDERER_LICENSE_PATH, handler: async () => rendererLicense() },
];
