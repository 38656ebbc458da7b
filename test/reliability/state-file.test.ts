/**
 * The SQLite state file as a user finds it: empty, random bytes, a real database cut short, or modes an umask of 022
 * (or an older taskhook) left open to other users. A file taskhook cannot trust stops start-up and every command
 * that opens it, with the path and the fix, and nothing is made in its place; only a missing file means a new store.
 */
import './cli-copy.js';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { StoreError } from '../../src/errors.js';
import { startLocal, type RunningLocal } from '../../src/local/start.js';
import { createSqliteStore } from '../../src/store/sqlite.js';
import { background, taskhook } from '../local/cli-process.js';
import { finishedExport, KEYS, startSimulator } from '../support/helpers.js';

let sim: EcsSimulator;
const umask = process.umask(0o022);

beforeAll(async () => {
  sim = await startSimulator([finishedExport('t-statefile0000001', Date.now() - 120_000, 'cn-hangzhou', 1_000)]);
});
afterAll(async () => {
  await sim?.stop();
  process.umask(umask);
});

/** What `poll --once` needs to run a whole cycle against the simulator; the store is the folder's default unless given. */
const pollEnv = (extra: Record<string, string> = {}) => ({
  ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret,
  TASKHOOK_ECS_ENDPOINT: sim.endpoint,
  TASKHOOK_TASKS: 'cn-hangzhou/t-statefile0000001',
  TASKHOOK_LOG_LEVEL: 'error',
  ...extra,
});

/** Every file and folder under `dir` with its permission bits, e.g. `.taskhook 0700`. */
function modes(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      out.push(`${relative(dir, path)} 0${(statSync(path).mode & 0o777).toString(8)}`);
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(dir);
  return out.sort();
}

/** A webhook URL `webhooks add` takes without DNS: a local one, allowed. */
const HOOK = 'http://127.0.0.1:9/hooks';
const PRIVATE_OK = { TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: '127.0.0.1/32' };

/** A real state file with a webhook in it, made by the CLI in a folder of its own. */
async function realStateFile(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'taskhook-real-'));
  const added = await taskhook(['webhooks', 'add', '--url', HOOK, '--json'], { cwd: dir, env: PRIVATE_OK });
  expect(added.code).toBe(0);
  // Bulk, so that cutting the file short takes pages that hold data.
  const store = createSqliteStore(join(dir, '.taskhook/state.db'), { notice: () => undefined });
  for (let i = 0; i < 200; i++) await store.setMark(`bulk-${i}`, 'x'.repeat(2_000), new Date().toISOString());
  await store.close();
  return join(dir, '.taskhook/state.db');
}

const BAD_FILES: Array<[string, (path: string) => Promise<void>, RegExp]> = [
  ['a 0-byte state.db', async (path) => writeFileSync(path, ''), /is empty \(0 bytes\), not an SQLite database/],
  ['a state.db of random bytes', async (path) => writeFileSync(path, randomBytes(8_192)), /is not an SQLite database \(8192 bytes without SQLite's header\)/],
  [
    'a real state.db cut short',
    async (path) => {
      copyFileSync(await realStateFile(), path);
      truncateSync(path, Math.floor(statSync(path).size / 3 / 4096) * 4096);
    },
    /fails PRAGMA quick_check \(SQLITE_CORRUPT/,
  ],
];

/** A folder whose `.taskhook/state.db` is made by `make`: the folder's listing, for checking nothing was added. */
async function folderWith(make: (path: string) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'taskhook-bad-'));
  mkdirSync(join(dir, '.taskhook'), { mode: 0o700 });
  const path = join(dir, '.taskhook/state.db');
  await make(path);
  chmodSync(path, 0o600);
  return { dir, path, bytes: readFileSync(path), listing: modes(dir) };
}

const FIX =
  /; taskhook will not use it: move it aside with taskhook start --move-aside-corrupt \(or: mv \.taskhook\/state\.db \.taskhook\/state\.db\.corrupt-\d{8}T\d{6}Z\) and start again; webhooks and deliveries in it are lost unless you restore a copy$/;

describe.each(BAD_FILES)('%s', (_label, make, problem) => {
  it('stops poll --once and webhooks list with exit 2 and one line naming the path and the fix; nothing is made in its place', async () => {
    const bad = await folderWith(make);
    for (const args of [
      ['poll', '--once'],
      ['webhooks', 'list'],
    ]) {
      const run = await taskhook(args, { cwd: bad.dir, env: pollEnv() });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^taskhook: \\.taskhook/state\\.db ${problem.source}`));
      expect(lines[0]).toMatch(FIX);
    }
    expect(modes(bad.dir)).toEqual(bad.listing);
    expect(readFileSync(bad.path).equals(bad.bytes)).toBe(true);
  });

  it('stops taskhook start with exit 2 before it says it runs, and --move-aside-corrupt moves it aside and starts fresh', async () => {
    const bad = await folderWith(make);
    const refused = background(['start'], { cwd: bad.dir, env: { TASKHOOK_PORT: '0' } });
    // SIGCONT leaves it be: this waits for the exit it chooses itself.
    expect(await refused.stop('SIGCONT')).toBe(2);
    expect(refused.output()).not.toContain('taskhook is running');
    expect(refused.output().trim()).toMatch(new RegExp(`^taskhook: \\.taskhook/state\\.db ${problem.source}.*${FIX.source}`));
    expect(modes(bad.dir)).toEqual(bad.listing);

    const moved = background(['start', '--move-aside-corrupt'], { cwd: bad.dir, env: { TASKHOOK_PORT: '0', TASKHOOK_POLL_INTERVAL: '1' } });
    try {
      const [, aside] = await moved.waitFor(
        new RegExp(
          `taskhook: \\.taskhook/state\\.db ${problem.source}.*: moved it aside to (\\.taskhook/state\\.db\\.corrupt-\\d{8}T\\d{6}Z); starting with a new, empty store`,
        ),
        20_000,
      );
      await moved.waitFor(/taskhook is running/, 20_000);
      expect(readFileSync(join(bad.dir, aside)).equals(bad.bytes)).toBe(true);
      expect(statSync(join(bad.dir, aside)).mode & 0o777).toBe(0o600);
      // The new store is a real one: the CLI reads it (through the running instance) and lists the demo webhook.
      const listed = await taskhook(['webhooks', 'list', '--json'], { cwd: bad.dir });
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout).map((w: { description: string }) => w.description)).toContain('demo receiver');
    } finally {
      expect(await moved.stop()).toBe(0);
    }
    const again = await taskhook(['webhooks', 'list', '--json'], { cwd: bad.dir });
    expect(again.code).toBe(0);
  }, 60_000);
});

describe('a missing state file', () => {
  it('is a new store; a write-ahead log left without its database is refused, not applied to a new one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskhook-missing-'));
    expect((await taskhook(['webhooks', 'list', '--json'], { cwd: dir })).code).toBe(0);
    expect(existsSync(join(dir, '.taskhook/state.db'))).toBe(true);

    const orphan = mkdtempSync(join(tmpdir(), 'taskhook-orphan-'));
    mkdirSync(join(orphan, '.taskhook'), { mode: 0o700 });
    writeFileSync(join(orphan, '.taskhook/state.db-wal'), randomBytes(4_096), { mode: 0o600 });
    const run = await taskhook(['webhooks', 'list'], { cwd: orphan });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(
      /^taskhook: \.taskhook\/state\.db is missing, but its write-ahead log \.taskhook\/state\.db-wal \(4096 bytes\) is still there; taskhook will not use it: .*mv \.taskhook\/state\.db-wal \.taskhook\/state\.db\.corrupt-\d{8}T\d{6}Z-wal/,
    );
    expect(existsSync(join(orphan, '.taskhook/state.db'))).toBe(false);
  });
});

describe('startLocal (what npm start runs) with a damaged file', () => {
  it('rejects with the StoreError and starts nothing', async () => {
    const bad = await folderWith(async (path) => writeFileSync(path, ''));
    const lines: string[] = [];
    const started = startLocal({ env: { TASKHOOK_STORE: `sqlite:${bad.path}`, TASKHOOK_PORT: '0' }, cwd: bad.dir, print: (l) => lines.push(l) });
    await expect(started).rejects.toBeInstanceOf(StoreError);
    await expect(started).rejects.toThrow(/state\.db is empty \(0 bytes\)/);
    expect(lines.join('\n')).not.toContain('taskhook is running');
    expect(modes(bad.dir)).toEqual(bad.listing);
  });
});

describe('modes under umask 022', () => {
  let running: RunningLocal | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('poll --once in a fresh folder: .taskhook 0700, state.db and its -wal and -shm 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskhook-modes-poll-'));
    const run = await taskhook(['poll', '--once', '--json'], { cwd: dir, env: pollEnv() });
    expect(run.code).toBe(0);
    expect(modes(dir)).toEqual(['.taskhook 0700', '.taskhook/state.db 0600']);
    // SQLite removes -wal and -shm when the last connection closes: the next opener's are 0600 too.
    const store = createSqliteStore(join(dir, '.taskhook/state.db'));
    await store.setMark('m', 'v', new Date().toISOString());
    expect(modes(dir)).toEqual(['.taskhook 0700', '.taskhook/state.db 0600', '.taskhook/state.db-shm 0600', '.taskhook/state.db-wal 0600']);
    await store.close();
  });

  it('startLocal: the folder 0700, the database, its -wal and -shm, and instance.json 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskhook-modes-start-'));
    const warnings: string[] = [];
    running = await startLocal({
      env: { TASKHOOK_STORE: `sqlite:${join(dir, '.taskhook/state.db')}`, TASKHOOK_PORT: '0' },
      cwd: dir,
      intervalSeconds: 1,
      print: () => undefined,
      warn: (l) => warnings.push(l),
    });
    await running.pollNow();
    expect(modes(dir)).toEqual([
      '.taskhook 0700',
      '.taskhook/instance.json 0600',
      '.taskhook/state.db 0600',
      '.taskhook/state.db-shm 0600',
      '.taskhook/state.db-wal 0600',
    ]);
    expect(warnings.filter((w) => /owner's only/.test(w))).toEqual([]);
  });

  it('a CLI command with TASKHOOK_STORE=sqlite:<tmp>/x/y/state.db: every folder made 0700, every file 0600', async () => {
    const root = mkdtempSync(join(tmpdir(), 'taskhook-modes-custom-'));
    const env = { TASKHOOK_STORE: `sqlite:${join(root, 'x/y/state.db')}` };
    const added = await taskhook(['webhooks', 'add', '--url', HOOK, '--json'], { cwd: root, env: { ...env, ...PRIVATE_OK } });
    expect(added.code).toBe(0);
    const store = createSqliteStore(join(root, 'x/y/state.db'));
    await store.setMark('m', 'v', new Date().toISOString());
    expect(modes(root)).toEqual(['x 0700', 'x/y 0700', 'x/y/state.db 0600', 'x/y/state.db-shm 0600', 'x/y/state.db-wal 0600']);
    await store.close();
  });

  it('an existing .taskhook 0755 and state.db 0644 are tightened when opened, with a one-line notice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskhook-modes-loose-'));
    expect((await taskhook(['webhooks', 'list'], { cwd: dir })).code).toBe(0);
    chmodSync(join(dir, '.taskhook'), 0o755);
    chmodSync(join(dir, '.taskhook/state.db'), 0o644);
    const run = await taskhook(['webhooks', 'list'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stderr.trim().split('\n')).toEqual([
      "taskhook: state files are their owner's only (they hold webhook secrets): .taskhook 0755 → 0700, .taskhook/state.db 0644 → 0600",
    ]);
    expect(modes(dir)).toEqual(['.taskhook 0700', '.taskhook/state.db 0600']);
  });
});
