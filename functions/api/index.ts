/** FC HTTP trigger entry (`handler: index.handler`). */
import { fcDeps } from '../../src/fc/deps.js';
import { createApiHandler } from '../../src/http/app.js';

export const handler = createApiHandler(fcDeps);
