/** GET /v1/runs: the summaries of the recent poll runs, newest first. */
import type { z } from 'zod';
import type { PollSummary } from '../../poller.js';
import { listRunsQuery, runList, type pollSummary } from '../../schema/api/poll.js';
import { json } from '../request.js';
import type { ApiRoute } from '../route.js';
import { defineRoute } from '../validate.js';

export const runRoutes: ApiRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/runs',
    schema: {
      operationId: 'listRuns',
      summary: 'Recent poll runs',
      description: 'What each recent poll run did, newest first; kept for the retention period (TASKHOOK_RETENTION_DAYS).',
      tag: 'Runs',
      query: listRunsQuery,
      responses: { 200: { description: 'A page of runs', body: runList } },
    },
    handler: async ({ input, deps }) => {
      const page = await deps.store.listRuns(input.query);
      return json(200, { runs: page.items, cursor: page.cursor ?? null });
    },
  }),
];

/** Every summary the poller reports fits the schema the API documents it with. */
type Assert<T extends true> = T;
type _SummaryFits = Assert<PollSummary extends z.output<typeof pollSummary> ? true : false>;
