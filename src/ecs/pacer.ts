/**
 * Pacing of ECS calls per (API, region), the unit ECS counts its quotas in: each pair has its own rate, calls
 * are spaced to it, a Throttling answer halves that pair's rate and pauses it briefly, and every success wins a
 * little of the rate back, up to the configured one. No pair ever waits for another.
 */

export interface PacerOptions {
  /** Calls per second per (API, region) at most; also the rate each pair starts at. */
  rate: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** How long a throttled pair waits before its next call; default 1 s. */
  pauseMs?: number;
  random?: () => number;
}

export interface Pacer {
  /** Waits for this pair's next slot; false when the slot lies past `deadlineAt` (nothing is reserved then). */
  take(pair: string, deadlineAt?: number): Promise<boolean>;
  throttled(pair: string): void;
  succeeded(pair: string): void;
  /** The pair's current rate (calls per second), for the summary and tests. */
  rateOf(pair: string): number;
}

interface PairState {
  rate: number;
  /** The earliest time the next call may start. */
  nextAt: number;
}

/** Never below this share of the configured rate: a storm slows a pair, it does not stop it. */
const FLOOR_SHARE = 1 / 16;
/** Successes it takes to climb from the floor back to the full rate: about 2 s of calls at full rate. */
const CLIMB_CALLS_AT_FULL_RATE_SECONDS = 2;

export function createPacer(options: PacerOptions): Pacer {
  if (!(options.rate > 0)) throw new Error(`the ECS call rate must be above 0 (got ${options.rate})`);
  const pairs = new Map<string, PairState>();
  const pauseMs = options.pauseMs ?? 1_000;
  const random = options.random ?? Math.random;
  const floor = Math.max(options.rate * FLOOR_SHARE, 0.1);
  const step = options.rate / Math.max(1, options.rate * CLIMB_CALLS_AT_FULL_RATE_SECONDS);

  const stateOf = (pair: string): PairState => {
    let state = pairs.get(pair);
    if (!state) pairs.set(pair, (state = { rate: options.rate, nextAt: 0 }));
    return state;
  };

  return {
    async take(pair, deadlineAt = Infinity) {
      const state = stateOf(pair);
      const now = options.now();
      const at = Math.max(now, state.nextAt);
      if (at > deadlineAt) return false;
      state.nextAt = at + 1_000 / state.rate;
      if (at > now) await options.sleep(at - now);
      return true;
    },
    throttled(pair) {
      const state = stateOf(pair);
      state.rate = Math.max(floor, state.rate / 2);
      // Jittered, so the callers of a pair that paused together do not all return in the same millisecond.
      state.nextAt = Math.max(state.nextAt, options.now() + pauseMs + Math.round(random() * pauseMs * 0.2));
    },
    succeeded(pair) {
      const state = stateOf(pair);
      state.rate = Math.min(options.rate, state.rate + step);
    },
    rateOf: (pair) => stateOf(pair).rate,
  };
}
