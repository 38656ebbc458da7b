/**
 * How long a poll run may take, and every deadline inside it. The only place that trims a budget: the timer,
 * POST /v1/poll and the CLI each name the time they have, and the poller derives its deadlines from the result.
 */

/** Seconds a run may take when nothing bounds it more tightly: what FC assumes without a function timeout. */
export const DEFAULT_RUN_SECONDS = 60;
/** A poll started over HTTP answers within this, inside common client timeouts and the API function's 60 s. */
const HTTP_RUN_SECONDS = 30;
/** `taskhook poll --once` has no function timeout over it; without TASKHOOK_POLL_BUDGET it stops after this. */
const CLI_RUN_SECONDS = 55;

/** Room left at the end of a function's time for the run to close cleanly: a fifth of it, at most 10 s. */
const CLOSE_MARGIN = { share: 0.2, maxMs: 10_000 };
/** Commits of work already started still need this long once the run stops starting new work. */
const COMMIT_MARGIN_MS = 2_000;
/** A run holds its lease this long (TASKHOOK_LEASE_SECONDS) and renews it thrice as often, so a crashed run blocks the next one for seconds. */
const DEFAULT_LEASE_SECONDS = 10;

/** The run's budget: the time available (or TASKHOOK_POLL_BUDGET if smaller), less the closing margin. */
export function pollBudgetMs(availableSeconds: number | undefined, configuredSeconds: number | null): number {
  const available = (availableSeconds ?? DEFAULT_RUN_SECONDS) * 1000;
  const configured = configuredSeconds === null ? Infinity : configuredSeconds * 1000;
  const margin = Math.min(CLOSE_MARGIN.maxMs, available * CLOSE_MARGIN.share);
  return Math.max(1_000, Math.min(configured, available - margin));
}

/** Who started the run, and so how much time it has. */
export type RunStarter = { kind: 'timer'; functionTimeoutSeconds?: number } | { kind: 'http' } | { kind: 'cli' };

export function runBudgetMs(starter: RunStarter, configuredSeconds: number | null): number {
  switch (starter.kind) {
    case 'timer':
      return pollBudgetMs(starter.functionTimeoutSeconds, configuredSeconds);
    case 'http':
      return pollBudgetMs(HTTP_RUN_SECONDS, configuredSeconds);
    case 'cli':
      return (configuredSeconds ?? CLI_RUN_SECONDS) * 1000;
  }
}

export interface RunDeadlines {
  /** No new ECS call, commit batch or delivery starts after this (epoch ms). */
  workUntil: number;
  /** How long the run's lease is taken for each time it is taken or renewed. */
  leaseTtlMs: number;
  leaseRenewEveryMs: number;
}

export function runDeadlines(startedAt: number, budgetMs: number, leaseSeconds = DEFAULT_LEASE_SECONDS): RunDeadlines {
  return { workUntil: startedAt + Math.max(0, budgetMs - COMMIT_MARGIN_MS), leaseTtlMs: leaseSeconds * 1000, leaseRenewEveryMs: (leaseSeconds * 1000) / 3 };
}
