/** What changed → which events. Pure functions of two snapshots; ids are deterministic so a rerun yields the same events. */
import { createHash } from 'node:crypto';
import type { TaskSnapshot } from './snapshot.js';

export const COMPLETION_EVENT_TYPES = [
  'ecs.task.succeeded',
  'ecs.task.partially_failed',
  'ecs.task.failed',
  'ecs.task.cancelled',
  'ecs.task.not_found',
] as const;
export const OPT_IN_EVENT_TYPES = ['ecs.task.started', 'ecs.task.progress', 'ecs.task.status_changed', 'ecs.task.stalled', 'ecs.task.resumed'] as const;
export const TASK_EVENT_TYPES = [...COMPLETION_EVENT_TYPES, ...OPT_IN_EVENT_TYPES] as const;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];
/** About taskhook's own webhooks (src/webhooks/operational.ts); sent only to webhooks that name them. */
export const WEBHOOK_EVENT_TYPES = ['webhook.disabled', 'webhook.recovered', 'delivery.exhausted'] as const;
/** Polling of a region stopped (ECS refuses the request or the caller: clock, signature, key, permission) or resumed. */
export const POLLER_EVENT_TYPES = ['poller.blocked', 'poller.resumed'] as const;
export const OPERATIONAL_EVENT_TYPES = [...WEBHOOK_EVENT_TYPES, ...POLLER_EVENT_TYPES] as const;
export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];
/** What a webhook may subscribe to and the event log may be listed by. */
export const SUBSCRIBABLE_EVENT_TYPES = [...TASK_EVENT_TYPES, ...OPERATIONAL_EVENT_TYPES] as const;
export type EventType = TaskEventType | OperationalEventType | 'webhook.test';

export interface TaskEventData {
  task: TaskSnapshot;
  previousStatus: string | null;
  sequence: number;
}

/** A CloudEvents 1.0 event in structured JSON form. */
export interface TaskEvent {
  specversion: '1.0';
  id: string;
  type: EventType;
  source: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: TaskEventData;
}

const COMPLETION_TYPE: Partial<Record<TaskSnapshot['outcome'], TaskEventType>> = {
  succeeded: 'ecs.task.succeeded',
  partially_failed: 'ecs.task.partially_failed',
  failed: 'ecs.task.failed',
  cancelled: 'ecs.task.cancelled',
  not_found: 'ecs.task.not_found',
};

export interface TransitionInput {
  previous: TaskSnapshot | null;
  next: TaskSnapshot;
  /** The sequence of the task's last event (0 before any). */
  sequence: number;
  /** Progress events fire each time progress crosses a multiple of this many percent. */
  progressStep?: number;
  accountId?: string;
  /**
   * When the task's watch began (its record's `watchedAt`): part of each event id, so a task watched anew after a
   * purge gets ids that cannot collide with the ones delivered before.
   */
  generation?: string;
}

/** The task ended, or it succeeded and its resource is no longer waited for: its completion event is due. */
const completionDue = (s: TaskSnapshot) => s.terminal && s.readiness?.state !== 'waiting';

export function eventsForTransition({ previous, next, sequence, progressStep = 10, accountId = '', generation }: TransitionInput): TaskEvent[] {
  const found: { type: TaskEventType; time: string }[] = [];
  const statusChanged = previous?.status !== next.status;

  if (statusChanged) found.push({ type: 'ecs.task.status_changed', time: next.observedAt });
  if (next.outcome === 'running' && (!previous || previous.outcome === 'pending' || previous.outcome === 'unknown')) {
    found.push({ type: 'ecs.task.started', time: next.observedAt });
  }
  if (!next.terminal && next.progress !== null) {
    const step = Math.floor(next.progress / progressStep) * progressStep;
    const before = previous?.progress == null ? 0 : Math.floor(previous.progress / progressStep) * progressStep;
    if (step > before) found.push({ type: 'ecs.task.progress', time: next.observedAt });
  }
  if (next.stall && !previous?.stall) found.push({ type: 'ecs.task.stalled', time: next.observedAt });
  if (previous?.stall && !next.stall && !next.terminal) found.push({ type: 'ecs.task.resumed', time: next.observedAt });
  const completion = COMPLETION_TYPE[next.outcome];
  // A success whose resource is still waited for is completed later, by the readiness check (src/poll/readiness.ts).
  if (completion && completionDue(next) && (!previous || !completionDue(previous))) {
    found.push({ type: completion, time: next.finishedAt ?? next.observedAt });
  }

  return found.map((f, i) => ({
    specversion: '1.0',
    id: eventId(next.regionId, next.id, sequence + i + 1, generation),
    type: f.type,
    source: taskSource(next.regionId, next.id, accountId),
    subject: next.id,
    time: f.time,
    datacontenttype: 'application/json',
    data: { task: next, previousStatus: previous?.status || null, sequence: sequence + i + 1 },
  }));
}

export function taskSource(regionId: string, taskId: string, accountId = ''): string {
  return `acs:ecs:${regionId}:${accountId}:task/${taskId}`;
}

/**
 * The event of a task at one sequence number. The versioned commit makes a sequence mean one event only, so a rerun
 * of the same transition yields the same id, and a task that revisits a status (Processing → Paused → Processing)
 * gets new ids for the new events; two different events can never share one.
 */
export function eventId(regionId: string, taskId: string, sequence: number, generation?: string): string {
  const digest = createHash('sha256')
    .update([regionId, taskId, String(sequence), ...(generation ? [generation] : [])].join('\u0000'))
    .digest('hex');
  return `evt_${digest.slice(0, 26)}`;
}
