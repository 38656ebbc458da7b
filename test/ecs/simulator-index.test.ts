import { describe, expect, it } from 'vitest';
import { TaskIndex, answerOrder, compareIds } from '../../src/ecs/simulator/task-index';
import type { SimTask } from '../../src/ecs/simulator';

const T0 = Date.UTC(2026, 10, 27, 2, 0, 0);

function task(taskId: string, createdAt: number, overrides: Partial<SimTask> = {}): SimTask {
  return { taskId, regionId: 'cn-hangzhou', action: 'ImportImage', createdAt, timeline: [{ afterMs: 0, status: 'Waiting' }], ...overrides };
}

const ids = (r: { list: readonly SimTask[]; start: number; end: number }) => r.list.slice(r.start, r.end).map((t) => t.taskId);

/** The same answer by brute force: every task of the region, filtered and sorted. */
function scan(tasks: SimTask[], regionId: string, from: number, to: number, action?: string): string[] {
  return tasks
    .filter((t) => t.regionId === regionId && t.createdAt >= from && t.createdAt <= to && (action === undefined || t.action === action))
    .sort(answerOrder)
    .map((t) => t.taskId);
}

describe('compareIds', () => {
  it('orders ids as localeCompare does, the fast way for plain ids and the collator for the rest', () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const word = (alphabet: string) => Array.from({ length: 1 + Math.floor(random() * 8) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    const sign = (n: number) => Math.sign(n);
    for (const alphabet of ['-0123456789abcdefghijklmnopqrstuvwxyz', 'aAbB-_*09zZ']) {
      for (let i = 0; i < 3_000; i++) {
        const [a, b] = [`t-${word(alphabet)}`, `t-${word(alphabet)}`];
        expect(sign(compareIds(a, b)), `${a} vs ${b}`).toBe(sign(a.localeCompare(b)));
      }
    }
  });
});

describe('TaskIndex', () => {
  it('finds a task by region and id, and not under another region', () => {
    const index = new TaskIndex();
    index.put(task('t-bp1a0000', T0));
    index.put(task('t-2zeb0000', T0, { regionId: 'cn-beijing' }));

    expect(index.get('cn-hangzhou', 't-bp1a0000')?.taskId).toBe('t-bp1a0000');
    expect(index.get('cn-beijing', 't-bp1a0000')).toBeUndefined();
    expect(index.get('cn-shanghai', 't-bp1a0000')).toBeUndefined();
    expect(index.size()).toBe(2);
  });

  it('answers a creation-time window newest first, ties by id, both ends inclusive', () => {
    const index = new TaskIndex();
    for (const [id, minute] of [
      ['t-c', 3],
      ['t-a', 1],
      ['t-b', 3],
      ['t-d', 5],
      ['t-e', 0],
    ] as const)
      index.put(task(id, T0 + minute * 60_000));

    expect(ids(index.createdBetween('cn-hangzhou', T0 + 60_000, T0 + 3 * 60_000))).toEqual(['t-b', 't-c', 't-a']);
    expect(ids(index.createdBetween('cn-hangzhou', -Infinity, Infinity))).toEqual(['t-d', 't-b', 't-c', 't-a', 't-e']);
    expect(ids(index.createdBetween('cn-hangzhou', T0 + 4 * 60_000, T0 + 4 * 60_000))).toEqual([]);
    expect(ids(index.createdBetween('cn-hangzhou', T0 + 9 * 60_000, T0))).toEqual([]);
    expect(ids(index.createdBetween('cn-beijing', -Infinity, Infinity))).toEqual([]);
  });

  it('keeps a per-action index in the same order', () => {
    const index = new TaskIndex();
    index.put(task('t-1', T0, { action: 'ExportImage' }));
    index.put(task('t-2', T0 + 1, { action: 'ImportImage' }));
    index.put(task('t-3', T0 + 2, { action: 'ExportImage' }));

    expect(ids(index.createdBetween('cn-hangzhou', -Infinity, Infinity, 'ExportImage'))).toEqual(['t-3', 't-1']);
    expect(ids(index.createdBetween('cn-hangzhou', -Infinity, Infinity, 'ModifyDiskSpec'))).toEqual([]);
  });

  it('sees tasks added, replaced and removed after a window was answered', () => {
    const index = new TaskIndex();
    index.put(task('t-1', T0));
    index.put(task('t-2', T0 + 1));
    expect(ids(index.createdBetween('cn-hangzhou', -Infinity, Infinity))).toEqual(['t-2', 't-1']);

    // Same creation time and action: swapped in place, and the window answers the new object.
    const cancelled = task('t-1', T0, { timeline: [{ afterMs: 0, status: 'Deleted' }] });
    index.put(cancelled);
    const window = index.createdBetween('cn-hangzhou', -Infinity, Infinity);
    expect(window.list[window.start + 1]).toBe(cancelled);
    expect(ids(index.createdBetween('cn-hangzhou', -Infinity, Infinity, 'ImportImage'))).toEqual(['t-2', 't-1']);

    // Another creation time or action moves it.
    index.put(task('t-1', T0 + 5, { action: 'ExportImage' }));
    expect(ids(index.createdBetween('cn-hangzhou', -Infinity, Infinity))).toEqual(['t-1', 't-2']);
    expect(ids(index.createdBetween('cn-hangzhou', -Infinity, Infinity, 'ImportImage'))).toEqual(['t-2']);

    index.put(task('t-0', T0 - 1));
    expect(index.delete('cn-hangzhou', 't-2')).toBe(true);
    expect(index.delete('cn-hangzhou', 't-2')).toBe(false);
    expect(ids(index.createdBetween('cn-hangzhou', -Infinity, Infinity))).toEqual(['t-1', 't-0']);
  });

  it('answers every window as a scan of all tasks would, for a fleet with many equal creation times', () => {
    const tasks: SimTask[] = [];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2_000; i++) {
      tasks.push(
        task(`t-${Math.floor(random() * 1e9).toString(36)}${i}`, T0 + Math.floor(random() * 50) * 1000, {
          regionId: random() < 0.5 ? 'cn-hangzhou' : 'cn-beijing',
          action: random() < 0.3 ? 'ExportImage' : 'ImportImage',
        }),
      );
    }
    const index = new TaskIndex();
    for (const t of tasks) index.put(t);

    for (let q = 0; q < 200; q++) {
      const a = T0 + Math.floor(random() * 60) * 1000 - 5_000;
      const b = a + Math.floor(random() * 30) * 1000;
      const region = q % 2 ? 'cn-hangzhou' : 'cn-beijing';
      const action = q % 3 === 0 ? 'ExportImage' : undefined;
      expect(ids(index.createdBetween(region, a, b, action))).toEqual(scan(tasks, region, a, b, action));
    }
  });
});
