/**
 * The readiness check: the tasks a run found finished and waiting for their resource are asked about with the
 * resource's own describe call (DescribeImages, DescribeDisks, DescribeInstances, DescribeSnapshots), 100 ids a
 * call per kind and region, through the run's paced ECS client — after the sweep, after a targeted poll, and on
 * every hot pass, until the resource is usable. Then `ecs.task.succeeded` goes out with `readyAt` and the
 * resource's status; past the action's bound (TASKHOOK_READY_WAIT) it goes out anyway, `ready: false`, with why.
 *
 * Each change is a versioned commit of the task's snapshot, as any transition: of two racing runs one commits
 * the completion, and a crash leaves the task waiting for the next run. An answer about the request or the caller
 * (clock, signature, key, permission) says nothing about any resource: nothing is marked, one error line names the
 * cause and the fix, and the check is tried again on the next pass.
 */
import { chunk, groupBy } from '../batching.js';
import { BLOCKING_CLASSES, classifyEcsError, explainBlocking } from '../ecs/error-class.js';
import { EcsError } from '../errors.js';
import { taskKeyString, type TaskRecord, type TransitionCommit } from '../store/port.js';
import { eventsForTransition } from '../tasks/events.js';
import { judge, type CheckedType, type ResourceState, type Verdict } from '../tasks/resource.js';
import type { TaskSnapshot } from '../tasks/snapshot.js';
import { duration } from '../tasks/stall.js';
import { deliveriesFor } from '../webhooks/matching.js';
import { noteFailure, nowIso, stopping, type ReadinessSummary, type Run } from './run.js';

const IDS_PER_CALL = 100;

/** What the describe calls said of one kind in one region: the ids they answered for, their states, and why the rest got none. */
interface Answer {
  answered: Set<string>;
  states: Map<string, ResourceState>;
  unanswered: string | null;
}

const noAnswer = (why: string): Answer => ({ answered: new Set(), states: new Map(), unanswered: why });

function merged(parts: Answer[]): Answer {
  const all: Answer = { answered: new Set(), states: new Map(), unanswered: null };
  for (const part of parts) {
    for (const id of part.answered) all.answered.add(id);
    for (const [id, state] of part.states) all.states.set(id, state);
    all.unanswered ??= part.unanswered;
  }
  return all;
}

const isWaiting = (r: TaskRecord) =>
  r.active && r.snapshot?.readiness?.state === 'waiting' && r.snapshot.resource != null && r.snapshot.resource.type !== 'oss-object';

/** One pass over the run's waiting tasks; returns how many completion events it committed. */
export async function checkReadiness(run: Run): Promise<number> {
  const waiting = run.waiting;
  if (!waiting?.size || stopping(run)) return 0;
  const summary = readinessSummary(run);
  // The store's record, not the batch's view: its version guards the commit, and another run may have moved it.
  const records = [...(await run.deps.store.getTasks([...waiting.values()])).values()].filter(isWaiting);
  const still = new Set(records.map(taskKeyString));
  for (const key of [...waiting.keys()]) if (!still.has(key)) waiting.delete(key);
  const staged: Array<{ commit: TransitionCommit; done: boolean; ready: boolean }> = [];
  for (const [regionId, inRegion] of groupBy(records, (r) => r.regionId)) {
    for (const [kind, ofType] of groupBy(inRegion, (r) => r.snapshot!.resource!.type)) {
      const type = kind as CheckedType;
      if (stopping(run)) break;
      const ids = [...new Set(ofType.map((r) => r.snapshot!.resource!.id))];
      const answer = await describe(run, regionId, type, ids);
      summary.checked += answer.answered.size;
      for (const record of ofType) {
        const change = judged(run, record, type, answer);
        if (change) staged.push(change);
      }
    }
  }
  summary.waiting = waiting.size;
  if (staged.length === 0) return 0;
  const outcomes = await run.deps.store.commitTransitions(staged.map((s) => s.commit));
  let completions = 0;
  outcomes.forEach((outcome, i) => {
    const { commit, done, ready } = staged[i];
    if (outcome !== 'committed') return void run.summary.conflicts++;
    for (const event of commit.events) run.summary.events[event.type] = (run.summary.events[event.type] ?? 0) + 1;
    if (!done) return;
    completions++;
    if (ready) summary.ready++;
    else summary.notReady++;
    waiting.delete(taskKeyString(commit.key));
  });
  summary.waiting = waiting.size;
  return completions;
}

/** The commit one answer makes for a waiting task, or null when nothing it shows has changed. */
function judged(run: Run, record: TaskRecord, type: CheckedType, answer: Answer): { commit: TransitionCommit; done: boolean; ready: boolean } | null {
  const snapshot = record.snapshot!;
  const resource = snapshot.resource!;
  const readiness = snapshot.readiness!;
  const now = nowIso(run);
  const answered = answer.answered.has(resource.id);
  const verdict: Verdict | null = answered ? judge(type, resource.id, answer.states.get(resource.id)) : null;
  const status = answered ? (answer.states.get(resource.id)?.status ?? null) : resource.status;
  const checkedAt = verdict ? now : readiness.checkedAt;
  const expired = readiness.until !== null && Date.parse(now) >= Date.parse(readiness.until);
  const base: TaskSnapshot = { ...snapshot, resource: { ...resource, status }, observedAt: now };
  let next: TaskSnapshot;
  if (verdict?.state === 'ready') {
    next = { ...base, ready: true, readyAt: now, readiness: { ...readiness, state: 'ready', checkedAt, reason: null } };
  } else if (verdict?.state === 'not_ready' || expired) {
    const waited = duration((Date.parse(now) - Date.parse(readiness.since)) / 1000);
    const why = verdict ? verdict.reason : `not checked: ${answer.unanswered ?? 'no answer'}`;
    const reason = verdict?.state === 'not_ready' ? why : `${why} after ${waited} (TASKHOOK_READY_WAIT); sent without it`;
    next = { ...base, ready: false, readyAt: null, readiness: { ...readiness, state: 'not_ready', checkedAt, reason } };
  } else if (verdict && (status !== resource.status || verdict.reason !== readiness.reason)) {
    next = { ...base, readiness: { ...readiness, checkedAt, reason: verdict.reason } };
  } else {
    return null;
  }
  const done = next.readiness!.state !== 'waiting';
  const events = eventsForTransition({
    previous: snapshot,
    next,
    sequence: record.sequence,
    accountId: run.deps.accountId,
    generation: record.watchedAt,
  });
  return {
    done,
    ready: next.ready === true,
    commit: {
      key: { regionId: record.regionId, taskId: record.taskId },
      expectedVersion: record.version,
      snapshot: next,
      sequence: record.sequence + events.length,
      active: !done,
      invalid: record.invalid,
      pendingVerdict: record.pendingVerdict,
      events,
      deliveries: events.flatMap((event) => deliveriesFor(event, run.webhooks, now)),
    },
  };
}

/** The describe calls for one kind in one region, 100 ids a call; an error answers for its own ids only. */
async function describe(run: Run, regionId: string, type: CheckedType, ids: string[]): Promise<Answer> {
  const parts: Answer[] = [];
  for (const part of chunk(ids, IDS_PER_CALL)) parts.push(await describePart(run, regionId, type, part));
  return merged(parts);
}

async function describePart(run: Run, regionId: string, type: CheckedType, ids: string[]): Promise<Answer> {
  const action = ACTION[type];
  try {
    const states = await run.ecs.describeResources(regionId, type, ids);
    return { answered: new Set(ids), states: new Map(states.map((s) => [s.id, s])), unanswered: null };
  } catch (error) {
    if (!(error instanceof EcsError)) throw error;
    const cls = classifyEcsError(error);
    if (BLOCKING_CLASSES.has(cls)) return refused(run, regionId, action, error, cls);
    if ((cls === 'unknown' || cls === 'task') && ids.length > 1) {
      // One id ECS rejects must not hold up the others: halve until it stands alone, unless both halves are refused alike.
      const half = Math.ceil(ids.length / 2);
      const left = await describePart(run, regionId, type, ids.slice(0, half));
      const right = await describePart(run, regionId, type, ids.slice(half));
      if (left.answered.size === 0 && right.answered.size === 0) return noAnswer(`${action} answered ${error.code}`);
      return merged([left, right]);
    }
    noteFailure(run.deps, error, { regionId, action, resources: ids.length });
    return noAnswer(`${action} answered ${error.code}`);
  }
}

const ACTION: Record<CheckedType, string> = { image: 'DescribeImages', disk: 'DescribeDisks', instance: 'DescribeInstances', snapshot: 'DescribeSnapshots' };

/** ECS refused the request or the caller: nothing is judged; said once per run, region and call, with the fix. */
function refused(run: Run, regionId: string, action: string, error: EcsError, cls: ReturnType<typeof classifyEcsError>): Answer {
  const summary = readinessSummary(run);
  const list = (summary.refused ??= []);
  const { cause, fix } = explainBlocking(error, cls, { action, regionId, skewMs: run.skewMs ?? null });
  if (!list.some((r) => r.regionId === regionId && r.action === action)) {
    list.push({ regionId, action, code: error.code, reason: cause, fix });
    run.deps.logger.error(`checking resources in ${regionId} stopped: ${cause}. Fix: ${fix}`, {
      regionId,
      action,
      code: error.code,
      requestId: error.requestId,
    });
  }
  return noAnswer(`ECS refused ${action} (${error.code})`);
}

function readinessSummary(run: Run): ReadinessSummary {
  return (run.summary.readiness ??= { checked: 0, ready: 0, notReady: 0, waiting: 0 });
}
