/** The API handler: middy + http-router over the FC 3.0 HTTP event, bearer auth, JSON errors. */
import middy from '@middy/core';
import httpRouterHandler from '@middy/http-router';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { fcHttpEvent } from '../fc/http-event.js';
import { bearerAuth } from './auth.js';
import { appDeps, type DepsSource } from './deps.js';
import { errorResponses } from './errors.js';
import type { ApiContext, ApiResponse, ApiRoute } from './route.js';
import { consoleRoutes } from './routes/console.js';
import { hintRoutes } from './routes/hints.js';
import { resourceRoutes } from './routes/index.js';
import { systemRoutes } from './routes/system.js';

export const apiRoutes: ApiRoute[] = [...systemRoutes, ...resourceRoutes, ...consoleRoutes];

/** The FC event is normalised first: the dependencies are set on the normalised event, which auth and the routes read. */
export function createApiHandler(depsFor: DepsSource) {
  return middy<APIGatewayProxyEventV2, ApiResponse, Error, ApiContext>()
    .use(fcHttpEvent())
    .use(appDeps(depsFor))
    .use(errorResponses())
    .use(bearerAuth({ publicPaths: [...systemRoutes, ...consoleRoutes, ...hintRoutes].map((route) => route.path) }))
    .handler(httpRouterHandler(apiRoutes));
}
