/**
 * The Tablestore store, driven through the real `tablestore` SDK against the wire-level fake: the shared contract,
 * then what only this adapter can get wrong (crashes between its writes, lost answers, retries, credentials, sizes).
 */
import TableStore from 'tablestore';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError, VersionConflictError } from '../../src/errors.js';
import type { RetryPolicy } from '../../src/retry.js';
import type { StateStore, TaskKey } from '../../src/store/port.js';
import { createTables, createTablestoreStore, type TablestoreOptions } from '../../src/store/tablestore.js';
import type { TaskOperation } from '../../src/tasks/snapshot.js';
import { startFakeTablestore, type FakeTablestore } from '../../src/fakes/tablestore/index';
import { Db, equals, INF_MAX, INF_MIN, long, mustExist, mustNotExist, num, str, type Table, type WriteRow } from '../../src/store/tablestore/client.js';
import { ALL_SCOPES, eventIndexRows } from '../../src/store/tablestore/rows.js';
import { TABLE_DEFS, tablesOf } from '../../src/store/tablestore/schema.js';
import { defineStoreContract, deliveryOf, opEvent, snapshot, transition, webhook } from './contract.js';

/** Fast backoff so fault tests take milliseconds; three attempts so a fault `times: 3` outlasts one call. */
const FAST: RetryPolicy = { baseDelayMs: 5, maxDelayMs: 40, budgetMs: 5_000, maxAttempts: 3 };
const T0 = '2026-11-27T10:00:00Z';
const key: TaskKey = { regionId: 'cn-hangzhou', taskId: 't-ots0001' };
const id = 'cn-hangzhou/t-ots0001';

function optionsFor(fake: FakeTablestore, over: Partial<TablestoreOptions> = {}): TablestoreOptions {
  return {
    endpoint: fake.endpoint,
    instance: fake.instanceName,
    tablePrefix: 'th_',
    credentials: () => ({ accessKeyId: fake.accessKeyId, accessKeySecret: fake.accessKeySecret }),
    retry: FAST,
    timeoutMs: 5_000,
    ...over,
  };
}

/** Calls per operation since `before`, leaving out the ones that did not happen. */
function callsSince(fake: FakeTablestore, before: Record<string, number>): Record<string, number> {
  const now = fake.requests();
  return Object.fromEntries(Object.entries(now).flatMap(([op, n]) => (n - (before[op] ?? 0) > 0 ? [[op, n - (before[op] ?? 0)]] : [])));
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail('expected the call to fail'),
    (e: unknown) => e,
  );
}

defineStoreContract(
  'tablestore',
  async () => {
    const fake = await startFakeTablestore();
    await createTables(optionsFor(fake));
    return {
      store: createTablestoreStore(optionsFor(fake, { retry: { ...FAST, maxAttempts: 6 } })),
      injectTransientFault: () => fake.injectFault({ code: 'OTSServerBusy', times: 2 }),
      injectRowFaults: () => {
        fake.injectRowFault({ operation: 'BatchWriteRow', code: 'OTSPartitionUnavailable', rows: [0, 2], times: 3 });
        fake.injectRowFault({ operation: 'BatchGetRow', code: 'OTSServerUnavailable', times: 2 });
      },
      cleanup: () => fake.close(),
    };
  },
  { faults: true, atomicCommits: false, rowFaults: true },
);

describe('Tablestore store', () => {
  let fake: FakeTablestore;
  let store: StateStore;
  const extra: StateStore[] = [];

  beforeEach(async () => {
    fake = await startFakeTablestore();
    await createTables(optionsFor(fake));
    fake.resetCounters(); // the tables' readiness probes are not the tests' calls
    store = createTablestoreStore(optionsFor(fake));
  });
  afterEach(async () => {
    for (const s of [store, ...extra.splice(0)]) await s.close();
    await fake.close();
  });

  /** Watches the task and commits it to Processing (version 1, events 1–2, no webhooks). */
  async function processing() {
    await store.watchTask(key, 'api', T0);
    const running = snapshot(key, 'Processing');
    await store.commitTransition(transition(key, 0, null, running, 0));
    return running;
  }

  describe('a commit whose event writes fail after the task row was committed', () => {
    it('throws, and the next completePendingCommits writes its events and deliveries out exactly once', async () => {
      const running = await processing();
      const finish = transition(key, 1, running, snapshot(key, 'Finished', { observedAt: '2026-11-27T10:07:00Z' }), 2, ['wh_a']);
      fake.injectFault({ operation: 'BatchWriteRow', code: 'OTSServerBusy', times: FAST.maxAttempts });

      const error = await rejection(store.commitTransition(finish));
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: 'OTSServerBusy', retryable: true });
      // The commit itself stands: the row moved on, its events are not listed yet.
      expect((await store.getTasks([key])).get(id)).toMatchObject({ version: 2, sequence: 4, active: false });
      expect((await store.listEvents({ ...key, limit: 10 })).items.map((e) => e.event.data.sequence)).toEqual([2, 1]);

      // Listing has no side effect: the outbox is still there until completePendingCommits writes it out.
      expect((await store.listActiveTasks({ limit: 10 })).items).toEqual([]);
      expect((await store.listEvents({ ...key, limit: 10 })).items.map((e) => e.event.data.sequence)).toEqual([2, 1]);
      expect(await store.completePendingCommits()).toBe(1);
      expect((await store.listActiveTasks({ limit: 10 })).items).toEqual([]);
      expect((await store.listEvents({ ...key, limit: 10 })).items.map((e) => e.event.data.sequence)).toEqual([4, 3, 2, 1]);
      const deliveries = (await store.listDeliveries({ webhookId: 'wh_a', limit: 10 })).items;
      expect(deliveries.map((d) => d.eventId).sort()).toEqual(finish.events.map((e) => e.id).sort());
      expect((await store.listDueDeliveries('2026-11-27T11:00:00Z', 10)).map((d) => d.id).sort()).toEqual(deliveries.map((d) => d.id).sort());

      // Written out once: a second run finds nothing left to write.
      const before = fake.requests();
      expect(await store.completePendingCommits()).toBe(0);
      expect(callsSince(fake, before).BatchWriteRow).toBeUndefined();
      await expect(store.commitTransition(finish)).rejects.toBeInstanceOf(VersionConflictError);
      expect((await store.listEvents({ ...key, limit: 10 })).items).toHaveLength(4);
    });

    it('is written out by a rerun of the same transition, which then reports the conflict', async () => {
      const running = await processing();
      const finish = transition(key, 1, running, snapshot(key, 'Finished', { observedAt: '2026-11-27T10:07:00Z' }), 2, ['wh_a', 'wh_b']);
      fake.injectFault({ operation: 'BatchWriteRow', code: 'drop', times: FAST.maxAttempts });
      expect(await rejection(store.commitTransition(finish))).toMatchObject({ code: 'NetworkingError' });

      await expect(store.commitTransition(structuredClone(finish))).rejects.toBeInstanceOf(VersionConflictError);
      const succeeded = finish.events.find((e) => e.type === 'ecs.task.succeeded')!;
      expect((await store.listEvents({ type: 'ecs.task.succeeded', limit: 10 })).items.map((e) => e.event)).toEqual([succeeded]);
      expect((await store.listDeliveries({ eventId: succeeded.id, limit: 10 })).items.map((d) => d.webhookId).sort()).toEqual(['wh_a', 'wh_b']);
      expect((await store.listActiveTasks({ limit: 10 })).items).toEqual([]);
    });
  });

  it('lets exactly one of two processes commit a racing transition, and the loser writes nothing', async () => {
    await store.watchTask(key, 'api', T0);
    const other = createTablestoreStore(optionsFor(fake));
    extra.push(other);
    const commit = transition(key, 0, null, snapshot(key, 'Finished'), 0, ['wh_a']);
    fake.setLatency(30); // both read version 0 before either writes
    const before = fake.requests();
    const results = await Promise.allSettled([store.commitTransition(commit), other.commitTransition(structuredClone(commit))]);
    fake.setLatency(0);

    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(VersionConflictError);
    // One commit write each, the event rows, the feed counter (read and created on a fresh store), then their index,
    // feed and delivery rows, one outbox clear.
    expect(callsSince(fake, before)).toEqual({ GetRow: 3, PutRow: 1, UpdateRow: 3, BatchWriteRow: 2 });
    expect((await store.listEvents({ type: 'ecs.task.succeeded', limit: 10 })).items).toHaveLength(1);
    expect((await store.listDeliveries({ webhookId: 'wh_a', limit: 10 })).items).toHaveLength(commit.events.length);
  });

  describe('retries', () => {
    it('sends a write again through OTSServerBusy and OTSQuotaExhausted', async () => {
      await store.watchTask(key, 'api', T0);
      fake.injectFault({ operation: 'UpdateRow', code: 'OTSServerBusy', times: 1 });
      fake.injectFault({ operation: 'UpdateRow', code: 'OTSQuotaExhausted', times: 1 });
      const before = fake.requests();
      await store.commitTransition(transition(key, 0, null, snapshot(key, 'Finished'), 0));
      expect(callsSince(fake, before)).toMatchObject({ UpdateRow: 4 }); // 2 faults, the commit, the outbox clear
      expect((await store.getTasks([key])).get(id)?.version).toBe(1);
    });

    it('sends a read again through OTSTimeout, OTSInternalServerError and a dropped connection', async () => {
      await store.watchTask(key, 'api', T0);
      const before = fake.requests();
      fake.injectFault({ operation: 'BatchGetRow', code: 'OTSTimeout', times: 1 });
      fake.injectFault({ operation: 'BatchGetRow', code: 'OTSInternalServerError', times: 1 });
      expect((await store.getTasks([key])).size).toBe(1);
      fake.injectFault({ operation: 'GetRange', code: 'drop', times: 2 });
      expect((await store.listTasks({ limit: 10 })).items).toHaveLength(1);
      expect(callsSince(fake, before)).toMatchObject({ BatchGetRow: 3, GetRange: 3 });
    });

    it('gives up after the policy allows, with a StoreError naming the operation and code', async () => {
      fake.injectFault({ operation: 'GetRow', code: 'OTSServerBusy', times: 10 });
      const before = fake.requests();
      const error = (await rejection(store.rescheduleDelivery('dlv_x', T0))) as StoreError;
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: 'OTSServerBusy', retryable: true });
      expect(error.message).toMatch(/^Tablestore GetRow on th_deliveries failed: OTSServerBusy \(request [\w-]+\)$/);
      expect(callsSince(fake, before)).toEqual({ GetRow: FAST.maxAttempts });
    });

    it('does not retry a refusal, and says nothing secret about it', async () => {
      const wrong = createTablestoreStore(
        optionsFor(fake, { credentials: () => ({ accessKeyId: fake.accessKeyId, accessKeySecret: 'wrong-secret-do-not-leak' }) }),
      );
      extra.push(wrong);
      const before = fake.requests();
      const error = (await rejection(wrong.getWebhook('wh_a'))) as StoreError;
      expect(error).toMatchObject({ name: 'StoreError', code: 'OTSAuthFailed', retryable: false });
      expect(callsSince(fake, before)).toEqual({ GetRow: 1 });
      expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toMatch(/do-not-leak|fake-access-key-secret|signature/i);
    });
  });

  describe('a write that timed out but was applied', () => {
    /** A store whose first `operation` answer arrives after its timeout; the retry goes out once the first was applied. */
    function slowFirst(operation: string) {
      fake.setLatency(400, operation);
      const s = createTablestoreStore(
        optionsFor(fake, {
          timeoutMs: 150,
          retryHooks: {
            onRetry: () => fake.setLatency(0, operation),
            sleep: () => new Promise((resolve) => setTimeout(resolve, 400)),
          },
        }),
      );
      extra.push(s);
      return s;
    }

    it('is the commit that went through, not a conflict', async () => {
      await store.watchTask(key, 'api', T0);
      const slow = slowFirst('UpdateRow');
      const commit = transition(key, 0, null, snapshot(key, 'Finished'), 0, ['wh_a']);
      const before = fake.requests();
      await slow.commitTransition(commit);
      // The lost answer, the retry failing its condition, then the outbox clear; the second GetRow checks whose write it
      // was, the third reads the feed counter, which a fresh store creates (PutRow).
      expect(callsSince(fake, before)).toEqual({ GetRow: 3, PutRow: 1, UpdateRow: 3, BatchWriteRow: 2 });
      expect((await store.getTasks([key])).get(id)).toMatchObject({ version: 1, active: false });
      expect((await store.listEvents({ ...key, limit: 10 })).items).toHaveLength(commit.events.length);
      await expect(store.commitTransition(commit)).rejects.toBeInstanceOf(VersionConflictError);
    });

    it('is a webhook deleted, not one that was not there', async () => {
      await store.putWebhook(webhook('wh_a'));
      const slow = slowFirst('DeleteRow');
      expect(await slow.deleteWebhook('wh_a')).toBe(true);
      expect(fake.requests().DeleteRow).toBe(2);
      expect(await store.getWebhook('wh_a')).toBeNull();
      expect(await store.deleteWebhook('wh_a')).toBe(false);
    });

    it('is a delivery moved on once, not a lost race retried', async () => {
      await store.enqueueDeliveries([
        { id: 'dlv_1', eventId: 'evt_1', webhookId: 'wh_a', regionId: 'cn-hangzhou', taskId: 't-1', sequence: 1, dueAt: T0, createdAt: T0 },
      ]);
      const slow = slowFirst('UpdateRow');
      await slow.rescheduleDelivery('dlv_1', '2026-11-27T10:30:00Z');
      expect(fake.requests().UpdateRow).toBe(2);
      expect(fake.requests().GetRow).toBe(2); // the read, and the check of whose write the row holds
      expect(await store.listDueDeliveries('2026-11-27T10:10:00Z', 10)).toEqual([]);
      expect((await store.listDueDeliveries('2026-11-27T10:30:00Z', 10)).map((d) => d.nextAttemptAt)).toEqual(['2026-11-27T10:30:00Z']);
    });
  });

  it('skips a due row its delivery has moved past, and removes it so the next listing does not read it', async () => {
    const d = { id: 'dlv_1', eventId: 'evt_1', webhookId: 'wh_a', regionId: 'cn-hangzhou', taskId: 't-1', sequence: 1, createdAt: T0 };
    await store.enqueueDeliveries([{ ...d, dueAt: '2026-11-27T10:01:00Z' }]);
    await store.rescheduleDelivery('dlv_1', '2026-11-27T10:30:00Z');
    // Enqueued again (a rerun): the delivery stays as it is, but a due row for the old time is written once more.
    await store.enqueueDeliveries([{ ...d, dueAt: '2026-11-27T10:01:00Z' }]);
    expect((await deliveryOf(store, 'evt_1', 'dlv_1'))?.nextAttemptAt).toBe('2026-11-27T10:30:00Z');

    expect(await store.listDueDeliveries('2026-11-27T10:10:00Z', 10)).toEqual([]);
    const before = fake.requests();
    expect(await store.listDueDeliveries('2026-11-27T10:10:00Z', 10)).toEqual([]);
    expect(callsSince(fake, before)).toEqual({ GetRange: 1 });
    expect((await store.listDueDeliveries('2026-11-27T10:30:00Z', 10)).map((x) => x.id)).toEqual(['dlv_1']);
  });

  it('creates its tables once: a second createTables changes nothing and keeps the data', async () => {
    const names = Object.keys(TABLE_DEFS)
      .sort()
      .map((n) => `th_${n}`);
    expect(names).toEqual(expect.arrayContaining(['th_tasks', 'th_active_tasks', 'th_events', 'th_deliveries', 'th_leases', 'th_marks']));
    expect(fake.tables()).toEqual(names);
    await store.watchTask(key, 'api', T0);
    const before = fake.requests();
    expect(await createTables(optionsFor(fake))).toEqual({ created: [], existing: expect.arrayContaining(names), notReady: [], waitedMs: 0 });
    expect(callsSince(fake, before)).toEqual({ ListTable: 1 });
    expect((await store.getTasks([key])).size).toBe(1);

    const other = await createTables(optionsFor(fake, { tablePrefix: 'other_' }));
    expect(other.created).toHaveLength(Object.keys(TABLE_DEFS).length);
    const raw = new TableStore.Client({
      endpoint: fake.endpoint,
      instancename: fake.instanceName,
      accessKeyId: fake.accessKeyId,
      secretAccessKey: fake.accessKeySecret,
      maxRetries: 0,
    });
    const ttl = async (name: string) => (await raw.describeTable({ tableName: name })).tableOptions;
    expect(await ttl('th_attempts')).toMatchObject({ timeToLive: 90 * 86_400, maxVersions: 1 });
    expect(await ttl('th_tasks')).toMatchObject({ timeToLive: -1, maxVersions: 1 });
  });

  describe('new tables that do not take rows at once', () => {
    it('waits until every new table accepts a write and a read, saying how it goes', async () => {
      fake.setTableUnavailableAfterCreate(600);
      const progress: Array<{ table: string; ready: boolean; code?: string }> = [];
      const started = Date.now();
      const result = await createTables(optionsFor(fake, { tablePrefix: 'slow_' }), { onProgress: (p) => progress.push(p) });
      expect(result.created).toHaveLength(Object.keys(TABLE_DEFS).length);
      expect(result.notReady).toEqual([]);
      expect(result.waitedMs).toBeGreaterThanOrEqual(500);
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
      expect(
        progress
          .filter((p) => p.ready)
          .map((p) => p.table)
          .sort(),
      ).toEqual(result.created.sort());
      expect(progress.find((p) => !p.ready)).toMatchObject({ code: 'OTSTableNotReady' });
      // Usable at once, and the probe row is gone.
      const slow = createTablestoreStore(optionsFor(fake, { tablePrefix: 'slow_' }));
      extra.push(slow);
      await slow.watchTask(key, 'api', T0);
      expect((await slow.listTasks({ limit: 10 })).items.map((t) => t.taskId)).toEqual([key.taskId]);
    });

    it('reports the tables still refusing rows when the wait runs out', async () => {
      fake.setTableUnavailableAfterCreate(10_000);
      const result = await createTables(optionsFor(fake, { tablePrefix: 'late_' }), { readyTimeoutMs: 300 });
      expect(result.created).toHaveLength(Object.keys(TABLE_DEFS).length);
      expect(result.notReady.sort()).toEqual(result.created.sort());
      expect(result.waitedMs).toBeGreaterThanOrEqual(300);
      expect(result.waitedMs).toBeLessThan(3_000);
    });
  });

  describe('credentials', () => {
    it('sends the STS token of the credentials in force, with a new client when they rotate', async () => {
      const sts = await startFakeTablestore({ securityToken: 'sts-token-2' });
      const creds = { accessKeyId: sts.accessKeyId, accessKeySecret: sts.accessKeySecret, securityToken: 'sts-token-1' };
      const rotating = createTablestoreStore(optionsFor(sts, { credentials: () => ({ ...creds }) }));
      try {
        const error = (await rejection(createTables(optionsFor(sts, { credentials: () => creds })))) as StoreError;
        expect(error).toMatchObject({ code: 'OTSAuthFailed' });
        expect(error.message).not.toContain('sts-token');
        creds.securityToken = 'sts-token-2';
        await createTables(optionsFor(sts, { credentials: () => creds }));
        await rotating.putWebhook(webhook('wh_a'));
        creds.securityToken = 'sts-token-1';
        expect(await rejection(rotating.getWebhook('wh_a'))).toMatchObject({ code: 'OTSAuthFailed' });
        creds.securityToken = 'sts-token-2';
        expect((await rotating.getWebhook('wh_a'))?.id).toBe('wh_a');
      } finally {
        await rotating.close();
        await sts.close();
      }
    });

    it('says to create the tables when they are not there, without retrying', async () => {
      const bare = createTablestoreStore(optionsFor(fake, { tablePrefix: 'missing_' }));
      extra.push(bare);
      const before = fake.requests();
      const error = (await rejection(bare.getTasks([key]))) as StoreError;
      expect(error).toMatchObject({ code: 'OTSObjectNotExist', retryable: false });
      expect(error.message).toBe('Tablestore BatchGetRow on missing_tasks failed: OTSObjectNotExist; create the tables with `taskhook tables init`');
      expect(callsSince(fake, before)).toEqual({ BatchGetRow: 1 });
    });

    it('names the variables to set when there are none, without a call', async () => {
      const none = createTablestoreStore(optionsFor(fake, { credentials: () => null }));
      extra.push(none);
      const before = fake.requests();
      const error = (await rejection(none.listWebhooks())) as StoreError;
      expect(error).toBeInstanceOf(StoreError);
      expect(error.message).toMatch(/ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET/);
      expect(callsSince(fake, before)).toEqual({});
    });
  });

  it('bounds a snapshot too large for one column, saying how many operations it left out', async () => {
    await store.watchTask(key, 'api', T0);
    const operations: TaskOperation[] = Array.from({ length: 25_000 }, (_, i) => ({
      status: 'Failed',
      errorCode: 'InvalidParameter',
      errorMessage: `operation ${i} failed on a disk that was detached while it ran`,
      relatedItems: [{ name: 'DiskId', value: `d-bp1${String(i).padStart(16, '0')}` }],
    }));
    const huge = snapshot(key, 'Failed', { operations, counts: { total: 25_000, succeeded: 0, failed: 25_000 } });
    expect(Buffer.byteLength(JSON.stringify(huge))).toBeGreaterThan(2 * 1024 * 1024); // over Tablestore's column limit
    const commit = transition(key, 0, null, huge, 0);
    await store.commitTransition(commit);

    const stored = (await store.getTasks([key])).get(id)!.snapshot!;
    expect(Buffer.byteLength(JSON.stringify(stored))).toBeLessThanOrEqual(1_500_000);
    const kept = stored.operations.length - 1;
    expect(stored.operations.slice(0, kept)).toEqual(operations.slice(0, kept));
    expect(stored.operations[kept]).toEqual({
      status: 'Omitted',
      errorCode: 'TooManyOperations',
      errorMessage: `${25_000 - kept} more operations omitted`,
      relatedItems: [],
    });
    expect(stored.counts).toEqual(huge.counts);
    const failed = commit.events.find((e) => e.type === 'ecs.task.failed')!;
    expect((await store.getEvent(failed.id))?.event.data.task).toEqual(stored);

    const small = { regionId: 'cn-hangzhou', taskId: 't-small0001' };
    await store.watchTask(small, 'api', T0);
    const few = snapshot(small, 'Failed', { operations: operations.slice(0, 3) });
    await store.commitTransition(transition(small, 0, null, few, 0));
    expect((await store.getTasks([small])).get('cn-hangzhou/t-small0001')?.snapshot).toEqual(few);
  });

  it('measures the round trips of a poll: listing 250 and 5,000 active tasks, and one commit', async () => {
    const watchAll = async (from: number, to: number) => {
      const keys = Array.from({ length: to - from }, (_, i) => ({ regionId: 'cn-shanghai', taskId: `t-poll${String(from + i).padStart(5, '0')}` }));
      for (let i = 0; i < keys.length; i += 100) await Promise.all(keys.slice(i, i + 100).map((k) => store.watchTask(k, 'discovery', T0)));
    };
    /** The poller's listing: pages of 1,000 until no cursor. */
    const listAll = async () => {
      const before = fake.requests();
      let cursor: string | undefined;
      let count = 0;
      do {
        const page = await store.listActiveTasks({ limit: 1000, cursor });
        count += page.items.length;
        cursor = page.cursor;
      } while (cursor);
      return { count, calls: callsSince(fake, before) };
    };

    await watchAll(0, 250);
    const small = await listAll();
    let before: Record<string, number>;
    await watchAll(250, 5_000);
    const large = await listAll();
    before = fake.requests();
    expect(await store.completePendingCommits()).toBe(0);
    const pending = callsSince(fake, before);

    const k = { regionId: 'cn-shanghai', taskId: 't-poll00000' };
    const running = snapshot(k, 'Processing', { progress: 40 });
    before = fake.requests();
    await store.commitTransition({ ...transition(k, 0, null, running, 0, ['wh_a']) });
    const withEvents = callsSince(fake, before);
    before = fake.requests();
    await store.commitTransition(transition(k, 1, running, { ...running, progress: 45, observedAt: '2026-11-27T10:02:00Z' }, 3));
    const withoutEvents = callsSince(fake, before);

    console.log(
      [
        'Tablestore round trips (calls per operation):',
        `  listActiveTasks, 250 active tasks, pages of 1000:   ${JSON.stringify(small.calls)}`,
        `  listActiveTasks, 5000 active tasks, pages of 1000:  ${JSON.stringify(large.calls)}`,
        `  completePendingCommits, 5000 active tasks, none:    ${JSON.stringify(pending)}`,
        `  commitTransition with 3 events and 3 deliveries:    ${JSON.stringify(withEvents)}`,
        `  commitTransition without events:                    ${JSON.stringify(withoutEvents)}`,
      ].join('\n'),
    );
    expect(small).toEqual({ count: 250, calls: { GetRange: 1, BatchGetRow: 3 } });
    expect(large).toEqual({ count: 5_000, calls: { GetRange: 5, BatchGetRow: 50 } });
    expect(pending).toEqual({ GetRange: 2, BatchGetRow: 50 });
    // The event rows go alone before their index and delivery rows, so a colliding id is caught before anything lists it.
    // The feed counter is read and created by a fresh store's first commit with events; later ones only move it on.
    expect(withEvents).toEqual({ GetRow: 2, PutRow: 1, UpdateRow: 2, BatchWriteRow: 2 });
    expect(withoutEvents).toEqual({ GetRow: 1, UpdateRow: 1 });
  }, 60_000);
});

describe('Tablestore unscoped listings over hash buckets', () => {
  let fake: FakeTablestore;
  let store: StateStore;
  let db: Db;
  const minute = (m: number) => new Date(Date.parse(T0) + m * 60_000).toISOString();
  const events = Array.from({ length: 40 }, (_, i) => opEvent('webhook.disabled', `wh_${String(i).padStart(3, '0')}`, minute(i % 13)));
  const newestFirst = async (limit: number) => {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listEvents({ limit, cursor });
      ids.push(...page.items.map((e) => e.event.id));
      cursor = page.cursor;
    } while (cursor);
    return ids;
  };

  beforeEach(async () => {
    fake = await startFakeTablestore();
    await createTables(optionsFor(fake));
    fake.resetCounters();
    store = createTablestoreStore(optionsFor(fake));
    db = new Db(optionsFor(fake));
  });
  afterEach(async () => {
    db.close();
    await store.close();
    await fake.close();
  });

  const scopesIn = async (table: 'event_index' | 'delivery_index' | 'attempts') => {
    const rows = (await db.range(tablesOf(db)[table], [TableStore.INF_MIN, TableStore.INF_MIN], [TableStore.INF_MAX, TableStore.INF_MAX])).rows;
    return rows.map((r) => str(r.key.scope)!).filter((scope) => scope.startsWith('all'));
  };

  it('spreads the rows over the 16 buckets, none under `all`, and pages them back newest first without loss or repeat', async () => {
    await store.appendEvents(events);
    const used = new Set(await scopesIn('event_index'));
    expect(used.has('all')).toBe(false);
    expect(used.size).toBeGreaterThanOrEqual(12); // 40 ids over 16 buckets
    expect([...used].every((scope) => ALL_SCOPES.slice(0, 16).includes(scope))).toBe(true);
    const all = await newestFirst(100);
    expect(all).toHaveLength(40);
    expect(await newestFirst(7)).toEqual(all);
    const times = all.map((id) => events.find((e) => e.event.id === id)!.recordedAt);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('reads rows written under `all` before the buckets as one more bucket, and purges them', async () => {
    const t = tablesOf(db);
    const legacy = events.slice(0, 5);
    await store.appendEvents(events.slice(5));
    // As an older release wrote them: the event row and its index rows with the unscoped one under `all`.
    await db.batchWrite(
      legacy.flatMap((e): WriteRow[] => [
        {
          type: 'PUT' as const,
          table: t.events,
          key: [e.event.id],
          attrs: { body: JSON.stringify(e) },
          condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
        },
        ...eventIndexRows(t, e).map((row, i): WriteRow => (i === 0 ? { ...row, key: ['all', row.key[1]] } : row)),
      ]),
    );
    expect((await scopesIn('event_index')).filter((s) => s === 'all')).toHaveLength(5);
    const all = await newestFirst(6);
    expect(new Set(all)).toEqual(new Set(events.map((e) => e.event.id)));
    expect(all).toHaveLength(40);
    expect((await store.purge(minute(60))).events).toBe(40);
    expect(await scopesIn('event_index')).toEqual([]);
    expect((await store.listEvents({ limit: 10 })).items).toEqual([]);
  });

  it('counts the round trips of an unscoped page and of a purge', async () => {
    await store.appendEvents(events);
    const d = (i: number) => ({
      id: `dlv_${i}`,
      eventId: events[i].event.id,
      webhookId: 'wh_a',
      regionId: 'taskhook',
      taskId: 'wh_a',
      sequence: i,
      dueAt: T0,
      createdAt: T0,
    });
    await store.enqueueDeliveries(events.map((_, i) => d(i)));
    for (let i = 0; i < 10; i++) {
      const attempt = {
        deliveryId: `dlv_${i}`,
        eventId: events[i].event.id,
        webhookId: 'wh_a',
        attempt: 1,
        at: minute(1),
        status: 200,
        durationMs: 1,
        success: true,
        error: null,
        responseSnippet: '',
      };
      await store.recordAttempt(attempt, { status: 'succeeded', nextAttemptAt: null });
    }
    const measure = async (what: () => Promise<unknown>) => {
      const before = fake.requests();
      await what();
      return callsSince(fake, before);
    };
    const page = {
      events: await measure(() => store.listEvents({ limit: 20 })),
      deliveries: await measure(() => store.listDeliveries({ limit: 20 })),
      attempts: await measure(() => store.listAttempts({ limit: 20 })),
      byType: await measure(() => store.listEvents({ type: 'webhook.disabled', limit: 20 })),
    };
    const purged = await measure(() => store.purge(minute(60)));
    console.log(
      [
        'Tablestore round trips, unscoped listings over 16 buckets + `all`:',
        `  listEvents page of 20:      ${JSON.stringify(page.events)}`,
        `  listDeliveries page of 20:  ${JSON.stringify(page.deliveries)}`,
        `  listAttempts page of 20:    ${JSON.stringify(page.attempts)}`,
        `  listEvents by type:         ${JSON.stringify(page.byType)}`,
        `  purge (40 events, 10 finished deliveries, 10 attempts): ${JSON.stringify(purged)}`,
      ].join('\n'),
    );
    expect(page.events).toEqual({ GetRange: 17, BatchGetRow: 1 });
    expect(page.deliveries).toEqual({ GetRange: 17, BatchGetRow: 1 });
    expect(page.attempts).toEqual({ GetRange: 17 });
    expect(page.byType).toEqual({ GetRange: 1, BatchGetRow: 1 }); // a scoped listing is one partition, as before
    expect(purged.GetRange).toBeGreaterThanOrEqual(3 * 17);
  });
});

describe('Tablestore rows of a batch that fail with a retryable code', () => {
  /** The codes Tablestore answers for single rows while a partition splits or throughput runs short. */
  const CODES = [
    'OTSPartitionUnavailable',
    'OTSServerUnavailable',
    'OTSServerBusy',
    'OTSTimeout',
    'OTSNotEnoughCapacityUnit',
    'OTSOperationThrottled',
  ] as const;
  let fake: FakeTablestore;
  let db: Db;
  let tables = 0;

  beforeEach(async () => {
    fake = await startFakeTablestore();
    db = new Db(optionsFor(fake));
  });
  afterEach(async () => {
    db.close();
    await fake.close();
  });

  /** A table of its own per case, holding `seed` (id → v). */
  async function tableWith(seed: Record<string, number>): Promise<Table> {
    const t = db.table(`rows_${++tables}`, ['id']);
    await db.createTable(t, -1);
    for (const [id, v] of Object.entries(seed)) await db.putRow(t, [id], { v: long(v) }, mustNotExist());
    fake.resetCounters();
    return t;
  }
  const contents = async (t: Table) => Object.fromEntries((await db.range(t, [INF_MIN], [INF_MAX])).rows.map((r) => [str(r.key.id)!, num(r.attrs.v)]));

  /** A new row, a conditional update of `k2` from 1 to 2, another new row: a row sent twice would fail its condition. */
  const writes = (t: Table): WriteRow[] => [
    { type: 'UPDATE', table: t, key: ['k2'], put: { v: long(2) }, condition: mustExist(equals('v', long(1))) },
    { type: 'PUT', table: t, key: ['k1'], attrs: { v: long(1) }, condition: mustNotExist() },
    { type: 'PUT', table: t, key: ['k3'], attrs: { v: long(1) }, condition: mustNotExist() },
  ];

  describe.each(CODES)('%s', (code) => {
    it('on BatchWriteRow: sends the failed row again alone, so every row, the conditional one too, is applied once', async () => {
      const t = await tableWith({ k2: 1, other: 7 });
      fake.injectRowFault({ operation: 'BatchWriteRow', code, rows: [0] });
      expect(await db.batchWrite(writes(t))).toEqual(['ok', 'ok', 'ok']);
      expect(fake.requests()).toEqual({ BatchWriteRow: 2 });
      expect(fake.batchRows()).toEqual({ BatchWriteRow: 3 + 1 });
      expect(await contents(t)).toEqual({ k1: 1, k2: 2, k3: 1, other: 7 });
    });

    it('on BatchWriteRow: ends in a retryable StoreError naming the table and code when the row keeps failing', async () => {
      const t = await tableWith({ k2: 1 });
      fake.injectRowFault({ operation: 'BatchWriteRow', code, rows: [0], times: 100 });
      const error = (await rejection(db.batchWrite(writes(t)))) as StoreError;
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code, retryable: true });
      expect(error.message).toBe(`Tablestore BatchWriteRow on ${t.name} failed: ${code} on 1 of 3 rows, retried 2 times`);
      expect(fake.requests()).toEqual({ BatchWriteRow: FAST.maxAttempts });
      expect(fake.batchRows()).toEqual({ BatchWriteRow: 3 + 1 + 1 });
      // The rows that went through stay written once; the failing one was never applied.
      expect(await contents(t)).toEqual({ k1: 1, k2: 1, k3: 1 });
    });

    it('on BatchGetRow: reads the failed row again alone and returns every row, misses as null', async () => {
      const t = await tableWith({ k1: 1, k3: 3 });
      fake.injectRowFault({ operation: 'BatchGetRow', code, rows: [2] });
      const rows = await db.batchGet(t, [['k1'], ['k2'], ['k3']]);
      expect(rows.map((r) => (r ? [str(r.key.id), num(r.attrs.v)] : null))).toEqual([['k1', 1], null, ['k3', 3]]);
      expect(fake.requests()).toEqual({ BatchGetRow: 2 });
      expect(fake.batchRows()).toEqual({ BatchGetRow: 3 + 1 });
      expect(await contents(t)).toEqual({ k1: 1, k3: 3 });
    });

    it('on BatchGetRow: ends in a retryable StoreError naming the table and code when the row keeps failing', async () => {
      const t = await tableWith({ k1: 1, k3: 3 });
      fake.injectRowFault({ operation: 'BatchGetRow', code, rows: [0], times: 100 });
      const error = (await rejection(db.batchGet(t, [['k1'], ['k2'], ['k3']]))) as StoreError;
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code, retryable: true });
      expect(error.message).toBe(`Tablestore BatchGetRow on ${t.name} failed: ${code} on 1 of 3 rows, retried 2 times`);
      expect(fake.requests()).toEqual({ BatchGetRow: FAST.maxAttempts });
      expect(fake.batchRows()).toEqual({ BatchGetRow: 3 + 1 + 1 });
    });
  });

  it('retries the new codes when they fail a whole request', async () => {
    const t = await tableWith({});
    for (const code of ['OTSPartitionUnavailable', 'OTSServerUnavailable', 'OTSNotEnoughCapacityUnit', 'OTSOperationThrottled'] as const) {
      fake.injectFault({ operation: 'PutRow', code });
      await db.putRow(t, [code], { v: long(1) }, mustNotExist());
    }
    expect(fake.requests()).toEqual({ PutRow: 8 });
    expect(Object.keys(await contents(t))).toHaveLength(4);
  });

  it('shares one bound between row failures and request failures, and names only the table whose rows failed', async () => {
    const t = await tableWith({ k2: 1 });
    const u = await tableWith({});
    fake.injectRowFault({ operation: 'BatchWriteRow', code: 'OTSPartitionUnavailable', table: u.name, rows: [0] });
    fake.injectFault({ operation: 'BatchWriteRow', code: 'OTSServerBusy' });
    fake.resetCounters();
    const rows: WriteRow[] = [...writes(t), { type: 'PUT', table: u, key: ['u1'], attrs: { v: long(1) }, condition: mustNotExist() }];
    // First the whole request fails, then the u row, then the u row alone goes through: three attempts of three.
    expect(await db.batchWrite(rows)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(fake.requests()).toEqual({ BatchWriteRow: 3 });
    expect(await contents(t)).toEqual({ k1: 1, k2: 2, k3: 1 });
    expect(await contents(u)).toEqual({ u1: 1 });

    fake.injectRowFault({ operation: 'BatchWriteRow', code: 'OTSServerUnavailable', table: u.name, rows: [0], times: 100 });
    const more: WriteRow[] = [
      { type: 'PUT', table: t, key: ['k4'], attrs: { v: long(1) }, condition: mustNotExist() },
      { type: 'PUT', table: u, key: ['u2'], attrs: { v: long(1) }, condition: mustNotExist() },
    ];
    const error = (await rejection(db.batchWrite(more))) as StoreError;
    expect(error.message).toBe(`Tablestore BatchWriteRow on ${u.name} failed: OTSServerUnavailable on 1 of 2 rows, retried 2 times`);
    expect((await contents(t)).k4).toBe(1);
  });

  it('does not retry a row that failed with any other code', async () => {
    const t = await tableWith({ k2: 1 });
    fake.injectRowFault({ operation: 'BatchWriteRow', code: 'OTSParameterInvalid', rows: [1], times: 100 });
    const error = (await rejection(db.batchWrite(writes(t)))) as StoreError;
    expect(error).toMatchObject({ name: 'StoreError', code: 'OTSParameterInvalid', retryable: false });
    expect(error.message).toBe(`Tablestore BatchWriteRow on ${t.name} failed: OTSParameterInvalid`);
    expect(fake.requests()).toEqual({ BatchWriteRow: 1 });
  });

  it('commits a transition whose event, index and delivery rows fail for a while, losing nothing and writing nothing twice', async () => {
    await createTables(optionsFor(fake));
    const store = createTablestoreStore(optionsFor(fake, { retry: { ...FAST, maxAttempts: 6 } }));
    /** Watches `k`, commits it to Processing, and returns its commit to Finished with two webhooks. */
    const finishing = async (k: TaskKey) => {
      await store.watchTask(k, 'api', T0);
      const running = snapshot(k, 'Processing');
      await store.commitTransition(transition(k, 0, null, running, 0));
      return transition(k, 1, running, snapshot(k, 'Finished', { observedAt: '2026-11-27T10:07:00Z' }), 2, ['wh_a', 'wh_b']);
    };
    try {
      // The same commit of another task without faults: how many rows it sends.
      const clean = await finishing({ regionId: 'cn-hangzhou', taskId: 't-ots0002' });
      fake.resetCounters();
      await store.commitTransition(clean);
      const cleanRows = fake.batchRows().BatchWriteRow;

      const finish = await finishing(key);
      fake.resetCounters();
      fake.injectRowFault({ operation: 'BatchWriteRow', code: 'OTSPartitionUnavailable', table: 'th_events', rows: [1] });
      fake.injectRowFault({ operation: 'BatchWriteRow', code: 'OTSServerUnavailable', table: 'th_deliveries', rows: [0, 2], times: 2 });
      await store.commitTransition(finish);
      // The event rows' call: both, then the second alone; the index and delivery rows' call: all, two, one.
      // The commit, the feed counter moved on, the outbox clear.
      expect(callsSince(fake, {})).toEqual({ GetRow: 1, UpdateRow: 3, BatchWriteRow: 2 + 3 });
      // Only the failed rows went again: one event row, then two and one delivery rows.
      expect(fake.batchRows().BatchWriteRow).toBe(cleanRows + 1 + 2 + 1);

      fake.injectRowFault({ operation: 'BatchGetRow', code: 'OTSTimeout', times: 2 });
      expect((await store.getTasks([key])).get(id)).toMatchObject({ version: 2, sequence: 4, active: false });
      expect((await store.listEvents({ ...key, limit: 10 })).items.map((e) => e.event.data.sequence)).toEqual([4, 3, 2, 1]);
      for (const webhookId of ['wh_a', 'wh_b']) {
        const deliveries = (await store.listDeliveries({ webhookId, limit: 10 })).items;
        expect(deliveries.map((d) => d.eventId).sort()).toEqual([...clean.events, ...finish.events].map((e) => e.id).sort());
      }
      expect(await store.completePendingCommits()).toBe(0);
    } finally {
      await store.close();
    }
  });
});
