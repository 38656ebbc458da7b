/** The normalized task snapshot, as events carry it and the API answers it: one definition for both. */
import { z } from 'zod';
import type { TaskSnapshot } from '../tasks/snapshot.js';

/** ISO 8601 with seconds, UTC (`2015-11-23T02:13:00Z`; times taskhook takes itself may carry milliseconds). */
export const isoTime = z.string().meta({ format: 'date-time', examples: ['2015-11-23T02:19:00Z'] });

export const TASK_OUTCOMES = ['pending', 'running', 'paused', 'succeeded', 'partially_failed', 'failed', 'cancelled', 'not_found', 'unknown'] as const;

const count = z.int().min(0);

export const taskOperation = z
  .object({
    status: z
      .string()
      .nullable()
      .meta({ description: 'the subtask status as ECS reports it', examples: ['Success', 'Failed'] }),
    errorCode: z.string().nullable(),
    errorMessage: z.string().nullable(),
    relatedItems: z.array(z.object({ name: z.string(), value: z.string() })),
  })
  .meta({ id: 'TaskOperation', description: 'One subtask of the task (DescribeTaskAttribute `OperationProgressSet`).' });

export const RESOURCE_TYPES = ['image', 'disk', 'instance', 'snapshot', 'oss-object'] as const;
export const READINESS_STATES = ['waiting', 'ready', 'not_ready', 'unchecked'] as const;

export const taskResource = z
  .object({
    type: z.enum(RESOURCE_TYPES),
    id: z.string().meta({ description: '`m-…`, `d-…`, `i-…`, `s-…`, or `<bucket>/<object>` for an exported image', examples: ['m-bp1g7004ksh0oeuc****'] }),
    status: z
      .string()
      .nullable()
      .meta({
        description: 'its last known status from its own describe call (a snapshot’s `Category`); null until one answered',
        examples: ['Creating', 'Available', 'Modifying', 'Running', 'archive'],
      }),
  })
  .meta({ id: 'TaskResource', description: 'What the task makes or changes: from DescribeTasks’ `ResourceId`, the operations’ related items, or a hint.' });

export const taskReadiness = z
  .object({
    state: z.enum(READINESS_STATES).meta({
      description:
        '`waiting`: finished, the resource is checked each run; `ready`; `not_ready`: the completion went out without it (the wait ended or the resource failed); `unchecked`: no describe call taskhook may use, or no resource named',
    }),
    since: isoTime.meta({ description: 'when taskhook saw the task finish' }),
    until: isoTime.nullable().meta({ description: 'when the wait gives up (TASKHOOK_READY_WAIT); null when nothing is waited for' }),
    checkedAt: isoTime.nullable().meta({ description: 'when the resource’s describe call last answered about it' }),
    reason: z
      .string()
      .nullable()
      .meta({ description: 'why it is not ready or not checked; null once ready', examples: ['image m-bp1… is still Creating'] }),
  })
  .meta({ id: 'TaskReadiness', description: 'The wait for the resource after the task succeeded.' });

export const taskStall = z
  .object({
    since: isoTime.meta({ description: 'when the progress last moved' }),
    stuckSeconds: z.number().min(0).meta({ description: 'how long it had been stuck when the stall was reported' }),
    expectation: z.enum(['step', 'duration']).meta({
      description: '`step`: no progress for longer than a step of this kind usually takes; `duration`: running past the slowest recent task of its kind',
    }),
    expectedSeconds: z.number().min(0).meta({ description: 'the bound it broke' }),
    reason: z.string().meta({ examples: ['progress stuck at 40 % for 1 h 5 min; a 10 % step usually takes 6 min'] }),
  })
  .meta({ id: 'TaskStall', description: 'Set while the task is reported stalled; cleared when it moves again.' });

/** The README example: the `ExportImage` task from the DescribeTaskAttribute documentation. */
export const EXAMPLE_SNAPSHOT: TaskSnapshot = {
  id: 't-ce946ntx4wr****',
  regionId: 'cn-hangzhou',
  action: 'ExportImage',
  status: 'Finished',
  outcome: 'succeeded',
  terminal: true,
  progress: 100,
  supportCancel: true,
  createdAt: '2015-11-23T02:13:00Z',
  finishedAt: '2015-11-23T02:19:00Z',
  durationSeconds: 360,
  counts: { total: 1, succeeded: 1, failed: 0 },
  operations: [
    {
      status: 'Success',
      errorCode: 'ParameterInvalid',
      errorMessage: 'The specified RegionId parameter is invalid.',
      relatedItems: [{ name: 'OSSObject', value: 'MYOSSPRE_m-23f8tcp***_t-23ym6mv***.vhd' }],
    },
  ],
  resourceId: null,
  requestId: '473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E',
  observedAt: '2015-11-23T02:19:41Z',
  resource: { type: 'oss-object', id: 'MYOSSPRE_m-23f8tcp***_t-23ym6mv***.vhd', status: null },
  ready: null,
  readyAt: null,
  readiness: {
    state: 'unchecked',
    since: '2015-11-23T02:19:41Z',
    until: null,
    checkedAt: null,
    reason: 'ExportImage writes OSS object MYOSSPRE_m-23f8tcp***_t-23ym6mv***.vhd, which no ECS call can check: sent when the task finished',
  },
};

export const taskSnapshot = z
  .object({
    id: z.string().meta({ description: 'the ECS task id', examples: ['t-bp1kg5nqq8r5muhhqb3a'] }),
    regionId: z.string().meta({ examples: ['cn-hangzhou'] }),
    action: z.string().meta({
      description: 'the API that created the task (`EXPORT_IMAGE` is normalized to `ExportImage`)',
      examples: ['ExportImage', 'ImportImage', 'ModifyDiskSpec'],
    }),
    status: z.string().meta({ description: 'TaskStatus as ECS reported it', examples: ['Finished', 'Processing'] }),
    outcome: z.enum(TASK_OUTCOMES).meta({ description: 'the normalized status; an unknown ECS status is `unknown`, polled on' }),
    terminal: z.boolean(),
    progress: z
      .number()
      .min(0)
      .max(100)
      .nullable()
      .meta({ description: 'from TaskProcess ("45%" → 45); null when ECS did not say (DescribeTasks never does)' }),
    supportCancel: z.boolean(),
    createdAt: isoTime.nullable(),
    finishedAt: isoTime.nullable(),
    durationSeconds: z.number().min(0).nullable(),
    counts: z
      .object({ total: count, succeeded: count, failed: count })
      .nullable()
      .meta({ description: 'null when only DescribeTasks was seen: it carries no counts' }),
    operations: z.array(taskOperation).meta({ description: 'failure details are in errorCode/errorMessage' }),
    resourceId: z.string().nullable().meta({ description: 'DescribeTasks’ `ResourceId` as ECS sent it; `resource` is what taskhook makes of it' }),
    requestId: z.string().nullable().meta({ description: "ECS's request id of the answer this snapshot comes from" }),
    observedAt: isoTime.meta({ description: 'when taskhook saw this state' }),
    estimatedFinishAt: isoTime.nullable().optional().meta({
      description: 'when the task is expected to finish: from its progress, or from how long recent tasks of its action took; null once terminal or unknown',
    }),
    resource: taskResource.nullable().optional().meta({ description: 'what the task makes or changes and its last known status; null when ECS named none' }),
    ready: z
      .boolean()
      .nullable()
      .optional()
      .meta({ description: 'true: the resource is usable; false: the completion went out without it (see readiness.reason); null: not known or not yet' }),
    readyAt: isoTime.nullable().optional().meta({ description: 'when taskhook saw the resource usable' }),
    readiness: taskReadiness.nullable().optional(),
    progressSince: isoTime.nullable().optional().meta({ description: 'when the progress last changed; null while progress is unknown' }),
    stall: taskStall.nullable().optional(),
  })
  .meta({ id: 'TaskSnapshot', description: 'The normalized view of one ECS asynchronous task.', examples: [EXAMPLE_SNAPSHOT] });

/** The domain type and the schema agree both ways: a change to one alone fails the typecheck. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
type _SnapshotMatches = Assert<Same<TaskSnapshot, z.output<typeof taskSnapshot>>>;
