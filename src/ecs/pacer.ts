/**
 * Pacing of ECS calls per (API, region), the unit ECS counts its quotas in: each pair has its own rate and calls
 * are spaced to it. ECS throttles in minute windows ("throttled in minute T, callable again from minute T+1", then
 * probe at 1 call/s: help.aliyun.com/zh/ecs/developer-reference/api-throttling), so a Throttling answer pauses the
 * pair until ECS's next minute (or the `TimeLeft` the answer carried), the pair then probes at 1 call/s, and each
 * success wins the rate back, up to the configured one. No pair ever waits for another.
 */

export interface PacerOptions {
  /** Calls per second per (API, region) at most; also the rate each pair starts at. */
  rate: number;
  /** The clock slots are kept on: monotonic in production, so a wall-clock step neither freezes nor floods a pair. */
  now: () => number;
  /** The wall clock ECS's minute is found on (with the skew its answers showed); default `now`. */
  wallNow?: () => number;
  sleep: (ms: number) => Promise<void>;
  /** How long a throttled pair waits before its next call; default, until ECS's next minute (or the answer's TimeLeft). */
  pauseMs?: number;
  random?: () => number;
}

export interface Pacer {
  /** Waits for this pair's next slot; false when the slot lies past `deadlineAt` (nothing is reserved then). */
  take(pair: string, deadlineAt?: number): Promise<boolean>;
  /** `timeLeftMs`: what the answer's rate-limit headers said; `skewMs`: ECS's clock minus ours, when known. */
  throttled(pair: string, seen?: { timeLeftMs?: number | null; skewMs?: number | null }): void;
  succeeded(pair: string, skewMs?: number | null): void;
  /** The pair's current rate (calls per second), for the summary and tests. */
  rateOf(pair: string): number;
}

interface PairState {
  rate: number;
  /** The earliest time the next call may start. */
  nextAt: number;
}

/** ECS's advice after a throttled minute: probe at 1 call per second. */
const PROBE_RATE = 1;
const MINUTE_MS = 60_000;
/** ECS's minute may turn a little later than our estimate of it (the Date header has whole seconds). */
const MINUTE_MARGIN_MS = 250;
/** Successes it takes to climb from the probe rate back to the full rate: about 2 s of calls at full rate. */
const CLIMB_CALLS_AT_FULL_RATE_SECONDS = 2;

export function createPacer(options: PacerOptions): Pacer {
  if (!(options.rate > 0)) throw new Error(`the ECS call rate must be above 0 (got ${options.rate})`);
  const pairs = new Map<string, PairState>();
  const random = options.random ?? Math.random;
  const wallNow = options.wallNow ?? options.now;
  /** ECS's clock minus ours, as the last answer that said so showed it. */
  let skewMs = 0;
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
    throttled(pair, seen = {}) {
      const state = stateOf(pair);
      if (seen.skewMs != null) skewMs = seen.skewMs;
      const now = options.now();
      state.rate = Math.min(PROBE_RATE, options.rate);
      const pauseMs =
        options.pauseMs ?? (seen.timeLeftMs != null && seen.timeLeftMs > 0 ? seen.timeLeftMs : untilNextMinute(wallNow() + skewMs) + MINUTE_MARGIN_MS);
      // Jittered (up to 1 s), so the callers of a pair that paused together do not all return in the same millisecond.
      state.nextAt = Math.max(state.nextAt, now + pauseMs + Math.round(random() * Math.min(1_000, pauseMs * 0.2)));
    },
    succeeded(pair, seenSkewMs) {
      if (seenSkewMs != null) skewMs = seenSkewMs;
      const state = stateOf(pair);
      state.rate = Math.min(options.rate, state.rate + step);
    },
    rateOf: (pair) => stateOf(pair).rate,
  };
}

/** Milliseconds from `ecsNow` (ECS's clock) to the start of its next minute. */
export const untilNextMinute = (ecsNow: number) => MINUTE_MS - (((ecsNow % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
