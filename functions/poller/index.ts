/** FC timer trigger entry (`handler: index.handler`). */
import { createPollHandler } from '../../src/poll-handler.js';
import { depsFor } from '../../src/runtime.js';

export const handler = createPollHandler(depsFor);
