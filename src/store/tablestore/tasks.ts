/**
 * Tasks and the transition commit. The one atomic step is a conditional UpdateRow of the task row that stores the new
 * snapshot together with an outbox of the events and deliveries still to write; whoever meets an outbox writes it out
 * (idempotently) and clears it, so after a crash the events appear exactly once.
 */
import { randomUUID } from 'node:crypto';
import { StoreError, VersionConflictError } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { taskKeyString, type Page, type PageRequest, type StateStore, type TaskKey, type TaskRecord, type TransitionCommit, type WatchSource } from '../port.js';
import type { TaskEvent } from '../../tasks/events.js';
import type { TaskSnapshot } from '../../tasks/snapshot.js';
import { allOf, applied, equals, ignore, INF_MAX, INF_MIN, isConditionFailed, long, mustExist, mustNotExist, str, type CallState, type Db, type KeyValues, type Row, type WriteRow } from './client.js';
import {
  boundSnapshot,
  deliveryRow,
  deliverySideRows,
  eventRows,
  newDelivery,
  newTaskAttrs,
  parseTask,
  TASK_COLUMNS,
  uniqueRows,
  type Outbox,
  type OutboxEvent,
  type TaskRow,
} from './rows.js';
import type { Tables } from './schema.js';

/** Rounds of read-and-retry before a write that keeps losing to concurrent ones gives up. */
const CONTENDED_ROUNDS = 8;

type TaskMethods = Pick<StateStore, 'watchTask' | 'unwatchTask' | 'getTasks' | 'listActiveTasks' | 'listTasks' | 'commitTransition'>;

export function taskMethods(db: Db, t: Tables): TaskMethods & { flush(row: TaskRow): Promise<void> } {
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
    const rows: WriteRow[] = [];
    for (const e of outbox.events) {
      const event: TaskEvent = { ...e, data: { ...e.data, task: e.data.task ?? snapshot! } };
      rows.push(...eventRows(t, { event, regionId, taskId, recordedAt: outbox.recordedAt }));
    }
    for (const d of outbox.deliveries) rows.push(deliveryRow(t, newDelivery(d)), ...deliverySideRows(t, d));
    if (outbox.deactivate) rows.push({ type: 'DELETE', table: t.active_tasks, key: [id], condition: ignore(equals('active_id', row.activeId)) });
    await db.batchWrite(uniqueRows(rows));
    // A failed condition means a newer commit replaced the row, and this outbox with it.
    await applied(db.updateRow(t.tasks, [id], { remove: ['outbox'] }, mustExist(equals('version', long(version)))));
  }

  function outboxFor(c: TransitionCommit, snapshot: TaskSnapshot, wasActive: boolean): Outbox | null {
    const deactivate = wasActive && !c.active;
    if (c.events.length === 0 && c.deliveries.length === 0 && !deactivate) return null;
    const events = c.events.map((e): OutboxEvent => {
      const same = e.data.task === c.snapshot || JSON.stringify(e.data.task) === JSON.stringify(c.snapshot);
      return { ...e, data: { ...e.data, task: same ? null : boundSnapshot(e.data.task) } };
    });
    return { recordedAt: snapshot.observedAt, events, deliveries: c.deliveries, deactivate };
  }

  /** Active tasks by key: keys from active_tasks (one past the page says whether there is more), rows from tasks. */
  async function listActive(page: PageRequest): Promise<Page<TaskRecord>> {
    const after = decodeCursor(page.cursor);
    const keys: string[] = [];
    let from: KeyValues | null = [after ?? INF_MIN];
    // The range starts at the cursor's own key, which is skipped: one more row for it.
    let skip = after === undefined ? 0 : 1;
    while (from && keys.length <= page.limit) {
      const r: { rows: Row[]; next: KeyValues | null } = await db.range(t.active_tasks, from, [INF_MAX], { limit: page.limit + 1 - keys.length + skip, columns: ['key'] });
      skip = 0;
      for (const row of r.rows) {
        const k = str(row.key.key)!;
        if (after === undefined || k > after) keys.push(k);
      }
      from = r.next;
    }
    const examined = keys.slice(0, page.limit);
    const items: TaskRecord[] = [];
    for (const row of await db.batchGet(t.tasks, examined.map((k) => [k]))) {
      if (!row) continue; // an active_tasks row whose task is gone: skipped here, removed by purge
      const task = parseTask(row);
      if (task.outbox) await flush(task); // a commit that crashed before writing its events out
      if (task.record.active) items.push(task.record);
    }
    // The cursor is the last key looked at, so a page of skipped keys is not looked at again.
    return { items, ...(keys.length > page.limit ? { cursor: encodeCursor(examined[examined.length - 1]) } : {}) };
  }

  return {
    flush,

    async watchTask(key: TaskKey, source: WatchSource, now: string) {
      const id = taskKeyString(key);
      let ownActiveId: string | null = null;
      for (let round = 0; round < CONTENDED_ROUNDS; round++) {
        const row = await readTask(id);
        if (!row) {
          // The active_tasks row first: a task row never exists active without it.
          const activeId = randomUUID();
          await db.putRow(t.active_tasks, [id], { active_id: activeId, since: now }, ignore());
          ownActiveId = activeId;
          try {
            await db.putRow(t.tasks, [id], newTaskAttrs(key, [source], now, activeId), mustNotExist());
            return { regionId: key.regionId, taskId: key.taskId, sources: [source], snapshot: null, version: 0, sequence: 0, active: true, invalid: null, watchedAt: now, updatedAt: now };
          } catch (error) {
            if (!isConditionFailed(error)) throw error;
            continue; // created meanwhile (or by this call's own lost-answer try): read it again
          }
        }
        if (ownActiveId !== null && ownActiveId !== row.activeId) {
          // This call overwrote the active_tasks row of a task created meanwhile: give it back the task's own.
          if (row.record.active) await db.putRow(t.active_tasks, [id], { active_id: row.activeId, since: row.record.watchedAt }, ignore());
          else await applied(db.deleteRow(t.active_tasks, [id], ignore(equals('active_id', ownActiveId))));
        }
        ownActiveId = null;
        if (row.record.sources.includes(source)) return row.record;
        const sources = [...row.record.sources, source];
        try {
          await db.updateRow(t.tasks, [id], { put: { sources: JSON.stringify(sources) } }, mustExist(equals('sources', row.sourcesRaw)));
          return { ...row.record, sources };
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
        }
      }
      throw new StoreError(`watching ${id} kept conflicting with concurrent changes; try again`, 'Contention', true);
    },

    async unwatchTask(key, source) {
      const id = taskKeyString(key);
      const state: CallState = { maybeApplied: false };
      for (let round = 0; round < CONTENDED_ROUNDS; round++) {
        const row = await readTask(id);
        // Gone after a try whose answer was lost: that try removed it.
        if (!row || !row.record.sources.includes(source)) return state.maybeApplied;
        const left = row.record.sources.filter((s) => s !== source);
        try {
          if (left.length > 0) {
            await db.updateRow(t.tasks, [id], { put: { sources: JSON.stringify(left) } }, mustExist(equals('sources', row.sourcesRaw)), state);
            return true;
          }
          await flush(row); // its events must not go with it
          await db.deleteRow(t.tasks, [id], mustExist(allOf(equals('version', long(row.record.version)), equals('sources', row.sourcesRaw))), state);
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
          continue;
        }
        // A failed condition: already gone, or a newer watch owns it.
        await applied(db.deleteRow(t.active_tasks, [id], ignore(equals('active_id', row.activeId))));
        return true;
      }
      throw new StoreError(`unwatching ${id} kept conflicting with concurrent changes; try again`, 'Contention', true);
    },

    async getTasks(keys) {
      const ids = [...new Set(keys.map(taskKeyString))];
      const rows = await db.batchGet(t.tasks, ids.map((id) => [id]), TASK_COLUMNS);
      const out = new Map<string, TaskRecord>();
      rows.forEach((row, i) => row && out.set(ids[i], parseTask(row).record));
      return out;
    },

    listActiveTasks: listActive,

    async listTasks(page) {
      const after = decodeCursor(page.cursor);
      const items: TaskRecord[] = [];
      let more = false;
      await db.scan(t.tasks, [after ?? INF_MIN], [INF_MAX], { limit: page.limit + (after === undefined ? 1 : 2), columns: TASK_COLUMNS }, async (rows) => {
        for (const row of rows) {
          const k = str(row.key.key)!;
          if (after !== undefined && k <= after) continue;
          if (items.length === page.limit) return (more = true), false;
          items.push(parseTask(row).record);
        }
      });
      return { items, ...(more ? { cursor: encodeCursor(taskKeyString(items[items.length - 1])) } : {}) };
    },

    async commitTransition(c) {
      const id = taskKeyString(c.key);
      const row = await readTask(id);
      if (row?.outbox) await flush(row);
      if (!row || row.record.version !== c.expectedVersion) throw new VersionConflictError(id);

      const snapshot = boundSnapshot(c.snapshot);
      const outbox = outboxFor(c, snapshot, row.record.active);
      let activeId = row.activeId;
      if (c.active && !row.record.active) {
        // Listed again before the commit makes it active, under a fresh id no late remover can match.
        activeId = randomUUID();
        await db.putRow(t.active_tasks, [id], { active_id: activeId, since: snapshot.observedAt }, ignore());
      }
      const commitId = randomUUID();
      const state: CallState = { maybeApplied: false };
      const version = c.expectedVersion + 1;
      const put = {
        snapshot: JSON.stringify(snapshot),
        version: long(version),
        sequence: long(c.sequence),
        active: c.active,
        updated_at: snapshot.observedAt,
        commit_id: commitId,
        active_id: activeId,
        ...(c.invalid ? { invalid: JSON.stringify(c.invalid) } : {}),
        ...(outbox ? { outbox: JSON.stringify(outbox) } : {}),
      };
      const remove = [...(c.invalid ? [] : ['invalid']), ...(outbox ? [] : ['outbox'])];
      try {
        // The commit point: exactly one of two racing writers passes this condition; the loser wrote nothing.
        await db.updateRow(t.tasks, [id], { put, remove }, mustExist(equals('version', long(c.expectedVersion))), state);
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        // A retry after a lost answer fails on its own first write: the commit id says whose write the row holds.
        if (!state.maybeApplied || (await readTask(id))?.commitId !== commitId) throw new VersionConflictError(id);
      }
      if (outbox) {
        await flush({ record: { ...row.record, version, snapshot }, sourcesRaw: row.sourcesRaw, outbox, commitId, activeId });
      }
    },
  };
}
