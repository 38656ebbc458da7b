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
    resourceId: z.string().nullable().meta({ description: 'the image, instance or disk the task works on (DescribeTasks only)' }),
    requestId: z.string().nullable().meta({ description: "ECS's request id of the answer this snapshot comes from" }),
    observedAt: isoTime.meta({ description: 'when taskhook saw this state' }),
    estimatedFinishAt: isoTime.nullable().optional().meta({
      description: 'when the task is expected to finish: from its progress, or from how long recent tasks of its action took; null once terminal or unknown',
    }),
  })
  .meta({ id: 'TaskSnapshot', description: 'The normalized view of one ECS asynchronous task.', examples: [EXAMPLE_SNAPSHOT] });

/** The domain type and the schema agree both ways: a change to one alone fails the typecheck. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
type _SnapshotMatches = Assert<Same<TaskSnapshot, z.output<typeof taskSnapshot>>>;
