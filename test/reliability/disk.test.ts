/**
 * A full disk under the SQLite state file: a 2 MiB tmpfs filled up with a filler file, then freed. Every write
 * fails with a line naming the file and the fix (never hangs), `poll --once` exits 2 with that line, the local
 * timer keeps running through the outage, and once space is back every completion that happened meanwhile is
 * delivered. SQLite's other failures (I/O, corruption, read-only, a held lock) are checked as the user reads them.
 */
import './cli-copy.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EcsSimulator, SimTask } from '../../src/ecs/simulator/index.js';
import { StoreError } from '../../src/errors.js';
import { storeErrorOf } from '../../src/store/sqlite-errors.js';
import { createSqliteStore } from '../../src/store/sqlite.js';
import type { StateStore } from '../../src/store/port.js';
import { newWebhookSecret } from '../../src/webhooks/signing.js';
import { background, taskhook, type Background } from '../local/cli-process.js';
import { KEYS, startSimulator } from '../support/helpers.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

const mounts: string[] = [];

/** A 2 MiB tmpfs of its own, or null where mounting is not permitted. */
function smallDisk(): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'taskhook-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'pipe' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  mounts.push(dir);
  return dir;
}

/** Fills the disk to the last block; the filler's path, to free the space again. */
function fill(dir: string): string {
  const filler = join(dir, 'filler');
  try {
    writeFileSync(filler, Buffer.alloc(8 * 1024 * 1024, 1));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
  return filler;
}

const canMount = (() => {
  const probe = smallDisk();
  if (!probe) {
    console.warn('tmpfs cannot be mounted here (not root, or no CAP_SYS_ADMIN): the full-disk tests are skipped; the error mapping is still checked');
    return false;
  }
  execFileSync('umount', [probe]);
  mounts.pop();
  rmSync(probe, { recursive: true, force: true });
  return true;
})();

afterAll(() => {
  for (const dir of mounts.splice(0)) {
    execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The promise's outcome, or a failure when it does not settle within `ms` (a write that hangs fails the test, not the suite). */
const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms))]);

const FULL_LINE =
  /the disk holding \S*state\.db is full \(SQLITE_(FULL|IOERR\w*): [^)]*\): free space there; nothing of the failed write was kept, and taskhook tries again every run/;

describe.skipIf(!canMount)('the SQLite store on a full disk (2 MiB tmpfs)', () => {
  let store: StateStore | undefined;
  afterEach(async () => store?.close());

  it('fails every write of the batch with a line naming the file and the fix, keeps none of it, and writes again once space is freed', async () => {
    const disk = smallDisk()!;
    const path = join(disk, 'state.db');
    store = createSqliteStore(path, { notice: () => undefined });
    const at = new Date().toISOString();
    await store.setMark('before', 'kept', at);
    const filler = fill(disk);

    // One batch (one event-loop turn) of writes too big for what is left: each caller hears, none waits forever.
    const writes = Array.from({ length: 20 }, (_, i) => store!.setMark(`during-${i}`, 'x'.repeat(50_000), at));
    const outcomes = await within(Promise.allSettled(writes), 10_000, 'a batch of writes on a full disk');
    expect(outcomes.map((o) => o.status)).toEqual(outcomes.map(() => 'rejected'));
    for (const o of outcomes) {
      const reason = (o as PromiseRejectedResult).reason as StoreError;
      expect(reason).toBeInstanceOf(StoreError);
      expect(reason.message).toContain(path);
      expect(reason.message).toMatch(FULL_LINE);
    }
    // A second batch on the still-full disk fails the same way: the failed one left no transaction open.
    await expect(within(store.setMark('again', 'y'.repeat(200_000), at), 10_000, 'a second write')).rejects.toThrow(FULL_LINE);

    rmSync(filler);
    await within(store.setMark('after', 'z'.repeat(200_000), at), 10_000, 'a write once space is back');
    expect((await store.getMark('after'))?.length).toBe(200_000);
    expect(await store.getMark('before')).toBe('kept');
    for (let i = 0; i < 20; i++) expect(await store.getMark(`during-${i}`)).toBeNull();
  });
});

describe('SQLite failures as the user reads them', () => {
  const path = '/srv/taskhook/.taskhook/state.db';
  const mapped = (code: string, message: string) => storeErrorOf(new Database.SqliteError(message, code), path) as StoreError;

  it.each([
    [
      'SQLITE_FULL',
      'database or disk is full',
      /^the disk holding \/srv\/taskhook\/\.taskhook\/state\.db is full \(SQLITE_FULL: database or disk is full\): free space there/,
    ],
    [
      'SQLITE_IOERR_WRITE',
      'disk I/O error',
      /^\/srv\/taskhook\/\.taskhook\/state\.db could not be read or written \(SQLITE_IOERR_WRITE: disk I\/O error\): check the disk and its mount/,
    ],
    [
      'SQLITE_READONLY',
      'attempt to write a readonly database',
      /^\/srv\/taskhook\/\.taskhook\/state\.db cannot be written \(SQLITE_READONLY: .*\): make it and its folder writable/,
    ],
    [
      'SQLITE_BUSY',
      'database is locked',
      /^\/srv\/taskhook\/\.taskhook\/state\.db stayed locked by another process \(SQLITE_BUSY: database is locked\): stop whatever else writes to it/,
    ],
    [
      'SQLITE_CORRUPT',
      'database disk image is malformed',
      /^\/srv\/taskhook\/\.taskhook\/state\.db is damaged \(SQLITE_CORRUPT: .*\); stop taskhook and move it aside with taskhook start --move-aside-corrupt \(or: mv \/srv\/taskhook\/\.taskhook\/state\.db \/srv\/taskhook\/\.taskhook\/state\.db\.corrupt-\d{8}T\d{6}Z\)/,
    ],
  ])('%s names the file, the error and what to do, on one line', (code, message, line) => {
    const error = mapped(code, message);
    expect(error).toBeInstanceOf(StoreError);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(line);
    expect(error.message).not.toContain('\n');
  });

  it('retries itself through every fault but corruption, and says so', () => {
    for (const code of ['SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_READONLY', 'SQLITE_BUSY']) {
      expect(mapped(code, 'x').retryable).toBe(true);
      expect(mapped(code, 'x').message).toContain('taskhook tries again every run');
    }
    expect(mapped('SQLITE_CORRUPT', 'x').retryable).toBe(false);
  });

  it('a write lock held by another process for longer than 5 s: the write fails with SQLITE_BUSY and the line, and goes through once the lock is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskhook-busy-'));
    const file = join(dir, 'state.db');
    const store = createSqliteStore(file, { notice: () => undefined });
    const holder = new Database(file);
    try {
      holder.exec('BEGIN IMMEDIATE');
      const error = (await within(
        store.setMark('m', 'v', new Date().toISOString()).then(
          () => null,
          (e: unknown) => e,
        ),
        15_000,
        'a write behind a held lock',
      )) as StoreError;
      expect(error).toBeInstanceOf(StoreError);
      expect(error.message).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')} stayed locked by another process \\(SQLITE_BUSY`));
      holder.exec('ROLLBACK');
      await store.setMark('m', 'v', new Date().toISOString());
      expect(await store.getMark('m')).toBe('v');
    } finally {
      holder.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});

/** Twenty tasks finishing one every 0.6 s, from 3 s on: most of them finish while the disk is full. */
function timeline(start: number): SimTask[] {
  return Array.from({ length: 20 }, (_, i) => ({
    taskId: `t-fulldisk${String(i).padStart(8, '0')}`,
    regionId: 'cn-hangzhou',
    action: 'ImportImage',
    createdAt: start,
    timeline: [
      { afterMs: 0, status: 'Waiting' },
      { afterMs: 1_000, status: 'Processing', progress: 30 },
      { afterMs: 3_000 + i * 600, status: i % 5 === 4 ? 'Failed' : 'Finished', progress: 100 },
    ],
    result: i % 5 === 4 ? { totalCount: 1, successCount: 0, failedCount: 1 } : { totalCount: 1, successCount: 1, failedCount: 0 },
  }));
}

const COMPLETION = /^ecs\.task\.(succeeded|failed)$/;

describe.skipIf(!canMount)('taskhook start and poll --once on a full disk', () => {
  let sim: EcsSimulator | undefined;
  let receiver: Receiver | undefined;
  let instance: Background | undefined;
  afterAll(async () => {
    await instance?.stop('SIGKILL');
    await sim?.stop();
    await receiver?.close();
  });

  it('says why in one line, poll --once exits 2 with it, the timer keeps going, and every completion is delivered once space is back', async () => {
    const disk = smallDisk()!;
    const start = Date.now();
    const tasks = timeline(start);
    sim = await startSimulator(tasks);
    const secret = newWebhookSecret();
    receiver = await startReceiver([secret]);
    const env = {
      ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret,
      TASKHOOK_ECS_ENDPOINT: sim.endpoint,
      TASKHOOK_STORE: `sqlite:${join(disk, 'state.db')}`,
      TASKHOOK_TASKS: tasks.map((t) => `${t.regionId}/${t.taskId}`).join(','),
      TASKHOOK_WEBHOOKS: JSON.stringify([{ url: receiver.url, secret, events: ['ecs.task.succeeded', 'ecs.task.failed'] }]),
      TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: '127.0.0.1/32',
      TASKHOOK_PORT: '0',
      TASKHOOK_POLL_INTERVAL: '1',
      TASKHOOK_LEASE_SECONDS: '2',
      TASKHOOK_LOG_LEVEL: 'error',
    };
    instance = background(['start'], { env, cwd: mkdtempSync(join(tmpdir(), 'taskhook-disk-cwd-')) });
    await instance.waitFor(/taskhook is running/, 20_000);
    // The instance's first runs have watched every task; then the disk fills, before most tasks finish.
    await new Promise((r) => setTimeout(r, 2_500));
    const filler = fill(disk);
    const fullAt = Date.now();

    const [, failure] = await instance.waitFor(/poll failed: (.*)/, 20_000);
    expect(failure).toMatch(FULL_LINE);
    expect(failure).toContain(join(disk, 'state.db'));

    // A second process on the same full disk: exit 2, the same line, nothing on stdout.
    // A write that fits in the write-ahead log's space already on disk can still succeed: a few tries at most.
    let once = await taskhook(['poll', '--once'], { env });
    let tries = 1;
    for (; tries < 5 && once.code === 0; tries++) once = await taskhook(['poll', '--once'], { env });
    expect(once.code).toBe(2);
    expect(once.stdout).toBe('');
    expect(once.stderr.trim()).toMatch(new RegExp(`^taskhook: ${FULL_LINE.source}`));

    // Every task has finished while the disk was full (the last at 3 s + 19 × 0.6 s).
    const lastEnd = start + 3_000 + 19 * 600;
    await new Promise((r) => setTimeout(r, Math.max(0, lastEnd - Date.now()) + 1_500));
    const deliveredWhileFull = new Set(receiver.received.filter((r) => r.at > fullAt + 1_000).map((r) => r.headers['webhook-id']));
    rmSync(filler);
    const freedAt = Date.now();

    const [, failedRuns] = await instance.waitFor(/polling works again: (\d+) runs? failed since/, 20_000);
    const deadline = Date.now() + 30_000;
    const completions = () => receiver!.received.filter((r) => r.verifiedWith && COMPLETION.test(String(r.event?.type)));
    while (new Set(completions().map((r) => r.event?.subject)).size < tasks.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));

    const bySubject = new Map<string, Set<string>>();
    for (const r of completions()) bySubject.set(String(r.event?.subject), (bySubject.get(String(r.event?.subject)) ?? new Set()).add(r.headers['webhook-id']));
    const copies = new Map<string, number>();
    for (const r of completions()) copies.set(r.headers['webhook-id'], (copies.get(r.headers['webhook-id']) ?? 0) + 1);
    console.log(
      `full disk for ${((freedAt - fullAt) / 1000).toFixed(1)} s: ${failedRuns} runs failed, ${deliveredWhileFull.size} deliveries got through meanwhile, ` +
        `poll --once exited 2 on try ${tries}; ` +
        `after freeing, completions delivered ${bySubject.size}/${tasks.length} within ${((Date.now() - freedAt) / 1000).toFixed(1)} s, ` +
        `duplicate deliveries ${[...copies.values()].reduce((n, c) => n + c - 1, 0)}`,
    );

    // The timer ran through the outage (more than one run failed), and nothing was lost or invented.
    expect(Number(failedRuns)).toBeGreaterThanOrEqual(2);
    expect(bySubject.size).toBe(tasks.length);
    for (const ids of bySubject.values()) expect(ids.size).toBe(1);
    expect(instance.output()).not.toMatch(/unexpected|SqliteError/);
    expect(await instance.stop()).toBe(0);
  }, 120_000);
});
