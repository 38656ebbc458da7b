/** When a failed delivery is tried again: a fixed schedule with ±20 % jitter, and Retry-After honoured within limits. */

/** Delays after attempt 1, 2, …; after the last one the delivery is dead. */
export const RETRY_SCHEDULE_MS = [5_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 5 * 3_600_000, 10 * 3_600_000, 10 * 3_600_000];
export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length + 1;
/** A webhook that has failed without a single success for this long is disabled. */
export const DISABLE_AFTER_MS = 5 * 24 * 3_600_000;
/**
 * …and only after at least this many failed attempts since it began failing (one delivery's whole schedule, and
 * one more): a wall clock that jumps days ahead makes the span, not the failures.
 */
export const DISABLE_AFTER_FAILURES = MAX_ATTEMPTS + 1;
const JITTER = 0.2;

/** Null when the attempt was the last one. */
export function nextRetryDelay(attempt: number, retryAfter: string | undefined, now: number, random = Math.random): number | null {
  const base = RETRY_SCHEDULE_MS[attempt - 1];
  if (base === undefined) return null;
  const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * random()));
  const asked = parseRetryAfter(retryAfter, now);
  // Like Svix: a receiver may slow us down, up to twice the scheduled delay, never speed us up.
  return asked === null ? jittered : Math.min(Math.max(asked, jittered), 2 * base);
}

/** Retry-After as delay seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
