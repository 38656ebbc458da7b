/** How a delivery record moves on: one definition for every store adapter, so none of them decides on its own. */
import type { Delivery, DeliveryAttempt, DeliveryUpdate, NewDelivery } from './port.js';

/** Only the NewDelivery fields are taken: a caller's object may carry more. */
export function pendingDelivery(d: NewDelivery): Delivery {
  const { id, eventId, webhookId, regionId, taskId, sequence, dueAt, createdAt } = d;
  return {
    id,
    eventId,
    webhookId,
    regionId,
    taskId,
    sequence,
    dueAt,
    createdAt,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: dueAt,
    lastAttemptAt: null,
    lastStatus: null,
    lastError: null,
    updatedAt: createdAt,
  };
}

export function afterAttempt(d: Delivery, attempt: DeliveryAttempt, update: DeliveryUpdate): Delivery {
  return {
    ...d,
    status: update.status,
    nextAttemptAt: update.nextAttemptAt,
    attempts: Math.max(d.attempts, attempt.attempt),
    lastAttemptAt: attempt.at,
    lastStatus: attempt.status,
    lastError: attempt.error,
    updatedAt: attempt.at,
  };
}

/** Null when the delivery is no longer pending: only a pending one can be abandoned or rescheduled. */
export function abandoned(d: Delivery, reason: string, now: string): Delivery | null {
  return d.status === 'pending' ? { ...d, status: 'dead', nextAttemptAt: null, lastError: reason, updatedAt: now } : null;
}

export function rescheduled(d: Delivery, nextAttemptAt: string): Delivery | null {
  return d.status === 'pending' ? { ...d, nextAttemptAt } : null;
}
