/** Task routes: on-demand lookups and the watch list. */
import { NotFoundError } from '../../errors.js';
import { taskKeyString } from '../../store/port.js';
import { json, jsonBody, pageLimit, queryParam, requireRegionId, requireTaskId } from '../request.js';
import type { ApiRoute } from '../route.js';

export const taskRoutes: ApiRoute[] = [
  {
    method: 'GET',
    path: '/v1/tasks/{taskId}',
    handler: async (event) => {
      const taskId = requireTaskId(event.pathParameters?.taskId);
      const regionId = requireRegionId(queryParam(event, 'regionId'));
      if (queryParam(event, 'cached') === '1') {
        const record = (await event.deps.store.getTasks([{ regionId, taskId }])).get(taskKeyString({ regionId, taskId }));
        if (!record?.snapshot)
          throw new NotFoundError('NotWatched', `taskhook has no last-seen state for ${taskId} in ${regionId}; drop ?cached=1 for a live lookup`);
        return json(200, { task: record.snapshot, source: 'cache', invalid: record.invalid });
      }
      const task = await event.deps.ecs.describeTaskAttribute(regionId, taskId);
      return json(200, { task, source: 'live' });
    },
  },
  {
    method: 'GET',
    path: '/v1/tasks',
    handler: async (event) => {
      const page = await event.deps.store.listTasks({ limit: pageLimit(event), cursor: queryParam(event, 'cursor') });
      return json(200, { tasks: page.items, cursor: page.cursor ?? null });
    },
  },
  {
    method: 'POST',
    path: '/v1/tasks',
    handler: async (event) => {
      const body = jsonBody<{ regionId?: unknown; taskId?: unknown }>(event);
      const regionId = requireRegionId(typeof body.regionId === 'string' ? body.regionId : undefined, '"regionId" field');
      const taskId = requireTaskId(typeof body.taskId === 'string' ? body.taskId : undefined);
      const key = { regionId, taskId };
      const existed = (await event.deps.store.getTasks([key])).has(taskKeyString(key));
      const task = await event.deps.store.watchTask(key, 'api', new Date(event.deps.now()).toISOString());
      return json(existed ? 200 : 201, { task });
    },
  },
  {
    method: 'DELETE',
    path: '/v1/tasks/{taskId}',
    handler: async (event) => {
      const taskId = requireTaskId(event.pathParameters?.taskId);
      const regionId = requireRegionId(queryParam(event, 'regionId'));
      if (!(await event.deps.store.unwatchTask({ regionId, taskId }, 'api'))) {
        throw new NotFoundError(
          'NotWatched',
          `${taskId} in ${regionId} is not on the watch list through the API (tasks from TASKHOOK_TASKS are removed there)`,
        );
      }
      return { statusCode: 204, headers: {}, body: '' };
    },
  },
];
