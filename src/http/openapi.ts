/**
 * The OpenAPI 3.1 document, generated from the route table: each route's schema description (./route.ts) and the
 * schemas of src/schema/. Served at GET /openapi.json with `servers` set to the origin it was asked at.
 */
import { z } from 'zod';
import { version } from '../../package.json';
import { errorAnswer } from '../schema/api/common.js';
import { jsonSchemaOf, namedSchemas, type JsonSchema } from '../schema/json-schema.js';
import type { ApiRoute, ResponseSpec, RouteSchema } from './route.js';

const component = (id: string) => `#/components/schemas/${id}`;
const ref = (id: string) => ({ $ref: component(id) });

const TAGS = [
  { name: 'Tasks', description: 'Live lookups and the watch list.' },
  { name: 'Events', description: 'The event log and redelivery.' },
  { name: 'Webhooks', description: 'Where events go, how they are signed, and what became of each attempt.' },
  { name: 'Runs', description: 'Poll runs: start one, and what the recent ones did.' },
  { name: 'System', description: 'Liveness and the descriptions of this API and of its events (no token needed).' },
];

/** The errors every route of a kind can answer, whatever else it says. */
const COMMON_ERRORS: Record<number, string> = {
  400: 'The input is wrong: `code` says how and `field` names it (MissingParameter, InvalidParameter, an unknown field or query parameter, a malformed id, InvalidCursor, InvalidBody)',
  401: 'Unauthorized: no bearer token, or not one from TASKHOOK_API_TOKENS',
  413: 'PayloadTooLarge: the body is over the size limit',
  415: 'UnsupportedMediaType: send the body as application/json',
  500: 'InternalError: the log line with this requestId has the details',
};

const HEADERS: Record<number, Record<string, string>> = {
  401: { 'www-authenticate': '`Bearer`' },
  429: { 'retry-after': 'seconds until ECS accepts the call again' },
};

const EXAMPLE_REQUEST_ID = 'c0a8f1e2-3b4d-4c5e-8f90-1a2b3c4d5e6f';

function idOf(schema: z.ZodType): string {
  const id = z.globalRegistry.get(schema)?.id;
  if (!id) throw new Error('a response body schema needs .meta({ id }) to become a component');
  return id;
}

/** The first example a schema's metadata gives, for the media type (renderers show it). */
const exampleOf = (schema: z.ZodType): unknown => (z.globalRegistry.get(schema)?.examples as unknown[] | undefined)?.[0];

function headersOf(names: Record<string, string> | undefined) {
  if (!names) return undefined;
  return Object.fromEntries(Object.entries(names).map(([name, description]) => [name, { description, schema: { type: 'string' } }]));
}

function response(spec: ResponseSpec) {
  const example = spec.body && exampleOf(spec.body);
  return {
    description: spec.description,
    ...(spec.headers && { headers: headersOf(spec.headers) }),
    ...(spec.body && { content: { 'application/json': { schema: ref(idOf(spec.body)), ...(example !== undefined && { example }) } } }),
  };
}

/** The code an example of each error status shows, unless its description starts with a code of its own. */
const EXAMPLE_CODES: Record<number, string> = {
  400: 'InvalidParameter',
  401: 'Unauthorized',
  404: 'NotFound',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'Throttling.User',
  500: 'InternalError',
  502: 'InternalError',
};

function errorResponse(status: number, description: string) {
  const code = /^([A-Z][a-z]+[A-Z][A-Za-z]*(\.[A-Za-z]+)?)\b/.exec(description)?.[1] ?? EXAMPLE_CODES[status] ?? 'InternalError';
  return {
    description,
    ...(HEADERS[status] && { headers: headersOf(HEADERS[status]) }),
    content: { 'application/json': { schema: ref(idOf(errorAnswer)), example: { error: { code, message: description, requestId: EXAMPLE_REQUEST_ID } } } },
  };
}

/** Every error status the route can answer: the common ones that apply to it, and its own. */
function errorsOf(schema: RouteSchema): Record<number, string> {
  const own = schema.errors ?? {};
  // Every route refuses a query parameter it does not name, so every route can answer 400.
  const out: Record<number, string> = {
    400: own[400] ? `${own[400]}; or ${COMMON_ERRORS[400].charAt(0).toLowerCase()}${COMMON_ERRORS[400].slice(1)}` : COMMON_ERRORS[400],
  };
  if (!schema.public) out[401] = COMMON_ERRORS[401];
  for (const [status, text] of Object.entries(own)) if (Number(status) !== 400) out[Number(status)] = text;
  if (schema.body) Object.assign(out, { 413: COMMON_ERRORS[413], ...(!schema.anyContentType && { 415: COMMON_ERRORS[415] }) });
  out[500] = COMMON_ERRORS[500];
  return out;
}

function parameters(object: z.ZodObject | undefined, where: 'path' | 'query') {
  if (!object) return [];
  return Object.entries(object.shape).map(([name, field]) => {
    const { description, ...schema } = jsonSchemaOf(field as z.ZodType, 'input');
    const required = where === 'path' || !(field as z.ZodType).safeParse(undefined).success;
    return { name, in: where, required, ...(typeof description === 'string' && { description }), schema };
  });
}

function operation(route: ApiRoute, schema: RouteSchema) {
  return {
    operationId: schema.operationId,
    summary: schema.summary,
    ...(schema.description && { description: schema.description }),
    tags: [schema.tag],
    security: schema.public ? [] : [{ bearer: [] }],
    parameters: [...parameters(schema.params, 'path'), ...parameters(schema.query, 'query')],
    ...(schema.body && {
      requestBody: {
        required: !schema.bodyOptional,
        content: {
          'application/json': { schema: jsonSchemaOf(schema.body, 'input'), ...(exampleOf(schema.body) !== undefined && { example: exampleOf(schema.body) }) },
        },
      },
    }),
    responses: {
      ...Object.fromEntries(Object.entries(schema.responses).map(([status, spec]) => [status, response(spec)])),
      ...Object.fromEntries(
        Object.entries(errorsOf(schema))
          .filter(([status]) => !(status in schema.responses))
          .map(([status, text]) => [status, errorResponse(Number(status), text)]),
      ),
    },
  };
}

export type OpenApiDocument = {
  openapi: '3.1.0';
  info: JsonSchema;
  servers: Array<{ url: string; description?: string }>;
  paths: Record<string, Record<string, ReturnType<typeof operation>>>;
  components: { securitySchemes: JsonSchema; schemas: Record<string, JsonSchema> };
} & JsonSchema;

/** The document of the routes that have a schema description; `origin` (e.g. https://x.fcapp.run) becomes `servers`. */
export function openApiDocument(routes: ApiRoute[], origin?: string): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    if (!route.schema) continue;
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route, route.schema);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'taskhook',
      version,
      summary: 'Signed webhooks when Alibaba Cloud ECS asynchronous tasks finish.',
      description:
        'Lookups, the watch list, webhooks, the event log and poll runs. Every route under /v1 needs `Authorization: Bearer <token>` (a token from TASKHOOK_API_TOKENS). Errors are `{"error":{"code","message","field","requestId"}}`. The delivered events are described at /schemas/ecs-task-event.json; people read this document at /docs.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: origin
      ? [{ url: origin, description: 'where this document was asked for' }]
      : [{ url: '/', description: 'the origin this document is served from' }],
    tags: TAGS,
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token from TASKHOOK_API_TOKENS (16+ characters)' } },
      schemas: namedSchemas(component),
    },
  };
}
