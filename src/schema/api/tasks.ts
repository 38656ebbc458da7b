/** Task routes: a live or cached lookup, the watch list, watching and unwatching. */
import { z } from 'zod';
import type { TaskRecord } from '../../store/port.js';
import { EXAMPLE_SNAPSHOT, isoTime, taskSnapshot } from '../snapshot.js';
import { cursorField, cursorOf, limit, regionId, taskId } from './common.js';

export const EXAMPLE_TASK_RECORD: TaskRecord = {
  regionId: 'cn-hangzhou',
  taskId: 't-ce946ntx4wr****',
  sources: ['api'],
  snapshot: EXAMPLE_SNAPSHOT,
  version: 3,
  sequence: 5,
  active: false,
  invalid: null,
  pendingVerdict: null,
  watchedAt: '2015-11-23T02:13:30.000Z',
  updatedAt: '2015-11-23T02:19:41Z',
  lastPolledAt: '2015-11-23T02:19:41.000Z',
};

export const taskRecord = z
  .object({
    regionId: z.string(),
    taskId: z.string(),
    sources: z
      .array(z.enum(['config', 'api', 'discovery', 'hint']))
      .meta({ description: 'why it is watched: TASKHOOK_TASKS, the API, discovery, an EventBridge hint' }),
    snapshot: taskSnapshot.nullable().meta({ description: 'the last-seen state; null until the first poll commits one' }),
    version: z.int().min(0).meta({ description: '0 before the first commit, then +1 per commit' }),
    sequence: z.int().min(0).meta({ description: 'the `data.sequence` of the task’s last event' }),
    active: z.boolean().meta({ description: 'polled while true; false once terminal or retired' }),
    invalid: z
      .object({ code: z.string(), message: z.string() })
      .nullable()
      .meta({ description: 'set when ECS refused the task for good (e.g. an unknown region)' }),
    pendingVerdict: z
      .object({ code: z.string(), firstSeenAt: isoTime, requestId: z.string().nullable() })
      .nullable()
      .meta({ description: 'an answer that would end the task, seen once and waiting for a second to confirm it' }),
    watchedAt: isoTime,
    updatedAt: isoTime,
    lastPolledAt: isoTime.nullable().optional().meta({ description: 'when a poll last got an answer for the task; null until the first' }),
  })
  .meta({ id: 'TaskRecord', description: 'A watched task with its last-seen state.', examples: [EXAMPLE_TASK_RECORD] });

export const lookupQuery = z.strictObject({
  regionId,
  cached: z.enum(['0', '1']).optional().meta({ description: '1: answer the last-seen state instead of asking ECS' }),
});
export const taskPath = z.strictObject({ taskId });
export const unwatchQuery = z.strictObject({ regionId });
export const listTasksQuery = z.strictObject({ limit, cursor: cursorOf('tasks') });
export const watchBody = z.strictObject({ regionId, taskId }).meta({ examples: [{ regionId: 'cn-hangzhou', taskId: 't-bp1kg5nqq8r5muhhqb3a' }] });

export const taskLookup = z
  .discriminatedUnion('source', [
    z.object({ task: taskSnapshot, source: z.literal('live') }),
    z.object({
      task: taskSnapshot,
      source: z.literal('cache'),
      invalid: z.object({ code: z.string(), message: z.string() }).nullable(),
    }),
  ])
  .meta({
    id: 'TaskLookup',
    description: 'The normalized task: asked of ECS now (`live`), or the last-seen state (`cache`).',
    examples: [{ task: EXAMPLE_SNAPSHOT, source: 'live' }],
  });

export const taskList = z
  .object({ tasks: z.array(taskRecord), cursor: cursorField })
  .meta({ id: 'TaskList', examples: [{ tasks: [EXAMPLE_TASK_RECORD], cursor: null }] });
export const watchedTask = z
  .object({ task: taskRecord })
  .meta({ id: 'WatchedTask', examples: [{ task: { ...EXAMPLE_TASK_RECORD, snapshot: null, version: 0, sequence: 0, active: true, lastPolledAt: null } }] });

type Assert<T extends true> = T;
type _RecordFits = Assert<TaskRecord extends z.output<typeof taskRecord> ? true : false>;
