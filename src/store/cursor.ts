/** Page cursors and the sort keys every backend orders by: cursors are the last key of the previous page, base64url so clients treat them as tokens. */
import { InvalidInputError } from '../errors.js';
import type { DeliveryAttempt, RunRecord, StoredEvent } from './port.js';

export function encodeCursor(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(cursor))
    throw new InvalidInputError('InvalidCursor', 'the cursor is not one this API returned; start again without it', 'cursor');
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

/** A string key that sorts newest first: the time's complement, then a tie-breaker. */
export function newestFirstKey(time: string, tieBreaker: string): string {
  const inverted = String(9_999_999_999_999 - Date.parse(time)).padStart(13, '0');
  return `${inverted}|${tieBreaker}`;
}

/** Events sort newest first; within one commit, the higher sequence first. */
export function eventSortKey(stored: StoredEvent): string {
  // An operational event (appendEvents) has no sequence: it sorts after task events recorded at the same time.
  const sequence = String(999_999_999 - ((stored.event.data.sequence as number | undefined) ?? 0)).padStart(9, '0');
  return newestFirstKey(stored.recordedAt, `${sequence}|${stored.event.id}`);
}

/** Deliveries sort newest created first. */
export const deliverySortKey = (d: { createdAt: string; id: string }) => newestFirstKey(d.createdAt, d.id);

/** Attempts sort newest first; one delivery's attempts at the same time by number. */
export const attemptSortKey = (a: DeliveryAttempt) => newestFirstKey(a.at, `${a.deliveryId}#${String(a.attempt).padStart(4, '0')}`);

/** One webhook's deliveries for one task go in sequence order. */
export const orderSortKey = (d: { sequence: number; id: string }) => `${String(d.sequence).padStart(12, '0')}|${d.id}`;

/** Runs sort newest started first. */
export const runSortKey = (r: Pick<RunRecord, 'startedAt' | 'id'>) => newestFirstKey(r.startedAt, r.id);
