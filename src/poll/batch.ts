/**
 * One batch of up to 100 tasks of a region: DescribeTasks for all of them, DescribeTaskAttribute where the
 * transition rules ask for it, then every change of the batch committed in one store call and every answered
 * task marked polled in another. Returns the tasks ECS gave no answer for (they are polled again next run).
 */
import { chunk, groupBy, runBounded } from '../batching.js';
import { EcsError } from '../errors.js';
import { taskKeyString, type TaskKey, type TaskRecord, type TransitionCommit } from '../store/port.js';
import type { TaskSnapshot } from '../tasks/snapshot.js';
import {
  attributeCovers,
  carryDetail,
  emptySnapshot,
  needsDetail,
  notFoundSnapshot,
  retiredSnapshot,
  transition,
  VERDICT,
  weighVerdict,
} from '../tasks/transition.js';
import { deliveriesFor } from '../webhooks/matching.js';
import { loadDurations, noteDuration } from './durations.js';
import { settle, stillPolled, wantsProgress } from './settle.js';
import { withListedResource } from '../tasks/resource.js';
import { noteIfHot } from './hot-candidates.js';
import { ecsNowIso, noteFailure, nowIso, stopping, type Run } from './run.js';
import { DEFAULT_ECS_RATE } from '../config.js';
import { blocksRegion, isBlocked } from './blocked.js';
import { classifyEcsError } from '../ecs/error-class.js';

const DETAIL_CALLS_IN_FLIGHT = 4;

/** What a batch will write: commits (with what to count once each lands) and the tasks ECS answered for. */
interface Writes {
  commits: Array<{ commit: TransitionCommit; landed: () => void }>;
  answered: TaskKey[];
  unanswered: TaskRecord[];
}

/** One pass over the given tasks of a run under way, outside the sweep (hints, the hot-task loop). */
export async function pollTaskBatch(run: Run, tasks: TaskRecord[]): Promise<void> {
  for (const [regionId, inRegion] of groupBy(tasks, (t) => t.regionId)) {
    await Promise.all(chunk(inRegion, 100).map((batch) => pollBatch(run, regionId, batch)));
  }
}

export async function pollBatch(run: Run, regionId: string, tasks: TaskRecord[]): Promise<{ complete: boolean; unanswered: TaskRecord[] }> {
  const writes: Writes = { commits: [], answered: [], unanswered: [] };
  // ECS refused this run's requests in the region: nothing more is asked there until the next run.
  if (isBlocked(run, regionId)) return { complete: false, unanswered: tasks };
  await askEcs(run, regionId, tasks, writes);
  await flush(run, writes);
  return { complete: writes.unanswered.length === 0, unanswered: writes.unanswered };
}

/** DescribeTasks for the tasks: the snapshots it lists, or the EcsError it answered (anything else is not ECS's answer). */
async function list(run: Run, regionId: string, tasks: TaskRecord[]): Promise<TaskSnapshot[] | EcsError> {
  try {
    return await run.ecs.describeTasks(regionId, { taskIds: tasks.map((t) => t.taskId) });
  } catch (error) {
    if (error instanceof EcsError) return error;
    throw error;
  }
}

async function askEcs(run: Run, regionId: string, tasks: TaskRecord[], writes: Writes, answer?: TaskSnapshot[] | EcsError): Promise<void> {
  const listed = answer ?? (await list(run, regionId, tasks));
  if (listed instanceof EcsError) return refused(run, regionId, tasks, writes, listed);
  await observeListed(run, regionId, tasks, listed, writes);
}

/**
 * What a refused DescribeTasks means, by what the error is evidence about (src/ecs/error-class.ts): an unknown region
 * is weighed per task; an answer about the request or the caller pauses the region and judges no task; a code this
 * project does not know may name one id, so the batch is split to find it, unless both halves are refused alike
 * (then it is about the request); a lone id is judged only when a second answer agrees.
 */
async function refused(run: Run, regionId: string, tasks: TaskRecord[], writes: Writes, error: EcsError): Promise<void> {
  const cls = classifyEcsError(error);
  if (cls === 'region') {
    for (const task of tasks) weigh(run, task, VERDICT.invalidRegion, error, writes);
    return;
  }
  if (blocksRegion(run, regionId, 'DescribeTasks', error)) return void writes.unanswered.push(...tasks);
  if (cls !== 'unknown' && cls !== 'task') {
    noteFailure(run.deps, error, { regionId, tasks: tasks.length });
    return void writes.unanswered.push(...tasks);
  }
  if (tasks.length === 1) return weigh(run, tasks[0], error.code, error, writes);
  // One bad id must not stall the other 99: halve until it stands alone.
  const half = Math.ceil(tasks.length / 2);
  const [left, right] = [tasks.slice(0, half), tasks.slice(half)];
  const leftAnswer = await list(run, regionId, left);
  const rightAnswer = await list(run, regionId, right);
  if (leftAnswer instanceof EcsError && rightAnswer instanceof EcsError && leftAnswer.code === error.code && rightAnswer.code === error.code) {
    // Every part refused alike: the refusal is about the request, not an id. Nothing is judged; tried next run.
    noteFailure(run.deps, error, { regionId, tasks: tasks.length, note: 'every part of the batch was refused alike' });
    return void writes.unanswered.push(...tasks);
  }
  await askEcs(run, regionId, left, writes, leftAnswer);
  await askEcs(run, regionId, right, writes, rightAnswer);
}

async function observeListed(run: Run, regionId: string, tasks: TaskRecord[], listed: TaskSnapshot[], writes: Writes): Promise<void> {
  const { deps, ecs, summary } = run;
  const seen = new Map(listed.map((s) => [s.id, s]));
  await loadDurations(
    run,
    regionId,
    listed.map((s) => s.action),
  );
  const detailed: Array<{ task: TaskRecord; entry: TaskSnapshot | undefined }> = [];
  for (const task of tasks) {
    const entry = seen.get(task.taskId);
    const progressWanted = entry !== undefined && wantsProgress(run, entry);
    if (!entry) missing(run, task, writes, detailed);
    else if (needsDetail(task.snapshot, entry, progressWanted)) detailed.push({ task, entry });
    else {
      summary.tasks.polled++;
      observe(run, task, carryDetail(task.snapshot, entry), writes);
    }
  }
  // A few detail calls of the batch at a time (the pacer spaces them); none starts once the run is stopping.
  await runBounded(detailed, DETAIL_CALLS_IN_FLIGHT, async ({ task, entry }) => {
    if (stopping(run)) return void writes.unanswered.push(task);
    let detail: TaskSnapshot;
    if (isBlocked(run, regionId)) return void writes.unanswered.push(task);
    try {
      detail = await ecs.describeTaskAttribute(regionId, task.taskId);
    } catch (error) {
      if (error instanceof EcsError && blocksRegion(run, regionId, 'DescribeTaskAttribute', error)) return void writes.unanswered.push(task);
      if (!(error instanceof EcsError && error.code === VERDICT.notFound)) {
        noteFailure(deps, error, { regionId, taskId: task.taskId });
        writes.unanswered.push(task);
      } else if (entry) {
        // DescribeTasks lists it, so it exists: the list's view stands and nothing ends.
        summary.tasks.polled++;
        observe(run, task, carryDetail(task.snapshot, entry), writes);
      } else {
        weigh(run, task, VERDICT.notFound, error, writes);
      }
      return;
    }
    summary.tasks.polled++;
    observe(run, task, withListedResource(detail, entry), writes, true, true);
  });
}

/**
 * A task DescribeTasks does not list. The miss itself is the first sighting (no call). Once a confirmation is due,
 * one DescribeTaskAttribute asks again where ECS documents it for the action, within the run's budget for such
 * calls; past the budget the task waits for a later run, answered by the list. So ids ECS does not know cost a share
 * of one DescribeTasks each per run, never a call each that would hold up the tasks behind them.
 */
function missing(run: Run, task: TaskRecord, writes: Writes, detailed: Array<{ task: TaskRecord; entry: TaskSnapshot | undefined }>) {
  if (!attributeCovers(task.snapshot?.action)) return weigh(run, task, VERDICT.missingFromList, null, writes);
  const pending = task.pendingVerdict;
  const due = pending !== null && Date.parse(ecsNowIso(run)) - Date.parse(pending.firstSeenAt) >= run.deps.config.confirmSeconds * 1000;
  if (!due) return weigh(run, task, VERDICT.missingFromList, null, writes);
  run.confirmations = (run.confirmations ?? 0) + 1;
  if (run.confirmations <= confirmationsPerRun(run)) return void detailed.push({ task, entry: undefined });
  writes.answered.push(task);
  run.summary.tasks.unconfirmed++;
}

/** About ten seconds of the rate per run for confirming that tasks are gone: the rest of the run is for the others. */
const confirmationsPerRun = (run: Run) => Math.max(20, (run.deps.config.ecsRate ?? DEFAULT_ECS_RATE) * 10);

/**
 * Evidence that a task is gone (or its region unknown) becomes a verdict only when a second answer, far enough
 * from the first, agrees; until then the first sighting is kept on the record and the task stays watched. Both are
 * timed on ECS's clock, so a step of this machine's clock cannot make (or hold up) a verdict.
 */
function weigh(run: Run, task: TaskRecord, code: string, error: EcsError | null, writes: Writes) {
  const observedAt = ecsNowIso(run);
  const requestId = error?.requestId ?? null;
  writes.answered.push(task);
  const { confirmed, pending } = weighVerdict(task.pendingVerdict, code, requestId, observedAt, run.deps.config.confirmSeconds * 1000);
  if (confirmed) {
    run.summary.tasks.polled++;
    // A refusal other than "not found" (an unknown region, a code that names this id alone) retires the task: rechecked hourly.
    if (code !== VERDICT.notFound && code !== VERDICT.missingFromList) return retire(run, task, error!, writes);
    return observe(run, task, notFoundSnapshot(task.snapshot, task, requestId, observedAt), writes, false);
  }
  run.summary.tasks.unconfirmed++;
  if (pending === task.pendingVerdict) return;
  stage(writes, task, {
    snapshot: task.snapshot ?? emptySnapshot(task, observedAt),
    sequence: task.sequence,
    active: task.active,
    invalid: task.invalid,
    events: [],
    deliveries: [],
    pendingVerdict: pending,
  });
}

/** What ECS said of the task, through the transition rules: a commit when something changed. */
function observe(run: Run, task: TaskRecord, seen: TaskSnapshot, writes: Writes, answered = true, progressObserved = false) {
  const { deps, summary } = run;
  if (answered) writes.answered.push(task);
  const next = settle(run, task, seen, progressObserved);
  noteIfHot(run, task, next);
  const { events, changed, unknownStatus } = transition({
    previous: task.snapshot,
    next,
    sequence: task.sequence,
    accountId: deps.accountId,
    generation: task.watchedAt,
  });
  if (unknownStatus) {
    deps.logger.warn('ECS reported a task status taskhook does not know; it keeps polling the task', {
      regionId: task.regionId,
      taskId: task.taskId,
      status: next.status,
    });
  }
  // A verdict left pending or a refusal left standing is cleared by any answer that shows the task.
  if (!changed && !task.pendingVerdict && !task.invalid) return;
  const deliveries = events.flatMap((event) => deliveriesFor(event, run.webhooks, next.observedAt));
  stage(
    writes,
    task,
    { snapshot: next, sequence: task.sequence + events.length, active: stillPolled(next), invalid: null, events, deliveries, pendingVerdict: null },
    () => {
      for (const event of events) summary.events[event.type] = (summary.events[event.type] ?? 0) + 1;
      if (next.terminal && !task.snapshot?.terminal) noteDuration(run, next);
    },
  );
}

/** ECS refused the task for good (an unknown region, an id it rejects): it is skipped, with the reason shown, and asked about again hourly. */
function retire(run: Run, task: TaskRecord, error: EcsError, writes: Writes) {
  const invalid = { code: error.code, message: error.message };
  const snapshot = retiredSnapshot(task.snapshot, task, error.requestId, nowIso(run));
  stage(
    writes,
    task,
    { snapshot, sequence: task.sequence, active: true, invalid, events: [], deliveries: [], pendingVerdict: null },
    () => run.summary.tasks.invalid++,
  );
}

function stage(writes: Writes, task: TaskRecord, change: Omit<TransitionCommit, 'key' | 'expectedVersion'>, landed: () => void = () => undefined) {
  writes.commits.push({ commit: { key: { regionId: task.regionId, taskId: task.taskId }, expectedVersion: task.version, ...change }, landed });
}

/**
 * The batch's versioned commits in one call; one that lost the race to another run leaves that run's write
 * standing (the next poll starts from it). The answered tasks are marked polled alongside.
 */
async function flush(run: Run, writes: Writes): Promise<void> {
  const { store } = run.deps;
  const polledAt = nowIso(run);
  const answered = [...new Map(writes.answered.map((k) => [taskKeyString(k), { regionId: k.regionId, taskId: k.taskId }])).values()];
  const [outcomes] = await Promise.all([store.commitTransitions(writes.commits.map((c) => c.commit)), store.markPolled(answered, polledAt)]);
  outcomes.forEach((outcome, i) => (outcome === 'committed' ? writes.commits[i].landed() : run.summary.conflicts++));
  // An event committed now goes out now, while the sweep goes on.
  if (outcomes.some((outcome, i) => outcome === 'committed' && writes.commits[i].commit.deliveries.length > 0)) run.dispatcher?.kick();
}
