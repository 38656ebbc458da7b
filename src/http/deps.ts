/**
 * Sets the dependencies on the request's event. http-router hands route handlers the event with our type but
 * the context as Lambda's, so the event is where a typed value reaches them.
 */
import type { MiddlewareObj } from '@middy/core';
import type { AppDeps } from '../runtime.js';
import type { ApiContext, ApiEvent, ApiResponse } from './route.js';

/** Builds (or returns the instance's) dependencies for one invocation; FC's adapter reads its credentials from the context. */
export type DepsSource = (context: ApiContext) => AppDeps | Promise<AppDeps>;

export const appDeps = (depsFor: DepsSource): MiddlewareObj<ApiEvent, ApiResponse, Error, ApiContext> => ({
  before: async (request) => {
    request.event.deps = await depsFor(request.context);
  },
});
