/** A webhook's health from its attempt log: the success rate over a window (the last day by default) and its latest attempt. */
import type { DeliveryAttempt } from './types.js';

export const DAY_MS = 24 * 3_600_000;

export interface AttemptHealth {
  /** Attempts inside the window. */
  attempts: number;
  succeeded: number;
  /** succeeded / attempts; null with no attempt in the window. */
  rate: number | null;
  last: DeliveryAttempt | null;
}

export function attemptHealth(attempts: DeliveryAttempt[], now: number, windowMs = DAY_MS): AttemptHealth {
  const since = now - windowMs;
  const recent = attempts.filter((a) => Date.parse(a.at) >= since);
  const succeeded = recent.filter((a) => a.success).length;
  const last = attempts.reduce<DeliveryAttempt | null>((latest, a) => (!latest || a.at > latest.at ? a : latest), null);
  return { attempts: recent.length, succeeded, rate: recent.length ? succeeded / recent.length : null, last };
}

/** Whether the attempt log has to be read further back to cover the window: its oldest attempt so far is still inside it. */
export const needsOlderAttempts = (attempts: DeliveryAttempt[], now: number, windowMs = DAY_MS) =>
  attempts.length > 0 && Date.parse(attempts[attempts.length - 1].at) >= now - windowMs;
