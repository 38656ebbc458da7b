/**
 * Pacing of hints: a token bucket caps the targeted polls per second, a hint about a task (or image) seen within
 * the last few seconds is a duplicate, and a key memory lets a lookup run once per key. State held in memory, time
 * handed in, no I/O.
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

export interface KeyMemoryOptions {
  /** A key is remembered this long after it was claimed. */
  windowMs: number;
  /** The most keys remembered; past it the oldest are forgotten. */
  maxKeys?: number;
}

export interface KeyMemory {
  /** Whether `key` was claimed less than `windowMs` before `now` (epoch ms). */
  seen(key: string, now: number): boolean;
  /** Remembers `key` as claimed at `now`. */
  claim(key: string, now: number): void;
}

/**
 * Keys claimed within a window, for work that must run once per key however many hints ask for it (a DescribeTasks
 * lookup per region, action and minute). `seen` and `claim` are separate so a hint refused for the rate claims nothing.
 */
export function createKeyMemory(options: KeyMemoryOptions): KeyMemory {
  const maxKeys = options.maxKeys ?? 10_000;
  /** key → when it was claimed; insertion order is claim order. */
  const claimed = new Map<string, number>();
  const forgetOld = (now: number) => {
    for (const [key, at] of claimed) {
      if (now - at < options.windowMs && claimed.size <= maxKeys) break;
      claimed.delete(key);
    }
  };
  return {
    seen(key, now) {
      forgetOld(now);
      const at = claimed.get(key);
      return at !== undefined && now - at < options.windowMs;
    },
    claim(key, now) {
      claimed.delete(key);
      claimed.set(key, now);
      forgetOld(now);
    },
  };
}
