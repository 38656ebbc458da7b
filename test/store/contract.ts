/** The one StateStore contract: every adapter runs this suite unchanged. */
import { webhookRecord } from '../../src/fakes/records.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError, VersionConflictError } from '../../src/errors.js';
import type { Delivery, DeliveryQueue, NewDelivery, StateStore, StoredEvent, TaskKey, TransitionCommit, WebhookRecord } from '../../src/store/port.js';
import { taskKeyString } from '../../src/store/port.js';
import { eventsForTransition } from '../../src/tasks/events.js';
import type { TaskSnapshot } from '../../src/tasks/snapshot.js';
import { operationalEvent, storedOperational, type OperationalEventType } from '../../src/webhooks/operational.js';

export interface StoreHarness {
  store: StateStore;
  /** Adapter-specific fault injection, where the adapter has a wire to break. */
  injectTransientFault?: () => void;
  /** Fails single rows of the next few batch writes and reads with a retryable code, where the adapter writes in batches. */
  injectRowFaults?: () => void;
  cleanup?: () => Promise<void>;
}

const T0 = '2026-11-27T10:00:00Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString().replace('.000Z', 'Z');

export function snapshot(key: TaskKey, status: string, overrides: Partial<TaskSnapshot> = {}): TaskSnapshot {
  const terminal = ['Finished', 'Failed', 'Deleted'].includes(status);
  return {
    id: key.taskId,
    regionId: key.regionId,
    action: 'ExportImage',
    status,
    outcome: status === 'Finished' ? 'succeeded' : status === 'Failed' ? 'failed' : status === 'Processing' ? 'running' : 'pending',
    terminal,
    progress: null,
    supportCancel: true,
    createdAt: T0,
    finishedAt: terminal ? at(6) : null,
    durationSeconds: terminal ? 360 : null,
    counts: null,
    operations: [],
    resourceId: 'm-1',
    requestId: 'REQ',
    observedAt: at(1),
    ...overrides,
  };
}

export function transition(
  key: TaskKey,
  expectedVersion: number,
  previous: TaskSnapshot | null,
  next: TaskSnapshot,
  sequence: number,
  webhookIds: string[] = [],
): TransitionCommit {
  const events = eventsForTransition({ previous, next, sequence });
  const deliveries: NewDelivery[] = events.flatMap((e) =>
    webhookIds.map((webhookId) => ({
      id: `dlv_${e.id}_${webhookId}`,
      eventId: e.id,
      webhookId,
      regionId: key.regionId,
      taskId: key.taskId,
      sequence: e.data.sequence,
      dueAt: next.observedAt,
      createdAt: next.observedAt,
    })),
  );
  return { key, expectedVersion, snapshot: next, sequence: sequence + events.length, active: !next.terminal, events, deliveries };
}

/** An operational event in its stored form, as publishOperational appends it. */
export function opEvent(type: OperationalEventType, webhookId: string, time: string): StoredEvent {
  return storedOperational(operationalEvent(type, { webhookId, reason: `${type} of ${webhookId}`, failingSince: null }, time), time);
}

export function webhook(id: string, overrides: Partial<WebhookRecord> = {}): WebhookRecord {
  return webhookRecord(id, { createdAt: T0, updatedAt: T0, ...overrides });
}

/** A delivery as its event's listing shows it; null if it is not there. */
export async function deliveryOf(store: DeliveryQueue, eventId: string, id: string): Promise<Delivery | null> {
  return (await store.listDeliveries({ eventId, limit: 100 })).items.find((d) => d.id === id) ?? null;
}

export interface ContractOptions {
  /** The adapter has a wire to break (injectTransientFault). */
  faults?: boolean;
  /** A commit is all-or-nothing (memory, SQLite); else its snapshot lands first and an outbox writes the rest (Tablestore). */
  atomicCommits?: boolean;
  /** The adapter's batch calls can fail single rows (injectRowFaults). */
  rowFaults?: boolean;
}

export function defineStoreContract(name: string, open: () => Promise<StoreHarness>, options: ContractOptions = {}) {
  const { faults = false, atomicCommits = true, rowFaults = false } = options;
  describe(`StateStore contract: ${name}`, () => {
    let h: StoreHarness;
    let store: StateStore;
    const key = { regionId: 'cn-hangzhou', taskId: 't-contract0001' };

    beforeEach(async () => {
      h = await open();
      store = h.store;
    });
    afterEach(async () => {
      await store.close();
      await h.cleanup?.();
    });

    it('watches a task once, however often it is watched, and remembers every source', async () => {
      const first = await store.watchTask(key, 'api', T0);
      expect(first).toMatchObject({ ...key, sources: ['api'], snapshot: null, version: 0, sequence: 0, active: true, invalid: null, pendingVerdict: null });
      await store.watchTask(key, 'api', T0);
      await store.watchTask(key, 'config', T0);
      const page = await store.listTasks({ limit: 10 });
      expect(page.items).toHaveLength(1);
      expect(page.items[0].sources.sort()).toEqual(['api', 'config']);
    });

    it('forgets a task only when its last source unwatches it', async () => {
      await store.watchTask(key, 'api', T0);
      await store.watchTask(key, 'config', T0);
      expect(await store.unwatchTask(key, 'api')).toBe(true);
      expect(await store.unwatchTask(key, 'api')).toBe(false);
      expect((await store.getTasks([key])).size).toBe(1);
      expect(await store.unwatchTask(key, 'config')).toBe(true);
      expect((await store.getTasks([key])).size).toBe(0);
    });

    it('gets many tasks by key and leaves out unknown ones', async () => {
      const keys = Array.from({ length: 130 }, (_, i) => ({ regionId: 'cn-beijing', taskId: `t-many${String(i).padStart(4, '0')}` }));
      for (const k of keys) await store.watchTask(k, 'discovery', T0);
      const found = await store.getTasks([...keys, { regionId: 'cn-beijing', taskId: 't-missing0001' }]);
      expect(found.size).toBe(130);
      expect(found.get('cn-beijing/t-many0129')?.sources).toEqual(['discovery']);
    });

    it('pages the active list past one page without losing or repeating a task', async () => {
      for (let i = 0; i < 25; i++) await store.watchTask({ regionId: 'cn-hangzhou', taskId: `t-page${String(i).padStart(4, '0')}` }, 'api', T0);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listActiveTasks({ limit: 10, cursor });
        seen.push(...page.items.map((t) => t.taskId));
        cursor = page.cursor;
      } while (cursor);
      expect(seen).toHaveLength(25);
      expect(new Set(seen).size).toBe(25);
    });

    it('lists the regions with active tasks, and one region’s active tasks between task-id bounds, page by page', async () => {
      const regions = ['cn-shanghai', 'cn-hangzhou', 'cn-hangzhou-finance', 'ap-southeast-1'];
      for (const regionId of regions)
        for (let i = 0; i < 12; i++) await store.watchTask({ regionId, taskId: `t-lane${String(i).padStart(4, '0')}` }, 'api', T0);
      // In key order (`region/taskId`): '-' sorts before '/', so the longer region name comes first.
      expect(await store.listActiveRegions()).toEqual(['ap-southeast-1', 'cn-hangzhou-finance', 'cn-hangzhou', 'cn-shanghai']);
      const read = async (query: { regionId: string; after?: string; upTo?: string }) => {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.listActiveTasks({ limit: 5, cursor, ...query });
          seen.push(...page.items.map((t) => `${t.regionId}/${t.taskId}`));
          cursor = page.cursor;
        } while (cursor);
        return seen;
      };
      const whole = await read({ regionId: 'cn-hangzhou' });
      expect(whole).toHaveLength(12);
      expect(whole.every((k) => k.startsWith('cn-hangzhou/'))).toBe(true);
      expect(await read({ regionId: 'cn-hangzhou', after: 't-lane0003', upTo: 't-lane0006' })).toEqual(
        ['t-lane0004', 't-lane0005', 't-lane0006'].map((t) => `cn-hangzhou/${t}`),
      );
      expect(await read({ regionId: 'cn-hangzhou', after: 't-lane0011' })).toEqual([]);
    });

    it('marks tasks polled without moving their version, and commits a batch in which one commit lost its race', async () => {
      const keys = Array.from({ length: 3 }, (_, i) => ({ regionId: 'cn-hangzhou', taskId: `t-batch${String(i).padStart(4, '0')}` }));
      for (const k of keys) await store.watchTask(k, 'api', T0);
      expect((await store.getTasks(keys)).get('cn-hangzhou/t-batch0000')?.lastPolledAt).toBeNull();
      await store.markPolled([...keys, { regionId: 'cn-hangzhou', taskId: 't-batchgone01' }], at(2));
      const marked = await store.getTasks(keys);
      expect([...marked.values()].map((t) => [t.lastPolledAt, t.version])).toEqual(keys.map(() => [at(2), 0]));
      expect((await store.getTasks([{ regionId: 'cn-hangzhou', taskId: 't-batchgone01' }])).size).toBe(0);
      await store.commitTransition(transition(keys[1], 0, null, snapshot(keys[1], 'Processing'), 0));
      const outcomes = await store.commitTransitions(keys.map((k) => transition(k, 0, null, snapshot(k, 'Processing'), 0)));
      expect(outcomes).toEqual(['committed', 'conflict', 'committed']);
      const after = await store.getTasks(keys);
      expect([...after.values()].map((t) => [t.version, t.snapshot?.status, t.lastPolledAt])).toEqual(keys.map(() => [1, 'Processing', at(2)]));
      expect(await store.commitTransitions([])).toEqual([]);
    });

    it('goes on from the last stored event when a task is watched again after it was unwatched, so no event id repeats', async () => {
      await store.watchTask(key, 'api', T0);
      const running = snapshot(key, 'Processing');
      const first = transition(key, 0, null, running, 0);
      await store.commitTransition(first);
      expect(await store.unwatchTask(key, 'api')).toBe(true);
      const again = await store.watchTask(key, 'api', at(3));
      expect(again.sequence).toBe(first.sequence);
      // The same observation committed again from the start makes new events under new ids, and no conflict.
      const second = transition(key, 0, null, snapshot(key, 'Processing', { observedAt: at(4) }), again.sequence);
      await store.commitTransition(second);
      const ids = (await store.listEvents({ ...key, limit: 50 })).items.map((e) => e.event.id);
      expect(new Set(ids).size).toBe(first.events.length + second.events.length);
    });

    it('keeps named marks: absent until set, the last write wins', async () => {
      expect(await store.getMark('sweep/cn-hangzhou')).toBeNull();
      await store.setMark('sweep/cn-hangzhou', 't-0001', at(1));
      await store.setMark('sweep/cn-hangzhou', 't-0002', at(2));
      await store.setMark('discover/cn-hangzhou/*', at(2), at(2));
      expect(await store.getMark('sweep/cn-hangzhou')).toBe('t-0002');
      expect(await store.getMark('discover/cn-hangzhou/*')).toBe(at(2));
    });

    it('commits a transition with its events and deliveries, and the task leaves the active list when terminal', async () => {
      await store.watchTask(key, 'api', T0);
      const running = snapshot(key, 'Processing');
      await store.commitTransition(transition(key, 0, null, running, 0, ['wh_a']));
      const finished = snapshot(key, 'Finished', { observedAt: at(7) });
      const commit = transition(key, 1, running, finished, 2, ['wh_a']);
      // A whole task record as the key: only its region and id belong in what is stored.
      await store.commitTransition({ ...commit, key: (await store.getTasks([key])).get('cn-hangzhou/t-contract0001')! });

      const record = (await store.getTasks([key])).get('cn-hangzhou/t-contract0001')!;
      expect(record).toMatchObject({ version: 2, sequence: 4, active: false });
      expect(record.snapshot?.status).toBe('Finished');
      expect((await store.listActiveTasks({ limit: 10 })).items).toHaveLength(0);

      const succeeded = commit.events.find((e) => e.type === 'ecs.task.succeeded')!;
      const stored = await store.getEvent(succeeded.id);
      expect(stored).toEqual({ event: succeeded, regionId: key.regionId, taskId: key.taskId, recordedAt: finished.observedAt });
      const byTask = await store.listEvents({ ...key, limit: 50 });
      expect(byTask.items.map((e) => e.event.data.sequence)).toEqual([4, 3, 2, 1]);
      const byType = await store.listEvents({ type: 'ecs.task.succeeded', limit: 50 });
      expect(byType.items).toHaveLength(1);
      const deliveries = await store.listDeliveries({ eventId: succeeded.id, limit: 10 });
      expect(deliveries.items).toMatchObject([{ webhookId: 'wh_a', status: 'pending', attempts: 0 }]);
    });

    it('lets exactly one of two racing writers commit the same transition, and keeps one event', async () => {
      await store.watchTask(key, 'api', T0);
      const finished = snapshot(key, 'Finished');
      const commit = transition(key, 0, null, finished, 0, ['wh_a']);
      const results = await Promise.allSettled([store.commitTransition(commit), store.commitTransition(structuredClone(commit))]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(VersionConflictError);
      expect((await store.listEvents({ type: 'ecs.task.succeeded', limit: 10 })).items).toHaveLength(1);
      expect((await store.listDeliveries({ webhookId: 'wh_a', limit: 10 })).items.filter((d) => d.eventId === commit.events.at(-1)!.id)).toHaveLength(1);
    });

    it('has no commit to complete once every commit returned', async () => {
      await store.watchTask(key, 'api', T0);
      await store.commitTransition(transition(key, 0, null, snapshot(key, 'Finished'), 0, ['wh_a']));
      expect(await store.completePendingCommits()).toBe(0);
      expect((await store.listEvents({ ...key, limit: 10 })).items).toHaveLength(transition(key, 0, null, snapshot(key, 'Finished'), 0).events.length);
    });

    it('rejects a commit against a version that moved on', async () => {
      await store.watchTask(key, 'api', T0);
      await store.commitTransition(transition(key, 0, null, snapshot(key, 'Processing'), 0));
      await expect(store.commitTransition(transition(key, 0, null, snapshot(key, 'Finished'), 0))).rejects.toBeInstanceOf(VersionConflictError);
    });

    it('writes an event only once when a rerun commits the same transition again', async () => {
      await store.watchTask(key, 'api', T0);
      const finished = snapshot(key, 'Finished');
      const commit = transition(key, 0, null, finished, 0, ['wh_a']);
      await store.commitTransition(commit);
      // A second task commits an event with an id that already exists: still one row.
      const again = { ...commit, expectedVersion: 1 };
      await store.commitTransition(again);
      expect((await store.listEvents({ ...key, limit: 10 })).items).toHaveLength(commit.events.length);
      expect((await store.listDeliveries({ webhookId: 'wh_a', limit: 10 })).items).toHaveLength(commit.events.length);
    });

    it('stores a pending verdict with the commit that passes it, and the next commit without one clears it', async () => {
      await store.watchTask(key, 'api', T0);
      expect((await store.getTasks([key])).get('cn-hangzhou/t-contract0001')?.pendingVerdict).toBeNull();
      const running = snapshot(key, 'Processing');
      const verdict = { code: 'InvalidTaskId.NotFound', firstSeenAt: at(2), requestId: 'REQ-404' };
      await store.commitTransition({ ...transition(key, 0, null, running, 0), pendingVerdict: verdict });
      expect((await store.getTasks([key])).get('cn-hangzhou/t-contract0001')).toMatchObject({ version: 1, pendingVerdict: verdict });
      expect((await store.listActiveTasks({ limit: 10 })).items[0].pendingVerdict).toEqual(verdict);
      expect((await store.listTasks({ limit: 10 })).items[0].pendingVerdict).toEqual(verdict);
      const again = { ...verdict, requestId: null };
      await store.commitTransition({ ...transition(key, 1, running, running, 2), pendingVerdict: again });
      expect((await store.getTasks([key])).get('cn-hangzhou/t-contract0001')?.pendingVerdict).toEqual(again);

      await store.commitTransition(transition(key, 2, running, { ...running, progress: 50 }, 2));
      expect((await store.getTasks([key])).get('cn-hangzhou/t-contract0001')).toMatchObject({ version: 3, pendingVerdict: null });
    });

    it('fails a commit whose event id is stored with a different body, and writes none of its events or deliveries', async () => {
      await store.watchTask(key, 'api', T0);
      const running = snapshot(key, 'Processing');
      const first = transition(key, 0, null, running, 0, ['wh_a']);
      await store.commitTransition(first);
      const original = first.events[0];
      const finished = snapshot(key, 'Finished', { observedAt: at(7) });
      const next = transition(key, 1, running, finished, 2, ['wh_a']);
      // The first of its events reuses a stored id with another body; the rest are new.
      const impostor = { ...next.events[0], id: original.id };
      const clash = {
        ...next,
        events: [impostor, ...next.events.slice(1)],
        deliveries: [{ ...next.deliveries[0], id: `dlv_${original.id}_wh_new`, eventId: original.id, webhookId: 'wh_new' }, ...next.deliveries.slice(1)],
      };

      const error = await store.commitTransition(clash).then(
        () => expect.fail('expected the commit to fail'),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: 'EventIdConflict', retryable: false });
      expect((error as Error).message).toContain(original.id);
      expect((error as Error).message).toContain('cn-hangzhou/t-contract0001');
      expect((await store.getEvent(original.id))?.event).toEqual(original);
      expect((await store.listEvents({ ...key, limit: 10 })).items.map((e) => e.event.id)).toEqual(first.events.map((e) => e.id).reverse());
      expect((await store.listDeliveries({ webhookId: 'wh_new', limit: 10 })).items).toEqual([]);
      expect((await store.listDeliveries({ webhookId: 'wh_a', limit: 10 })).items).toHaveLength(first.events.length);
      const record = (await store.getTasks([key])).get('cn-hangzhou/t-contract0001')!;
      if (atomicCommits) {
        expect(record).toMatchObject({ version: 1, snapshot: running });
        for (const e of next.events.slice(1)) expect(await store.getEvent(e.id)).toBeNull();
      } else {
        // The snapshot was committed before its events were written; the outbox keeps them, and keeps failing loudly.
        expect(record).toMatchObject({ version: 2, snapshot: finished });
        await expect(store.completePendingCommits()).rejects.toMatchObject({ code: 'EventIdConflict' });
        await expect(store.commitTransition(transition(key, 2, finished, finished, 4))).rejects.toMatchObject({ code: 'EventIdConflict' });
      }
    });

    it('accepts a commit whose event id is stored with the same body, as a no-op for that event', async () => {
      await store.watchTask(key, 'api', T0);
      const running = snapshot(key, 'Processing');
      const first = transition(key, 0, null, running, 0);
      await store.commitTransition(first);
      const next = transition(key, 1, running, snapshot(key, 'Finished', { observedAt: at(7) }), 2);
      await store.commitTransition({ ...next, events: [structuredClone(first.events[0]), ...next.events] });
      expect((await store.getEvent(first.events[0].id))?.event).toEqual(first.events[0]);
      expect((await store.listEvents({ ...key, limit: 10 })).items).toHaveLength(first.events.length + next.events.length);
    });

    it('appends operational events: stored, listed by type newest first, also unscoped and by subject', async () => {
      await store.watchTask(key, 'api', T0);
      await store.commitTransition(transition(key, 0, null, snapshot(key, 'Finished', { observedAt: at(2) }), 0));
      const older = opEvent('webhook.disabled', 'wh_a', at(1));
      const newer = opEvent('webhook.disabled', 'wh_b', at(3));
      const recovered = opEvent('webhook.recovered', 'wh_a', at(4));
      await store.appendEvents([older, recovered]);
      await store.appendEvents([newer]);
      expect(await store.getEvent(older.event.id)).toEqual(older);
      const byType = await store.listEvents({ type: 'webhook.disabled', limit: 10 });
      expect(byType.items.map((e) => e.event.id)).toEqual([newer.event.id, older.event.id]);
      const paged = await store.listEvents({ type: 'webhook.disabled', limit: 1 });
      expect((await store.listEvents({ type: 'webhook.disabled', limit: 1, cursor: paged.cursor })).items).toEqual([older]);
      const all = (await store.listEvents({ limit: 20 })).items;
      expect(all.map((e) => e.event.id).slice(0, 2)).toEqual([recovered.event.id, newer.event.id]);
      expect(all.map((e) => e.event.id).at(-1)).toBe(older.event.id);
      expect((await store.listEvents({ regionId: 'taskhook', taskId: 'wh_a', limit: 10 })).items).toEqual([recovered, older]);
    });

    it('appending an event again is a no-op; one with the same id and another body fails and writes nothing of the call', async () => {
      const first = opEvent('delivery.exhausted', 'wh_a', at(1));
      await store.appendEvents([first]);
      await store.appendEvents([structuredClone(first), first]);
      await store.appendEvents([]);
      expect((await store.listEvents({ type: 'delivery.exhausted', limit: 10 })).items).toEqual([first]);

      const impostor = { ...first, event: { ...first.event, data: { ...first.event.data, reason: 'another' } } } as StoredEvent;
      const fresh = opEvent('delivery.exhausted', 'wh_b', at(2));
      for (const batch of [
        [fresh, impostor],
        [first, fresh, { ...first, event: { ...first.event, time: at(9) } }],
      ]) {
        const error = await store.appendEvents(batch).then(
          () => expect.fail('expected the append to fail'),
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StoreError);
        expect(error).toMatchObject({ code: 'EventIdConflict', retryable: false });
        expect((error as Error).message).toContain(first.event.id);
      }
      expect(await store.getEvent(first.event.id)).toEqual(first);
      expect(await store.getEvent(fresh.event.id)).toBeNull();
      expect((await store.listEvents({ type: 'delivery.exhausted', limit: 10 })).items).toEqual([first]);
    });

    it('lists due deliveries oldest first, and never the finished ones', async () => {
      const base: Omit<NewDelivery, 'id' | 'dueAt'> = {
        eventId: 'evt_1',
        webhookId: 'wh_a',
        regionId: 'cn-hangzhou',
        taskId: 't-1',
        sequence: 1,
        createdAt: T0,
      };
      await store.enqueueDeliveries([
        { ...base, id: 'dlv_late', dueAt: at(30) },
        { ...base, id: 'dlv_early', dueAt: at(1) },
        { ...base, id: 'dlv_mid', dueAt: at(5) },
      ]);
      await store.enqueueDeliveries([{ ...base, id: 'dlv_early', dueAt: at(99) }]); // already there: unchanged
      expect((await store.listDueDeliveries(at(10), 10)).map((d) => d.id)).toEqual(['dlv_early', 'dlv_mid']);
      expect((await store.listDueDeliveries(at(10), 1)).map((d) => d.id)).toEqual(['dlv_early']);

      const attempt = {
        deliveryId: 'dlv_early',
        eventId: 'evt_1',
        webhookId: 'wh_a',
        attempt: 1,
        at: at(10),
        status: 500,
        durationMs: 12,
        success: false,
        error: 'HTTP 500',
        responseSnippet: 'oops',
      };
      await store.recordAttempt(attempt, { status: 'pending', nextAttemptAt: at(40) });
      expect((await store.listDueDeliveries(at(10), 10)).map((d) => d.id)).toEqual(['dlv_mid']);
      await store.recordAttempt(
        { ...attempt, deliveryId: 'dlv_mid', at: at(11), status: 200, success: true, error: null },
        { status: 'succeeded', nextAttemptAt: null },
      );
      await store.recordAttempt({ ...attempt, deliveryId: 'dlv_late', at: at(31) }, { status: 'dead', nextAttemptAt: null });
      expect((await store.listDueDeliveries(at(39), 10)).map((d) => d.id)).toEqual([]);
      expect((await store.listDueDeliveries(at(41), 10)).map((d) => d.id)).toEqual(['dlv_early']);

      const early = await deliveryOf(store, 'evt_1', 'dlv_early');
      expect(early).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 500, lastError: 'HTTP 500', nextAttemptAt: at(40) });
      expect((await deliveryOf(store, 'evt_1', 'dlv_late'))?.status).toBe('dead');
      const attempts = await store.listAttempts({ webhookId: 'wh_a', limit: 10 });
      expect(attempts.items.map((a) => a.deliveryId)).toEqual(['dlv_late', 'dlv_mid', 'dlv_early']);
      expect(attempts.items[2]).toEqual(attempt);
      expect((await store.listAttempts({ eventId: 'evt_nope', limit: 10 })).items).toEqual([]);
    });

    it('finds the first pending delivery of a webhook and task, reschedules and abandons deliveries', async () => {
      const base = { eventId: 'evt_x', webhookId: 'wh_a', regionId: 'cn-hangzhou', taskId: 't-order0001', createdAt: T0 };
      await store.enqueueDeliveries([
        { ...base, id: 'dlv_s2', sequence: 2, dueAt: at(1) },
        { ...base, id: 'dlv_s1', sequence: 1, dueAt: at(1) },
        { ...base, id: 'dlv_s3', sequence: 3, dueAt: at(1) },
        { ...base, id: 'dlv_other', webhookId: 'wh_b', sequence: 0, dueAt: at(1) },
      ]);
      const task = { regionId: 'cn-hangzhou', taskId: 't-order0001' };
      expect((await store.firstPendingDelivery('wh_a', task))?.id).toBe('dlv_s1');
      await store.abandonDelivery('dlv_s1', 'webhook disabled', at(2));
      expect(await deliveryOf(store, 'evt_x', 'dlv_s1')).toMatchObject({ status: 'dead', lastError: 'webhook disabled', nextAttemptAt: null });
      expect((await store.firstPendingDelivery('wh_a', task))?.id).toBe('dlv_s2');
      await store.rescheduleDelivery('dlv_s3', at(50));
      expect((await store.listDueDeliveries(at(10), 10)).map((d) => d.id)).toEqual(['dlv_other', 'dlv_s2']);
      expect((await store.listDueDeliveries(at(51), 10)).map((d) => d.id)).toEqual(['dlv_other', 'dlv_s2', 'dlv_s3']);
      expect(await store.firstPendingDelivery('wh_c', task)).toBeNull();
    });

    it('lets exactly one of two racing claims take a delivery, and moves it out of the due list until the claim ends', async () => {
      const base = { eventId: 'evt_c', webhookId: 'wh_a', regionId: 'cn-hangzhou', taskId: 't-claim0001', sequence: 1, createdAt: T0 };
      await store.enqueueDeliveries([
        { ...base, id: 'dlv_claim', dueAt: at(1) },
        { ...base, id: 'dlv_done', sequence: 2, dueAt: at(1) },
      ]);
      const claims = await Promise.all([store.claimDelivery('dlv_claim', at(1), at(3)), store.claimDelivery('dlv_claim', at(1), at(4))]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      const claimed = await deliveryOf(store, 'evt_c', 'dlv_claim');
      expect(claimed).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: claims[0] ? at(3) : at(4) });
      expect((await store.listDueDeliveries(at(2), 10)).map((d) => d.id)).toEqual(['dlv_done']);
      // A claim from a stale read loses; the winner's own time claims it again.
      expect(await store.claimDelivery('dlv_claim', at(1), at(5))).toBe(false);
      expect(await store.claimDelivery('dlv_claim', claimed!.nextAttemptAt!, at(5))).toBe(true);
      expect((await store.listDueDeliveries(at(5), 10)).map((d) => d.id)).toEqual(['dlv_done', 'dlv_claim']);

      await store.abandonDelivery('dlv_done', 'webhook deleted', at(2));
      expect(await store.claimDelivery('dlv_done', at(1), at(5))).toBe(false);
      expect(await store.claimDelivery('dlv_nope', at(1), at(5))).toBe(false);
    });

    it('stores, lists, updates and deletes webhooks with their secrets', async () => {
      await store.putWebhook(webhook('wh_b', { createdAt: at(2) }));
      await store.putWebhook(webhook('wh_a', { filter: { regions: ['cn-hangzhou'], actions: ['ExportImage'] } }));
      expect((await store.listWebhooks()).map((w) => w.id)).toEqual(['wh_a', 'wh_b']);
      const rotated = webhook('wh_a', {
        secrets: { current: 'whsec_new', previous: { secret: 'whsec_old', expiresAt: at(1440) } },
        enabled: false,
        disabledReason: 'endpoint answered 410 Gone',
      });
      await store.putWebhook(rotated);
      expect(await store.getWebhook('wh_a')).toEqual(rotated);
      expect(await store.deleteWebhook('wh_a')).toBe(true);
      expect(await store.deleteWebhook('wh_a')).toBe(false);
      expect(await store.getWebhook('wh_a')).toBeNull();
    });

    it('keeps both of two concurrent webhook updates: each is applied to the record the other left', async () => {
      await store.putWebhook(webhook('wh_a'));
      let calls = 0;
      let racing: Promise<WebhookRecord | null> | undefined;
      const failing = (w: WebhookRecord) => (calls++, { ...w, failingSince: at(3), updatedAt: at(3) });
      const disabled = await store.updateWebhook('wh_a', (w) => {
        calls++;
        // The other update reads the record before this one is written back.
        racing ??= store.updateWebhook('wh_a', failing);
        return { ...w, enabled: false, disabledReason: 'disabled over the API', updatedAt: at(4) };
      });
      const failed = await racing!;
      expect(disabled).toMatchObject({ enabled: false });
      expect(failed).toMatchObject({ failingSince: at(3) });
      expect(await store.getWebhook('wh_a')).toMatchObject({ enabled: false, disabledReason: 'disabled over the API', failingSince: at(3) });
      expect(calls).toBeGreaterThanOrEqual(2);

      const parallel = await Promise.all([
        store.updateWebhook('wh_a', (w) => ({ ...w, description: 'one' })),
        store.updateWebhook('wh_a', (w) => ({ ...w, events: ['ecs.task.failed'] })),
      ]);
      expect(parallel.every((w) => w !== null)).toBe(true);
      expect(await store.getWebhook('wh_a')).toMatchObject({ description: 'one', events: ['ecs.task.failed'], enabled: false, failingSince: at(3) });
    });

    it('leaves a webhook as it is when the change returns null, and updates no webhook that is not there', async () => {
      const stored = webhook('wh_a');
      await store.putWebhook(stored);
      expect(await store.updateWebhook('wh_a', () => null)).toEqual(stored);
      expect(await store.getWebhook('wh_a')).toEqual(stored);
      expect(await store.updateWebhook('wh_nope', (w) => ({ ...w, enabled: false }))).toBeNull();
      expect(await store.getWebhook('wh_nope')).toBeNull();
      // The change works on a copy: modifying it in place and returning it is fine.
      const renamed = await store.updateWebhook('wh_a', (w) => Object.assign(w, { description: 'renamed' }));
      expect(renamed?.description).toBe('renamed');
      expect(await store.getWebhook('wh_a')).toEqual({ ...stored, description: 'renamed' });
    });

    it('gives a lease to one holder at a time until it expires or is released', async () => {
      const now = Date.parse(T0);
      expect(await store.acquireLease('poll', 'run-1', 60_000, now)).toBe(true);
      expect(await store.acquireLease('poll', 'run-2', 60_000, now + 1_000)).toBe(false);
      expect(await store.acquireLease('poll', 'run-1', 60_000, now + 2_000)).toBe(true); // renewal
      expect(await store.acquireLease('poll', 'run-2', 60_000, now + 61_000)).toBe(false);
      expect(await store.acquireLease('poll', 'run-2', 60_000, now + 62_001)).toBe(true); // expired
      await store.releaseLease('poll', 'run-1'); // not the holder: no effect
      expect(await store.acquireLease('poll', 'run-3', 60_000, now + 63_000)).toBe(false);
      await store.releaseLease('poll', 'run-2');
      expect(await store.acquireLease('poll', 'run-3', 60_000, now + 63_000)).toBe(true);
    });

    it('a crashed holder blocks the lease only for its TTL', async () => {
      const now = Date.parse(T0);
      const ttl = 15_000;
      // run-1 takes a short lease and renews it every 5 s, as a live poll run does.
      for (let s = 0; s <= 10; s += 5) expect(await store.acquireLease('poll', 'run-1', ttl, now + s * 1000)).toBe(true);
      expect(await store.acquireLease('poll', 'run-2', ttl, now + 11_000)).toBe(false);
      // run-1 crashes after its renewal at 10 s: its lease runs out at 25 s, not later.
      expect(await store.acquireLease('poll', 'run-2', ttl, now + 24_999)).toBe(false);
      expect(await store.acquireLease('poll', 'run-2', ttl, now + 25_000)).toBe(true);
      // The crashed run, back, cannot renew a lease another now holds; the new holder renews its own.
      expect(await store.acquireLease('poll', 'run-1', ttl, now + 26_000)).toBe(false);
      expect(await store.acquireLease('poll', 'run-2', ttl, now + 30_000)).toBe(true);
      expect(await store.acquireLease('poll', 'run-1', ttl, now + 44_999)).toBe(false);
      expect(await store.acquireLease('poll', 'run-1', ttl, now + 45_000)).toBe(true);
    });

    it('takes over a lease that a clock running ahead set far beyond one lease, and never one that is merely live', async () => {
      const now = Date.parse(T0);
      // A run whose clock was an hour ahead took it for 10 s of its own time, then died.
      expect(await store.acquireLease('ahead', 'fast-clock-run', 10_000, now + 3_600_000)).toBe(true);
      expect(await store.acquireLease('ahead', 'next-run', 10_000, now)).toBe(true);
      // A live lease of the usual length stays with its holder.
      expect(await store.acquireLease('live', 'first', 10_000, now)).toBe(true);
      expect(await store.acquireLease('live', 'second', 10_000, now + 1_000)).toBe(false);
    });

    it('grants a contested lease to exactly one of many simultaneous runs', async () => {
      const now = Date.parse(T0);
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => store.acquireLease('race', `run-${i}`, 60_000, now)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('purges terminal tasks, old events, finished deliveries and attempts, and keeps the rest', async () => {
      const active = { regionId: 'cn-hangzhou', taskId: 't-keep0001' };
      await store.watchTask(key, 'api', T0);
      await store.watchTask(active, 'api', T0);
      await store.commitTransition(transition(key, 0, null, snapshot(key, 'Finished', { observedAt: at(1) }), 0, ['wh_a']));
      await store.commitTransition(transition(active, 0, null, snapshot(active, 'Processing', { observedAt: at(1) }), 0));
      const [delivery] = (await store.listDeliveries({ webhookId: 'wh_a', limit: 10 })).items;
      await store.recordAttempt(
        {
          deliveryId: delivery.id,
          eventId: delivery.eventId,
          webhookId: 'wh_a',
          attempt: 1,
          at: at(2),
          status: 200,
          durationMs: 5,
          success: true,
          error: null,
          responseSnippet: '',
        },
        { status: 'succeeded', nextAttemptAt: null },
      );

      const result = await store.purge(at(60));
      expect(result.tasks).toBe(1);
      expect(result.events).toBeGreaterThanOrEqual(2);
      expect(result.attempts).toBe(1);
      expect((await store.getTasks([key, active])).size).toBe(1);
      expect((await store.listActiveTasks({ limit: 10 })).items.map((t) => t.taskId)).toEqual(['t-keep0001']);
      expect((await store.listEvents({ ...key, limit: 10 })).items).toHaveLength(0);
    });

    it('keeps a terminal task that is still configured, however old, with its sequence', async () => {
      const configured = { regionId: 'cn-hangzhou', taskId: 't-configured01' };
      await store.watchTask(configured, 'config', T0);
      await store.commitTransition(transition(configured, 0, null, snapshot(configured, 'Finished', { observedAt: at(1) }), 0));
      const before = (await store.getTasks([configured])).get(taskKeyString(configured))!;
      expect(before.sequence).toBeGreaterThan(0);
      const result = await store.purge(at(60), new Set([taskKeyString(configured)]));
      expect(result.tasks).toBe(0);
      expect((await store.getTasks([configured])).get(taskKeyString(configured))?.sequence).toBe(before.sequence);
      expect((await store.purge(at(60))).tasks).toBe(1);
    });

    it('keeps the run log newest first, page by page, and records a run once however often it is recorded', async () => {
      const summary = { leased: true, tasks: { active: 2, polled: 2 }, durationMs: 40 };
      const runs = [5, 1, 3, 2, 4].map((m) => ({ id: `run_${m}`, startedAt: at(m), finishedAt: at(m + 0.5), summary: { ...summary, durationMs: m } }));
      for (const run of runs) await store.recordRun(run);
      await store.recordRun({ ...runs[0], summary: { ...summary, durationMs: 999 } });
      const first = await store.listRuns({ limit: 2 });
      expect(first.items.map((r) => r.id)).toEqual(['run_5', 'run_4']);
      expect(first.items[0]).toEqual(runs[0]);
      const second = await store.listRuns({ limit: 2, cursor: first.cursor });
      expect(second.items.map((r) => r.id)).toEqual(['run_3', 'run_2']);
      const last = await store.listRuns({ limit: 2, cursor: second.cursor });
      expect(last.items.map((r) => r.id)).toEqual(['run_1']);
      expect(last.cursor).toBeUndefined();
      // Two runs started in the same second are both kept, in a stable order.
      await store.recordRun({ id: 'run_5b', startedAt: at(5), finishedAt: at(5.5), summary });
      expect((await store.listRuns({ limit: 10 })).items.map((r) => r.id)).toEqual(['run_5', 'run_5b', 'run_4', 'run_3', 'run_2', 'run_1']);
    });

    it('purges the runs that finished before the cut-off with the rest', async () => {
      for (const m of [1, 2, 30, 90]) await store.recordRun({ id: `run_${m}`, startedAt: at(m), finishedAt: at(m + 1), summary: { leased: true } });
      const result = await store.purge(at(31.5));
      expect(result.runs).toBe(3);
      expect((await store.listRuns({ limit: 10 })).items.map((r) => r.id)).toEqual(['run_90']);
      expect((await store.purge(at(31.5))).runs).toBe(0);
    });

    describe('event feed', () => {
      const other = { regionId: 'cn-shanghai', taskId: 't-contract0002' };
      const ids = (page: { items: StoredEvent[] }) => page.items.map((s) => s.event.id);
      /** Every event from `after` on, one at a time: each page's cursor is where the next starts. */
      const drain = async (after: string, limit = 1) => {
        const seen: string[] = [];
        for (let cursor = after, round = 0; round < 50; round++) {
          const page = await store.readFeed({ after: cursor, limit });
          if (page.items.length === 0) return { seen, cursor };
          seen.push(...ids(page));
          cursor = page.cursor;
        }
        throw new Error('the feed did not end');
      };

      it('lists events in commit order, not by their recorded time, and a resumed cursor neither skips nor repeats one', async () => {
        await store.watchTask(key, 'api', T0);
        await store.watchTask(other, 'api', T0);
        const later = transition(other, 0, null, snapshot(other, 'Finished', { observedAt: at(5) }), 0);
        await store.commitTransition(later);
        const middle = await drain('start');
        expect(middle.seen).toEqual(later.events.map((e) => e.id));
        // Committed after, though recorded earlier: a newest-first key would sort it before the cursor and skip it.
        const earlier = transition(key, 0, null, snapshot(key, 'Finished', { observedAt: at(1) }), 0);
        await store.commitTransition(earlier);
        expect((await drain(middle.cursor)).seen).toEqual(earlier.events.map((e) => e.id));
        expect((await store.readFeed({ after: middle.cursor, limit: 10 })).items.map((s) => s.event)).toEqual(earlier.events);
      });

      it('gives each of the events that concurrent runs commit in the same millisecond exactly once, each task’s in sequence order', async () => {
        const keys = Array.from({ length: 6 }, (_, i) => ({ regionId: 'cn-hangzhou', taskId: `t-feedrace000${i}` }));
        for (const k of keys) await store.watchTask(k, 'api', T0);
        const commits = keys.map((k) => transition(k, 0, null, snapshot(k, 'Finished', { observedAt: at(1) }), 0));
        const operational = [opEvent('webhook.disabled', 'wh_a', at(1)), opEvent('webhook.disabled', 'wh_b', at(1))];
        // Two runs at once: one commits half the tasks as a batch, the other the rest one by one, beside an append.
        await Promise.all([
          store.commitTransitions(commits.slice(0, 3)),
          ...commits.slice(3).map((c) => store.commitTransition(c)),
          store.appendEvents(operational),
        ]);
        const everyId = [...commits.flatMap((c) => c.events.map((e) => e.id)), ...operational.map((s) => s.event.id)];
        const { seen } = await drain('start', 2);
        expect([...seen].sort()).toEqual([...everyId].sort());
        for (const c of commits) {
          const positions = c.events.map((e) => seen.indexOf(e.id));
          expect(positions).toEqual([...positions].sort((a, b) => a - b));
        }
        // The same answer from every point: a cursor taken halfway reads the rest once.
        const half = await store.readFeed({ after: 'start', limit: 5 });
        expect([...ids(half), ...(await drain(half.cursor, 3)).seen]).toEqual(seen);
      });

      it('starts after what is stored with `now`, keeps the cursor when nothing is new, and filters without losing its place', async () => {
        await store.watchTask(key, 'api', T0);
        await store.watchTask(other, 'api', T0);
        await store.commitTransition(transition(key, 0, null, snapshot(key, 'Processing'), 0));
        const empty = await store.readFeed({ after: 'now', limit: 10 });
        expect(empty.items).toEqual([]);
        expect((await store.readFeed({ after: empty.cursor, limit: 10 })).cursor).toBe(empty.cursor);
        const finished = transition(other, 0, null, snapshot(other, 'Finished', { observedAt: at(3) }), 0);
        await store.commitTransition(finished);
        const wanted = await store.readFeed({ after: empty.cursor, limit: 10, wants: (s) => s.event.type === 'ecs.task.succeeded' });
        expect(wanted.items.map((s) => s.event.type)).toEqual(['ecs.task.succeeded']);
        expect((await store.readFeed({ after: wanted.cursor, limit: 10 })).items).toEqual([]);
        const none = await store.readFeed({ after: empty.cursor, limit: 10, wants: () => false });
        expect(none.items).toEqual([]);
        expect(none.cursor).toBe(wanted.cursor);
      });

      it('refuses a cursor it did not give out, naming the way to start', async () => {
        await expect(store.readFeed({ after: 'bm90LWEtY3Vyc29y', limit: 1 })).rejects.toMatchObject({ code: 'InvalidCursor' });
        await expect(store.readFeed({ after: 'not a cursor', limit: 1 })).rejects.toThrow(/after=now/);
      });

      it('wakes a waiting reader when this store commits an event, and otherwise after the wait', async () => {
        await store.watchTask(key, 'api', T0);
        let started = Date.now();
        await store.eventsCommitted(50);
        expect(Date.now() - started).toBeGreaterThanOrEqual(45);
        started = Date.now();
        const woken = store.eventsCommitted(5_000);
        await store.commitTransition(transition(key, 0, null, snapshot(key, 'Finished'), 0));
        await woken;
        expect(Date.now() - started).toBeLessThan(2_000);
        const controller = new AbortController();
        const aborted = store.eventsCommitted(5_000, controller.signal);
        controller.abort();
        await aborted;
      });
    });

    it.runIf(faults)('retries through a transient storage fault on a write', async () => {
      await store.watchTask(key, 'api', T0);
      h.injectTransientFault!();
      await store.commitTransition(transition(key, 0, null, snapshot(key, 'Finished'), 0, ['wh_a']));
      expect((await store.getTasks([key])).get('cn-hangzhou/t-contract0001')?.version).toBe(1);
    });

    it.runIf(rowFaults)('commits a transition while single rows of its batch writes and reads fail for a while, and loses nothing', async () => {
      await store.watchTask(key, 'api', T0);
      const running = snapshot(key, 'Processing');
      const first = transition(key, 0, null, running, 0, ['wh_a']);
      await store.commitTransition(first);
      h.injectRowFaults!();
      const commit = transition(key, 1, running, snapshot(key, 'Finished', { observedAt: at(7) }), first.sequence, ['wh_a', 'wh_b']);
      await store.commitTransition(commit);

      expect((await store.getTasks([key])).get('cn-hangzhou/t-contract0001')).toMatchObject({ version: 2, sequence: commit.sequence, active: false });
      const events = (await store.listEvents({ ...key, limit: 50 })).items.map((e) => e.event);
      expect(events.map((e) => e.id).sort()).toEqual([...first.events, ...commit.events].map((e) => e.id).sort());
      expect(events).toEqual(expect.arrayContaining([...first.events, ...commit.events]));
      const ids = async (webhookId: string) => (await store.listDeliveries({ webhookId, limit: 50 })).items.map((d) => d.eventId).sort();
      expect(await ids('wh_a')).toEqual([...first.events, ...commit.events].map((e) => e.id).sort());
      expect(await ids('wh_b')).toEqual(commit.events.map((e) => e.id).sort());
      expect((await store.listActiveTasks({ limit: 10 })).items).toEqual([]);
      expect(await store.completePendingCommits()).toBe(0);
    });
  });
}
