/**
 * The transition rules as a specification: plain snapshots in, events out. Every event type taskhook emits is
 * described here, starting from the documented DescribeTaskAttribute example answer.
 */
import { describe, expect, it } from 'vitest';
import { normalizeTaskAttribute } from '../../src/ecs/normalize.js';
import type { TaskSnapshot } from '../../src/tasks/snapshot.js';
import { carryDetail, needsDetail, notFoundSnapshot, retiredSnapshot, transition } from '../../src/tasks/transition.js';
import seed from '../support/fixtures/describe-task-attribute.seed.json';

const OBSERVED = '2015-11-23T02:20:00Z';
/** The documented example: an ExportImage task, Finished, one operation succeeded. */
const finished = normalizeTaskAttribute(seed, OBSERVED);
const ref = { regionId: 'cn-hangzhou', taskId: finished.id };

/** The same task at an earlier moment of its life. */
function at(status: string, fields: Partial<TaskSnapshot> = {}): TaskSnapshot {
  const outcome = ({ Waiting: 'pending', Processing: 'running', Paused: 'paused', Deleted: 'cancelled', Failed: 'failed' } as const)[status] ?? 'unknown';
  const terminal = status === 'Deleted' || status === 'Failed';
  return { ...finished, status, outcome, terminal, finishedAt: terminal ? finished.finishedAt : null, counts: null, operations: [], progress: null, ...fields };
}

const typesOf = (previous: TaskSnapshot | null, next: TaskSnapshot, sequence = 0) => transition({ previous, next, sequence }).events.map((e) => e.type);

describe('the events of a transition', () => {
  it('emits ecs.task.succeeded with the counts and operations when a running task turns Finished', () => {
    const { events, changed } = transition({ previous: at('Processing', { progress: 90 }), next: finished, sequence: 3, accountId: '1234567890' });
    expect(changed).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['ecs.task.status_changed', 'ecs.task.succeeded']);
    const done = events[1];
    expect(done).toMatchObject({
      specversion: '1.0',
      source: 'acs:ecs:cn-hangzhou:1234567890:task/t-ce946ntx4wr****',
      subject: 't-ce946ntx4wr****',
      time: '2015-11-23T02:19:00Z',
      datacontenttype: 'application/json',
      data: { previousStatus: 'Processing', sequence: 5, task: { outcome: 'succeeded', counts: { total: 1, succeeded: 1, failed: 0 } } },
    });
    expect(done.data.task.operations[0].relatedItems).toEqual([{ name: 'OSSObject', value: 'MYOSSPRE_m-23f8tcp***_t-23ym6mv***.vhd' }]);
    expect(events[0].data.sequence).toBe(4);
  });

  it('emits ecs.task.partially_failed when a Finished task reports both successes and failures', () => {
    const partial = normalizeTaskAttribute({ ...seed, TotalCount: 2, SuccessCount: 1, FailedCount: 1 }, OBSERVED);
    expect(typesOf(at('Processing'), partial)).toEqual(['ecs.task.status_changed', 'ecs.task.partially_failed']);
  });

  it('emits ecs.task.failed when a Finished task reports only failures, and when it turns Failed', () => {
    const allFailed = normalizeTaskAttribute({ ...seed, SuccessCount: 0, FailedCount: 1 }, OBSERVED);
    expect(typesOf(at('Processing'), allFailed)).toContain('ecs.task.failed');
    expect(typesOf(at('Processing'), at('Failed'))).toEqual(['ecs.task.status_changed', 'ecs.task.failed']);
  });

  it('emits ecs.task.cancelled when a task turns Deleted', () => {
    expect(typesOf(at('Waiting'), at('Deleted'))).toEqual(['ecs.task.status_changed', 'ecs.task.cancelled']);
  });

  it('emits ecs.task.not_found for a watched task ECS no longer knows, keeping what was known of it', () => {
    const previous = at('Processing', { progress: 40 });
    const gone = notFoundSnapshot(previous, ref, 'req-gone', OBSERVED);
    expect(gone).toMatchObject({
      status: 'NotFound',
      outcome: 'not_found',
      terminal: true,
      action: 'ExportImage',
      progress: 40,
      requestId: 'req-gone',
      observedAt: OBSERVED,
    });
    expect(typesOf(previous, gone)).toEqual(['ecs.task.status_changed', 'ecs.task.not_found']);
    expect(notFoundSnapshot(null, ref, null, OBSERVED)).toMatchObject({ id: ref.taskId, regionId: 'cn-hangzhou', action: '', outcome: 'not_found' });
  });

  it('emits ecs.task.started once, when a task first runs', () => {
    expect(typesOf(at('Waiting'), at('Processing'))).toEqual(['ecs.task.status_changed', 'ecs.task.started']);
    expect(typesOf(null, at('Processing'))).toEqual(['ecs.task.status_changed', 'ecs.task.started']);
    expect(typesOf(at('Paused'), at('Processing'))).toEqual(['ecs.task.status_changed']);
  });

  it('emits ecs.task.progress each time progress crosses a multiple of 10 %, and not for steps inside one', () => {
    expect(typesOf(at('Processing', { progress: 12 }), at('Processing', { progress: 35 }))).toEqual(['ecs.task.progress']);
    expect(typesOf(at('Processing', { progress: 31 }), at('Processing', { progress: 38 }))).toEqual([]);
    const jump = transition({ previous: at('Processing', { progress: 12 }), next: at('Processing', { progress: 35 }), sequence: 0 }).events[0];
    expect(jump.data.task.progress).toBe(35);
  });

  it('emits ecs.task.status_changed for every new status, and nothing when nothing moved', () => {
    expect(typesOf(at('Processing'), at('Paused'))).toEqual(['ecs.task.status_changed']);
    const same = transition({ previous: at('Processing', { progress: 20 }), next: at('Processing', { progress: 20 }), sequence: 2 });
    expect(same).toEqual({ events: [], changed: false, unknownStatus: false });
  });

  it('emits no second completion for a task that was already terminal', () => {
    expect(typesOf(finished, { ...finished, observedAt: '2015-11-23T02:30:00Z' })).toEqual([]);
  });

  it("numbers events after the task's last sequence, and gives a rerun the same ids", () => {
    const first = transition({ previous: at('Waiting'), next: finished, sequence: 7 }).events;
    const again = transition({ previous: at('Waiting'), next: finished, sequence: 7 }).events;
    expect(first.map((e) => e.data.sequence)).toEqual([8, 9]);
    expect(again.map((e) => e.id)).toEqual(first.map((e) => e.id));
    expect(new Set(first.map((e) => e.id)).size).toBe(2);
    expect(first[0].id).toMatch(/^evt_[0-9a-f]{26}$/);
  });

  it('commits a first sighting even without an event, and flags a status taskhook does not know once', () => {
    const odd = at('Archiving');
    expect(transition({ previous: null, next: odd, sequence: 0 })).toMatchObject({ changed: true, unknownStatus: true });
    expect(transition({ previous: odd, next: { ...odd, observedAt: '2015-11-23T02:40:00Z' }, sequence: 1 })).toMatchObject({
      changed: false,
      unknownStatus: false,
    });
  });
});

describe('what to ask ECS', () => {
  const listed = (status: string) => ({ ...at(status), progress: null, counts: null, operations: [] });

  it('asks DescribeTaskAttribute for a task DescribeTasks did not return, to confirm it is gone', () => {
    expect(needsDetail(at('Processing'), undefined, false)).toBe(true);
  });

  it('asks for the counts and errors when a task has just become terminal, and not again after', () => {
    expect(needsDetail(at('Processing'), listed('Failed'), false)).toBe(true);
    expect(needsDetail(at('Failed'), listed('Failed'), false)).toBe(false);
  });

  it('asks for progress only while a task runs and a webhook wants its progress', () => {
    expect(needsDetail(at('Processing'), listed('Processing'), true)).toBe(true);
    expect(needsDetail(at('Processing'), listed('Processing'), false)).toBe(false);
    expect(needsDetail(at('Waiting'), listed('Waiting'), true)).toBe(false);
  });

  it('keeps what only DescribeTaskAttribute knows while the status has not moved, and drops it when it has', () => {
    const previous = at('Processing', { progress: 60 });
    expect(carryDetail(previous, listed('Processing')).progress).toBe(60);
    expect(carryDetail(previous, listed('Paused')).progress).toBeNull();
    expect(carryDetail(null, listed('Processing')).progress).toBeNull();
  });

  it('claims nothing new about a task ECS refused for good', () => {
    const previous = at('Processing', { progress: 50 });
    expect(retiredSnapshot(previous, ref, 'req-x', OBSERVED)).toEqual({ ...previous, observedAt: OBSERVED });
    expect(retiredSnapshot(null, ref, 'req-x', OBSERVED)).toMatchObject({ status: '', outcome: 'unknown', terminal: false, requestId: 'req-x' });
  });
});
