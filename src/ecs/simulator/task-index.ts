/** The simulated tasks of an account: a Map per region by task id, and per region (and action) an index by creation time. */
import type { SimTask } from './types';

const collator = new Intl.Collator().compare;
/** Ids of digits, lowercase letters and dashes (every ECS task id) sort the same by code unit as by the collator, only faster. */
const PLAIN_ID = /^[-0-9a-z]*$/;

/** Task ids in `localeCompare` order. */
export function compareIds(a: string, b: string): number {
  if (PLAIN_ID.test(a) && PLAIN_ID.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return collator(a, b);
}

/** The order DescribeTasks answers in: newest first, ties by task id. */
const byId = compareIds;
export const answerOrder = (a: SimTask, b: SimTask): number => b.createdAt - a.createdAt || byId(a.taskId, b.taskId);

/** A run of tasks in answer order: `list[start]` up to, not including, `list[end]`. */
export interface TaskRange {
  list: readonly SimTask[];
  start: number;
  end: number;
}

interface RegionTasks {
  byId: Map<string, SimTask>;
  /** Every task of the region in answer order; null until the next window query sorts it again. */
  sorted: SimTask[] | null;
  /** The same, per action. */
  byAction: Map<string, SimTask[]> | null;
}

/** First index in `list` (answer order) whose task is created at or before `t` (`inclusive`), or before it. */
function firstCreatedBefore(list: readonly SimTask[], t: number, inclusive: boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const at = list[mid].createdAt;
    if (at > t || (!inclusive && at === t)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of `task` in `list` (answer order), found by its creation time and id; -1 if absent. */
function positionOf(list: readonly SimTask[], task: SimTask): number {
  let lo = firstCreatedBefore(list, task.createdAt, true);
  let hi = firstCreatedBefore(list, task.createdAt, false);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const order = byId(list[mid].taskId, task.taskId);
    if (order === 0) return mid;
    if (order < 0) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

/**
 * Lookups by (region, task id) are Map gets; a creation-time window is two binary searches on an index kept per
 * region and per action. Adding or removing a task marks its region's index stale; it is sorted again, once, by
 * the next window query. Replacing a task with one of the same creation time and action (a cancellation, a
 * timeline cut short) swaps it in place.
 */
export class TaskIndex {
  private readonly regions = new Map<string, RegionTasks>();

  get(regionId: string, taskId: string): SimTask | undefined {
    return this.regions.get(regionId)?.byId.get(taskId);
  }

  put(task: SimTask): void {
    let region = this.regions.get(task.regionId);
    if (!region) this.regions.set(task.regionId, (region = { byId: new Map(), sorted: null, byAction: null }));
    const previous = region.byId.get(task.taskId);
    region.byId.set(task.taskId, task);
    if (previous && previous.createdAt === task.createdAt && previous.action === task.action) {
      replaceIn(region.sorted, previous, task);
      replaceIn(region.byAction?.get(task.action) ?? null, previous, task);
      return;
    }
    region.sorted = null;
    region.byAction = null;
  }

  delete(regionId: string, taskId: string): boolean {
    const region = this.regions.get(regionId);
    if (!region?.byId.delete(taskId)) return false;
    region.sorted = null;
    region.byAction = null;
    return true;
  }

  size(): number {
    let n = 0;
    for (const region of this.regions.values()) n += region.byId.size;
    return n;
  }

  values(): IterableIterator<SimTask> {
    const regions = [...this.regions.values()];
    return (function* () {
      for (const region of regions) yield* region.byId.values();
    })();
  }

  /** The region's tasks in no particular order. */
  inRegion(regionId: string): SimTask[] {
    return [...(this.regions.get(regionId)?.byId.values() ?? [])];
  }

  /** The region's tasks (of one action, when given) created in [from, to], both ends inclusive, in answer order. */
  createdBetween(regionId: string, from: number, to: number, action?: string): TaskRange {
    const region = this.regions.get(regionId);
    if (!region) return { list: [], start: 0, end: 0 };
    const list = action === undefined ? sortedOf(region) : (actionsOf(region).get(action) ?? []);
    const start = firstCreatedBefore(list, to, true);
    const end = Math.max(start, firstCreatedBefore(list, from, false));
    return { list, start, end };
  }
}

function replaceIn(list: SimTask[] | null, previous: SimTask, next: SimTask): void {
  if (!list) return;
  const i = positionOf(list, previous);
  if (i >= 0) list[i] = next;
}

function sortedOf(region: RegionTasks): SimTask[] {
  region.sorted ??= [...region.byId.values()].sort(answerOrder);
  return region.sorted;
}

function actionsOf(region: RegionTasks): Map<string, SimTask[]> {
  if (!region.byAction) {
    const byAction = new Map<string, SimTask[]>();
    // Already in answer order, so each action's list is too.
    for (const task of sortedOf(region)) {
      const list = byAction.get(task.action);
      if (list) list.push(task);
      else byAction.set(task.action, [task]);
    }
    region.byAction = byAction;
  }
  return region.byAction;
}
