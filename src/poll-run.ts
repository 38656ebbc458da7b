/** A whole poll run as the timer, POST /v1/poll and the local runtime start it: static webhooks synced, tasks polled, due deliveries sent. */
import { pollOnce, type PollOptions, type PollSummary } from './poller.js';
import type { AppDeps } from './runtime.js';
import { deliverDue } from './webhooks/delivery.js';
import { syncStaticWebhooks } from './webhooks/registry.js';

export async function runPollCycle(deps: AppDeps, options: PollOptions): Promise<PollSummary> {
  await syncStaticWebhooks(deps.store, deps.config.webhooks, deps.now());
  return pollOnce(
    {
      ...deps,
      ecs: deps.ecsFor,
      deliver: (deadlineMs) => deliverDue({ store: deps.store, client: deps.webhookClient, logger: deps.logger, now: deps.now }, { deadlineMs }),
    },
    options,
  );
}
