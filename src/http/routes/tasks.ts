/** Task routes: on-demand lookups and the watch list. */
import { NotFoundError } from '../../errors.js';
import { lookupQuery, listTasksQuery, taskList, taskLookup, taskPath, unwatchQuery, watchBody, watchedTask } from '../../schema/api/tasks.js';
import { taskKeyString } from '../../store/port.js';
import { durationsMark, parseDurations, typicalDuration, withEstimate } from '../../tasks/estimate.js';
import { withResource } from '../../tasks/resource.js';
import { json } from '../request.js';
import type { ApiRoute } from '../route.js';
import { defineRoute } from '../validate.js';

export const taskRoutes: ApiRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/tasks/{taskId}',
    schema: {
      operationId: 'getTask',
      summary: 'Look a task up',
      description: 'Asks ECS now (DescribeTaskAttribute), or with `cached=1` answers the last-seen state of a watched task.',
      tag: 'Tasks',
      params: taskPath,
      query: lookupQuery,
      responses: { 200: { description: 'The normalized task', body: taskLookup } },
      errors: {
        400: 'MissingParameter, a malformed id, or ECS’s InvalidRegionId.NotFound / MissingParameter / InvalidParameter',
        404: 'InvalidTaskId.NotFound (ECS does not know the task), or NotWatched with cached=1',
        429: 'ECS is throttling the account: Retry-After says when to try again',
        502: 'ECS failed',
      },
    },
    handler: async ({ input, deps }) => {
      const { taskId } = input.params;
      const { regionId, cached } = input.query;
      if (cached === '1') {
        const record = (await deps.store.getTasks([{ regionId, taskId }])).get(taskKeyString({ regionId, taskId }));
        if (!record?.snapshot)
          throw new NotFoundError('NotWatched', `taskhook has no last-seen state for ${taskId} in ${regionId}; drop ?cached=1 for a live lookup`);
        return json(200, { task: record.snapshot, source: 'cache', invalid: record.invalid });
      }
      const asked = await deps.ecs.describeTaskAttribute(regionId, taskId);
      // What a poll saw (DescribeTasks' ResourceId, the resource's status) names the resource the answer alone may not.
      const known = (await deps.store.getTasks([{ regionId, taskId }])).get(`${regionId}/${taskId}`)?.snapshot ?? null;
      const live = withResource(asked, known);
      const typical = typicalDuration(parseDurations(await deps.store.getMark(durationsMark(regionId, live.action))));
      return json(200, { task: withEstimate(live, null, true, typical), source: 'live' });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/tasks',
    schema: {
      operationId: 'listTasks',
      summary: 'The watch list',
      description: 'Every watched task with its last-seen state, sources and `invalid` reason, by region and id.',
      tag: 'Tasks',
      query: listTasksQuery,
      responses: { 200: { description: 'A page of watched tasks', body: taskList } },
    },
    handler: async ({ input, deps }) => {
      const page = await deps.store.listTasks(input.query);
      return json(200, { tasks: page.items, cursor: page.cursor ?? null });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/tasks',
    schema: {
      operationId: 'watchTask',
      summary: 'Watch a task',
      description: 'Adds the task to the watch list; watching it again is not an error (200).',
      tag: 'Tasks',
      body: watchBody,
      responses: { 201: { description: 'Now watched', body: watchedTask }, 200: { description: 'Already watched', body: watchedTask } },
    },
    handler: async ({ input, deps }) => {
      const key = { regionId: input.body.regionId, taskId: input.body.taskId };
      const existed = (await deps.store.getTasks([key])).has(taskKeyString(key));
      const task = await deps.store.watchTask(key, 'api', new Date(deps.now()).toISOString());
      return json(existed ? 200 : 201, { task });
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/tasks/{taskId}',
    schema: {
      operationId: 'unwatchTask',
      summary: 'Stop watching a task',
      description: 'Removes the API as a source; tasks from TASKHOOK_TASKS are removed there.',
      tag: 'Tasks',
      params: taskPath,
      query: unwatchQuery,
      responses: { 204: { description: 'No longer watched through the API' } },
      errors: { 404: 'NotWatched: not on the watch list through the API' },
    },
    handler: async ({ input, deps }) => {
      const key = { regionId: input.query.regionId, taskId: input.params.taskId };
      if (!(await deps.store.unwatchTask(key, 'api'))) {
        throw new NotFoundError(
          'NotWatched',
          `${key.taskId} in ${key.regionId} is not on the watch list through the API (tasks from TASKHOOK_TASKS are removed there)`,
        );
      }
      return { statusCode: 204, headers: {}, body: '' };
    },
  }),
];
