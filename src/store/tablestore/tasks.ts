/**
 * Tasks and the transition commit. The one atomic step is a conditional UpdateRow of the task row that stores the new
 * snapshot together with an outbox of the events and deliveries still to write; the commit writes it out (idempotently)
 * and clears it. After a crash, completePendingCommits or the task's next commit does, so the events appear exactly once.
 */
import { randomUUID } from 'node:crypto';
import { StoreError } from '../../errors.js';
import type { PreparedCommit, TaskRows } from '../backend.js';
import { pendingDelivery } from '../delivery-records.js';
import { eventIdConflict, sameEvent } from '../event-ids.js';
import { taskKeyString, type StoredEvent, type TaskRecord } from '../port.js';
import type { TaskEvent } from '../../tasks/events.js';
import type { TaskSnapshot } from '../../tasks/snapshot.js';
import {
  allOf,
  applied,
  equals,
  ignore,
  INF_MAX,
  INF_MIN,
  isConditionFailed,
  long,
  mustExist,
  mustNotExist,
  str,
  type CallState,
  type Db,
  type KeyValues,
  type Row,
  type WriteRow,
} from './client.js';
import {
  boundSnapshot,
  deliveryRow,
  deliverySideRows,
  eventIndexRows,
  newTaskAttrs,
  parseTask,
  TASK_COLUMNS,
  uniqueRows,
  type Outbox,
  type OutboxEvent,
  type TaskRow,
} from './rows.js';
import { feedRows, writeEventRows } from './events.js';
import type { Tables } from './schema.js';

/** active_tasks keys read per GetRange while looking for leftover outboxes. */
const PENDING_SCAN_PAGE = 5000;

export function taskRows(db: Db, t: Tables): TaskRows {
  const readTask = async (id: string) => {
    const row = await db.getRow(t.tasks, [id]);
    return row ? parseTask(row) : null;
  };

  /** Writes a committed outbox out (every row idempotent), then clears it unless a newer commit took the row over. */
  async function flush(row: TaskRow): Promise<void> {
    const outbox = row.outbox;
    if (!outbox) return;
    const { regionId, taskId, version, snapshot } = row.record;
    const id = taskKeyString(row.record);
    const stored = outbox.events.map((e): StoredEvent => {
      const event: TaskEvent = { ...e, data: { ...e.data, task: e.data.task ?? snapshot! } };
      return { event, regionId, taskId, recordedAt: outbox.recordedAt };
    });
    const toIndex = await writeEvents(stored);
    const rows: WriteRow[] = [...toIndex.flatMap((s) => eventIndexRows(t, s)), ...(await feedRows(db, t, toIndex))];
    for (const d of outbox.deliveries) rows.push(deliveryRow(t, 'status' in d ? d : pendingDelivery(d)), ...deliverySideRows(t, d));
    if (outbox.deactivate) rows.push({ type: 'DELETE', table: t.active_tasks, key: [id], condition: ignore(equals('active_id', row.activeId)) });
    await db.batchWrite(uniqueRows(rows));
    // A failed condition means a newer commit replaced the row, and this outbox with it.
    await applied(db.updateRow(t.tasks, [id], { remove: ['outbox'] }, mustExist(equals('version', long(version)))));
  }

  /**
   * The event rows alone, before anything that lists or delivers them; returns the ones to index (all but those an
   * earlier commit stored and indexed). One already there with a different body throws EventIdConflict: the snapshot
   * stays committed, the other new event rows stay unlisted, and the outbox stays in the task row for a retry.
   */
  async function writeEvents(stored: StoredEvent[]): Promise<StoredEvent[]> {
    const { present, toIndex } = await writeEventRows(db, t, stored);
    const clash = stored.find((s) => present.has(s.event.id) && !sameEvent(present.get(s.event.id)!.event, s.event));
    if (clash) throw eventIdConflict(clash);
    return toIndex;
  }

  function outboxFor(c: PreparedCommit, snapshot: TaskSnapshot, wasActive: boolean): Outbox | null {
    const deactivate = wasActive && !c.active;
    if (c.events.length === 0 && c.deliveries.length === 0 && !deactivate) return null;
    const events = c.events.map(({ event: e }): OutboxEvent => {
      const same = e.data.task === c.snapshot || JSON.stringify(e.data.task) === JSON.stringify(c.snapshot);
      return { ...e, data: { ...e.data, task: same ? null : boundSnapshot(e.data.task) } };
    });
    return { recordedAt: c.updatedAt, events, deliveries: c.deliveries, deactivate };
  }

  /** Keys of active_tasks after `after` (and up to `upTo`, inclusive), up to `limit`. */
  async function activeKeys(after: string | undefined, limit: number, upTo?: string): Promise<string[]> {
    const keys: string[] = [];
    let from: KeyValues | null = [after ?? INF_MIN];
    // The range end is exclusive: the smallest key above `upTo` is `upTo` + U+0001 (no key holds U+0000).
    const end: KeyValues = [upTo === undefined ? INF_MAX : `${upTo}\u0001`];
    // The range starts at the cursor's own key, which is skipped: one more row for it.
    let skip = after === undefined ? 0 : 1;
    while (from && keys.length < limit) {
      const r: { rows: Row[]; next: KeyValues | null } = await db.range(t.active_tasks, from, end, { limit: limit - keys.length + skip, columns: ['key'] });
      skip = 0;
      for (const row of r.rows) {
        const k = str(row.key.key)!;
        if ((after === undefined || k > after) && (upTo === undefined || k <= upTo)) keys.push(k);
      }
      from = r.next;
    }
    return keys.slice(0, limit);
  }

  const sourcesOf = (record: TaskRecord) => JSON.stringify(record.sources);

  return {
    get: (ids) =>
      db
        .batchGet(
          t.tasks,
          ids.map((id) => [id]),
          TASK_COLUMNS,
        )
        .then((rows) => new Map(rows.flatMap((row, i) => (row ? [[ids[i], parseTask(row).record] as const] : [])))),

    async insert(record) {
      const id = taskKeyString(record);
      // The active_tasks row first: a task row never exists active without it.
      const activeId = randomUUID();
      await db.putRow(t.active_tasks, [id], { active_id: activeId, since: record.watchedAt }, ignore());
      if (await applied(db.putRow(t.tasks, [id], newTaskAttrs(record, record.sources, record.watchedAt, activeId), mustNotExist()))) return true;
      // Created meanwhile (or by this call's own lost-answer try), so the row written above may not be the task's own.
      const row = await readTask(id);
      if (row && row.activeId !== activeId) {
        if (row.record.active) await db.putRow(t.active_tasks, [id], { active_id: row.activeId, since: row.record.watchedAt }, ignore());
        else await applied(db.deleteRow(t.active_tasks, [id], ignore(equals('active_id', activeId))));
      }
      return false;
    },

    async setSources(current, sources) {
      const id = taskKeyString(current);
      const state: CallState = { maybeApplied: false };
      const put = JSON.stringify(sources);
      if (await applied(db.updateRow(t.tasks, [id], { put: { sources: put } }, mustExist(equals('sources', sourcesOf(current))), state))) return true;
      // A retry after a lost answer fails on its own write: then the row holds exactly these sources.
      return state.maybeApplied && (await readTask(id))?.sourcesRaw === put;
    },

    async delete(current) {
      const id = taskKeyString(current);
      const row = await readTask(id);
      if (!row || row.record.version !== current.version || row.sourcesRaw !== sourcesOf(current)) return false;
      await flush(row); // its events must not go with it
      const state: CallState = { maybeApplied: false };
      const unchanged = mustExist(allOf(equals('version', long(current.version)), equals('sources', row.sourcesRaw)));
      // Gone after a try whose answer was lost: that try removed it.
      if (!(await applied(db.deleteRow(t.tasks, [id], unchanged, state))) && !(state.maybeApplied && !(await readTask(id)))) return false;
      await applied(db.deleteRow(t.active_tasks, [id], ignore(equals('active_id', row.activeId))));
      return true;
    },

    async range({ after, upTo, limit }, activeOnly) {
      // Active tasks by key from active_tasks; the layer reads their rows from tasks (BatchGetRow, 100 a call).
      if (activeOnly) return (await activeKeys(after, limit, upTo)).map((key) => ({ key, id: key }));
      const out: Array<{ key: string; record: TaskRecord }> = [];
      await db.scan(t.tasks, [after ?? INF_MIN], [INF_MAX], { limit: limit + (after === undefined ? 0 : 1), columns: TASK_COLUMNS }, async (rows) => {
        for (const row of rows) {
          const key = str(row.key.key)!;
          if (after !== undefined && key <= after) continue;
          out.push({ key, record: parseTask(row).record });
          if (out.length === limit) return false;
        }
      });
      return out;
    },

    activeKeys: ({ after, upTo, limit }) => activeKeys(after, limit, upTo),

    async markPolled(ids, at) {
      // Only tasks still there: UpdateRow would otherwise create a row holding nothing but this column.
      await db.batchWrite(ids.map((id) => ({ type: 'UPDATE' as const, table: t.tasks, key: [id], put: { last_polled_at: at }, condition: mustExist() })));
    },

    async completePendingCommits() {
      let finished = 0;
      let after: string | undefined;
      let conflict: StoreError | undefined;
      // Tasks are committed while active, and a commit keeps its task in active_tasks until its outbox is written.
      for (;;) {
        const keys = await activeKeys(after, PENDING_SCAN_PAGE);
        if (keys.length === 0) break;
        const outboxes = await db.batchGet(
          t.tasks,
          keys.map((k) => [k]),
          ['outbox'],
        );
        for (const [i, row] of outboxes.entries()) {
          if (!row?.attrs.outbox) continue;
          const task = await readTask(keys[i]);
          if (!task?.outbox) continue;
          try {
            await flush(task);
            finished++;
          } catch (error) {
            // One task's colliding event must not keep every other task's commit half-written; it is reported at the end.
            if (!(error instanceof StoreError && error.code === 'EventIdConflict')) throw error;
            conflict ??= error;
          }
        }
        if (keys.length < PENDING_SCAN_PAGE) break;
        after = keys[keys.length - 1];
      }
      if (conflict) throw conflict;
      return finished;
    },

    async commit(c) {
      const id = taskKeyString(c.key);
      const row = await readTask(id);
      if (row?.outbox) await flush(row);
      if (!row || row.record.version !== c.expectedVersion) return false;

      const snapshot = boundSnapshot(c.snapshot);
      const outbox = outboxFor(c, snapshot, row.record.active);
      let activeId = row.activeId;
      if (c.active && !row.record.active) {
        // Listed again before the commit makes it active, under a fresh id no late remover can match.
        activeId = randomUUID();
        await db.putRow(t.active_tasks, [id], { active_id: activeId, since: c.updatedAt }, ignore());
      }
      const commitId = randomUUID();
      const state: CallState = { maybeApplied: false };
      const version = c.expectedVersion + 1;
      const put = {
        snapshot: JSON.stringify(snapshot),
        version: long(version),
        sequence: long(c.sequence),
        active: c.active,
        updated_at: c.updatedAt,
        commit_id: commitId,
        active_id: activeId,
        ...(c.invalid ? { invalid: JSON.stringify(c.invalid) } : {}),
        ...(c.pendingVerdict ? { pending_verdict: JSON.stringify(c.pendingVerdict) } : {}),
        ...(outbox ? { outbox: JSON.stringify(outbox) } : {}),
      };
      const remove = [...(c.invalid ? [] : ['invalid']), ...(c.pendingVerdict ? [] : ['pending_verdict']), ...(outbox ? [] : ['outbox'])];
      try {
        // The commit point: exactly one of two racing writers passes this condition; the loser wrote nothing.
        await db.updateRow(t.tasks, [id], { put, remove }, mustExist(equals('version', long(c.expectedVersion))), state);
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        // A retry after a lost answer fails on its own first write: the commit id says whose write the row holds.
        if (!state.maybeApplied || (await readTask(id))?.commitId !== commitId) return false;
      }
      if (outbox) {
        await flush({ record: { ...row.record, version, snapshot }, sourcesRaw: row.sourcesRaw, outbox, commitId, activeId });
      }
      return true;
    },
  };
}
