/**
 * Hot passes: after the sweep, a timer run polls again every TASKHOOK_HOT_INTERVAL seconds until its hot window
 * ends, so consecutive runs together watch the whole timer period. Each pass asks about the tasks likely to finish
 * soon (estimated to finish within the window, or created in the last few minutes) and, with TASKHOOK_HOT_COVER,
 * the rest of the active list as far as that share of the ECS rate allows: a list that fits is asked about whole on
 * every pass, a longer one in turns from where the last pass stopped. Batched through DescribeTasks under the same
 * pacing. With no hot task and no active task a run ends at once.
 */
import { DEFAULT_ECS_RATE } from '../config.js';
import { taskKeyString, type TaskRecord } from '../store/port.js';
import { inRegion, stopping, type Run } from './run.js';
import { pollTaskBatch } from './batch.js';
import { checkReadiness } from './readiness.js';
import { RECHECK_INVALID_MS } from './sweep.js';

const IDS_PER_CALL = 100;
const PAGE_SIZE = 500;

/** The loop: one pass per interval while hot, resource-waiting or covered tasks are left and the window allows another pass. */
export async function pollHot(run: Run, intervalMs: number, sleep: (ms: number) => Promise<void>): Promise<number> {
  const { store } = run.deps;
  let passes = 0;
  if (run.hotUntil === undefined) return 0;
  const left = () => (run.hot?.size ?? 0) + (run.waiting?.size ?? 0) + (run.coverAll ? 1 : 0);
  // Passes start on a fixed beat, so a pass's own time does not stretch the interval between two looks at a task.
  let nextAt = run.deps.now() + intervalMs;
  while (left() > 0 && nextAt <= run.hotUntil) {
    await haltable(sleep(Math.max(0, nextAt - run.deps.now())), run.deps.halt);
    if (stopping(run)) break;
    passes++;
    nextAt = Math.max(nextAt + intervalMs, run.deps.now());
    const records = new Map<string, TaskRecord>();
    if (run.hot?.size) {
      const hot = run.hot;
      for (const r of (await store.getTasks([...hot.values()])).values()) if (r.active) records.set(taskKeyString(r), r);
      for (const id of hot.keys()) if (!records.has(id)) hot.delete(id);
    }
    if (run.coverAll) await addCovered(run, intervalMs, records);
    // Each commit of these batches kicks the deliveries of what it found: a completion goes out now, not next run.
    if (records.size > 0) await pollTaskBatch(run, [...records.values()]);
    // Tasks that finished and wait for their resource: one describe call per kind and region, not a task poll.
    await checkReadiness(run);
  }
  return passes;
}

/** DescribeTasks calls one pass may make per region for the whole list: TASKHOOK_HOT_COVER % of the rate over the interval. */
export function coverCallsPerPass(run: Run, intervalMs: number): number {
  const rate = run.deps.config.ecsRate ?? DEFAULT_ECS_RATE;
  return Math.floor((rate * (intervalMs / 1000) * (run.deps.config.hotCoverPercent ?? 0)) / 100);
}

/**
 * Adds to `records`, region by region, the active tasks after the region's cover mark until the pass's share of the
 * rate is filled, wrapping to the region's start; the hot tasks already in count against it. Coverage ends once no
 * region has an active task.
 */
async function addCovered(run: Run, intervalMs: number, records: Map<string, TaskRecord>): Promise<void> {
  const { store } = run.deps;
  const regions = (await store.listActiveRegions()).filter((r) => inRegion(run, r));
  if (regions.length === 0) return void (run.coverAll = false);
  const after = (run.coverAfter ??= new Map<string, string>());
  const now = run.deps.now();
  for (const regionId of regions) {
    const room = coverCallsPerPass(run, intervalMs) * IDS_PER_CALL - [...records.values()].filter((r) => r.regionId === regionId).length;
    let taken = 0;
    let cursor: string | undefined;
    let from = after.get(regionId);
    let wrapped = from === undefined;
    while (taken < room) {
      const page = await store.listActiveTasks({ limit: PAGE_SIZE, cursor, regionId, ...(from === undefined ? {} : { after: from }) });
      for (const task of page.items) {
        if (taken >= room) break;
        after.set(regionId, task.taskId);
        if (task.invalid && now - Date.parse(task.updatedAt) < RECHECK_INVALID_MS) continue;
        const key = taskKeyString(task);
        if (records.has(key)) continue;
        records.set(key, task);
        taken++;
      }
      cursor = page.cursor;
      if (cursor) continue;
      // The region's end: once round again from its start, unless this pass already began there.
      if (wrapped) break;
      wrapped = true;
      from = undefined;
      after.delete(regionId);
    }
  }
}

/** The wait between passes, cut short when the process stops. */
function haltable(wait: Promise<void>, halt: AbortSignal | undefined): Promise<void> {
  if (!halt) return wait;
  if (halt.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      halt.removeEventListener('abort', done);
      resolve();
    };
    halt.addEventListener('abort', done);
    void wait.then(done);
  });
}
