/** The one retry/backoff helper: exponential backoff with equal jitter, inside a time budget. */

export interface RetryPolicy {
  /** First backoff ceiling, doubled per attempt. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** No retry starts once this much time has gone since the first attempt. */
  budgetMs: number;
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseDelayMs: 200, maxDelayMs: 5_000, budgetMs: 15_000, maxAttempts: 6 };

export interface RetryDecision {
  retry: boolean;
  /** Overrides the computed backoff (e.g. wait for the next quota window). */
  delayMs?: number;
}

export interface RetryHooks {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Equal jitter: half the doubled ceiling plus a random half, so retries spread out yet never come back at once. */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  decide: (error: unknown) => RetryDecision,
  policy: RetryPolicy = DEFAULT_RETRY,
  hooks: RetryHooks = {},
): Promise<T> {
  const now = hooks.now ?? Date.now;
  const wait = hooks.sleep ?? sleep;
  const started = now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      const decision = decide(error);
      if (!decision.retry || attempt >= policy.maxAttempts) throw error;
      const delay = decision.delayMs ?? backoffDelay(attempt, policy, hooks.random);
      if (now() - started + delay > policy.budgetMs) throw error;
      hooks.onRetry?.(error, attempt, delay);
      await wait(delay);
    }
  }
}
