/** Task routes: on-demand lookups (and, with the store, the watch list). */
import type { ApiRoute } from '../app.js';
import { json, queryParam, requireRegionId, requireTaskId } from '../request.js';

export const taskRoutes: ApiRoute[] = [
  {
    method: 'GET',
    path: '/v1/tasks/{taskId}',
    handler: async (event, deps) => {
      const taskId = requireTaskId(event.pathParameters?.taskId);
      const regionId = requireRegionId(queryParam(event, 'regionId'));
      const task = await deps.ecs.describeTaskAttribute(regionId, taskId);
      return json(200, { task, source: 'live' });
    },
  },
];
