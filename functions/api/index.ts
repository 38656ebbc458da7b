/** FC HTTP trigger entry (`handler: index.handler`). */
import { createApiHandler } from '../../src/http/app.js';
import { depsFor } from '../../src/runtime.js';

export const handler = createApiHandler(depsFor);
