/** Cold start of the FC bundles: require() time in a fresh node process, and their sizes. */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { mb, median } from './stats.js';

export interface ColdStartRow {
  bundle: string;
  runs: number;
  requireMs: number;
  /** From process start (performance.timeOrigin) to the handler being exported. */
  readyMs: number;
  /** Spawn to exit, seen from the parent. */
  processMs: number;
  rssMb: number;
  bytes: number;
  gzipBytes: number;
  handlerType: string;
}

const RUNS = 5;
const CHILD_TIMEOUT_MS = 20_000;

const PROBE = `
const path = process.argv[1];
const t0 = performance.now();
const mod = require(path);
const t1 = performance.now();
process.stdout.write(JSON.stringify({ requireMs: t1 - t0, readyMs: t1, rss: process.memoryUsage().rss, handlerType: typeof mod.handler }));
`;

interface ProbeSample {
  requireMs: number;
  readyMs: number;
  rss: number;
  handlerType: string;
}

function probe(file: string): Promise<ProbeSample & { processMs: number }> {
  // No inherited NODE_OPTIONS: the child must start as FC would, without the bench's TypeScript loader.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', PROBE, file], { env, timeout: CHILD_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${file}: ${error.message}\n${stderr}`));
      resolve({ ...(JSON.parse(stdout) as ProbeSample), processMs: performance.now() - started });
    });
  });
}

const FUNCTIONS = ['api', 'poller'];
/** How long to wait for a concurrent build (which empties dist/ first) to put the bundles back. */
const BUILD_WAIT_MS = 20_000;

export function bundleFiles(root: string): string[] {
  return FUNCTIONS.map((name) => join(root, 'dist', name, 'index.js')).filter((f) => existsSync(f));
}

async function waitForBundles(root: string): Promise<void> {
  const expected = FUNCTIONS.filter((name) => existsSync(join(root, 'functions', name, 'index.ts'))).length;
  const until = Date.now() + BUILD_WAIT_MS;
  while (bundleFiles(root).length < expected && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
  // Lets a build that has just written the last file finish writing it.
  await new Promise((r) => setTimeout(r, 500));
}

/** A private copy of the bundles: a concurrent build empties dist/ while it runs. */
function snapshotBundles(root: string, dir: string): { name: string; file: string }[] {
  return bundleFiles(root).map((source) => {
    const name = source.slice(root.length + 1);
    const target = join(dir, name);
    mkdirSync(join(target, '..'), { recursive: true });
    copyFileSync(source, target);
    const pkg = join(source, '..', 'package.json');
    if (existsSync(pkg)) copyFileSync(pkg, join(target, '..', 'package.json'));
    return { name, file: target };
  });
}

export function extraSizes(root: string): unknown {
  try {
    return JSON.parse(readFileSync(join(root, 'dist', 'bundle-sizes.json'), 'utf8'));
  } catch {
    return null;
  }
}

export async function benchColdStart(root: string): Promise<ColdStartRow[]> {
  const rows: ColdStartRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'taskhook-bench-dist-'));
  try {
    await waitForBundles(root);
    for (const { name, file } of snapshotBundles(root, dir)) {
      const samples = [];
      for (let i = 0; i < RUNS; i++) samples.push(await probe(file));
      const bytes = statSync(file).size;
      rows.push({
        bundle: name,
        runs: samples.length,
        requireMs: median(samples.map((s) => s.requireMs)),
        readyMs: median(samples.map((s) => s.readyMs)),
        processMs: median(samples.map((s) => s.processMs)),
        rssMb: mb(median(samples.map((s) => s.rss))),
        bytes,
        gzipBytes: gzipSync(readFileSync(file)).length,
        handlerType: samples[0].handlerType,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
