import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSqliteStore, migrate } from '../../src/store/sqlite.js';
import { defineStoreContract, snapshot, transition } from './contract.js';

defineStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'taskhook-sqlite-'));
  return { store: createSqliteStore(join(dir, 'nested', 'state.db')), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

describe('SQLite store', () => {
  it('keeps what was committed across a reopen of the same file, in WAL mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskhook-sqlite-'));
    const path = join(dir, 'state.db');
    const first = createSqliteStore(path);
    await first.watchTask({ regionId: 'cn-hangzhou', taskId: 't-reopen0001' }, 'api', '2026-11-27T10:00:00Z');
    await first.close();
    const second = createSqliteStore(path);
    expect((await second.listTasks({ limit: 10 })).items.map((t) => t.taskId)).toEqual(['t-reopen0001']);
    await second.close();
    const raw = new Database(path);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(migrate(raw));
    raw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the events of a store made before the feed their positions in recorded order, once, when it opens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskhook-sqlite-'));
    const path = join(dir, 'state.db');
    const old = createSqliteStore(path);
    const keys = ['t-feedold00002', 't-feedold00001'].map((taskId) => ({ regionId: 'cn-hangzhou', taskId }));
    const committed: string[][] = [];
    // Committed newest first: a store before the feed had only the recorded time to order by.
    for (const [i, key] of keys.entries()) {
      await old.watchTask(key, 'api', '2026-11-27T10:00:00Z');
      const commit = transition(key, 0, null, snapshot(key, 'Finished', { observedAt: `2026-11-27T10:0${5 - i}:00Z` }), 0);
      await old.commitTransition(commit);
      committed.push(commit.events.map((e) => e.id));
    }
    await old.close();
    const raw = new Database(path);
    const version = raw.pragma('user_version', { simple: true }) as number;
    raw.exec('DROP TABLE feed');
    raw.pragma(`user_version = ${version - 1}`);
    raw.close();

    const reopened = createSqliteStore(path);
    const page = await reopened.readFeed({ after: 'start', limit: 10 });
    expect(page.items.map((s) => s.event.id)).toEqual([...committed[1], ...committed[0]]);
    const next = { regionId: 'cn-hangzhou', taskId: 't-feednew00001' };
    await reopened.watchTask(next, 'api', '2026-11-27T10:00:00Z');
    const later = transition(next, 0, null, snapshot(next, 'Finished', { observedAt: '2026-11-27T09:00:00Z' }), 0);
    await reopened.commitTransition(later);
    expect((await reopened.readFeed({ after: page.cursor, limit: 10 })).items.map((s) => s.event.id)).toEqual(later.events.map((e) => e.id));
    await reopened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('shared by several processes', () => {
    const worker = join(dirname(fileURLToPath(import.meta.url)), 'sqlite-worker.ts');
    interface Outcome {
      code: number | null;
      stdout: string;
      stderr: string;
    }
    /** `processes` workers on one fresh file, told to open it at the same moment once every one of them has started. */
    async function race(processes: number, mode: 'commits' | 'watches', count: number) {
      const dir = mkdtempSync(join(tmpdir(), 'taskhook-sqlite-mp-'));
      try {
        let ready = 0;
        const children = Array.from({ length: processes }, (_, i) =>
          spawn(process.execPath, ['--import', 'tsx', worker, join(dir, 'state.db'), `w${i}`, mode, String(count)], { stdio: ['pipe', 'pipe', 'pipe'] }),
        );
        const outcomes = await Promise.all(
          children.map(
            (child) =>
              new Promise<Outcome>((resolve, reject) => {
                let stdout = '';
                let stderr = '';
                child.stdout.on('data', (d: Buffer) => {
                  stdout += d.toString();
                  if (d.toString().startsWith('ready') && ++ready === processes) for (const c of children) c.stdin.write('go\n');
                });
                child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
                child.on('error', reject);
                child.on('close', (code) => resolve({ code, stdout: stdout.replace(/^ready\n/, ''), stderr }));
              }),
          ),
        );
        const store = createSqliteStore(join(dir, 'state.db'));
        const tasks = (await store.listTasks({ limit: 1000 })).items;
        await store.close();
        return { outcomes, tasks };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const failures = (outcomes: Outcome[]) => outcomes.filter((o) => o.code !== 0).map((o) => o.stderr.trim() || `exit ${o.code}`);

    it('lets 3 processes create, migrate and commit to one fresh file at once, 10 times over, without an error', async () => {
      for (let round = 0; round < 10; round++) {
        const { outcomes, tasks } = await race(3, 'commits', 100);
        expect(failures(outcomes)).toEqual([]);
        const counts = outcomes.map((o) => JSON.parse(o.stdout) as { watches: number; commits: number; conflicts: number });
        expect(counts.map((c) => c.watches)).toEqual([100, 100, 100]);
        // Every worker's own 50 tasks committed; the 5 shared ones at least once each.
        expect(tasks).toHaveLength(3 * 50 + 5);
        expect(counts.reduce((n, c) => n + c.commits, 0)).toBeGreaterThanOrEqual(3 * 50 + 5);
      }
    }, 120_000);

    it('takes 200 watchTask calls from each of two processes at once with no failure', async () => {
      const { outcomes, tasks } = await race(2, 'watches', 200);
      expect(failures(outcomes)).toEqual([]);
      expect(outcomes.map((o) => (JSON.parse(o.stdout) as { watches: number }).watches)).toEqual([200, 200]);
      expect(tasks).toHaveLength(200);
    }, 60_000);
  });
});
