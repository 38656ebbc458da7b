/** A whole poll run as the timer, POST /v1/poll and the local runtime start it: static webhooks synced, tasks polled, due deliveries sent, old records purged once a day. */
import { randomUUID } from 'node:crypto';
import { pollOnce, type PollOptions, type PollSummary } from './poller.js';
import type { AppDeps } from './runtime.js';
import { deliverDue } from './webhooks/delivery.js';
import { syncStaticWebhooks } from './webhooks/registry.js';

const DAY_MS = 24 * 3_600_000;

export async function runPollCycle(deps: AppDeps, options: PollOptions): Promise<PollSummary> {
  await syncStaticWebhooks(deps.store, deps.config.webhooks, deps.now());
  const summary = await pollOnce(
    {
      ...deps,
      ecs: deps.ecsFor,
      deliver: (deadlineMs) => deliverDue({ store: deps.store, client: deps.webhookClient, logger: deps.logger, now: deps.now }, { deadlineMs }),
    },
    options,
  );
  if (summary.leased) await purgeDaily(deps);
  return summary;
}

/** A lease that is never released, held for a day: whichever run takes it purges, the others skip. */
async function purgeDaily(deps: AppDeps): Promise<void> {
  const now = deps.now();
  if (!(await deps.store.acquireLease('purge', randomUUID(), DAY_MS, now))) return;
  const before = new Date(now - deps.config.retentionDays * DAY_MS).toISOString();
  try {
    const removed = await deps.store.purge(before);
    deps.logger.info('purged records past retention', { before, removed });
  } catch (error) {
    deps.logger.warn('purge failed; it is tried again tomorrow', { error });
  }
}
