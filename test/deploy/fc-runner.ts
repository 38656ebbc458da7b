/** Runs an FC code directory's handler the way FC's Node.js runtime loads it, in a fresh process, from an isolated copy. */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Loads `handler: <file>.<export>` from a code directory as FC's Node.js runtime does: <file>.js (CommonJS unless the
 * nearest package.json says "type": "module") or <file>.mjs. Both require() and import() are tried, since a runtime
 * may use either; then the handler is called with the event as a Buffer, as FC passes it.
 */
const RUNNER = `
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const [outFile, codeDir, spec, eventText, contextJson] = process.argv.slice(2);
const dot = spec.lastIndexOf('.');
const base = spec.slice(0, dot), name = spec.slice(dot + 1);
const describe = (e) => (e && (e.code || e.name)) + ': ' + String(e && e.message).split('\\n')[0];
(async () => {
  const out = { files: ['.js', '.mjs'].map((ext) => base + ext).filter((f) => fs.existsSync(path.join(codeDir, f))) };
  let handler;
  if (out.files.length === 1) {
    const file = path.join(codeDir, out.files[0]);
    try { const m = require(file); out.require = typeof m[name]; handler = handler || (typeof m[name] === 'function' && m[name]); } catch (e) { out.require = describe(e); }
    try {
      const m = await import(pathToFileURL(file).href);
      const fn = m[name] ?? (m.default && m.default[name]);
      out.import = typeof fn;
      handler = handler || (typeof fn === 'function' && fn);
    } catch (e) { out.import = describe(e); }
  }
  if (handler && eventText !== undefined) {
    try { out.result = await handler(Buffer.from(eventText), JSON.parse(contextJson)); } catch (e) { out.error = describe(e); }
  }
  // The files of the code dir that were loaded by the end: index.js, and fc2.js once a shard was invoked.
  out.loaded = Object.keys(require.cache).filter((f) => f.startsWith(codeDir + path.sep)).map((f) => path.relative(codeDir, f)).sort();
  fs.writeFileSync(outFile, JSON.stringify(out));
  process.exit(0);
})();
`;

export interface RunnerOutput {
  files: string[];
  require?: string;
  import?: string;
  result?: unknown;
  error?: string;
  /** The code dir's files that were loaded when the run ended. */
  loaded: string[];
  /** What the function wrote to stdout (its log lines). */
  logs: string;
}

let tmp = '';
let runs = 0;

export function runLikeFc(codeDir: string, handler: string, env: Record<string, string> = {}, event?: unknown, context: unknown = {}): RunnerOutput {
  const outFile = path.join(tmp, `out-${++runs}.json`);
  const args = [path.join(tmp, 'runner.cjs'), outFile, codeDir, handler];
  if (event !== undefined) args.push(JSON.stringify(event), JSON.stringify(context));
  const child = spawnSync(process.execPath, args, { cwd: codeDir, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 8_000 });
  if (child.status !== 0 || !existsSync(outFile)) throw new Error(`runner exited ${child.status}: ${child.stderr}`);
  return { ...(JSON.parse(readFileSync(outFile, 'utf8')) as Omit<RunnerOutput, 'logs'>), logs: child.stdout };
}

/** runLikeFc without blocking this process, for runs that talk to servers the test runs (FC, Tablestore, ECS fakes). */
export async function runLikeFcAsync(codeDir: string, handler: string, env: Record<string, string>, event: unknown, context: unknown): Promise<RunnerOutput> {
  const outFile = path.join(tmp, `out-${++runs}.json`);
  const args = [path.join(tmp, 'runner.cjs'), outFile, codeDir, handler, JSON.stringify(event), JSON.stringify(context)];
  const child = spawn(process.execPath, args, { cwd: codeDir, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill(), 20_000);
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  if (status !== 0 || !existsSync(outFile)) throw new Error(`runner exited ${status}: ${stderr}`);
  return { ...(JSON.parse(readFileSync(outFile, 'utf8')) as Omit<RunnerOutput, 'logs'>), logs: stdout };
}

/** A fresh copy of a code dir where nothing around it can help: no node_modules, no package.json above it. */
export function isolatedCopy(codeDir: string, name: string): string {
  const copy = path.join(tmp, name);
  cpSync(path.join(root, codeDir), copy, { recursive: true });
  if (existsSync(path.join(copy, 'node_modules'))) throw new Error(`${codeDir} ships a node_modules`);
  for (let dir = path.dirname(copy); ; dir = path.dirname(dir)) {
    for (const helper of ['package.json', 'node_modules']) {
      if (existsSync(path.join(dir, helper))) throw new Error(`${path.join(dir, helper)} would take part in loading ${copy}`);
    }
    if (path.dirname(dir) === dir) break;
  }
  return copy;
}

/** Builds dist/ unless a build is there, and makes the scratch dir the runs write to. */
export function setUpRunner(): void {
  // test/global-setup.ts builds once per run; building again here would delete dist/ under suites running alongside.
  if (!existsSync(path.join(root, 'dist/bundle-sizes.json'))) execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: root, stdio: 'pipe' });
  tmp ||= mkdtempSync(path.join(os.tmpdir(), 'taskhook-fc-'));
  writeFileSync(path.join(tmp, 'runner.cjs'), RUNNER);
}

export function tearDownRunner(): void {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = '';
}
