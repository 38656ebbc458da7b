/**
 * Polling named tasks now, outside the sweep: what a hint from Alibaba Cloud's own events asks for, and what the
 * hot-task loop does every few seconds. The same batch step as the sweep (DescribeTasks, 100 ids a call, paced,
 * versioned commits), so a racing sweep cannot duplicate an event; what a change produced is delivered at once.
 */
import { runDeadlines } from '../budget.js';
import type { TaskKey } from '../store/port.js';
import { deliverDue } from '../webhooks/delivery.js';
import { pollTaskBatch } from './batch.js';
import { saveDurations } from './durations.js';
import { checkReadiness } from './readiness.js';
import { emptySummary, recordCall, type PollDeps, type PollSummary, type Run } from './run.js';
import { settleBlockages } from './blocked.js';

/** Polls the named tasks that are watched and active, then delivers what is due, within `budgetMs`. */
export async function pollTasks(deps: PollDeps, keys: TaskKey[], options: { budgetMs: number; resources?: Map<string, string> }): Promise<PollSummary> {
  const started = deps.now();
  const summary = emptySummary();
  summary.leased = true;
  const { workUntil } = runDeadlines(started, options.budgetMs, deps.config.leaseSeconds);
  const calls: { run?: Run } = {};
  const ecs = deps.ecsFor((call) => calls.run && recordCall(calls.run, call));
  try {
    const run: Run = { deps, ecs, options: { budgetMs: options.budgetMs }, workUntil, summary, leaseLost: false, webhooks: await deps.store.listWebhooks() };
    calls.run = run;
    // The resource a hint saw in the call that started the task, by task key.
    if (options.resources?.size) run.resourceHints = options.resources;
    const tasks = [...(await deps.store.getTasks(keys)).values()].filter((t) => t.active);
    summary.tasks.active = tasks.length;
    await pollTaskBatch(run, tasks);
    await checkReadiness(run);
    await settleBlockages(run);
    if (deps.webhookClient && (Object.keys(summary.events).length > 0 || summary.blocked)) {
      summary.deliveries = await deliverDue(
        { store: deps.store, client: deps.webhookClient, logger: deps.logger, now: deps.now, onAttempt: deps.onDeliveryAttempt },
        { deadlineMs: workUntil },
      );
    }
    await saveDurations(run);
  } finally {
    ecs.close?.();
    summary.durationMs = deps.now() - started;
  }
  return summary;
}
