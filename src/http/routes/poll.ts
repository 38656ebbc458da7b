/** POST /v1/poll: run a poll cycle now and answer with its summary. */
import { runPollCycle } from '../../poll-run.js';
import type { ApiRoute } from '../app.js';
import { json } from '../request.js';

export const pollRoutes: ApiRoute[] = [
  {
    method: 'POST',
    path: '/v1/poll',
    handler: async (_event, deps) => {
      const summary = await runPollCycle(deps, { budgetMs: 25_000 });
      return json(summary.leased ? 200 : 409, { summary, ...(summary.leased ? {} : { note: 'another poll run is in progress; try again shortly' }) });
    },
  },
];
