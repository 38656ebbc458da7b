/** The timer handler: one poll cycle per trigger (or per shard invocation), or one webhook's delivery run, with the run's budget taken from the function's timeout. */
import type { AppDeps } from '../runtime.js';
import { runBudgetMs } from '../budget.js';
import { deliveryRun } from '../delivery/run.js';
import { pollOnce, type PollSummary } from '../poller.js';
import type { Invoker } from '../shards/invoker.js';
import type { InvocationContext } from './context.js';
import { parseTimerEvent } from './timer-event.js';

/** What the poll cycle runs with: the instance's dependencies and, on FC, the way to fan shards out. */
export type PollerDeps = AppDeps & { invoker?: Invoker };

/** Asked with `shardInvoker: true`: a source that can fan shards out adds its Invoker; one that cannot ignores it. */
export type PollerDepsSource = (context: InvocationContext, wants: { shardInvoker: true }) => PollerDeps | Promise<PollerDeps>;

export function createPollHandler(depsFor: PollerDepsSource) {
  return async (event: unknown, context: InvocationContext): Promise<PollSummary> => {
    const { options } = parseTimerEvent(event);
    const deps = await depsFor(context, { shardInvoker: true });
    const budgetMs = runBudgetMs({ kind: 'timer', functionTimeoutSeconds: context?.function?.timeout }, deps.config.pollBudgetSeconds);
    // A webhook's deliveries, apart from the poll run that handed them off.
    if (options.deliver) return deliveryRun(deps, options.deliver.webhookId, budgetMs, context?.requestId);
    try {
      return await pollOnce(deps, {
        budgetMs,
        regions: options.regions,
        shard: options.shard,
        hot: true,
        holder: context?.requestId,
      });
    } catch (error) {
      // One line that says why (a store error names the table, the code and what to do); the next minute's run tries again.
      deps.logger.error(`poll failed: ${error instanceof Error ? error.message : String(error)}; the next run tries again`, { error });
      throw error;
    }
  };
}
