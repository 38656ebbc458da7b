/** The /v1 routes in the order the OpenAPI document lists them: app.ts serves them, GET /openapi.json describes them. */
import type { ApiRoute } from '../route.js';
import { doctorRoutes } from './doctor.js';
import { eventRoutes } from './events.js';
import { hintRoutes } from './hints.js';
import { pollRoutes } from './poll.js';
import { runRoutes } from './runs.js';
import { taskRoutes } from './tasks.js';
import { webhookRoutes } from './webhooks.js';

export const resourceRoutes: ApiRoute[] = [...taskRoutes, ...eventRoutes, ...webhookRoutes, ...runRoutes, ...pollRoutes, ...hintRoutes, ...doctorRoutes];
