/** What purge removes: records last touched before the cut-off that nothing waits on. Backends delete exactly these. */
import type { Delivery, DeliveryAttempt, RunRecord, StoredEvent, TaskRecord } from './port.js';

export const purgeable = {
  /**
   * An active task is still polled, however old; a kept one (still configured) stays with its sequence, so it is not
   * watched again from zero and its event ids are never reused.
   */
  task: (t: Pick<TaskRecord, 'active' | 'updatedAt'> & { key: string }, before: string, keep: ReadonlySet<string>) =>
    !t.active && t.updatedAt < before && !keep.has(t.key),
  event: (e: Pick<StoredEvent, 'recordedAt'>, before: string) => e.recordedAt < before,
  /** A pending delivery is still to be sent, however old. */
  delivery: (d: Pick<Delivery, 'status' | 'updatedAt'>, before: string) => d.status !== 'pending' && d.updatedAt < before,
  attempt: (a: Pick<DeliveryAttempt, 'at'>, before: string) => a.at < before,
  run: (r: Pick<RunRecord, 'finishedAt'>, before: string) => r.finishedAt < before,
};
