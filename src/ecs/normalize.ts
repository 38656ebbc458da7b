/** Raw DescribeTaskAttribute / DescribeTasks payloads → TaskSnapshot. Pure: no I/O, no clock (observedAt is passed in). */
import type { RelatedItem, TaskCounts, TaskOperation, TaskOutcome, TaskSnapshot } from '../tasks/snapshot.js';

type Raw = Record<string, unknown>;

/** ECS statuses and what they mean; Finished is refined by the counts. */
const STATUS_OUTCOME: Record<string, { outcome: TaskOutcome; terminal: boolean }> = {
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
  const known = STATUS_OUTCOME[status];
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
