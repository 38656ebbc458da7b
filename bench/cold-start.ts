/**
 * The bundles FC loads (dist/api, dist/poller) and the CLI's `poll --once` path: size, and load time in fresh
 * processes against an empty `node`, median of several runs taken in turns.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BENCH_KEYS } from './fleet.js';
import type { BundleRow } from './rows.js';
import { mb, median } from './stats.js';

const CHILD_TIMEOUT_MS = 30_000;
const MARK = 'taskhook-bench-probe ';

/** Loads the file (with `argv` after it), then reports on exit: require() time, every file loaded, RSS. */
const PROBE = `
const { statSync, writeSync } = require('node:fs');
const [file, ...args] = process.argv.slice(1);
process.argv = [process.argv[0], file, ...args];
const t0 = performance.now();
const mod = require(file);
const requireMs = performance.now() - t0;
process.on('exit', () => {
  let loadedBytes = 0;
  for (const f of Object.keys(require.cache)) { try { loadedBytes += statSync(f).size; } catch {} }
  writeSync(2, '\\n${MARK}' + JSON.stringify({ requireMs, loadedBytes, rss: process.memoryUsage().rss, handlerType: typeof mod.handler }) + '\\n');
});
`;

interface ProbeSample {
  requireMs: number;
  loadedBytes: number;
  rss: number;
  handlerType: string;
  spawnExitMs: number;
}

interface Target {
  name: string;
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** Nothing inherited that would change what the child loads (the bench's TypeScript loader, taskhook settings). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (k !== 'NODE_OPTIONS' && !k.startsWith('TASKHOOK_') && !k.startsWith('ALIBABA_CLOUD_')) env[k] = v;
  return { ...env, ...extra };
}

function spawnOnce(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ ms: number; stderr: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { env, cwd, timeout: CHILD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) return reject(new Error(`${args.slice(-3).join(' ')}: ${error.message.split('\n')[0]}\n${stderr.slice(0, 2_000)}`));
      resolve({ ms: performance.now() - started, stderr });
    });
  });
}

async function probe(target: Target, cwd: string): Promise<ProbeSample> {
  const { ms, stderr } = await spawnOnce(['-e', PROBE, target.file, ...target.args], target.env, cwd);
  const line = stderr.split('\n').find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`${target.name}: the probe reported nothing\n${stderr.slice(0, 2_000)}`);
  return { ...(JSON.parse(line.slice(MARK.length)) as Omit<ProbeSample, 'spawnExitMs'>), spawnExitMs: ms };
}

const FUNCTIONS = ['api', 'poller'];

/** Every file of the directory, as FC receives it. */
const directoryBytes = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce(
    (sum, e) => sum + (e.isDirectory() ? directoryBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size),
    0,
  );
/** How long to wait for a concurrent build (which empties dist/ first) to put the bundles back. */
const BUILD_WAIT_MS = 30_000;
const CLI = 'dist/cli/taskhook.cjs';

function expected(root: string): string[] {
  return [...FUNCTIONS.filter((n) => existsSync(join(root, 'functions', n, 'index.ts'))).map((n) => `dist/${n}/index.js`), CLI];
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A private copy of dist/, taken when every expected file is there and again equal a moment later (a concurrent
 * build empties dist/ while it runs). It lives under node_modules/.cache so the CLI still finds its packages, as
 * `npx taskhook` does. Returns the files still missing when the wait ran out.
 */
async function snapshotDist(root: string, copy: string): Promise<string[]> {
  const until = Date.now() + BUILD_WAIT_MS;
  const sizes = () => expected(root).map((f) => (existsSync(join(root, f)) ? statSync(join(root, f)).size : -1));
  for (;;) {
    const before = sizes();
    if (!before.includes(-1)) {
      await pause(500);
      rmSync(copy, { recursive: true, force: true });
      try {
        cpSync(join(root, 'dist'), join(copy, 'dist'), { recursive: true });
      } catch {
        // dist/ changed under the copy: take it again.
      }
      const copied = expected(root).every((f) => existsSync(join(copy, f)));
      if (copied && sizes().join() === before.join()) return [];
    }
    if (Date.now() >= until) return expected(root).filter((f) => !existsSync(join(copy, f)));
    await pause(250);
  }
}

/** The FC code directories' entry files, and the CLI's `poll --once`, all from the copy. */
function targets(copy: string): Target[] {
  const out: Target[] = [];
  for (const name of FUNCTIONS) {
    const file = join(copy, 'dist', name, 'index.js');
    if (existsSync(file)) out.push({ name: `dist/${name}/index.js`, file, args: [], env: cleanEnv() });
  }
  if (existsSync(join(copy, CLI))) {
    // `poll --once` with an empty watch list and the memory store: the CLI's whole path, no ECS call to wait for.
    const env = cleanEnv({
      TASKHOOK_STORE: 'memory',
      TASKHOOK_ECS_ENDPOINT: 'http://127.0.0.1:9',
      TASKHOOK_LOG_LEVEL: 'error',
      ALIBABA_CLOUD_ACCESS_KEY_ID: BENCH_KEYS.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: BENCH_KEYS.accessKeySecret,
    });
    out.push({ name: `${CLI} poll --once`, file: join(copy, CLI), args: ['poll', '--once'], env });
  }
  return out;
}

export async function benchBundles(root: string, runs: number): Promise<{ rows: BundleRow[]; missing: string[] }> {
  const copy = join(root, 'node_modules', '.cache', 'taskhook-bench', 'dist-copy');
  try {
    const missing = await snapshotDist(root, copy);
    const list = targets(copy);
    const empty: number[] = [];
    const samples = new Map<string, ProbeSample[]>(list.map((t) => [t.name, []]));
    // In turns, so a burst of load on the machine hits every target alike.
    for (let i = 0; i < runs; i++) {
      empty.push((await spawnOnce(['-e', ''], cleanEnv(), root)).ms);
      for (const t of list) samples.get(t.name)!.push(await probe(t, root));
    }
    const emptyNodeMs = median(empty);
    const rows = list.map((t): BundleRow => {
      const s = samples.get(t.name)!;
      const spawnExitMs = median(s.map((x) => x.spawnExitMs));
      return {
        kind: 'bundle',
        bundle: t.name,
        bytes: statSync(t.file).size,
        directoryBytes: t.args.length ? statSync(t.file).size : directoryBytes(join(t.file, '..')),
        gzipBytes: gzipSync(readFileSync(t.file)).length,
        loadedBytes: median(s.map((x) => x.loadedBytes)),
        requireMs: median(s.map((x) => x.requireMs)),
        spawnExitMs,
        emptyNodeMs,
        aboveEmptyMs: spawnExitMs - emptyNodeMs,
        rssMb: mb(median(s.map((x) => x.rss))),
        runs: s.length,
        handlerType: s[0].handlerType,
      };
    });
    return { rows, missing };
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
