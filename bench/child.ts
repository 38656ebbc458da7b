/** One bench job in a fresh process (so its peak RSS is the job's own): told the job over IPC, answers its rows. */
import { runDelivery, type DeliveryJob } from './delivery.js';
import { runFirstPoll, type FirstPollJob } from './first-poll.js';
import { runLatencyScenario, type LatencyJob } from './latency.js';
import { runNaiveScenario, type NaiveJob } from './naive.js';
import { runPollScenario, type PollJob } from './poll.js';
import { runReadinessScenario, type ReadinessJob } from './readiness.js';
import type { ResultRow } from './rows.js';
import { peakRssMb } from './stats.js';

/** `idle` loads everything and does nothing: the peak RSS of the bench's own process before any work. */
export type ChildJob = PollJob | NaiveJob | FirstPollJob | DeliveryJob | LatencyJob | ReadinessJob | { kind: 'idle' };

async function run(job: ChildJob): Promise<ResultRow[]> {
  switch (job.kind) {
    case 'poll':
      return runPollScenario(job);
    case 'naive':
      return [await runNaiveScenario(job)];
    case 'first-poll':
      return [await runFirstPoll(job)];
    case 'delivery':
      return [await runDelivery(job)];
    case 'latency':
      return [await runLatencyScenario(job)];
    case 'readiness':
      return [await runReadinessScenario(job)];
    case 'idle':
      return [];
  }
}

process.once('message', (job: ChildJob) => {
  run(job).then(
    (rows) => process.send?.({ rows, peakRssMb: peakRssMb() }, () => process.disconnect()),
    (error: unknown) => process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () => process.disconnect()),
  );
});
