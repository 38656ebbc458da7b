/** The routes answered without a token: liveness and the API description. */
import { openApiDocument } from '../openapi.js';
import { json } from '../request.js';
import type { ApiRoute } from '../route.js';

export const systemRoutes: ApiRoute[] = [
  { method: 'GET', path: '/healthz', handler: async () => json(200, { ok: true }) },
  { method: 'GET', path: '/openapi.json', handler: async () => json(200, openApiDocument) },
];
