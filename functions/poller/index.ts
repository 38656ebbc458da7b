/** FC timer trigger entry (`handler: index.handler`). */
import { fcDeps } from '../../src/fc/deps.js';
import { createPollHandler } from '../../src/fc/poll-handler.js';

export const handler = createPollHandler(fcDeps);
