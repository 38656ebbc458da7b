import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSqliteStore, migrate } from '../../src/store/sqlite.js';
import { defineStoreContract } from './contract.js';

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
});
