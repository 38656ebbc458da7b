/**
 * One process of the multi-process SQLite tests (run with `node --import tsx`): says `ready`, opens the file when told `go`,
 * then watches and commits. Prints one JSON line of counts; any error exits 1 with its message on stderr.
 * Usage: sqlite-worker.ts <path> <worker> <mode: commits|watches> <count>
 */
import { VersionConflictError } from '../../src/errors.js';
import { createSqliteStore } from '../../src/store/sqlite.js';
import type { TaskKey, TaskRecord, TransitionCommit } from '../../src/store/port.js';
import { eventsForTransition } from '../../src/tasks/events.js';
import type { TaskSnapshot } from '../../src/tasks/snapshot.js';

/** The contract's snapshot and transition, without its vitest import (a child process cannot load vitest). */
const snapshot = (key: TaskKey, progress: number, observedAt: string): TaskSnapshot => ({
  id: key.taskId,
  regionId: key.regionId,
  action: 'ExportImage',
  status: 'Processing',
  outcome: 'running',
  terminal: false,
  progress,
  supportCancel: true,
  createdAt: '2026-11-27T10:00:00Z',
  finishedAt: null,
  durationSeconds: null,
  counts: null,
  operations: [],
  resourceId: 'm-1',
  requestId: 'REQ',
  observedAt,
});

function transition(key: TaskKey, current: TaskRecord, next: TaskSnapshot): TransitionCommit {
  const events = eventsForTransition({ previous: current.snapshot, next, sequence: current.sequence });
  const deliveries = events.map((e) => ({
    id: `dlv_${e.id}_wh_a`,
    eventId: e.id,
    webhookId: 'wh_a',
    ...key,
    sequence: e.data.sequence,
    dueAt: next.observedAt,
    createdAt: next.observedAt,
  }));
  return { key, expectedVersion: current.version, snapshot: next, sequence: current.sequence + events.length, active: true, events, deliveries };
}

const [path, worker, mode, count] = process.argv.slice(2);
const n = Number(count);

async function main() {
  // All workers open the fresh file at the same moment, so they race on creating and migrating it.
  const go = new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdout.write('ready\n');
  await go;
  process.stdin.destroy();
  const store = createSqliteStore(path);
  const counts = { watches: 0, commits: 0, conflicts: 0 };
  const shared = (i: number): TaskKey => ({ regionId: 'cn-hangzhou', taskId: `t-shared${String(i % 5).padStart(4, '0')}` });
  try {
    for (let i = 0; i < n; i++) {
      if (mode === 'watches') {
        await store.watchTask({ regionId: 'cn-hangzhou', taskId: `t-watch${String(i).padStart(4, '0')}` }, i % 2 ? 'api' : 'discovery', '2026-11-27T10:00:00Z');
        counts.watches++;
        continue;
      }
      // Odd steps a task of this worker alone, even steps one all workers share and race to commit.
      const key = i % 2 ? { regionId: 'cn-hangzhou', taskId: `t-${worker}-${String(i).padStart(4, '0')}` } : shared(i);
      const watched: TaskRecord = await store.watchTask(key, 'api', '2026-11-27T10:00:00Z');
      counts.watches++;
      const current = (await store.getTasks([key])).get(`${key.regionId}/${key.taskId}`) ?? watched;
      // Ten percent more per version, so most commits carry a progress event and its delivery.
      const next = snapshot(key, Math.min(99, (current.version + 1) * 10), new Date(Date.parse('2026-11-27T10:01:00Z') + current.version * 1000).toISOString());
      try {
        await store.commitTransition(transition(key, current, next));
        counts.commits++;
      } catch (error) {
        // Another worker committed this version first: the outcome the versioned commit promises, not a failure.
        if (!(error instanceof VersionConflictError)) throw error;
        counts.conflicts++;
      }
    }
  } finally {
    await store.close();
  }
  process.stdout.write(`${JSON.stringify(counts)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (process.env.WORKER_STACK ? String(error.stack) : `${error.name}: ${error.message}`) : String(error)}\n`);
  process.exit(1);
});
