/** The timer handler: one poll cycle per trigger, with the run's budget taken from the function's timeout. */
import type { PollSummary } from './poller.js';
import { runPollCycle } from './poll-run.js';
import type { AppDeps, InvocationContext } from './runtime.js';
import { parseTimerEvent, pollBudgetMs } from './timer-event.js';

export function createPollHandler(depsFor: (context: InvocationContext) => AppDeps | Promise<AppDeps>) {
  return async (event: unknown, context: InvocationContext): Promise<PollSummary> => {
    const { options } = parseTimerEvent(event);
    const deps = await depsFor(context);
    return runPollCycle(deps, { budgetMs: pollBudgetMs(context?.function?.timeout, deps.config.pollBudgetSeconds), regions: options.regions, holder: context?.requestId });
  };
}
