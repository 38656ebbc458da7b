// How long `require` of each FC bundle takes: median of 10 fresh node processes, against an empty node started the same way.
// Usage: node test/deploy/measure-require.mjs [file ...]   (default: dist/{api,poller}/{index,tablestore,fc2}.js that exist)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = 10;
/** What a runtime that serves HTTP has loaded before it requires a handler; the last column times require() after these. */
const RUNTIME_BUILTINS = ['node:http', 'node:https', 'node:net', 'node:tls', 'node:crypto', 'node:zlib', 'node:dns', 'node:stream'];
const root = fileURLToPath(new URL('../..', import.meta.url));
const defaults = ['api/index.js', 'api/tablestore.js', 'poller/index.js', 'poller/fc2.js'].map((f) => path.join(root, 'dist', f));
const files = (process.argv.length > 2 ? process.argv.slice(2).map((f) => path.resolve(f)) : defaults).filter((f) => existsSync(f));

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2;
};

/** One fresh node: wall time from spawn to exit, and the time `require` itself took inside it. */
function run(file, preload = []) {
  const before = preload.map((m) => `require(${JSON.stringify(m)});`).join('');
  const script = file ? `${before}const t = performance.now(); require(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));` : '';
  const started = performance.now();
  // No inherited NODE_OPTIONS or environment: the child starts as a function instance would.
  const child = spawnSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
  const wallMs = performance.now() - started;
  if (child.status !== 0) throw new Error(`${file}: ${child.stderr}`);
  return { wallMs, requireMs: file ? Number(child.stdout) : 0 };
}

const empty = [];
const samples = new Map(files.map((f) => [f, []]));
const preloaded = new Map(files.map((f) => [f, []]));
// Interleaved, so a busy moment of the machine weighs on the empty node and the bundles alike.
for (let i = 0; i < RUNS; i++) {
  empty.push(run(null).wallMs);
  for (const file of files) {
    samples.get(file).push(run(file));
    preloaded.get(file).push(run(file, RUNTIME_BUILTINS).requireMs);
  }
}

const emptyMs = median(empty);
console.log(`empty node: ${emptyMs.toFixed(1)} ms (median of ${RUNS})`);
for (const [file, runs] of samples) {
  const wall = median(runs.map((r) => r.wallMs));
  const inside = median(runs.map((r) => r.requireMs));
  const afterBuiltins = median(preloaded.get(file));
  console.log(
    `${path.relative(process.cwd(), file)}: ${wall.toFixed(1)} ms, +${(wall - emptyMs).toFixed(1)} ms over an empty node; ` +
      `require() itself ${inside.toFixed(1)} ms, ${afterBuiltins.toFixed(1)} ms with node's http/https/net/tls/crypto/zlib/dns loaded`,
  );
}
