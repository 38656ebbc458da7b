/**
 * Realistic events for `taskhook trigger`: the documented DescribeTaskAttribute example answer, varied per event type,
 * normalized by the real normalizer and turned into events by the real event builder.
 */
import { randomBytes } from 'node:crypto';
import { isoSeconds, normalizeTaskAttribute } from '../ecs/normalize.js';
import { eventsForTransition, TASK_EVENT_TYPES, type TaskEvent, type TaskEventType } from '../tasks/events.js';
import { notFoundSnapshot } from '../tasks/transition.js';
import type { TaskSnapshot, TaskStall } from '../tasks/snapshot.js';

/** The DescribeTaskAttribute example answer from the ECS API documentation (an ExportImage task that finished). */
export const DOCUMENTED_ANSWER = {
  CreationTime: '2015-11-23T02:13Z',
  SupportCancel: 'true',
  TotalCount: 1,
  SuccessCount: 1,
  RegionId: 'cn-hangzhou',
  TaskAction: 'ExportImage',
  FailedCount: 0,
  RequestId: '473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E',
  TaskStatus: 'Finished',
  TaskProcess: '100%',
  FinishedTime: '2015-11-23T02:19Z',
  TaskId: 't-ce946ntx4wr****',
  OperationProgressSet: {
    OperationProgress: [
      {
        ErrorMsg: 'The specified RegionId parameter is invalid.',
        ErrorCode: 'ParameterInvalid',
        OperationStatus: 'Success',
        RelatedItemSet: { RelatedItem: [{ Name: 'OSSObject', Value: 'MYOSSPRE_m-23f8tcp***_t-23ym6mv***.vhd' }] },
      },
    ],
  },
};

type Answer = Record<string, unknown>;

const running = (progress: number): Answer => ({
  TaskStatus: 'Processing',
  TaskProcess: `${progress}%`,
  FinishedTime: '',
  SuccessCount: 0,
  OperationProgressSet: { OperationProgress: [] },
});
const failedOperation = (code: string, message: string, object: string) => ({
  ErrorCode: code,
  ErrorMsg: message,
  OperationStatus: 'Failed',
  RelatedItemSet: { RelatedItem: [{ Name: 'OSSObject', Value: object }] },
});
const succeededOperation = (object: string) => ({ OperationStatus: 'Success', RelatedItemSet: { RelatedItem: [{ Name: 'OSSObject', Value: object }] } });

/** A stall as a 10-minute task stuck at 40 % for an hour would show it. */
const exampleStall = (now: number): TaskStall => ({
  since: isoSeconds(now - 3_600_000),
  stuckSeconds: 3_600,
  expectation: 'step',
  expectedSeconds: 900,
  reason: 'progress stuck at 40 % for 1 h; a 10 % step usually takes 1 min',
});

/**
 * For each type: the answer seen before and the answer that produces the event (changes to the documented one);
 * `stall` marks the snapshot after (`stalled`) or before (`resumed`) as stalled, as the poller does.
 */
const SCENES: Record<TaskEventType, { before: Answer | null; after: Answer | 'not-found'; stall?: 'after' | 'before' }> = {
  'ecs.task.succeeded': { before: running(80), after: {} },
  'ecs.task.partially_failed': {
    before: running(60),
    after: {
      TaskAction: 'ImportImage',
      TotalCount: 2,
      SuccessCount: 1,
      FailedCount: 1,
      OperationProgressSet: {
        OperationProgress: [
          succeededOperation('images/system_disk.raw'),
          failedOperation('InvalidImageFormat.Unsupported', 'The format of the data disk image is not supported.', 'images/data_disk.vmdk'),
        ],
      },
    },
  },
  'ecs.task.failed': {
    before: running(30),
    after: {
      TaskAction: 'ImportImage',
      TaskStatus: 'Failed',
      TaskProcess: '30%',
      SuccessCount: 0,
      FailedCount: 1,
      OperationProgressSet: {
        OperationProgress: [failedOperation('InvalidOSSObject.NotFound', 'The specified OSS object does not exist.', 'images/centos.qcow2')],
      },
    },
  },
  'ecs.task.cancelled': {
    before: running(15),
    after: { TaskStatus: 'Deleted', TaskProcess: '15%', SuccessCount: 0, OperationProgressSet: { OperationProgress: [] } },
  },
  'ecs.task.not_found': { before: running(40), after: 'not-found' },
  'ecs.task.started': { before: { ...running(0), TaskStatus: 'Waiting' }, after: running(0) },
  'ecs.task.progress': { before: running(30), after: running(50) },
  'ecs.task.status_changed': { before: running(50), after: { ...running(50), TaskStatus: 'Paused' } },
  'ecs.task.stalled': { before: running(40), after: running(40), stall: 'after' },
  'ecs.task.resumed': { before: running(40), after: running(50), stall: 'before' },
};

export function isTaskEventType(type: string): type is TaskEventType {
  return (TASK_EVENT_TYPES as readonly string[]).includes(type);
}

export interface ExampleOptions {
  now?: number;
  /** A fresh id by default, so receivers that deduplicate on webhook-id take every trigger. */
  taskId?: string;
  regionId?: string;
  accountId?: string;
}

/** One event of `type`, for a task created six minutes before `now` that reaches this state at `now`. */
export function exampleEvent(type: TaskEventType, options: ExampleOptions = {}): TaskEvent {
  const now = options.now ?? Date.now();
  const taskId =
    options.taskId ??
    `t-bp1${randomBytes(12)
      .toString('base64url')
      .replace(/[^A-Za-z0-9]/g, '0')
      .slice(0, 17)
      .toLowerCase()}`;
  const regionId = options.regionId ?? DOCUMENTED_ANSWER.RegionId;
  const scene = SCENES[type];
  const base = {
    ...DOCUMENTED_ANSWER,
    TaskId: taskId,
    RegionId: regionId,
    CreationTime: isoSeconds(now - 6 * 60_000),
    FinishedTime: isoSeconds(now),
    RequestId: '473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E',
  };
  const earlier = isoSeconds(now - 60_000);
  const observedAt = isoSeconds(now);
  const seenBefore: TaskSnapshot | null = scene.before ? normalizeTaskAttribute({ ...base, ...scene.before }, earlier) : null;
  const previous = seenBefore && scene.stall === 'before' ? { ...seenBefore, stall: exampleStall(now - 60_000) } : seenBefore;
  const seenAfter =
    scene.after === 'not-found'
      ? notFoundSnapshot(previous, { regionId, taskId }, base.RequestId, observedAt)
      : normalizeTaskAttribute({ ...base, ...scene.after }, observedAt);
  const next = scene.stall === 'after' ? { ...seenAfter, stall: exampleStall(now) } : seenAfter;
  const events = eventsForTransition({ previous, next, sequence: 3, accountId: options.accountId ?? '1234567890123456' });
  const event = events.find((e) => e.type === type);
  if (!event) throw new Error(`no ${type} event from its example transition`);
  return event;
}
