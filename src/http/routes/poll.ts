/** POST /v1/poll: run a poll cycle now and answer with its summary. */
import { runBudgetMs } from '../../budget.js';
import { pollOnce } from '../../poller.js';
import { json } from '../request.js';
import type { ApiRoute } from '../route.js';

export const pollRoutes: ApiRoute[] = [
  {
    method: 'POST',
    path: '/v1/poll',
    handler: async ({ deps }) => {
      const summary = await pollOnce(deps, { budgetMs: runBudgetMs({ kind: 'http' }, deps.config.pollBudgetSeconds) });
      return json(summary.leased ? 200 : 409, { summary, ...(summary.leased ? {} : { note: 'another poll run is in progress; try again shortly' }) });
    },
  },
];
