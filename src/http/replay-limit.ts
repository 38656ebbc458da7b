/**
 * Replays (redeliver, recover) per API token: a bucket per token, so one script looping over redeliver cannot flood
 * the delivery queue or a receiver. In memory per API instance; the token is keyed by its hash, never kept.
 */
import { createHash } from 'node:crypto';
import { HttpError } from '../errors.js';
import type { ApiEvent } from './route.js';

/** Replays a token may ask for at once, and how many a minute it wins back. */
export const REPLAY_BURST = 30;
export const REPLAYS_PER_MINUTE = 30;
const MAX_TOKENS_REMEMBERED = 1_000;

const buckets = new Map<string, { tokens: number; at: number }>();

/** Takes one replay for the request's token at `now`, or refuses with 429 and when to retry. */
export function admitReplay(event: Pick<ApiEvent, 'headers'>, now: number): void {
  const key = createHash('sha256')
    .update(event.headers.authorization ?? '')
    .digest('hex');
  const bucket = buckets.get(key) ?? { tokens: REPLAY_BURST, at: now };
  bucket.tokens = Math.min(REPLAY_BURST, bucket.tokens + (Math.max(0, now - bucket.at) / 60_000) * REPLAYS_PER_MINUTE);
  bucket.at = now;
  buckets.delete(key);
  if (buckets.size >= MAX_TOKENS_REMEMBERED) buckets.delete(buckets.keys().next().value!);
  buckets.set(key, bucket);
  if (bucket.tokens < 1) {
    const seconds = Math.ceil(((1 - bucket.tokens) * 60) / REPLAYS_PER_MINUTE);
    throw new HttpError(429, 'TooManyReplays', `more than ${REPLAYS_PER_MINUTE} replays a minute with this token; retry after ${seconds} s`, {
      'retry-after': String(seconds),
    });
  }
  bucket.tokens -= 1;
}
