/** POST /v1/poll: run a poll cycle now and answer with its summary. */
import { runBudgetMs } from '../../budget.js';
import { pollOnce } from '../../poller.js';
import { pollBusy, pollResult } from '../../schema/api/poll.js';
import { json } from '../request.js';
import type { ApiRoute } from '../route.js';
import { defineRoute } from '../validate.js';

export const pollRoutes: ApiRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/v1/poll',
    schema: {
      operationId: 'pollNow',
      summary: 'Run a poll cycle now',
      description: 'One poll run, as the timer starts them, answered with its summary.',
      tag: 'Runs',
      responses: {
        200: { description: 'The run’s summary', body: pollResult },
        409: { description: 'Another poll run holds the lease; try again shortly', body: pollBusy },
      },
    },
    handler: async ({ deps }) => {
      const summary = await pollOnce(deps, { budgetMs: runBudgetMs({ kind: 'http' }, deps.config.pollBudgetSeconds) });
      return json(summary.leased ? 200 : 409, { summary, ...(summary.leased ? {} : { note: 'another poll run is in progress; try again shortly' }) });
    },
  }),
];
