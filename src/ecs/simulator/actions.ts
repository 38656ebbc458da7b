/** The ECS task APIs: DescribeTaskAttribute, DescribeTasks and CancelTask, answered from simulated tasks. */
import { errors, repeatedParam } from './protocol';
import { endTimelineAt, formatTime, parseTime, supportsCancel, taskStateAt } from './timeline';
import type { SimOperation, SimTask } from './types';
import { CANCELLABLE_ACTIONS, REGION_IDS } from './types';

export interface TaskStore {
  get(regionId: string, taskId: string): SimTask | undefined;
  inRegion(regionId: string): SimTask[];
  put(task: SimTask): void;
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

  const matching = ctx.store
    .inRegion(regionId)
    .map((task) => ({ task, state: taskStateAt(task, ctx.now) }))
    .filter(
      ({ task, state }) =>
        state !== null &&
        (taskIds.length === 0 || taskIds.includes(task.taskId)) &&
        (resourceIds.length === 0 || (task.resourceId !== undefined && resourceIds.includes(task.resourceId))) &&
        (!params.TaskAction || task.action === params.TaskAction) &&
        (!status || state.status === status) &&
        (start === null || task.createdAt >= start) &&
        (end === null || task.createdAt <= end),
    )
    .sort((a, b) => b.task.createdAt - a.task.createdAt || a.task.taskId.localeCompare(b.task.taskId));

  const page = matching.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
  return {
    TotalCount: matching.length,
    PageNumber: pageNumber,
    PageSize: pageSize,
    RegionId: regionId,
    RequestId: ctx.requestId,
    TaskSet: {
      Task: page.map(({ task, state }) => ({
        TaskId: task.taskId,
        TaskAction: task.action,
        TaskStatus: state!.status,
        SupportCancel: String(supportsCancel(task)),
        CreationTime: formatTime(task.createdAt, ctx.precision),
        FinishedTime: state!.finishedAt === null ? '' : formatTime(state!.finishedAt, ctx.precision),
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
};
