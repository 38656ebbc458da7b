/**
 * Pacing of hints: a token bucket caps the targeted polls per second, and a hint about a task (or image) seen
 * within the last few seconds is a duplicate. State held in memory, time handed in, no I/O.
 */

export interface HintGateOptions {
  /** Polls per second the bucket refills with. */
  ratePerSecond: number;
  /** Polls that may start at once after a quiet spell. */
  burst: number;
  /** A second hint about the same key within this is a duplicate. */
  dedupeMs: number;
  /** The most keys remembered; past it the oldest are forgotten. */
  maxKeys?: number;
}

export type GateVerdict = 'admitted' | 'duplicate' | 'rate';

export interface HintGate {
  /** Takes a token for `key` at `now` (epoch ms) unless the key is a duplicate or the bucket is empty. */
  admit(key: string, now: number): GateVerdict;
}

export function createHintGate(options: HintGateOptions): HintGate {
  const maxKeys = options.maxKeys ?? 10_000;
  let tokens = options.burst;
  let refilledAt: number | null = null;
  /** key → when it was admitted; insertion order is admission order. */
  const admitted = new Map<string, number>();

  const forgetOld = (now: number) => {
    for (const [key, at] of admitted) {
      if (now - at < options.dedupeMs && admitted.size <= maxKeys) break;
      admitted.delete(key);
    }
  };
  const refill = (now: number) => {
    if (refilledAt !== null && now > refilledAt) tokens = Math.min(options.burst, tokens + ((now - refilledAt) / 1000) * options.ratePerSecond);
    if (refilledAt === null || now > refilledAt) refilledAt = now;
  };

  return {
    admit(key, now) {
      forgetOld(now);
      const last = admitted.get(key);
      if (last !== undefined && now - last < options.dedupeMs) return 'duplicate';
      refill(now);
      if (tokens < 1) return 'rate';
      tokens -= 1;
      admitted.delete(key);
      admitted.set(key, now);
      return 'admitted';
    },
  };
}
