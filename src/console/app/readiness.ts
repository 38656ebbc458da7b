/** What the console says of a task's resource and of a stall: a short line and its tone, from the snapshot alone. */
import type { TaskState } from './types.js';

export interface Note {
  text: string;
  tone: 'ok' | 'warn' | 'muted';
}

/** "image m-… Creating": the resource and its last known status. */
export function resourceLabel(snapshot: TaskState): string | null {
  const r = snapshot.resource;
  if (!r) return snapshot.resourceId ?? null;
  return `${r.type} ${r.id}${r.status ? ` ${r.status}` : ''}`;
}

/** Where a finished task's resource stands: waited for, usable, sent without it, or not checked. */
export function readinessNote(snapshot: TaskState): Note | null {
  const r = snapshot.readiness;
  const name = snapshot.resource ? `${snapshot.resource.type} ${snapshot.resource.id}` : 'resource';
  if (!r) return null;
  switch (r.state) {
    case 'waiting':
      return { text: `waiting for ${name}${snapshot.resource?.status ? ` (${snapshot.resource.status})` : ''}`, tone: 'warn' };
    case 'ready':
      return { text: `${name} usable`, tone: 'ok' };
    case 'not_ready':
      return { text: `not usable: ${r.reason ?? name}`, tone: 'warn' };
    case 'unchecked':
      return { text: r.reason ?? 'not checked', tone: 'muted' };
  }
}

/** A stalled running task: how long and what it broke. */
export const stallNote = (snapshot: TaskState): Note | null => (snapshot.stall ? { text: `stalled: ${snapshot.stall.reason}`, tone: 'warn' } : null);
