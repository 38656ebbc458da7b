/** The built CLI as a user runs it: a process of dist/cli/taskhook.cjs in a folder of its own, with only the environment given. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The built bundle; TASKHOOK_TEST_CLI may name a copy of it (a checkout shared with concurrent rebuilds of dist/). */
export const CLI = process.env.TASKHOOK_TEST_CLI ?? join(process.cwd(), 'dist/cli/taskhook.cjs');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  stdin?: string;
  /** The working directory (where .taskhook/ is looked for); a fresh empty folder by default. */
  cwd?: string;
}

export const freshDir = (label = 'cli') => mkdtempSync(join(tmpdir(), `taskhook-${label}-`));

/** Only PATH and what the test gives: no developer's credentials or settings leak in. */
export const baseEnv = (env: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? '', ...env });

export function taskhook(args: string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: baseEnv(options.env), cwd: options.cwd ?? freshDir(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

export interface Background {
  child: ChildProcess;
  output: () => string;
  stdout: () => string;
  waitFor: (pattern: RegExp, timeoutMs: number) => Promise<RegExpExecArray>;
  /** SIGINT (or the signal given), then the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** A long-running command (start, listen, simulate); `waitFor` matches its stdout and stderr together. */
export function background(args: string[], options: RunOptions = {}): Background {
  const child = spawn(process.execPath, [CLI, ...args], { env: baseEnv(options.env), cwd: options.cwd ?? freshDir(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stdout = '';
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  child.stdout.on('data', (d) => {
    out += d;
    stdout += d;
  });
  child.stderr.on('data', (d) => (out += d));
  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms; output so far:\n${out}`)), timeoutMs);
      const check = () => {
        const match = pattern.exec(out);
        if (match) {
          clearTimeout(timer);
          child.stdout.off('data', check);
          child.stderr.off('data', check);
          resolve(match);
        }
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      void closed.then(() => setTimeout(check, 10));
      check();
    });
  return {
    child,
    output: () => out,
    stdout: () => stdout,
    waitFor,
    stop: (signal = 'SIGINT') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return closed;
    },
  };
}

/** Runs a command in a pseudo-terminal of `columns` columns (util-linux `script`); the raw bytes it wrote. */
export function inTerminal(args: string[], columns: number, options: RunOptions = {}): Promise<Run> {
  const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-q', '-e', '-c', `stty cols ${columns} rows 24; exec ${quoted}`, '/dev/null'], {
      env: baseEnv({ TERM: 'xterm-256color', ...options.env }),
      cwd: options.cwd ?? freshDir(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

// eslint-disable-next-line no-control-regex
export const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
