/** The run log on Tablestore: one row per poll run, keyed by its newest-first sort key, so a range from the start is newest first. */
import type { RunRows } from '../backend.js';
import { runSortKey } from '../cursor.js';
import type { RunRecord } from '../port.js';
import { purgeable } from '../retention.js';
import { applied, ignore, INF_MAX, INF_MIN, mustNotExist, str, type Db, type Row, type WriteRow } from './client.js';
import type { Tables } from './schema.js';

const PAGE = 1000;

export function runRows(db: Db, t: Tables): RunRows {
  return {
    async insert(run) {
      // Insert-if-absent: recording the same run again (or a retry after a lost answer) changes nothing.
      await applied(db.putRow(t.runs, [runSortKey(run)], { id: run.id, finished_at: run.finishedAt, body: JSON.stringify(run) }, mustNotExist()));
    },

    async range({ after, limit }) {
      const rows: Row[] = [];
      // The range starts at the cursor's own row, which is skipped: one more row for it.
      await db.scan(t.runs, [after ?? INF_MIN], [INF_MAX], { limit: limit + (after === undefined ? 0 : 1) }, async (batch) => {
        for (const row of batch) {
          if (after !== undefined && str(row.key.sort_key)! <= after) continue;
          rows.push(row);
          if (rows.length === limit) return false;
        }
      });
      return rows.map((r) => ({ key: str(r.key.sort_key)!, record: JSON.parse(str(r.attrs.body)!) as RunRecord }));
    },
  };
}

/** Removes the runs that finished before the cut-off, reading from the oldest end until one is kept. */
export async function purgeRuns(db: Db, t: Tables, before: string): Promise<number> {
  let removed = 0;
  await db.scan(t.runs, [INF_MAX], [INF_MIN], { limit: PAGE, backward: true, columns: ['finished_at'] }, async (rows) => {
    const old = rows.filter((r) => purgeable.run({ finishedAt: str(r.attrs.finished_at) ?? '' }, before));
    await db.batchWrite(old.map((r): WriteRow => ({ type: 'DELETE', table: t.runs, key: [str(r.key.sort_key)!], condition: ignore() })));
    removed += old.length;
    return old.length === rows.length;
  });
  return removed;
}
