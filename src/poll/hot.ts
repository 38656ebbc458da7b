/**
 * Hot tasks: after the sweep, a run keeps polling the tasks likely to finish soon — those whose estimated finish
 * falls within the run's hot window, and those created in the last few minutes — every TASKHOOK_HOT_INTERVAL
 * seconds, batched through DescribeTasks under the same pacing, until none is left or the window ends. With no
 * hot task a run ends at once.
 */
import { taskKeyString } from '../store/port.js';
import { deliverDue } from '../webhooks/delivery.js';
import { stopping, type Run } from './run.js';
import { pollTaskBatch } from './batch.js';
import { checkReadiness } from './readiness.js';

/** The loop: one pass per interval while hot or resource-waiting tasks are left and the window allows another pass. */
export async function pollHot(run: Run, intervalMs: number, sleep: (ms: number) => Promise<void>): Promise<number> {
  const { store } = run.deps;
  let passes = 0;
  const maxPasses = run.hotUntil === undefined ? 0 : Math.floor((run.hotUntil - run.deps.now()) / intervalMs);
  const left = () => (run.hot?.size ?? 0) + (run.waiting?.size ?? 0);
  while (left() > 0 && passes < maxPasses && run.deps.now() + intervalMs <= run.hotUntil!) {
    await sleep(intervalMs);
    if (stopping(run)) break;
    passes++;
    const before = Object.values(run.summary.events).reduce((a, b) => a + b, 0);
    if (run.hot?.size) {
      const hot = run.hot;
      const records = [...(await store.getTasks([...hot.values()])).values()];
      for (const id of hot.keys()) if (!records.some((r) => taskKeyString(r) === id && r.active)) hot.delete(id);
      await pollTaskBatch(
        run,
        records.filter((r) => r.active),
      );
    }
    // Tasks that finished and wait for their resource: one describe call per kind and region, not a task poll.
    await checkReadiness(run);
    // A completion found here goes out now, not at the next run.
    if (run.deps.webhookClient && Object.values(run.summary.events).reduce((a, b) => a + b, 0) > before) {
      const sent = await deliverDue(
        { store, client: run.deps.webhookClient, logger: run.deps.logger, now: run.deps.now, onAttempt: run.deps.onDeliveryAttempt },
        { deadlineMs: run.workUntil },
      );
      run.summary.deliveries.succeeded += sent.succeeded;
      run.summary.deliveries.failed += sent.failed;
      run.summary.deliveries.dead += sent.dead;
    }
  }
  return passes;
}
