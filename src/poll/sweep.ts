/**
 * The sweep of one region (or one key range of it): the watch list streamed page by page in key order into
 * batches of 100, polled by a pool of workers that grows with the paced rate and the observed batch time.
 * It starts where the last run's sweep stopped, so what one run could not reach goes first in the next, and it
 * leaves its own mark for the next run once the run ends.
 */
import type { TaskRecord } from '../store/port.js';
import { DEFAULT_ECS_RATE } from '../config.js';
import { pollBatch } from './batch.js';
import { nowIso, stopping, type Run } from './run.js';

const IDS_PER_CALL = 100;
/** Tasks read from the store per page: the most a sweep holds besides its batches in flight. */
const PAGE_SIZE = 500;
/** A task ECS refused for good is asked about again this often: the refusal may have been ECS's mistake. */
export const RECHECK_INVALID_MS = 3_600_000;
const MIN_WORKERS = 2;
const MAX_WORKERS = 32;

export interface Lane {
  regionId: string;
  /** Task-id bounds of a shard: after (exclusive) and up to (inclusive); absent, the whole region. */
  after?: string;
  upTo?: string;
  /** The mark that remembers where this lane's sweep stopped. */
  markName: string;
}

export interface LaneResult {
  /** The oldest `lastPolledAt` (or watch time) among the due tasks this run did not answer for; null when none. */
  oldestUnpolled: string | null;
}

interface Batch {
  index: number;
  tasks: TaskRecord[];
  /** The key of the last task read before the batch was cut, due or not: where a sweep that completed it resumes. */
  lastTaskId: string;
}

export async function sweepLane(run: Run, lane: Lane): Promise<LaneResult> {
  const { store } = run.deps;
  const mark = await store.getMark(lane.markName);
  const resumeAt = mark !== null && within(lane, mark) ? mark : null;
  const batches = batchesOf(run, lane, resumeAt)[Symbol.asyncIterator]();
  const result: LaneResult = { oldestUnpolled: null };

  const completed = new Set<number>();
  let nextToMark = 0;
  let markTo: string | null = null;
  const lastTaskIds = new Map<number, string>();
  const rate = run.deps.config.ecsRate ?? DEFAULT_ECS_RATE;

  const unpolled = (tasks: TaskRecord[]) => {
    run.summary.tasks.deferred += tasks.length;
    for (const t of tasks) {
      const at = t.lastPolledAt ?? t.watchedAt;
      if (result.oldestUnpolled === null || at < result.oldestUnpolled) result.oldestUnpolled = at;
    }
  };

  const workers = new Set<Promise<void>>();
  const worker = async (): Promise<void> => {
    for (;;) {
      const next = await batches.next();
      if (next.done) return;
      const batch = next.value;
      run.summary.tasks.active += batch.tasks.length;
      lastTaskIds.set(batch.index, batch.lastTaskId);
      if (batch.tasks.length > 0 && stopping(run)) {
        // Read on, so the summary counts what is left and how stale it is; nothing more is asked of ECS.
        unpolled(batch.tasks);
        continue;
      }
      const { complete, unanswered } = batch.tasks.length > 0 ? await pollBatch(run, lane.regionId, batch.tasks) : { complete: true, unanswered: [] };
      unpolled(unanswered);
      if (complete) completed.add(batch.index);
      while (completed.has(nextToMark)) markTo = lastTaskIds.get(nextToMark++)!;
      // As many batches in flight as the paced rate keeps busy at the observed ECS latency (doubled, for the
      // detail calls and the commit), and one more. Time spent waiting for the pacer does not count: it is the rate.
      const wanted = Math.min(MAX_WORKERS, Math.max(MIN_WORKERS, Math.ceil((rate * 2 * (run.callMs ?? 0)) / 1000) + 1));
      if (workers.size < wanted && !stopping(run)) spawn();
    }
  };
  const spawn = () => {
    const running: Promise<void> = worker().finally(() => workers.delete(running));
    workers.add(running);
  };
  for (let i = 0; i < MIN_WORKERS; i++) spawn();
  while (workers.size > 0) await Promise.all([...workers]);

  if (markTo !== null) await store.setMark(lane.markName, markTo, nowIso(run));
  return result;
}

const within = (lane: Lane, taskId: string) => (lane.after === undefined || taskId > lane.after) && (lane.upTo === undefined || taskId <= lane.upTo);

/**
 * The lane's due tasks in batches: from after the mark to the lane's end, then from the lane's start up to the
 * mark. Every task is read once; tasks refused for good are read but polled only when their recheck is due.
 */
async function* batchesOf(run: Run, lane: Lane, mark: string | null): AsyncGenerator<Batch> {
  const { store } = run.deps;
  const segments =
    mark === null
      ? [{ after: lane.after, upTo: lane.upTo }]
      : [
          { after: mark, upTo: lane.upTo },
          { after: lane.after, upTo: mark },
        ];
  const started = run.deps.now();
  let index = 0;
  let tasks: TaskRecord[] = [];
  let lastTaskId: string | null = null;
  for (const segment of segments) {
    let cursor: string | undefined;
    do {
      const page = await store.listActiveTasks({ limit: PAGE_SIZE, cursor, regionId: lane.regionId, ...segment });
      for (const task of page.items) {
        lastTaskId = task.taskId;
        if (task.invalid && started - Date.parse(task.updatedAt) < RECHECK_INVALID_MS) continue;
        tasks.push(task);
        if (tasks.length === IDS_PER_CALL) {
          yield { index: index++, tasks, lastTaskId };
          tasks = [];
        }
      }
      cursor = page.cursor;
      // A page of only skipped tasks still moves the mark on.
      if (tasks.length === 0 && page.items.length > 0 && cursor) yield { index: index++, tasks: [], lastTaskId: lastTaskId! };
    } while (cursor);
  }
  if (lastTaskId !== null) yield { index, tasks, lastTaskId };
}
