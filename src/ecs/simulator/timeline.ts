/** The state of a simulated task at an instant, derived purely from its timeline. */
import type { SimOperation, SimTask } from './types';
import { CANCELLABLE_ACTIONS } from './types';

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['Finished', 'Failed', 'Deleted']);

export interface TaskState {
  status: string;
  progress: number;
  terminal: boolean;
  /** Epoch ms the task reached its terminal status; null while it runs. */
  finishedAt: number | null;
  totalCount: number;
  successCount: number;
  failedCount: number;
  operations: SimOperation[];
}

/** Null when the task has not been created yet at `t`. */
export function taskStateAt(task: SimTask, t: number): TaskState | null {
  if (t < task.createdAt) return null;
  let status = 'Waiting';
  let progress: number | undefined;
  let stepAt = task.createdAt;
  for (const step of task.timeline) {
    const at = task.createdAt + step.afterMs;
    if (at > t) break;
    status = step.status;
    stepAt = at;
    // A step without progress keeps the last one shown, as a running task never goes backwards.
    if (step.progress !== undefined) progress = step.progress;
    else if (step.status === 'Finished') progress = 100;
  }
  const terminal = TERMINAL_STATUSES.has(status);
  const result = task.result ?? {};
  const totalCount = result.totalCount ?? 1;
  if (!terminal) {
    return { status, progress: progress ?? 0, terminal, finishedAt: null, totalCount, successCount: 0, failedCount: 0, operations: [] };
  }
  const finished = status === 'Finished';
  const failed = status === 'Failed';
  return {
    status,
    progress: progress ?? (finished ? 100 : 0),
    terminal,
    finishedAt: stepAt,
    totalCount,
    successCount: result.successCount ?? (finished ? totalCount : 0),
    failedCount: result.failedCount ?? (failed ? totalCount : 0),
    operations: result.operations ?? [],
  };
}

export function supportsCancel(task: SimTask): boolean {
  return task.supportCancel ?? CANCELLABLE_ACTIONS.includes(task.action);
}

/** Steps are applied in time order whatever order they were given in. */
export function sortedTimeline(task: SimTask): SimTask {
  return { ...task, timeline: [...task.timeline].sort((a, b) => a.afterMs - b.afterMs) };
}

/** The same task, stopped with `status` at `t`: later steps never happen. */
export function endTimelineAt(task: SimTask, t: number, status: string): SimTask {
  const afterMs = Math.max(0, t - task.createdAt);
  return { ...task, timeline: [...task.timeline.filter((s) => s.afterMs <= afterMs), { afterMs, status }] };
}

/** Recently formatted times: a page of tasks mostly shares a few creation and finish minutes. */
const formatted = { minute: new Map<number, string>(), second: new Map<number, string>() };
const FORMAT_CACHE_SIZE = 4_096;

export function formatTime(ms: number, precision: 'minute' | 'second'): string {
  const key = Math.floor(ms / (precision === 'second' ? 1_000 : 60_000));
  const cache = formatted[precision];
  let text = cache.get(key);
  if (text === undefined) {
    const iso = new Date(ms).toISOString(); // 2026-11-27T02:13:45.123Z
    text = precision === 'second' ? `${iso.slice(0, 19)}Z` : `${iso.slice(0, 16)}Z`;
    if (cache.size >= FORMAT_CACHE_SIZE) cache.clear();
    cache.set(key, text);
  }
  return text;
}

const TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?Z$/;

/** Parses `yyyy-MM-ddTHH:mm:ssZ` or `yyyy-MM-ddTHH:mmZ` (UTC); null when malformed. */
export function parseTime(text: string): number | null {
  const m = TIME_PATTERN.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0));
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // Rejects dates like 2026-02-31 that Date.UTC would roll over.
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return ms;
}
