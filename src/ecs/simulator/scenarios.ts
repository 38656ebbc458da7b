/** Ready-made demo tasks, and validation of scenario files that describe tasks as JSON. */
import { createHash } from 'node:crypto';
import type { SimOperation, SimResource, SimStep, SimTask } from './types';
import { ECS_TASK_STATUSES, REGION_IDS } from './types';
import { InvalidInputError } from '../../errors';

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
// Real ids start with a region-specific zone prefix, e.g. t-bp1… in Hangzhou.
const ID_PREFIX: Record<string, string> = { 'cn-hangzhou': 'bp1', 'cn-beijing': '2ze' };

/** A stable, real-looking resource id: `t-bp1…` (20 characters after the dash). */
function resourceId(kind: 't' | 'm' | 'd' | 'i', regionId: string, seed: string): string {
  const digest = createHash('sha256').update(`${kind}:${seed}`).digest();
  const prefix = ID_PREFIX[regionId] ?? '';
  let body = prefix;
  for (let i = 0; body.length < 20; i++) body += ID_ALPHABET[digest[i] % ID_ALPHABET.length];
  return `${kind}-${body}`;
}

const s = (seconds: number) => seconds * 1000;

/**
 * Nine tasks created at `now` that play out over the next minute: an export that finishes, an import that fails,
 * a disk resize in another region (its disk `Modifying` for a while after the task finished), an import that is
 * cancelled, a slow export, an import that half fails, an import whose image stays `Creating` after its task
 * finished, a redeploy whose instance is still `Starting`, and an import that stalls at 30 % before it moves on.
 * Ids derive from `now`, so every run gets fresh tasks.
 */
export function demoTasks(now: number): SimTask[] {
  const id = (kind: 't' | 'm' | 'd' | 'i', regionId: string, n: number) => resourceId(kind, regionId, `${now}:${n}`);
  const hz = 'cn-hangzhou';

  const exportImage = id('m', hz, 1);
  const exportTask = id('t', hz, 1);
  const exported: SimTask = {
    taskId: exportTask,
    regionId: hz,
    action: 'ExportImage',
    resourceId: exportImage,
    createdAt: now,
    timeline: [
      { afterMs: 0, status: 'Waiting' },
      { afterMs: s(3), status: 'Processing', progress: 10 },
      { afterMs: s(8), status: 'Processing', progress: 40 },
      { afterMs: s(13), status: 'Processing', progress: 70 },
      { afterMs: s(18), status: 'Processing', progress: 100 },
      { afterMs: s(20), status: 'Finished', progress: 100 },
    ],
    result: {
      totalCount: 1,
      successCount: 1,
      failedCount: 0,
      operations: [
        {
          status: 'Success',
          relatedItems: [
            { name: 'OSSObject', value: `MYOSSPRE_${exportImage}_${exportTask}.vhd` },
            { name: 'OSSBucket', value: 'ecs-image-exports' },
            { name: 'ImageFormat', value: 'VHD' },
          ],
        },
      ],
    },
  };

  const failedImport: SimTask = {
    taskId: id('t', hz, 2),
    regionId: hz,
    action: 'ImportImage',
    resourceId: id('m', hz, 2),
    createdAt: now,
    timeline: [
      { afterMs: 0, status: 'Waiting' },
      { afterMs: s(2), status: 'Processing', progress: 5 },
      { afterMs: s(8), status: 'Processing', progress: 30 },
      { afterMs: s(15), status: 'Failed' },
    ],
    result: {
      totalCount: 1,
      successCount: 0,
      failedCount: 1,
      operations: [
        {
          status: 'Failed',
          errorCode: 'InvalidOSSObject.NotFound',
          errorMessage: 'The specified OSS object does not exist.',
          relatedItems: [{ name: 'OSSObject', value: 'images/centos_7_9_x64.qcow2' }],
        },
      ],
    },
  };

  const bj = 'cn-beijing';
  const disk = id('d', bj, 3);
  const resizedDisk: SimTask = {
    taskId: id('t', bj, 3),
    regionId: bj,
    action: 'ModifyDiskSpec',
    resourceId: disk,
    createdAt: now,
    timeline: [
      { afterMs: 0, status: 'Waiting' },
      { afterMs: s(5), status: 'Processing', progress: 20 },
      { afterMs: s(15), status: 'Processing', progress: 60 },
      { afterMs: s(25), status: 'Finished' },
    ],
    result: { totalCount: 1, successCount: 1, failedCount: 0, operations: [{ status: 'Success', relatedItems: [{ name: 'DiskId', value: disk }] }] },
    // ECS shows the resized disk as `Modifying` (undocumented) for a while after the task finished.
    resource: { readyAfterMs: s(15) },
  };

  const cancelledImport: SimTask = {
    taskId: id('t', hz, 4),
    regionId: hz,
    action: 'ImportImage',
    resourceId: id('m', hz, 4),
    createdAt: now,
    timeline: [
      { afterMs: 0, status: 'Waiting' },
      { afterMs: s(3), status: 'Processing', progress: 15 },
      { afterMs: s(10), status: 'Deleted' },
    ],
    result: { totalCount: 1, successCount: 0, failedCount: 0 },
  };

  const slowSteps: SimStep[] = [{ afterMs: 0, status: 'Waiting' }];
  for (let i = 1; i <= 8; i++) slowSteps.push({ afterMs: s(5 * i), status: 'Processing', progress: 10 * i });
  slowSteps.push({ afterMs: s(45), status: 'Finished', progress: 100 });
  const slowImage = id('m', hz, 5);
  const slowTask = id('t', hz, 5);
  const slowExport: SimTask = {
    taskId: slowTask,
    regionId: hz,
    action: 'ExportImage',
    resourceId: slowImage,
    createdAt: now,
    timeline: slowSteps,
    result: {
      totalCount: 1,
      successCount: 1,
      failedCount: 0,
      operations: [
        {
          status: 'Success',
          relatedItems: [
            { name: 'OSSObject', value: `MYOSSPRE_${slowImage}_${slowTask}.qcow2` },
            { name: 'OSSBucket', value: 'ecs-image-exports' },
            { name: 'ImageFormat', value: 'QCOW2' },
          ],
        },
      ],
    },
  };

  // Two disk images in one import: the system disk lands, the data disk does not.
  const partialImport: SimTask = {
    taskId: id('t', hz, 6),
    regionId: hz,
    action: 'ImportImage',
    resourceId: id('m', hz, 6),
    createdAt: now,
    timeline: [
      { afterMs: 0, status: 'Waiting' },
      { afterMs: s(4), status: 'Processing', progress: 25 },
      { afterMs: s(12), status: 'Processing', progress: 50 },
      { afterMs: s(30), status: 'Finished', progress: 100 },
    ],
    result: {
      totalCount: 2,
      successCount: 1,
      failedCount: 1,
      operations: [
        { status: 'Success', relatedItems: [{ name: 'OSSObject', value: 'images/system_disk.raw' }] },
        {
          status: 'Failed',
          errorCode: 'InvalidImageFormat.Unsupported',
          errorMessage: 'The format of the data disk image is not supported.',
          relatedItems: [{ name: 'OSSObject', value: 'images/data_disk.vmdk' }],
        },
      ],
    },
  };

  // The image of a finished import stays `Creating` a while: CopyImage would answer OperationDenied.ImageCopying.
  const lateImage = id('m', hz, 7);
  const creatingImport: SimTask = {
    taskId: id('t', hz, 7),
    regionId: hz,
    action: 'ImportImage',
    resourceId: lateImage,
    createdAt: now,
    timeline: [
      { afterMs: 0, status: 'Waiting' },
      { afterMs: s(3), status: 'Processing', progress: 30 },
      { afterMs: s(10), status: 'Processing', progress: 80 },
      { afterMs: s(15), status: 'Finished', progress: 100 },
    ],
    result: { totalCount: 1, successCount: 1, failedCount: 0, operations: [{ status: 'Success', relatedItems: [{ name: 'ImageId', value: lateImage }] }] },
    resource: { readyAfterMs: s(20) },
  };

  const instance = id('i', hz, 8);
  const redeploy: SimTask = {
    taskId: id('t', hz, 8),
    regionId: hz,
    action: 'RedeployInstance',
    resourceId: instance,
    createdAt: now,
    timeline: [
      { afterMs: 0, status: 'Processing' },
      { afterMs: s(20), status: 'Finished' },
    ],
    result: { totalCount: 1, successCount: 1, failedCount: 0 },
    resource: { readyAfterMs: s(10) },
  };

  // Stuck at 30 % for 40 seconds, then on to the end: one ecs.task.stalled, one ecs.task.resumed.
  const stalledImage = id('m', hz, 9);
  const stalledImport: SimTask = {
    taskId: id('t', hz, 9),
    regionId: hz,
    action: 'ImportImage',
    resourceId: stalledImage,
    createdAt: now,
    timeline: [
      { afterMs: 0, status: 'Waiting' },
      { afterMs: s(2), status: 'Processing', progress: 10 },
      { afterMs: s(5), status: 'Processing', progress: 30 },
      { afterMs: s(45), status: 'Processing', progress: 70 },
      { afterMs: s(55), status: 'Finished', progress: 100 },
    ],
    result: { totalCount: 1, successCount: 1, failedCount: 0, operations: [{ status: 'Success', relatedItems: [{ name: 'ImageId', value: stalledImage }] }] },
  };

  return [exported, failedImport, resizedDisk, cancelledImport, slowExport, partialImport, creatingImport, redeploy, stalledImport];
}

/** A scenario file the simulator cannot run; the message names the path to the wrong part. */
export class ScenarioError extends InvalidInputError {
  override name = 'ScenarioError';
  constructor(message: string) {
    super('InvalidScenario', message);
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function onlyKnownFields(value: Json, at: string, known: readonly string[]): void {
  for (const k of Object.keys(value)) {
    if (!known.includes(k)) throw new ScenarioError(`${at}.${k} is not a known field (expected one of: ${known.join(', ')})`);
  }
}

function text(value: Json, field: string, at: string, optional = false): string | undefined {
  const v = value[field];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || v === '') throw new ScenarioError(`${at}.${field} must be a non-empty string`);
  return v;
}

function createdAtOf(task: Json, at: string, now: number): number {
  if (task.createdAt !== undefined && task.afterMs !== undefined) {
    throw new ScenarioError(`${at} must give either createdAt or afterMs, not both`);
  }
  if (task.afterMs !== undefined) {
    if (typeof task.afterMs !== 'number' || !Number.isFinite(task.afterMs)) throw new ScenarioError(`${at}.afterMs must be a number`);
    return now + task.afterMs;
  }
  if (task.createdAt === undefined) return now;
  if (typeof task.createdAt === 'number' && Number.isFinite(task.createdAt)) return task.createdAt;
  const parsed = typeof task.createdAt === 'string' ? Date.parse(task.createdAt) : NaN;
  if (Number.isNaN(parsed)) throw new ScenarioError(`${at}.createdAt must be an ISO 8601 time or epoch milliseconds`);
  return parsed;
}

function stepOf(value: unknown, at: string): SimStep {
  if (!isObject(value)) throw new ScenarioError(`${at} must be an object`);
  onlyKnownFields(value, at, ['afterMs', 'status', 'progress', 'unknownStatus']);
  const { afterMs, progress, unknownStatus } = value;
  if (typeof afterMs !== 'number' || !Number.isFinite(afterMs) || afterMs < 0) {
    throw new ScenarioError(`${at}.afterMs must be a non-negative number`);
  }
  if (progress !== undefined && (typeof progress !== 'number' || !(progress >= 0 && progress <= 100))) {
    throw new ScenarioError(`${at}.progress must be a number from 0 to 100`);
  }
  if (unknownStatus !== undefined && typeof unknownStatus !== 'boolean') throw new ScenarioError(`${at}.unknownStatus must be true or false`);
  const status = text(value, 'status', at)!;
  // A typo ("Finshed") would otherwise play out as a task that never ends; a status ECS might add one day must be asked for.
  if (!ECS_TASK_STATUSES.includes(status) && unknownStatus !== true) {
    throw new ScenarioError(
      `${at}.status "${status}" is not an ECS task status (expected one of: ${ECS_TASK_STATUSES.join(', ')}); add "unknownStatus": true to the step to simulate one`,
    );
  }
  return { afterMs, status, ...(progress !== undefined ? { progress } : {}) };
}

function operationOf(value: unknown, at: string): SimOperation {
  if (!isObject(value)) throw new ScenarioError(`${at} must be an object`);
  onlyKnownFields(value, at, ['status', 'errorCode', 'errorMessage', 'relatedItems']);
  const op: SimOperation = { status: text(value, 'status', at)! };
  const errorCode = text(value, 'errorCode', at, true);
  const errorMessage = text(value, 'errorMessage', at, true);
  if (errorCode) op.errorCode = errorCode;
  if (errorMessage) op.errorMessage = errorMessage;
  if (value.relatedItems !== undefined) {
    if (!Array.isArray(value.relatedItems)) throw new ScenarioError(`${at}.relatedItems must be an array`);
    op.relatedItems = value.relatedItems.map((item, i) => {
      const itemAt = `${at}.relatedItems[${i}]`;
      if (!isObject(item)) throw new ScenarioError(`${itemAt} must be an object`);
      onlyKnownFields(item, itemAt, ['name', 'value']);
      if (typeof item.value !== 'string') throw new ScenarioError(`${itemAt}.value must be a string`);
      return { name: text(item, 'name', itemAt)!, value: item.value };
    });
  }
  return op;
}

function resultOf(value: unknown, at: string): SimTask['result'] {
  if (!isObject(value)) throw new ScenarioError(`${at} must be an object`);
  onlyKnownFields(value, at, ['totalCount', 'successCount', 'failedCount', 'operations']);
  const result: NonNullable<SimTask['result']> = {};
  for (const field of ['totalCount', 'successCount', 'failedCount'] as const) {
    if (value[field] === undefined) continue;
    if (!isCount(value[field])) throw new ScenarioError(`${at}.${field} must be a non-negative integer`);
    result[field] = value[field] as number;
  }
  if (value.operations !== undefined) {
    if (!Array.isArray(value.operations)) throw new ScenarioError(`${at}.operations must be an array`);
    result.operations = value.operations.map((op, i) => operationOf(op, `${at}.operations[${i}]`));
  }
  return result;
}

const TASK_FIELDS = ['taskId', 'regionId', 'action', 'resourceId', 'createdAt', 'afterMs', 'supportCancel', 'timeline', 'result', 'resource'];

function resourceOf(value: unknown, at: string): SimResource {
  if (!isObject(value)) throw new ScenarioError(`${at} must be an object`);
  onlyKnownFields(value, at, ['readyAfterMs', 'pendingStatus', 'readyStatus', 'locks']);
  const resource: SimResource = {};
  if (value.readyAfterMs !== undefined) {
    if (typeof value.readyAfterMs !== 'number' || !(value.readyAfterMs >= 0)) throw new ScenarioError(`${at}.readyAfterMs must be a non-negative number`);
    resource.readyAfterMs = value.readyAfterMs;
  }
  const pending = text(value, 'pendingStatus', at, true);
  const ready = text(value, 'readyStatus', at, true);
  if (pending) resource.pendingStatus = pending;
  if (ready) resource.readyStatus = ready;
  if (value.locks !== undefined) {
    if (!Array.isArray(value.locks) || value.locks.some((l) => typeof l !== 'string' || l === ''))
      throw new ScenarioError(`${at}.locks must be a list of lock reasons`);
    resource.locks = value.locks as string[];
  }
  return resource;
}

/**
 * Validates a scenario `{"tasks":[…]}`. Each task has the SimTask fields; its creation time is `createdAt`
 * (ISO 8601 or epoch ms), or `afterMs` relative to `now` (negative for tasks created earlier), or `now` when neither.
 */
export function loadScenario(json: unknown, now: number): SimTask[] {
  if (!isObject(json) || !Array.isArray(json.tasks)) throw new ScenarioError('scenario must be an object with a "tasks" array');
  onlyKnownFields(json, 'scenario', ['tasks']);
  const seen = new Set<string>();
  return json.tasks.map((raw, i) => {
    const at = `tasks[${i}]`;
    if (!isObject(raw)) throw new ScenarioError(`${at} must be an object`);
    onlyKnownFields(raw, at, TASK_FIELDS);
    const taskId = text(raw, 'taskId', at)!;
    const regionId = text(raw, 'regionId', at)!;
    if (!REGION_IDS.includes(regionId)) throw new ScenarioError(`${at}.regionId must be a known region id, not "${regionId}"`);
    if (seen.has(`${regionId}/${taskId}`)) throw new ScenarioError(`${at}.taskId ${taskId} is already used in ${regionId}`);
    seen.add(`${regionId}/${taskId}`);
    if (!Array.isArray(raw.timeline) || raw.timeline.length === 0) throw new ScenarioError(`${at}.timeline must be a non-empty array`);
    if (raw.supportCancel !== undefined && typeof raw.supportCancel !== 'boolean') {
      throw new ScenarioError(`${at}.supportCancel must be true or false`);
    }
    const task: SimTask = {
      taskId,
      regionId,
      action: text(raw, 'action', at)!,
      createdAt: createdAtOf(raw, at, now),
      timeline: raw.timeline.map((step, j) => stepOf(step, `${at}.timeline[${j}]`)),
    };
    const resource = text(raw, 'resourceId', at, true);
    if (resource) task.resourceId = resource;
    if (raw.supportCancel !== undefined) task.supportCancel = raw.supportCancel;
    if (raw.result !== undefined) task.result = resultOf(raw.result, `${at}.result`);
    if (raw.resource !== undefined) task.resource = resourceOf(raw.resource, `${at}.resource`);
    return task;
  });
}
