/** What every CLI command gets: output, the environment (with the running instance's simulator when there is one), and the handlers' dependencies. */
import { loadConfig, type Config } from '../config.js';
import { UsageError } from '../errors.js';
import { buildDeps, closeDeps, type AppDeps } from '../runtime.js';
import { findInstance, type InstanceLookup } from './instance-file.js';

export { UsageError };

/** 0: done; 1: the thing awaited failed (a task, a test ping, a signature); 2: a usage or runtime error. */
export const EXIT = { ok: 0, failed: 1, error: 2 } as const;

/** What the CLI is run with; the optional parts have defaults (see `completeIo`). */
export interface CliIo {
  /** One line of human output (or JSON) on stdout. */
  out: (line: string) => void;
  /** One line on stderr: notes, warnings and errors. */
  err: (line: string) => void;
  /** True when stdout is a terminal (progress redraws in place, colours allowed). */
  tty: boolean;
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
  /** Raw text on stdout, for redrawing a line in place. */
  write?: (text: string) => void;
  /** True when stdin is a terminal: nothing is piped in. */
  stdinTty?: boolean;
  /** The terminal's width now (it can change while a command runs); undefined when stdout is not a terminal. */
  columns?: () => number | undefined;
  /** Where `.taskhook/` is looked for. */
  cwd?: string;
}

/** What every command is handed: the CLI's io with every default filled in. */
export type Io = Required<CliIo>;

export function completeIo(io: CliIo): Io {
  return {
    ...io,
    write: io.write ?? ((text) => io.out(text)),
    stdinTty: io.stdinTty ?? false,
    columns: io.columns ?? (() => undefined),
    cwd: io.cwd ?? process.cwd(),
  };
}

/** Settles when the process is asked to stop (Ctrl-C, SIGTERM). */
export const untilSignal = () =>
  new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });

const loaded = new WeakMap<Io, Config>();
const instances = new WeakMap<Io, InstanceLookup>();

/** The running `npm start` in this folder, if any (read once per CLI run). */
export function instanceOf(io: Io): InstanceLookup {
  let found = instances.get(io);
  if (!found) instances.set(io, (found = findInstance(io.cwd)));
  return found;
}

/**
 * The configuration, read once per CLI run. When the environment names no ECS (no credentials, no endpoint) and a demo
 * runs in this folder, ECS is that demo's simulator: `lookup` and `watch` then see the demo's tasks.
 */
export function configOf(io: Io): Config {
  let config = loaded.get(io);
  if (!config) {
    const env = { ...io.env };
    const sim = instanceOf(io).live?.simulator;
    if (sim && !env.ALIBABA_CLOUD_ACCESS_KEY_ID && !env.TASKHOOK_ECS_ENDPOINT) {
      Object.assign(env, {
        ALIBABA_CLOUD_ACCESS_KEY_ID: sim.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: sim.accessKeySecret,
        TASKHOOK_ECS_ENDPOINT: sim.endpoint,
      });
    }
    loaded.set(io, (config = loadConfig(env, 'local')));
  }
  return config;
}

/** Builds the dependencies from the configuration, runs `work`, and closes them again. Logs stay at warn unless TASKHOOK_LOG_LEVEL says otherwise. */
export async function withDeps<T>(io: Io, work: (deps: AppDeps) => Promise<T>): Promise<T> {
  const config = configOf(io);
  const deps = await buildDeps({ ...config, logLevel: io.env.TASKHOOK_LOG_LEVEL ? config.logLevel : 'warn' }, () => config.credentials);
  try {
    return await work(deps);
  } finally {
    await closeDeps(deps);
  }
}

export function requireOption(value: string | undefined, name: string, example: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required (e.g. --${name} ${example})`);
  return value;
}

/** Seconds given on the command line, checked against a range. */
export function secondsOption(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < min || seconds > max)
    throw new UsageError(`--${name} must be seconds from ${min} to ${max}, not "${value}"`);
  return seconds;
}

/** A TCP port given on the command line: 0 (any free port) to 65535. */
export function portOption(value: string | undefined, name = 'port'): number {
  if (value === undefined) return 0;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`--${name} must be a port number from 0 to 65535 (0 takes a free one), not "${value}"`);
  return port;
}
