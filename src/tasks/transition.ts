/**
 * The rules of one poll, as plain functions of data: given a task's last-seen snapshot and what DescribeTasks
 * said, whether DescribeTaskAttribute must be asked; the snapshot to compare; and the events the change makes.
 * No I/O and no clock: the poller feeds them what ECS answered and commits what they return.
 */
import { eventsForTransition, type TaskEvent } from './events.js';
import type { TaskSnapshot } from './snapshot.js';

export interface TaskRef {
  regionId: string;
  taskId: string;
}

/**
 * The actions whose tasks DescribeTaskAttribute documents. For the others (RedeployInstance, ArchiveSnapshot) what it
 * answers is undocumented, so DescribeTasks alone decides.
 */
const ATTRIBUTE_ACTIONS = new Set(['ImportImage', 'ExportImage', 'ModifyDiskSpec']);

/** An action not known yet (a task never listed) may be asked about; its answer is weighed like any other. */
export const attributeCovers = (action: string | null | undefined): boolean => !action || ATTRIBUTE_ACTIONS.has(action);

/** An answer that would end a task or retire it, waiting for a second one to agree. */
export interface PendingVerdict {
  code: string;
  firstSeenAt: string;
  requestId: string | null;
}

/** Codes of the evidence a verdict rests on. */
export const VERDICT = {
  notFound: 'InvalidTaskId.NotFound',
  missingFromList: 'MissingFromDescribeTasks',
  invalidRegion: 'InvalidRegionId.NotFound',
} as const;

/** "Missing from DescribeTasks" and "DescribeTaskAttribute: not found" are one claim, seen two ways. */
const GONE: ReadonlySet<string> = new Set([VERDICT.notFound, VERDICT.missingFromList]);
const agrees = (first: string, then: string) => first === then || (GONE.has(first) && GONE.has(then));

/**
 * One answer is never a verdict: it stands when an earlier answer with the same code is at least `confirmMs` old.
 * Until then the first sighting is kept, so the clock runs from it.
 */
export function weighVerdict(
  pending: PendingVerdict | null,
  code: string,
  requestId: string | null,
  observedAt: string,
  confirmMs: number,
): { confirmed: boolean; pending: PendingVerdict } {
  if (!pending || !agrees(pending.code, code)) return { confirmed: false, pending: { code, firstSeenAt: observedAt, requestId } };
  return { confirmed: Date.parse(observedAt) - Date.parse(pending.firstSeenAt) >= confirmMs, pending };
}

/**
 * DescribeTasks carries no progress, counts or error details, so the attribute is asked for when those matter:
 * the task is missing from the list (to confirm it is gone), it has just become terminal (counts and errors go
 * into the completion event), or it is running and a webhook wants its progress.
 */
export function needsDetail(previous: TaskSnapshot | null, listed: TaskSnapshot | undefined, progressWanted: boolean): boolean {
  if (!attributeCovers(listed?.action ?? previous?.action)) return false;
  if (!listed) return true;
  if (listed.terminal) return !previous?.terminal;
  return listed.outcome === 'running' && progressWanted;
}

/** A DescribeTasks entry with what only DescribeTaskAttribute knows carried over while the status has not moved. */
export function carryDetail(previous: TaskSnapshot | null, listed: TaskSnapshot): TaskSnapshot {
  if (!previous || previous.status !== listed.status) return listed;
  return { ...listed, progress: previous.progress, counts: previous.counts, operations: previous.operations };
}

/** What a watched task looks like once ECS answers InvalidTaskId.NotFound for it: terminal, with what was known kept. */
export function notFoundSnapshot(previous: TaskSnapshot | null, task: TaskRef, requestId: string | null, observedAt: string): TaskSnapshot {
  return { ...(previous ?? emptySnapshot(task, observedAt)), status: 'NotFound', outcome: 'not_found', terminal: true, requestId, observedAt };
}

/** The snapshot kept for a task ECS refused for good (an unknown region): nothing new is claimed about it. */
export function retiredSnapshot(previous: TaskSnapshot | null, task: TaskRef, requestId: string | null, observedAt: string): TaskSnapshot {
  return { ...(previous ?? { ...emptySnapshot(task, observedAt), requestId }), observedAt };
}

export function emptySnapshot(task: TaskRef, observedAt: string): TaskSnapshot {
  return {
    id: task.taskId,
    regionId: task.regionId,
    action: '',
    status: '',
    outcome: 'unknown',
    terminal: false,
    progress: null,
    supportCancel: false,
    createdAt: null,
    finishedAt: null,
    durationSeconds: null,
    counts: null,
    operations: [],
    resourceId: null,
    requestId: null,
    observedAt,
  };
}

export interface TransitionInput {
  previous: TaskSnapshot | null;
  next: TaskSnapshot;
  /** The sequence of the task's last event (0 before any). */
  sequence: number;
  accountId?: string;
  progressStep?: number;
  /**
   * When the task's watch began (its record's `watchedAt`): part of each event id, so a task watched anew after a
   * purge gets ids that cannot collide with the ones delivered before.
   */
  generation?: string;
}

export interface Transition {
  events: TaskEvent[];
  /** Whether the new snapshot is worth a commit: first sight, an event, or a new status or progress. */
  changed: boolean;
  /** ECS reported a status taskhook does not know (for the first time at this status): worth one warning. */
  unknownStatus: boolean;
}

export function transition(input: TransitionInput): Transition {
  const { previous, next } = input;
  const events = eventsForTransition(input);
  const changed = !previous || events.length > 0 || previous.status !== next.status || previous.progress !== next.progress;
  return { events, changed, unknownStatus: next.outcome === 'unknown' && previous?.status !== next.status };
}
