/**
 * "Never lose a task, never invent a completion": odd ECS answers, through the real pop-core client against the
 * simulator, and arbitrary raw answers fed to the pure parsers.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { EcsCallRecord } from '../../src/ecs/api.js';
import { MalformedAnswerError, STATUS_OUTCOME, parseTaskAttribute, parseTaskPage } from '../../src/ecs/normalize.js';
import { createPopEcsApi, type PopEcsApi, type PopEcsOptions } from '../../src/ecs/pop-client.js';
import type { EcsSimulator, SimFault, SimTask } from '../../src/ecs/simulator/index.js';
import { EcsError } from '../../src/errors.js';
import type { TaskSnapshot } from '../../src/tasks/snapshot.js';
import { KEYS, finishedExport, startSimulator } from '../support/helpers.js';
import seed from '../support/fixtures/describe-task-attribute.seed.json';

const REGION = 'cn-hangzhou';
const ASKED = 't-bp1askedfor000000001';
const OTHER = 't-bp1otherdone00000001';
const MAX_ATTEMPTS = 3;
/** Runs per property; the report quotes the total. */
const RUNS = 2_000;

let sim: EcsSimulator | undefined;
let ecs: PopEcsApi | undefined;
let records: EcsCallRecord[] = [];

afterEach(async () => {
  ecs?.close();
  await sim?.stop();
  sim = ecs = undefined;
  records = [];
});

/** The task asked for is still running; another task of the region has finished: its answer must never become ours. */
function runningImport(taskId: string, createdAt: number): SimTask {
  return {
    taskId,
    regionId: REGION,
    action: 'ImportImage',
    createdAt,
    timeline: [
      { afterMs: 0, status: 'Processing', progress: 30 },
      { afterMs: 3_600_000, status: 'Finished' },
    ],
  };
}

async function start(tasks: SimTask[] = [runningImport(ASKED, Date.now() - 60_000), finishedExport(OTHER, Date.now() - 600_000)]) {
  sim = await startSimulator(tasks);
}

function client(overrides: Partial<PopEcsOptions> = {}) {
  ecs = createPopEcsApi({
    endpoint: sim!.endpoint,
    credentials: () => KEYS,
    timeoutMs: 1_000,
    retry: { baseDelayMs: 1, maxDelayMs: 5, budgetMs: 5_000, maxAttempts: MAX_ATTEMPTS },
    maxAnswerBytes: 64 * 1024,
    onCall: (r) => records.push(r),
    ...overrides,
  });
  return ecs;
}

async function failure(promise: Promise<unknown>): Promise<EcsError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  // The whole point: a fault never yields a snapshot.
  expect(outcome).not.toHaveProperty('value');
  const { error } = outcome as { error: unknown };
  expect(error).toBeInstanceOf(EcsError);
  return error as EcsError;
}

/** Fault → the code the adapter gives once its retries are spent, and how many calls that took. */
const ATTRIBUTE_FAULTS: [SimFault, string, number][] = [
  [{ kind: 'html200' }, 'MalformedAnswer', MAX_ATTEMPTS],
  [{ kind: 'html503' }, 'MalformedAnswer', MAX_ATTEMPTS],
  [{ kind: 'emptyBody' }, 'MalformedAnswer', MAX_ATTEMPTS],
  [{ kind: 'truncatedJson' }, 'MalformedAnswer', MAX_ATTEMPTS],
  [{ kind: 'notAnObject' }, 'MalformedAnswer', MAX_ATTEMPTS],
  [{ kind: 'jsonNull' }, 'MalformedAnswer', MAX_ATTEMPTS],
  [{ kind: 'wrongTypes' }, 'MalformedAnswer', MAX_ATTEMPTS],
  [{ kind: 'missingTaskId' }, 'MalformedAnswer', MAX_ATTEMPTS],
  [{ kind: 'otherTask' }, 'MalformedAnswer', MAX_ATTEMPTS],
  [{ kind: 'resetMidBody' }, 'NetworkError', MAX_ATTEMPTS],
  [{ kind: 'drop' }, 'NetworkError', MAX_ATTEMPTS],
  [{ kind: 'latency', latencyMs: 1_500 }, 'Timeout', MAX_ATTEMPTS],
  [{ kind: 'http500' }, 'InternalError', MAX_ATTEMPTS],
  [{ kind: 'http503' }, 'ServiceUnavailable', MAX_ATTEMPTS],
  [{ kind: 'hugeBody', bytes: 256 * 1024 }, 'AnswerTooLarge', 1],
];

/** DescribeTasks with task ids: entries not asked for are dropped rather than failing the page. */
const PAGE_FAULTS: [SimFault, string, number][] = [...ATTRIBUTE_FAULTS.filter(([f]) => f.kind !== 'otherTask')];

const MALFORMED_KINDS = new Set(ATTRIBUTE_FAULTS.filter(([, code]) => code === 'MalformedAnswer').map(([f]) => f.kind));

describe('DescribeTaskAttribute against odd answers', () => {
  it.each(ATTRIBUTE_FAULTS)('a lasting %o fault gives %s after %i calls, never a snapshot', async (fault, code, calls) => {
    await start();
    sim!.injectFault({ ...fault, action: 'DescribeTaskAttribute', times: Infinity });
    const error = await failure(client().describeTaskAttribute(REGION, ASKED));
    expect(error.code).toBe(code);
    expect(sim!.calls().DescribeTaskAttribute).toBe(calls);
    expect(records).toHaveLength(calls);
    expect(records.every((r) => !r.ok && r.code === code)).toBe(true);
    if (code === 'MalformedAnswer') expect(records.every((r) => r.malformed === true && r.note)).toBe(true);
    if (code === 'AnswerTooLarge') expect(records[0]).toMatchObject({ limit: true, note: expect.stringContaining('65536 bytes') });
  });

  it.each(ATTRIBUTE_FAULTS.filter(([, code]) => code !== 'AnswerTooLarge'))(
    'recovers from a passing %o fault on retry, with the identity asked for',
    async (fault) => {
      await start();
      sim!.injectFault({ ...fault, action: 'DescribeTaskAttribute', times: MAX_ATTEMPTS - 1 });
      const task = await client().describeTaskAttribute(REGION, ASKED);
      expect(task).toMatchObject({ id: ASKED, regionId: REGION, status: 'Processing', outcome: 'running', terminal: false, progress: 30 });
      expect(sim!.calls().DescribeTaskAttribute).toBe(MAX_ATTEMPTS);
      if (MALFORMED_KINDS.has(fault.kind)) expect(records.map((r) => r.malformed ?? false)).toEqual([true, true, false]);
    },
  );

  it('counts the size cap per answer, not per kept-alive connection', async () => {
    await start();
    const api = client({ maxAnswerBytes: 4 * 1024 });
    for (let i = 0; i < 20; i++) expect((await api.describeTaskAttribute(REGION, ASKED)).id).toBe(ASKED);
    expect(records.every((r) => r.ok)).toBe(true);
  });

  it('does not take the finished answer of another task for the running one asked for', async () => {
    await start();
    sim!.injectFault({ kind: 'otherTask', times: Infinity });
    const error = await failure(client().describeTaskAttribute(REGION, ASKED));
    expect(error.message).toContain(`names task "${OTHER}", the call asked for ${ASKED}`);
  });

  it('ends with DeadlineExceeded when slow answers outlast the call deadline', async () => {
    await start();
    sim!.injectFault({ kind: 'latency', latencyMs: 800, times: Infinity });
    const started = Date.now();
    // The attempt's timeout shrinks to what is left of the deadline (600 ms, not the 1,000 ms timeout).
    const error = await failure(client({ deadlineMs: 600 }).describeTaskAttribute(REGION, ASKED));
    expect(error).toMatchObject({ code: 'DeadlineExceeded', retryable: true });
    expect(error.message).toContain('did not complete within 600 ms (last answer: Timeout)');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(records.filter((r) => r.limit)).toHaveLength(1);
  });
});

describe('DescribeTasks against odd answers', () => {
  it.each(PAGE_FAULTS)('a lasting %o fault gives %s after %i calls, never a task list', async (fault, code, calls) => {
    await start();
    sim!.injectFault({ ...fault, action: 'DescribeTasks', times: Infinity });
    const error = await failure(client().describeTasks(REGION, { taskIds: [ASKED] }));
    expect(error.code).toBe(code);
    expect(sim!.calls().DescribeTasks).toBe(calls);
  });

  it.each(PAGE_FAULTS.filter(([, code]) => code !== 'AnswerTooLarge'))('recovers from a passing %o fault on retry', async (fault) => {
    await start();
    sim!.injectFault({ ...fault, action: 'DescribeTasks', times: MAX_ATTEMPTS - 1 });
    const listed = await client().describeTasks(REGION, { taskIds: [ASKED] });
    expect(listed.map((t) => [t.id, t.regionId, t.status])).toEqual([[ASKED, REGION, 'Processing']]);
  });

  it('drops (and reports) entries that name a task not asked for, even a finished one', async () => {
    await start();
    sim!.injectFault({ kind: 'otherTask', action: 'DescribeTasks', times: Infinity });
    const listed = await client().describeTasks(REGION, { taskIds: [ASKED] });
    expect(listed.map((t) => t.id)).toEqual([ASKED]);
    expect(records).toEqual([expect.objectContaining({ ok: true, dropped: 1, note: expect.stringContaining(OTHER) })]);
  });

  it('drops an invented entry when the asked task does not exist', async () => {
    await start([runningImport(ASKED, Date.now() - 60_000)]);
    sim!.injectFault({ kind: 'otherTask', action: 'DescribeTasks', times: Infinity });
    expect(await client().describeTasks(REGION, { taskIds: ['t-bp1notthere000000001'] })).toEqual([]);
    expect(records[0]).toMatchObject({ dropped: 1 });
  });

  it.each([
    [undefined, 50],
    [5, 5],
  ])('stops endless paging at the page cap (maxPages %s: %i calls) with PageLimitExceeded', async (maxPages, calls) => {
    await start();
    sim!.injectFault({ kind: 'endlessPaging', action: 'DescribeTasks', times: Infinity });
    const error = await failure(client(maxPages ? { maxPages } : {}).describeTasks(REGION, { action: 'ImportImage' }));
    expect(error).toMatchObject({ code: 'PageLimitExceeded', retryable: false });
    expect(sim!.calls().DescribeTasks).toBe(calls);
    const limits = records.filter((r) => r.limit);
    expect(limits).toEqual([expect.objectContaining({ code: 'PageLimitExceeded', note: expect.stringContaining(`after ${calls}`) })]);
  });

  it('stops an id query after the page that showed every asked id, however many pages the answer promises', async () => {
    await start();
    sim!.injectFault({ kind: 'endlessPaging', action: 'DescribeTasks', times: Infinity });
    const listed = await client().describeTasks(REGION, { taskIds: [ASKED] });
    // The padded page repeats the one task: it is listed once.
    expect(listed.map((t) => t.id)).toEqual([ASKED]);
    expect(sim!.calls().DescribeTasks).toBe(1);
  });

  it('ends slow paging with DeadlineExceeded', async () => {
    await start();
    sim!.setLatency(150);
    sim!.injectFault({ kind: 'endlessPaging', action: 'DescribeTasks', times: Infinity });
    const error = await failure(client({ deadlineMs: 500 }).describeTasks(REGION, { action: 'ImportImage' }));
    expect(error.code).toBe('DeadlineExceeded');
    expect(sim!.calls().DescribeTasks).toBeLessThanOrEqual(5);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The pure parsers: any raw answer gives a valid snapshot of the task asked for, or a MalformedAnswerError.

const OBSERVED_AT = '2026-11-27T10:00:00.000Z';
const ASKED_SEED = { regionId: 'cn-hangzhou', taskId: seed.TaskId };
const OUTCOMES = new Set(['pending', 'running', 'paused', 'succeeded', 'partially_failed', 'failed', 'cancelled', 'unknown']);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$|^[+-]\d{6}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

const nullOr = (v: unknown, type: string) => v === null || typeof v === type;
const isCount = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

function expectValidSnapshot(s: TaskSnapshot, asked: { regionId: string; taskId?: string }, withCounts: boolean) {
  if (asked.taskId !== undefined) expect(s.id).toBe(asked.taskId);
  expect(s.regionId).toBe(asked.regionId);
  expect(typeof s.id === 'string' && s.id !== '').toBe(true);
  expect(typeof s.action).toBe('string');
  expect(typeof s.status === 'string' && s.status !== '').toBe(true);
  expect(OUTCOMES.has(s.outcome)).toBe(true);
  expect(typeof s.terminal).toBe('boolean');
  // A terminal verdict only from a status ECS documents as terminal.
  if (s.terminal) expect(Object.hasOwn(STATUS_OUTCOME, s.status) && STATUS_OUTCOME[s.status].terminal).toBe(true);
  expect(s.progress === null || (Number.isFinite(s.progress) && s.progress >= 0 && s.progress <= 100)).toBe(true);
  expect(typeof s.supportCancel).toBe('boolean');
  for (const time of [s.createdAt, s.finishedAt]) expect(time === null || ISO.test(time)).toBe(true);
  expect(s.durationSeconds === null || (Number.isFinite(s.durationSeconds) && s.durationSeconds >= 0)).toBe(true);
  if (withCounts) expect(s.counts && [s.counts.total, s.counts.succeeded, s.counts.failed].every(isCount)).toBe(true);
  else expect(s.counts).toBeNull();
  expect(Array.isArray(s.operations)).toBe(true);
  for (const op of s.operations) {
    expect([op.status, op.errorCode, op.errorMessage].every((v) => nullOr(v, 'string'))).toBe(true);
    expect(op.relatedItems.every((i) => typeof i.name === 'string' && typeof i.value === 'string')).toBe(true);
  }
  expect(nullOr(s.resourceId, 'string') && nullOr(s.requestId, 'string')).toBe(true);
  expect(s.observedAt).toBe(OBSERVED_AT);
}

/** Either a valid snapshot or a typed error; anything else (a TypeError, a wrong field) fails the property. */
function attributeVerdict(raw: unknown, asked = ASKED_SEED): 'snapshot' | 'malformed' {
  try {
    expectValidSnapshot(parseTaskAttribute(raw, asked, OBSERVED_AT), asked, true);
    return 'snapshot';
  } catch (error) {
    if (error instanceof MalformedAnswerError) {
      expect(error).toMatchObject({ code: 'MalformedAnswer', retryable: true });
      return 'malformed';
    }
    throw error;
  }
}

/** Values json-bigint can hand over too: null-prototype objects, BigNumber-like objects, and plain JSON. */
const rawValue = fc.oneof(
  fc.jsonValue(),
  fc.anything({ withNullPrototype: true, withBigInt: false, withDate: false, withMap: false, withSet: false, withTypedArray: false }),
  fc.constantFrom('', 'constructor', '__proto__', 'toString', 'Finished', 'Failed', 'Deleted', 'Archiving', '45%', '100%', '-1%', '1e3', 2 ** 60),
);
const seedKeys = Object.keys(seed) as (keyof typeof seed)[];
/** One edit of the documented answer: drop a field, or set it (or a new one) to an arbitrary value. */
const edit = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), key: fc.constantFrom(...seedKeys) }),
  fc.record({ op: fc.constant('set' as const), key: fc.oneof(fc.constantFrom(...seedKeys), fc.string()), value: rawValue }),
);
function applyEdits(base: Record<string, unknown>, edits: { op: 'drop' | 'set'; key: string; value?: unknown }[]) {
  const out: Record<string, unknown> = structuredClone(base);
  for (const e of edits) {
    if (e.op === 'drop') delete out[e.key];
    // defineProperty: a "__proto__" key is a field of the answer, as json-bigint would make it, not a prototype.
    else Object.defineProperty(out, e.key, { value: e.value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

describe('parseTaskAttribute on arbitrary answers', () => {
  it('reads the documented answer', () => {
    expect(attributeVerdict(seed)).toBe('snapshot');
  });

  it.each([
    [{ ...seed, TaskId: undefined }, 'missing-task-id'],
    [{ ...seed, TaskId: 't-someoneelse' }, 'other-task'],
    [{ ...seed, RegionId: 'cn-beijing' }, 'other-region'],
    [{ ...seed, TaskStatus: undefined }, 'wrong-type'],
    [{ ...seed, TaskStatus: 3 }, 'wrong-type'],
    [{ ...seed, TotalCount: '1 task' }, 'wrong-type'],
    [{ ...seed, FailedCount: -1 }, 'wrong-type'],
    [{ ...seed, TaskProcess: { Value: 100 } }, 'wrong-type'],
    [{ ...seed, OperationProgressSet: { OperationProgress: ['Success'] } }, 'wrong-type'],
    ['<html>', 'not-an-object'],
    [null, 'not-an-object'],
    [[seed], 'not-an-object'],
  ])('names why answer %# is malformed (%s)', (raw, reason) => {
    expect(() => parseTaskAttribute(raw, ASKED_SEED, OBSERVED_AT)).toThrow(expect.objectContaining({ code: 'MalformedAnswer', reason }));
  });

  it('takes the identity from the request: an answer without RegionId is the region asked', () => {
    const { RegionId: _omitted, ...noRegion } = seed;
    expect(parseTaskAttribute(noRegion, { regionId: 'cn-shanghai', taskId: seed.TaskId }, OBSERVED_AT)).toMatchObject({
      id: seed.TaskId,
      regionId: 'cn-shanghai',
    });
  });

  it('keeps an unknown or revisited status non-terminal', () => {
    for (const status of ['Archiving', 'Paused', 'constructor', 'toString']) {
      expect(parseTaskAttribute({ ...seed, TaskStatus: status }, ASKED_SEED, OBSERVED_AT)).toMatchObject({ terminal: false });
    }
  });

  it(`gives a valid snapshot or a MalformedAnswer for any JSON value (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(rawValue, (raw) => {
        attributeVerdict(raw);
      }),
      { numRuns: RUNS },
    );
  });

  it(`gives a valid snapshot or a MalformedAnswer for any edit of the documented answer (${RUNS} runs)`, () => {
    const verdicts = { snapshot: 0, malformed: 0 };
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) => {
        verdicts[attributeVerdict(applyEdits(seed, edits))]++;
      }),
      { numRuns: RUNS },
    );
    // Both branches were exercised, so the property is not vacuous.
    expect(verdicts.snapshot).toBeGreaterThan(0);
    expect(verdicts.malformed).toBeGreaterThan(0);
  });

  it(`never reports a task other than the one asked for (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), rawValue, (answeredId, askedId, status) => {
        const raw = { ...seed, TaskId: answeredId, TaskStatus: status };
        const asked = { regionId: 'cn-hangzhou', taskId: askedId };
        if (attributeVerdict(raw, asked) === 'snapshot') expect(answeredId).toBe(askedId);
      }),
      { numRuns: RUNS },
    );
  });
});

const listEntry = {
  TaskId: ASKED,
  TaskAction: 'ImportImage',
  TaskStatus: 'Processing',
  SupportCancel: 'true',
  CreationTime: '2026-11-27T02:13Z',
  FinishedTime: '',
};
const entryEdit = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), key: fc.constantFrom(...Object.keys(listEntry)) }),
  fc.record({ op: fc.constant('set' as const), key: fc.constantFrom(...Object.keys(listEntry)), value: rawValue }),
);

describe('parseTaskPage on arbitrary pages', () => {
  it(`lists only asked tasks, each valid, or throws MalformedAnswer (${RUNS} runs)`, () => {
    const asked = new Set([ASKED, OTHER]);
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.array(entryEdit, { maxLength: 3 }).map((edits) => applyEdits(listEntry, edits) as unknown),
            rawValue,
          ),
          { maxLength: 5 },
        ),
        fc.oneof(fc.constant(undefined), rawValue),
        (entries, totalCount) => {
          const raw = { RegionId: REGION, RequestId: 'R', TotalCount: totalCount, PageNumber: 1, PageSize: 100, TaskSet: { Task: entries } };
          try {
            const page = parseTaskPage(raw, { regionId: REGION, taskIds: asked }, OBSERVED_AT);
            expect(page.tasks.length + page.notAsked.length).toBe(page.entryCount);
            expect(isCount(page.totalCount)).toBe(true);
            for (const task of page.tasks) {
              expect(asked.has(task.id)).toBe(true);
              expectValidSnapshot(task, { regionId: REGION }, false);
            }
          } catch (error) {
            if (!(error instanceof MalformedAnswerError)) throw error;
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it(`gives a page or a MalformedAnswer for any JSON value (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(rawValue, (raw) => {
        try {
          parseTaskPage(raw, { regionId: REGION }, OBSERVED_AT).tasks.forEach((t) => expectValidSnapshot(t, { regionId: REGION }, false));
        } catch (error) {
          if (!(error instanceof MalformedAnswerError)) throw error;
        }
      }),
      { numRuns: RUNS },
    );
  });
});
