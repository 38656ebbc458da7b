/** The console's pure parts: formatting, webhook health, routes, the #token= sign-in, task filters, timelines and run series. */
import { describe, expect, it } from 'vitest';
import { SUBSCRIBABLE_EVENT_TYPES } from '../../src/tasks/events.js';
import { apiPath } from '../../src/console/app/api.js';
import { absoluteTime, elapsedSeconds, formatDuration, formatRate, relativeTime } from '../../src/console/app/format.js';
import { attemptHealth, DAY_MS, needsOlderAttempts } from '../../src/console/app/health.js';
import { parseRoute, pageHref, taskHref } from '../../src/console/app/router.js';
import { runSeries } from '../../src/console/app/runs.js';
import { storedToken, takeTokenFromFragment } from '../../src/console/app/session.js';
import { EVENT_TYPES } from '../../src/console/app/pages/events.js';
import { errorCodes, timelineOrder } from '../../src/console/app/pages/task.js';
import { filterTasks, OUTCOMES, sortTasks } from '../../src/console/app/pages/tasks.js';
import { readinessNote, resourceLabel, stallNote } from '../../src/console/app/readiness.js';
import { estimatedFinish, type ConsoleEvent, type DeliveryAttempt, type PollRun, type TaskItem, type TaskState } from '../../src/console/app/types.js';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();

/** Storage as the browser has it, in memory. */
class MemoryStorage implements Storage {
  private items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

/** A location and history pair where replaceState changes the location, as in a browser. */
function addressBar(href: string) {
  let url = new URL(href);
  const calls: string[] = [];
  const location = {
    get hash() {
      return url.hash;
    },
    get pathname() {
      return url.pathname;
    },
    get search() {
      return url.search;
    },
  } as Location;
  const history = {
    replaceState: (_state: unknown, _title: string, next: string) => {
      calls.push(next);
      url = new URL(next, url);
    },
  } as History;
  return { location, history, calls, href: () => url.toString() };
}

const attempt = (msAgo: number, success: boolean): DeliveryAttempt => ({
  deliveryId: 'dlv_1',
  eventId: 'evt_1',
  webhookId: 'wh_1',
  attempt: 1,
  at: iso(msAgo),
  status: success ? 204 : 500,
  durationMs: 5,
  success,
  error: null,
  responseSnippet: '',
});

const task = (taskId: string, regionId: string, action: string, outcome: string | null, createdAt: string, active = true): TaskItem =>
  ({
    taskId,
    regionId,
    sources: ['api'],
    active,
    version: 1,
    sequence: 1,
    invalid: null,
    pendingVerdict: null,
    watchedAt: createdAt,
    updatedAt: createdAt,
    lastPolledAt: null,
    snapshot: outcome === null ? null : { id: taskId, regionId, action, outcome, status: 'Processing', createdAt, finishedAt: null, operations: [] },
  }) as unknown as TaskItem;

describe('formatting', () => {
  it('prints durations in the largest two units', () => {
    expect([0, 42, 60, 185, 3600, 7800, 86_400 + 4 * 3600].map(formatDuration)).toEqual(['0 s', '42 s', '1 min', '3 min 5 s', '1 h', '2 h 10 min', '1 d 4 h']);
  });

  it('prints times relative to now, and a dash for none', () => {
    expect(relativeTime(iso(12_000), NOW)).toBe('12 s ago');
    expect(relativeTime(new Date(NOW + 180_000).toISOString(), NOW)).toBe('in 3 min');
    expect(relativeTime(iso(500), NOW)).toBe('just now');
    expect(relativeTime(null, NOW)).toBe('—');
    expect(relativeTime(undefined, NOW)).toBe('—');
    expect(relativeTime('not a time', NOW)).toBe('—');
    expect(absoluteTime(null)).toBe('—');
    expect(absoluteTime('2026-11-27T12:00:00Z')).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });

  it('measures elapsed time to the finish, or to now while a task runs', () => {
    expect(elapsedSeconds({ createdAt: iso(90_000), finishedAt: null }, NOW)).toBe(90);
    expect(elapsedSeconds({ createdAt: iso(90_000), finishedAt: iso(30_000) }, NOW)).toBe(60);
    expect(elapsedSeconds({ createdAt: iso(90_000), finishedAt: iso(30_000), durationSeconds: 61 }, NOW)).toBe(61);
    expect(elapsedSeconds({ createdAt: null, finishedAt: null }, NOW)).toBeNull();
  });

  it('prints rates without hiding a failure behind 100 % or a success behind 0 %', () => {
    expect(formatRate(1)).toBe('100 %');
    expect(formatRate(0)).toBe('0 %');
    expect(formatRate(0.999)).toBe('99.9 %');
    expect(formatRate(0.004)).toBe('0.4 %');
    expect(formatRate(0.5)).toBe('50 %');
  });

  it('leaves query parameters without a value out of API paths', () => {
    expect(apiPath('/v1/events', { type: 'ecs.task.failed', regionId: '', taskId: undefined, limit: 50 })).toBe('/v1/events?type=ecs.task.failed&limit=50');
    expect(apiPath('/v1/webhooks')).toBe('/v1/webhooks');
  });
});

describe('webhook health', () => {
  it('is the share of successful attempts in the last day, ignoring older ones', () => {
    const health = attemptHealth([attempt(1_000, false), attempt(60_000, true), attempt(3_600_000, false), attempt(DAY_MS + 1_000, true)], NOW);
    expect(health).toMatchObject({ attempts: 3, succeeded: 1 });
    expect(health.rate).toBeCloseTo(1 / 3);
    expect(health.last?.at).toBe(iso(1_000));
  });

  it('has no rate without attempts in the window', () => {
    expect(attemptHealth([attempt(DAY_MS * 2, true)], NOW)).toMatchObject({ attempts: 0, rate: null });
    expect(attemptHealth([], NOW)).toEqual({ attempts: 0, succeeded: 0, rate: null, last: null });
  });

  it('reads older pages of the attempt log only while the oldest attempt read is inside the window', () => {
    expect(needsOlderAttempts([attempt(1_000, true), attempt(3_600_000, true)], NOW)).toBe(true);
    expect(needsOlderAttempts([attempt(1_000, true), attempt(DAY_MS + 1, true)], NOW)).toBe(false);
    expect(needsOlderAttempts([], NOW)).toBe(false);
  });
});

describe('routes', () => {
  it('reads each page from the hash, with its parameters', () => {
    expect(parseRoute('')).toMatchObject({ page: 'tasks' });
    expect(parseRoute('#/tasks?region=cn-beijing')).toMatchObject({ page: 'tasks' });
    expect((parseRoute('#/tasks?region=cn-beijing') as { query: URLSearchParams }).query.get('region')).toBe('cn-beijing');
    expect(parseRoute('#/tasks/cn-hangzhou/t-bp1abc')).toEqual({ page: 'task', regionId: 'cn-hangzhou', taskId: 't-bp1abc' });
    expect(parseRoute('#/events/evt_123')).toEqual({ page: 'event', eventId: 'evt_123' });
    expect(parseRoute('#/webhooks')).toEqual({ page: 'webhooks' });
    expect(parseRoute('#/poller')).toEqual({ page: 'poller' });
    expect(parseRoute('#/nowhere/at/all/x')).toEqual({ page: 'missing', hash: '#/nowhere/at/all/x' });
  });

  it('writes hashes that read back as the same page', () => {
    expect(taskHref('cn-hangzhou', 't-bp1abc')).toBe('#/tasks/cn-hangzhou/t-bp1abc');
    expect(parseRoute(taskHref('cn-hangzhou', 't-bp1abc'))).toEqual({ page: 'task', regionId: 'cn-hangzhou', taskId: 't-bp1abc' });
    expect(pageHref(['events'], { type: 'ecs.task.failed', taskId: '', regionId: undefined })).toBe('#/events?type=ecs.task.failed');
  });
});

describe('signing in with a #token= link', () => {
  it('keeps the token in sessionStorage and replaces the address at once, without the token', () => {
    const bar = addressBar('http://127.0.0.1:9000/console#token=thk_abc%2Bdef');
    const storage = new MemoryStorage();
    expect(takeTokenFromFragment(bar.location, bar.history, storage)).toBe(true);
    expect(storedToken(storage)).toBe('thk_abc+def');
    expect(bar.calls).toEqual(['/console#/tasks']);
    expect(bar.href()).toBe('http://127.0.0.1:9000/console#/tasks');
  });

  it('leaves any other address alone', () => {
    const bar = addressBar('http://127.0.0.1:9000/console#/events');
    const storage = new MemoryStorage();
    expect(takeTokenFromFragment(bar.location, bar.history, storage)).toBe(false);
    expect(bar.calls).toEqual([]);
    expect(storage.length).toBe(0);
  });

  it('removes an empty or undecodable token from the address without keeping it', () => {
    for (const href of ['http://h/console#token=%20', 'http://h/console#token=%E0%A4%A']) {
      const bar = addressBar(href);
      const storage = new MemoryStorage();
      expect(takeTokenFromFragment(bar.location, bar.history, storage)).toBe(false);
      expect(bar.href()).toBe('http://h/console#/tasks');
      expect(storage.length).toBe(0);
    }
  });
});

describe('the task list', () => {
  const tasks = [
    task('t-a', 'cn-hangzhou', 'ExportImage', 'succeeded', iso(60_000), false),
    task('t-b', 'cn-beijing', 'ModifyDiskSpec', 'running', iso(50_000)),
    task('t-c', 'cn-hangzhou', 'ImportImage', 'failed', iso(40_000), false),
    task('t-d', 'cn-hangzhou', 'ImportImage', 'running', iso(30_000)),
    task('t-e', 'cn-hangzhou', '', null, iso(20_000)),
  ];

  it('filters by region, action and outcome together', () => {
    const ids = (f: Parameters<typeof filterTasks>[1]) => filterTasks(tasks, f).map((t) => t.taskId);
    expect(ids({ region: '', action: '', outcome: '' })).toEqual(['t-a', 't-b', 't-c', 't-d', 't-e']);
    expect(ids({ region: 'cn-beijing', action: '', outcome: '' })).toEqual(['t-b']);
    expect(ids({ region: 'cn-hangzhou', action: 'ImportImage', outcome: '' })).toEqual(['t-c', 't-d']);
    expect(ids({ region: 'cn-hangzhou', action: 'ImportImage', outcome: 'running' })).toEqual(['t-d']);
    expect(ids({ region: '', action: '', outcome: 'unpolled' })).toEqual(['t-e']);
  });

  it('puts running work first, then the newest', () => {
    expect(sortTasks(tasks).map((t) => t.taskId)).toEqual(['t-e', 't-d', 't-b', 't-c', 't-a']);
  });

  it('shows an estimated finish from the item or its snapshot while the task runs, and none once it is done or unknown', () => {
    const at = '2026-11-27T12:05:00.000Z';
    const running = { terminal: false } as TaskState;
    expect(estimatedFinish({ snapshot: running, estimatedFinishAt: at })).toBe(at);
    expect(estimatedFinish({ snapshot: { ...running, estimatedFinishAt: at } })).toBe(at);
    expect(estimatedFinish({ snapshot: running })).toBeNull();
    expect(estimatedFinish({ snapshot: running, estimatedFinishAt: null })).toBeNull();
    expect(estimatedFinish({ snapshot: { terminal: true } as TaskState, estimatedFinishAt: at })).toBeNull();
    expect(estimatedFinish({ snapshot: null })).toBeNull();
  });

  it('offers every outcome a snapshot can have', () => {
    expect([...OUTCOMES].sort()).toEqual(['cancelled', 'failed', 'not_found', 'partially_failed', 'paused', 'pending', 'running', 'succeeded', 'unknown']);
  });
});

describe('a task page', () => {
  it('groups the operations by error code', () => {
    const op = (errorCode: string | null, errorMessage: string | null) => ({
      status: errorCode ? 'Failed' : 'Success',
      errorCode,
      errorMessage,
      relatedItems: [],
    });
    expect(
      errorCodes([op('InvalidImageFormat.Unsupported', 'bad format'), op(null, null), op('InvalidImageFormat.Unsupported', 'bad format'), op('Other', null)]),
    ).toEqual([
      { code: 'InvalidImageFormat.Unsupported', message: 'bad format', count: 2 },
      { code: 'Other', message: null, count: 1 },
    ]);
  });

  it('orders the timeline by sequence, as the events happened, whatever their times say', () => {
    const event = (id: string, sequence: number, time: string) =>
      ({ id, type: 'ecs.task.status_changed', source: 's', subject: 't', time, data: { sequence } }) as ConsoleEvent;
    const ordered = timelineOrder([event('e3', 3, iso(5_000)), event('e1', 1, iso(1_000)), event('e2', 2, iso(9_000))]);
    expect(ordered.map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
  });
});

describe('the event type filter', () => {
  it('offers exactly the types GET /v1/events accepts', () => {
    expect([...EVENT_TYPES]).toEqual([...SUBSCRIBABLE_EVENT_TYPES]);
  });
});

describe('poll run charts', () => {
  const run = (id: string, startedAt: string, summary: PollRun['summary']): PollRun => ({ id, startedAt, finishedAt: startedAt, summary });

  it('orders runs oldest first and sums ECS calls over the APIs', () => {
    const series = runSeries([
      run('r2', '2026-11-27T12:01:00Z', {
        ecsCalls: { DescribeTasks: 2, DescribeTaskAttribute: 3 },
        throttled: 1,
        durationMs: 400,
        tasks: { active: 5, polled: 4, deferred: 1 },
      }),
      run('r1', '2026-11-27T12:00:00Z', { ecsCalls: {}, throttled: 0, durationMs: 100, tasks: { active: 5, polled: 5, deferred: 0 } }),
    ]);
    expect(series.x).toEqual([Date.parse('2026-11-27T12:00:00Z') / 1000, Date.parse('2026-11-27T12:01:00Z') / 1000]);
    expect(Object.fromEntries(series.work.map((s) => [s.label, s.values]))).toEqual({
      'tasks active': [5, 5],
      'tasks polled': [5, 4],
      'tasks deferred': [0, 1],
      'ECS calls': [0, 5],
      throttled: [0, 1],
    });
    expect(series.time).toEqual([{ label: 'run duration (ms)', values: [100, 400] }]);
  });

  it('charts staleness on a second axis only when runs report it', () => {
    const series = runSeries([
      run('r1', '2026-11-27T12:00:00Z', { durationMs: 100, staleness: { seconds: 42 } }),
      run('r2', '2026-11-27T12:01:00Z', { durationMs: 90 }),
    ]);
    expect(series.time[1]).toEqual({ label: 'staleness (s)', values: [42, null], axis: 'right' });
  });
});

describe('a task’s resource and stall', () => {
  const finished = (readiness: TaskState['readiness'], resource: TaskState['resource'] = { type: 'image', id: 'm-1', status: 'Creating' }) =>
    ({ terminal: true, resourceId: 'm-1', resource, readiness }) as TaskState;
  const since = '2026-11-27T12:00:00Z';

  it('names the resource with its last status, or the bare ResourceId of an older snapshot', () => {
    expect(resourceLabel(finished(null))).toBe('image m-1 Creating');
    expect(resourceLabel({ resourceId: 'd-1' } as TaskState)).toBe('d-1');
    expect(resourceLabel({ resourceId: null } as TaskState)).toBeNull();
  });

  it('says what a finished task waits for, and how the wait ended', () => {
    expect(readinessNote(finished({ state: 'waiting', since, until: since, checkedAt: null, reason: 'x' }))).toEqual({
      text: 'waiting for image m-1 (Creating)',
      tone: 'warn',
    });
    expect(readinessNote(finished({ state: 'ready', since, until: since, checkedAt: since, reason: null }))).toEqual({ text: 'image m-1 usable', tone: 'ok' });
    expect(readinessNote(finished({ state: 'not_ready', since, until: since, checkedAt: since, reason: 'image m-1 is CreateFailed' }))).toEqual({
      text: 'not usable: image m-1 is CreateFailed',
      tone: 'warn',
    });
    expect(readinessNote(finished({ state: 'unchecked', since, until: null, checkedAt: null, reason: 'no ECS call can check it' }))?.tone).toBe('muted');
    expect(readinessNote({ terminal: false } as TaskState)).toBeNull();
  });

  it('shows a stall with the expectation it broke', () => {
    const stall = { since, stuckSeconds: 3600, expectation: 'step' as const, expectedSeconds: 900, reason: 'progress stuck at 40 % for 1 h' };
    expect(stallNote({ stall } as TaskState)).toEqual({ text: 'stalled: progress stuck at 40 % for 1 h', tone: 'warn' });
    expect(stallNote({ stall: null } as TaskState)).toBeNull();
  });
});
