/** Raw DescribeTaskAttribute / DescribeTasks payloads → TaskSnapshot. Pure: no I/O, no clock (observedAt is passed in). */
import { EcsError } from '../errors.js';
import type { CheckedType, ResourceState } from '../tasks/resource.js';
import type { RelatedItem, TaskCounts, TaskOperation, TaskOutcome, TaskSnapshot } from '../tasks/snapshot.js';

type Raw = Record<string, unknown>;

/** ECS statuses and what they mean; Finished is refined by the counts. */
export const STATUS_OUTCOME: Record<string, { outcome: TaskOutcome; terminal: boolean }> = {
  Waiting: { outcome: 'pending', terminal: false },
  Processing: { outcome: 'running', terminal: false },
  Paused: { outcome: 'paused', terminal: false },
  Finished: { outcome: 'succeeded', terminal: true },
  Failed: { outcome: 'failed', terminal: true },
  Deleted: { outcome: 'cancelled', terminal: true },
};

export function normalizeTaskAttribute(raw: Raw, observedAt: string): TaskSnapshot {
  const counts: TaskCounts = {
    total: toInt(raw.TotalCount),
    succeeded: toInt(raw.SuccessCount),
    failed: toInt(raw.FailedCount),
  };
  return build(raw, observedAt, {
    counts,
    progress: parseProgress(raw.TaskProcess),
    operations: listOf(asRecord(raw.OperationProgressSet)?.OperationProgress).map(toOperation),
    requestId: str(raw.RequestId),
    regionId: str(raw.RegionId),
  });
}

/** One entry of DescribeTasks' TaskSet.Task: no progress, counts or operations. */
export function normalizeTaskListEntry(raw: Raw, regionId: string, requestId: string | null, observedAt: string): TaskSnapshot {
  return build(raw, observedAt, { counts: null, progress: null, operations: [], requestId, regionId });
}

interface Parts {
  counts: TaskCounts | null;
  progress: number | null;
  operations: TaskOperation[];
  requestId: string | null;
  regionId: string | null;
}

function build(raw: Raw, observedAt: string, parts: Parts): TaskSnapshot {
  const status = str(raw.TaskStatus) ?? '';
  const createdAt = parseEcsTime(raw.CreationTime);
  const finishedAt = parseEcsTime(raw.FinishedTime);
  const { outcome, terminal } = classify(status, parts.counts);
  return {
    id: str(raw.TaskId) ?? '',
    regionId: parts.regionId ?? '',
    action: normalizeAction(str(raw.TaskAction) ?? ''),
    status,
    outcome,
    terminal,
    progress: parts.progress,
    supportCancel: raw.SupportCancel === true || raw.SupportCancel === 'true',
    createdAt,
    finishedAt,
    durationSeconds: createdAt && finishedAt ? Math.max(0, (Date.parse(finishedAt) - Date.parse(createdAt)) / 1000) : null,
    counts: parts.counts,
    operations: parts.operations,
    resourceId: str(raw.ResourceId),
    requestId: parts.requestId,
    observedAt,
  };
}

export function classify(status: string, counts: TaskCounts | null): { outcome: TaskOutcome; terminal: boolean } {
  // hasOwn: a TaskStatus such as "constructor" must not find Object.prototype's members.
  const known = Object.hasOwn(STATUS_OUTCOME, status) ? STATUS_OUTCOME[status] : undefined;
  if (!known) return { outcome: 'unknown', terminal: false };
  if (status !== 'Finished' || !counts || counts.failed === 0) return known;
  return { outcome: counts.succeeded > 0 ? 'partially_failed' : 'failed', terminal: true };
}

/** `IMPORT_IMAGE` (seen in one DescribeTasks sample) → `ImportImage`; already-camel names pass through. */
export function normalizeAction(action: string): string {
  if (!/^[A-Z0-9_]+$/.test(action) || !action.includes('_')) return action;
  return action
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** ECS writes `2015-11-23T02:13Z` (minute precision) as often as `…T02:13:45Z`; both become `…T02:13:00Z`. */
export function parseEcsTime(value: unknown): string | null {
  const text = str(value);
  if (!text) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : isoSeconds(ms);
}

/** ISO 8601 to the second, as ECS and this API write times: `2026-11-27T02:13:00Z`. */
export function isoSeconds(time: number | string): string {
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function parseProgress(value: unknown): number | null {
  const text = typeof value === 'number' ? String(value) : str(value);
  if (!text) return null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (!match) return null;
  return Math.min(100, Math.max(0, Number(match[1])));
}

function toOperation(raw: unknown): TaskOperation {
  const op = asRecord(raw) ?? {};
  return {
    status: str(op.OperationStatus),
    errorCode: str(op.ErrorCode),
    errorMessage: str(op.ErrorMsg),
    relatedItems: listOf(asRecord(op.RelatedItemSet)?.RelatedItem).map((item): RelatedItem => {
      const r = asRecord(item) ?? {};
      return { name: str(r.Name) ?? '', value: str(r.Value) ?? '' };
    }),
  };
}

/** Why an answer is not evidence of a task's state. */
export type MalformedReason = 'not-an-object' | 'missing-task-id' | 'other-task' | 'other-region' | 'wrong-type' | 'not-json';

/** An answer that came back but cannot be read as the task asked for: retried like a 5xx, never turned into a snapshot. */
export class MalformedAnswerError extends EcsError {
  constructor(
    readonly reason: MalformedReason,
    detail: string,
    requestId: string | null = null,
  ) {
    super({
      code: 'MalformedAnswer',
      message: `ECS answered something that is not a readable task answer: ${detail}`,
      requestId,
      httpStatus: null,
      retryable: true,
    });
  }
}

/** The task a DescribeTaskAttribute call asked for: the snapshot's identity comes from here, never from the answer. */
export interface AskedTask {
  regionId: string;
  taskId: string;
}

type FieldCheck = { accepts: (value: unknown) => boolean; expected: string };

const isText = (v: unknown) => typeof v === 'string';
const isNonEmptyText = (v: unknown) => typeof v === 'string' && v !== '';
// ECS writes counts as JSON numbers; digit strings are the XML heritage. json-bigint turns huge ones into objects, which fail here.
const isCount = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) || (typeof v === 'string' && /^\d{1,15}$/.test(v));
const isProgress = (v: unknown) => v === '' || ((typeof v === 'number' || typeof v === 'string') && parseProgress(v) !== null);
const isSet = (v: unknown) => v === '' || asRecord(v) !== undefined;

const TEXT: FieldCheck = { accepts: isText, expected: 'a string' };
const STATUS: FieldCheck = { accepts: isNonEmptyText, expected: 'a non-empty string' };
const COUNT: FieldCheck = { accepts: isCount, expected: 'a non-negative integer' };
const PROGRESS: FieldCheck = { accepts: isProgress, expected: 'a percentage such as "45%"' };
const SET: FieldCheck = { accepts: isSet, expected: 'an object' };

/** Fields a verdict or an identity rests on; everything else (times, SupportCancel) is read leniently. Null counts as absent. */
const ATTRIBUTE_FIELDS: Record<string, FieldCheck & { required?: true }> = {
  TaskStatus: { ...STATUS, required: true },
  TaskAction: TEXT,
  RegionId: TEXT,
  RequestId: TEXT,
  TotalCount: COUNT,
  SuccessCount: COUNT,
  FailedCount: COUNT,
  TaskProcess: PROGRESS,
  OperationProgressSet: SET,
};

const LIST_ENTRY_FIELDS: Record<string, FieldCheck & { required?: true }> = {
  TaskStatus: { ...STATUS, required: true },
  TaskAction: TEXT,
  ResourceId: TEXT,
};

const PAGE_FIELDS: Record<string, FieldCheck & { required?: true }> = {
  RegionId: TEXT,
  RequestId: TEXT,
  TotalCount: COUNT,
  TaskSet: SET,
};

function checkFields(raw: Raw, fields: Record<string, FieldCheck & { required?: true }>, at: string, requestId: string | null): void {
  for (const [name, check] of Object.entries(fields)) {
    const value = raw[name];
    if (value === undefined || value === null) {
      if (check.required) throw new MalformedAnswerError('wrong-type', `${at}${name} is missing`, requestId);
      continue;
    }
    if (!check.accepts(value)) throw new MalformedAnswerError('wrong-type', `${at}${name} must be ${check.expected}, not ${describeValue(value)}`, requestId);
  }
}

function answerObject(raw: unknown, what: string): Raw {
  const record = asRecord(raw);
  if (!record) throw new MalformedAnswerError('not-an-object', `${what} is ${describeValue(raw)}, not a JSON object`);
  return record;
}

function requestIdOf(raw: Raw): string | null {
  return typeof raw.RequestId === 'string' && raw.RequestId !== '' ? raw.RequestId : null;
}

function checkRegion(raw: Raw, regionId: string, requestId: string | null): void {
  if (typeof raw.RegionId === 'string' && raw.RegionId !== '' && raw.RegionId !== regionId) {
    throw new MalformedAnswerError('other-region', `the answer is for region ${raw.RegionId}, the call asked ${regionId}`, requestId);
  }
}

function checkOperations(set: unknown, requestId: string | null): void {
  listOf(asRecord(set)?.OperationProgress).forEach((op, i) => {
    const record = asRecord(op);
    if (!record) throw new MalformedAnswerError('wrong-type', `OperationProgress[${i}] must be an object, not ${describeValue(op)}`, requestId);
    if (record.RelatedItemSet !== undefined && !isSet(record.RelatedItemSet)) {
      throw new MalformedAnswerError('wrong-type', `OperationProgress[${i}].RelatedItemSet must be an object`, requestId);
    }
    listOf(asRecord(record.RelatedItemSet)?.RelatedItem).forEach((item, j) => {
      if (!asRecord(item)) throw new MalformedAnswerError('wrong-type', `OperationProgress[${i}].RelatedItem[${j}] must be an object`, requestId);
    });
  });
}

/**
 * A DescribeTaskAttribute answer → the snapshot of the task asked for, or a MalformedAnswerError: an answer that omits
 * the TaskId, names another task or region, or has a field of the wrong type is no evidence of anything.
 */
export function parseTaskAttribute(raw: unknown, asked: AskedTask, observedAt: string): TaskSnapshot {
  const answer = answerObject(raw, 'the DescribeTaskAttribute answer');
  const requestId = requestIdOf(answer);
  const answeredId = answer.TaskId;
  if (answeredId === undefined || answeredId === null || answeredId === '') {
    throw new MalformedAnswerError('missing-task-id', `the answer has no TaskId (asked for ${asked.taskId})`, requestId);
  }
  if (answeredId !== asked.taskId) {
    throw new MalformedAnswerError('other-task', `the answer names task ${describeValue(answeredId)}, the call asked for ${asked.taskId}`, requestId);
  }
  checkRegion(answer, asked.regionId, requestId);
  checkFields(answer, ATTRIBUTE_FIELDS, '', requestId);
  checkOperations(answer.OperationProgressSet, requestId);
  return normalizeTaskAttribute({ ...answer, TaskId: asked.taskId, RegionId: asked.regionId }, observedAt);
}

/** The task ids a DescribeTasks page asked for (none: a filter query, any task of the region belongs). */
export interface AskedPage {
  regionId: string;
  taskIds?: ReadonlySet<string>;
}

export interface TaskPage {
  /** Entries that name a task asked for (every entry, for a filter query). */
  tasks: TaskSnapshot[];
  /** TaskIds of entries dropped because the call did not ask for them. */
  notAsked: string[];
  /** Entries on the page as ECS sent them, dropped ones included: paging goes by this. */
  entryCount: number;
  totalCount: number;
  requestId: string | null;
}

/** A DescribeTasks page → its entries, or a MalformedAnswerError when the page or any entry has an unknown shape. */
export function parseTaskPage(raw: unknown, asked: AskedPage, observedAt: string): TaskPage {
  const answer = answerObject(raw, 'the DescribeTasks answer');
  const requestId = requestIdOf(answer);
  checkRegion(answer, asked.regionId, requestId);
  checkFields(answer, PAGE_FIELDS, '', requestId);
  const entries = listOf(asRecord(answer.TaskSet)?.Task);
  const page: TaskPage = { tasks: [], notAsked: [], entryCount: entries.length, totalCount: toInt(answer.TotalCount), requestId };
  entries.forEach((entry, i) => {
    const at = `TaskSet.Task[${i}]`;
    const record = asRecord(entry);
    if (!record) throw new MalformedAnswerError('not-an-object', `${at} is ${describeValue(entry)}, not an object`, requestId);
    if (!isNonEmptyText(record.TaskId)) throw new MalformedAnswerError('missing-task-id', `${at} has no TaskId`, requestId);
    checkFields(record, LIST_ENTRY_FIELDS, `${at}.`, requestId);
    const taskId = record.TaskId as string;
    if (asked.taskIds && !asked.taskIds.has(taskId)) page.notAsked.push(taskId);
    else page.tasks.push(normalizeTaskListEntry(record, asked.regionId, requestId, observedAt));
  });
  return page;
}

/** A short, secret-free description of a value for an error message: its type, and a bounded quote of short text. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length <= 40 ? JSON.stringify(value) : `a ${value.length}-character string`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The XML-to-JSON heritage of the API turns a one-element list into a bare object. */
export function listOf(value: unknown): unknown[] {
  if (value === undefined || value === null || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

function asRecord(value: unknown): Raw | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Raw) : undefined;
}

function str(value: unknown): string | null {
  if (value === undefined || value === null || typeof value === 'object') return null;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === '' ? null : text;
}

function toInt(value: unknown): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

/** Where each describe call lists its resources, and the fields read of each: the id and the status (a snapshot's category). */
const RESOURCE_LAYOUT: Record<CheckedType, { set: string; item: string; id: string; status: string }> = {
  image: { set: 'Images', item: 'Image', id: 'ImageId', status: 'Status' },
  disk: { set: 'Disks', item: 'Disk', id: 'DiskId', status: 'Status' },
  instance: { set: 'Instances', item: 'Instance', id: 'InstanceId', status: 'Status' },
  snapshot: { set: 'Snapshots', item: 'Snapshot', id: 'SnapshotId', status: 'Category' },
};

export interface ResourcePage {
  states: ResourceState[];
  /** Ids of entries left out because the call did not ask for them. */
  notAsked: string[];
  entryCount: number;
  totalCount: number;
}

/**
 * A DescribeImages / DescribeDisks / DescribeInstances / DescribeSnapshots page → the state of each resource asked
 * for, or a MalformedAnswerError when the page or an entry has an unknown shape (retried, never read as evidence).
 */
export function parseResourcePage(raw: unknown, type: CheckedType, asked: ReadonlySet<string>, regionId: string): ResourcePage {
  const layout = RESOURCE_LAYOUT[type];
  const answer = answerObject(raw, `the ${layout.set} answer`);
  const requestId = requestIdOf(answer);
  checkRegion(answer, regionId, requestId);
  checkFields(answer, { RequestId: TEXT, TotalCount: COUNT, [layout.set]: SET }, '', requestId);
  const entries = listOf(asRecord(answer[layout.set])?.[layout.item]);
  const page: ResourcePage = { states: [], notAsked: [], entryCount: entries.length, totalCount: toInt(answer.TotalCount) };
  entries.forEach((entry, i) => {
    const at = `${layout.set}.${layout.item}[${i}]`;
    const record = asRecord(entry);
    if (!record) throw new MalformedAnswerError('not-an-object', `${at} is ${describeValue(entry)}, not an object`, requestId);
    if (!isNonEmptyText(record[layout.id])) throw new MalformedAnswerError('missing-task-id', `${at} has no ${layout.id}`, requestId);
    checkFields(record, { [layout.status]: TEXT, OperationLocks: SET }, `${at}.`, requestId);
    const id = record[layout.id] as string;
    if (!asked.has(id)) return void page.notAsked.push(id);
    const locks = listOf(asRecord(record.OperationLocks)?.OperationLock)
      .map((lock) => str(asRecord(lock)?.LockReason))
      .filter((reason): reason is string => reason !== null);
    page.states.push({ id, status: str(record[layout.status]), locks });
  });
  return page;
}
