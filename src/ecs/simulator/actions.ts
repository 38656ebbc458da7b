/** The ECS APIs the simulator answers from its tasks: DescribeTaskAttribute, DescribeTasks, CancelTask, and the resources' describe calls. */
import { errors, repeatedParam } from './protocol';
import { describeDisks, describeImages, describeInstances, describeSnapshots } from './resources';
import { answerOrder, type TaskRange } from './task-index';
import { endTimelineAt, formatTime, parseTime, supportsCancel, taskStateAt, type TaskState } from './timeline';
import type { SimOperation, SimTask } from './types';
import { CANCELLABLE_ACTIONS, REGION_IDS } from './types';

export interface TaskStore {
  get(regionId: string, taskId: string): SimTask | undefined;
  /** The region's tasks in no particular order (a scan: only the odd-answer faults use it). */
  inRegion(regionId: string): SimTask[];
  /** The region's tasks (of one action, when given) created in [from, to], both ends inclusive, in answer order. */
  createdBetween(regionId: string, from: number, to: number, action?: string): TaskRange;
  put(task: SimTask): void;
  /** The task whose resource (`resourceId`) has this id in the region. */
  byResource(regionId: string, id: string): SimTask | undefined;
}

export interface ActionContext {
  store: TaskStore;
  now: number;
  precision: 'minute' | 'second';
  requestId: string;
}

type Params = Record<string, string>;
type Handler = (params: Params, ctx: ActionContext) => Record<string, unknown>;

const FILTERABLE_STATUSES = new Set(['Finished', 'Processing', 'Failed']);
const CANCELLABLE_STATUSES = new Set(['Waiting', 'Processing']);

function regionOf(params: Params): string {
  if (!params.RegionId) throw errors.missing('RegionId');
  if (!REGION_IDS.includes(params.RegionId)) throw errors.regionNotFound();
  return params.RegionId;
}

/** The task as it exists at `now`; tasks created later do not exist yet. */
function existingTask(params: Params, ctx: ActionContext): { task: SimTask; regionId: string } {
  const regionId = regionOf(params);
  if (!params.TaskId) throw errors.missing('TaskId');
  const task = ctx.store.get(regionId, params.TaskId);
  if (!task || task.createdAt > ctx.now) throw errors.taskNotFound();
  return { task, regionId };
}

function operationJson(op: SimOperation): Record<string, unknown> {
  return {
    ...(op.errorMessage ? { ErrorMsg: op.errorMessage } : {}),
    ...(op.errorCode ? { ErrorCode: op.errorCode } : {}),
    OperationStatus: op.status,
    RelatedItemSet: { RelatedItem: (op.relatedItems ?? []).map((i) => ({ Name: i.name, Value: i.value })) },
  };
}

function positiveInt(params: Params, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = params[name];
  if (raw === undefined || raw === '') return fallback;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= max)) throw errors.invalid(name);
  return n;
}

function timeParam(params: Params, name: string): number | null {
  if (!params[name]) return null;
  const t = parseTime(params[name]);
  if (t === null) throw errors.invalid(name);
  return t;
}

const describeTaskAttribute: Handler = (params, ctx) => {
  const { task, regionId } = existingTask(params, ctx);
  const state = taskStateAt(task, ctx.now)!;
  return {
    CreationTime: formatTime(task.createdAt, ctx.precision),
    SupportCancel: String(supportsCancel(task)),
    TotalCount: state.totalCount,
    SuccessCount: state.successCount,
    RegionId: regionId,
    TaskAction: task.action,
    FailedCount: state.failedCount,
    RequestId: ctx.requestId,
    TaskStatus: state.status,
    TaskProcess: `${Math.round(state.progress)}%`,
    FinishedTime: state.finishedAt === null ? '' : formatTime(state.finishedAt, ctx.precision),
    TaskId: task.taskId,
    OperationProgressSet: { OperationProgress: state.operations.map(operationJson) },
  };
};

const describeTasks: Handler = (params, ctx) => {
  const regionId = regionOf(params);
  const taskIds = (params.TaskIds ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (taskIds.length > 100) throw errors.tooManyTaskIds();
  const resourceIds = repeatedParam(params, 'ResourceIds');
  if (resourceIds.length > 100) throw errors.invalid('ResourceIds');
  const start = timeParam(params, 'StartTime');
  const end = timeParam(params, 'EndTime');
  const pageNumber = positiveInt(params, 'PageNumber', 1);
  const pageSize = positiveInt(params, 'PageSize', 10, 100);
  // ECS filters on these three statuses only and silently ignores any other value.
  const status = FILTERABLE_STATUSES.has(params.TaskStatus ?? '') ? params.TaskStatus : undefined;

  // Asked by id: one Map get per id. Otherwise a creation-time window of the region's index (tasks created after
  // `now` do not exist yet), narrowed by the filters that need the task itself.
  const resources = resourceIds.length > 0 ? new Set(resourceIds) : null;
  const keep = (task: SimTask, state: TaskState | null): boolean =>
    state !== null &&
    (resources === null || (task.resourceId !== undefined && resources.has(task.resourceId))) &&
    (!params.TaskAction || task.action === params.TaskAction) &&
    (!status || state.status === status) &&
    (start === null || task.createdAt >= start) &&
    (end === null || task.createdAt <= end);
  let candidates: TaskRange;
  if (taskIds.length > 0) {
    const asked = [...new Set(taskIds)].map((id) => ctx.store.get(regionId, id)).filter((t): t is SimTask => t !== undefined);
    candidates = { list: asked.sort(answerOrder), start: 0, end: asked.length };
  } else {
    const to = Math.min(end ?? Infinity, ctx.now);
    candidates = ctx.store.createdBetween(regionId, start ?? -Infinity, to, params.TaskAction || undefined);
  }
  const offset = (pageNumber - 1) * pageSize;
  let total: number;
  let page: { task: SimTask; state: TaskState }[];
  if (taskIds.length === 0 && resources === null && !status) {
    // Every task of the window matches: the page is a slice, the count a subtraction.
    total = candidates.end - candidates.start;
    page = candidates.list
      .slice(candidates.start + offset, Math.min(candidates.end, candidates.start + offset + pageSize))
      .map((task) => ({ task, state: taskStateAt(task, ctx.now)! }));
  } else {
    const matching: { task: SimTask; state: TaskState }[] = [];
    for (let i = candidates.start; i < candidates.end; i++) {
      const task = candidates.list[i];
      const state = taskStateAt(task, ctx.now);
      if (keep(task, state)) matching.push({ task, state: state! });
    }
    total = matching.length;
    page = matching.slice(offset, offset + pageSize);
  }

  return {
    TotalCount: total,
    PageNumber: pageNumber,
    PageSize: pageSize,
    RegionId: regionId,
    RequestId: ctx.requestId,
    TaskSet: {
      Task: page.map(({ task, state }) => ({
        TaskId: task.taskId,
        TaskAction: task.action,
        TaskStatus: state.status,
        SupportCancel: String(supportsCancel(task)),
        CreationTime: formatTime(task.createdAt, ctx.precision),
        FinishedTime: state.finishedAt === null ? '' : formatTime(state.finishedAt, ctx.precision),
        ...(task.resourceId ? { ResourceId: task.resourceId } : {}),
      })),
    },
  };
};

const cancelTask: Handler = (params, ctx) => {
  const { task } = existingTask(params, ctx);
  if (!CANCELLABLE_ACTIONS.includes(task.action)) throw errors.cancelNotSupported();
  const state = taskStateAt(task, ctx.now)!;
  if (!CANCELLABLE_STATUSES.has(state.status) || !supportsCancel(task)) throw errors.incorrectTaskStatus();
  ctx.store.put(endTimelineAt(task, ctx.now, 'Deleted'));
  return { RequestId: ctx.requestId };
};

export const ACTIONS: Readonly<Record<string, Handler>> = {
  DescribeTaskAttribute: describeTaskAttribute,
  DescribeTasks: describeTasks,
  CancelTask: cancelTask,
  DescribeImages: describeImages,
  DescribeDisks: describeDisks,
  DescribeInstances: describeInstances,
  DescribeSnapshots: describeSnapshots,
};
