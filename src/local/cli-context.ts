/** What every CLI command gets: parsed options, output, and the same dependencies the handlers use. */
import { loadConfig, type Config } from '../config.js';
import { buildDeps, closeDeps, type AppDeps } from '../runtime.js';

import { UsageError } from '../errors.js';

export { UsageError };

/** 0: done; 1: the thing awaited failed (a task, a test ping, a signature; commands return it); 2: the command could not do its work. */
export const EXIT = { ok: 0, failed: 1, error: 2 } as const;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** True when stdout is a terminal (progress bars redraw in place). */
  tty: boolean;
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
}

const loaded = new WeakMap<CliIo, Config>();

/** The configuration, read from the environment once per CLI run and handed to every command. */
export function configOf(io: CliIo): Config {
  let config = loaded.get(io);
  if (!config) loaded.set(io, (config = loadConfig(io.env, 'local')));
  return config;
}

/** Builds the dependencies from the configuration, runs `work`, and closes them again. */
export async function withDeps<T>(io: CliIo, work: (deps: AppDeps) => Promise<T>): Promise<T> {
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
