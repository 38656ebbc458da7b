/**
 * One webhook's delivery run (on FC, an asynchronous invocation of its own, src/delivery/fc-invoker.ts): its due
 * deliveries, in order, until none is due or the run's time is up. A lease per webhook keeps two runs of one webhook
 * apart, so a receiver that hangs holds one instance, never the poller or another webhook.
 */
import { randomUUID } from 'node:crypto';
import { emptySummary, type PollSummary } from '../poll/run.js';
import type { StateStore } from '../store/port.js';
import type { Logger } from '../log.js';
import { deliverDue, type AttemptReport } from '../webhooks/delivery.js';
import { createBreaker } from '../webhooks/dispatcher.js';
import type { WebhookClient } from '../webhooks/http-client.js';

export interface DeliveryRunDeps {
  store: StateStore;
  webhookClient: WebhookClient;
  logger: Logger;
  now: () => number;
  onDeliveryAttempt?: (report: AttemptReport) => void;
}

/** A delivery run goes on at most this long, however long its function may run: the next poll run hands off again. */
export const DELIVERY_RUN_MS = 60_000;
/** One attempt's timeout within a delivery run. */
const ATTEMPT_TIMEOUT_MS = 30_000;
/** Room after the run's end before its lease lapses by itself (a run that crashed). */
const LEASE_SLACK_MS = 5_000;

export async function deliveryRun(deps: DeliveryRunDeps, webhookId: string, budgetMs: number, holder: string = randomUUID()): Promise<PollSummary> {
  const started = deps.now();
  const runMs = Math.min(budgetMs, DELIVERY_RUN_MS);
  const summary: PollSummary = { ...emptySummary(), delivery: { webhookId } };
  const lease = `deliver:${webhookId}`;
  if (!(await deps.store.acquireLease(lease, holder, runMs + LEASE_SLACK_MS, started))) {
    summary.durationMs = deps.now() - started;
    return summary;
  }
  summary.leased = true;
  const breaker = createBreaker(deps.now);
  try {
    for (;;) {
      const done = await deliverDue(
        { store: deps.store, client: deps.webhookClient, logger: deps.logger, now: deps.now, onAttempt: deps.onDeliveryAttempt },
        { deadlineMs: started + runMs, webhookId, breaker, attemptTimeoutMs: ATTEMPT_TIMEOUT_MS },
      );
      summary.deliveries.succeeded += done.succeeded;
      summary.deliveries.failed += done.failed;
      summary.deliveries.dead += done.dead;
      // Deliveries committed while it worked go out in this run; none due (or backing off, or out of time) ends it.
      const due = (await deps.store.listDueDeliveries(new Date(deps.now()).toISOString(), 500)).some((d) => d.webhookId === webhookId);
      if (!due || done.succeeded + done.dead === 0 || deps.now() + 1_000 >= started + runMs) break;
    }
  } finally {
    await deps.store.releaseLease(lease, holder).catch(() => undefined);
    summary.durationMs = deps.now() - started;
  }
  deps.logger.info('delivery run finished', { webhookId, deliveries: summary.deliveries, durationMs: summary.durationMs });
  return summary;
}
