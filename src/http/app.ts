/** The API handler: middy + http-router over the FC 3.0 HTTP event, bearer auth, JSON errors. */
import middy from '@middy/core';
import httpRouterHandler, { type Route } from '@middy/http-router';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { AppDeps, InvocationContext } from '../runtime.js';
import { bearerAuth } from './auth.js';
import { errorResponses } from './errors.js';
import { fcHttpEvent } from './fc-event.js';
import { openApiDocument } from './openapi.js';
import { json, type ApiResponse } from './request.js';
import { eventRoutes } from './routes/events.js';
import { pollRoutes } from './routes/poll.js';
import { taskRoutes } from './routes/tasks.js';
import { webhookRoutes } from './routes/webhooks.js';

export interface ApiRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  handler: (event: APIGatewayProxyEventV2, deps: AppDeps) => Promise<ApiResponse>;
}

const systemRoutes: ApiRoute[] = [
  { method: 'GET', path: '/healthz', handler: async () => json(200, { ok: true }) },
  { method: 'GET', path: '/openapi.json', handler: async () => json(200, openApiDocument) },
];

export const apiRoutes: ApiRoute[] = [...systemRoutes, ...taskRoutes, ...eventRoutes, ...webhookRoutes, ...pollRoutes];

type DepsSource = (context: InvocationContext) => AppDeps | Promise<AppDeps>;

export function createApiHandler(depsFor: DepsSource) {
  let deps: AppDeps | undefined;
  const routes: Route<APIGatewayProxyEventV2, ApiResponse>[] = apiRoutes.map((route) => ({
    method: route.method,
    path: route.path,
    handler: (event: APIGatewayProxyEventV2) => route.handler(event, deps as AppDeps),
  }));
  return middy<APIGatewayProxyEventV2, ApiResponse, Error, Context>()
    .use({
      before: async (request) => {
        deps = await depsFor(request.context as unknown as InvocationContext);
      },
    })
    .use(fcHttpEvent())
    .use(errorResponses(() => deps?.logger))
    .use(bearerAuth(() => (deps as AppDeps).config.apiTokens))
    .handler(httpRouterHandler(routes) as never);
}
