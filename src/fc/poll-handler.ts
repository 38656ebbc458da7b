/** The timer handler: one poll cycle per trigger, with the run's budget taken from the function's timeout. */
import type { AppDeps } from '../runtime.js';
import { runBudgetMs } from '../budget.js';
import { pollOnce, type PollSummary } from '../poller.js';
import type { InvocationContext } from './context.js';
import { parseTimerEvent } from './timer-event.js';

export function createPollHandler(depsFor: (context: InvocationContext) => AppDeps | Promise<AppDeps>) {
  return async (event: unknown, context: InvocationContext): Promise<PollSummary> => {
    const { options } = parseTimerEvent(event);
    const deps = await depsFor(context);
    return pollOnce(deps, {
      budgetMs: runBudgetMs({ kind: 'timer', functionTimeoutSeconds: context?.function?.timeout }, deps.config.pollBudgetSeconds),
      regions: options.regions,
      holder: context?.requestId,
    });
  };
}
