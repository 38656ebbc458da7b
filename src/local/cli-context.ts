/** What every CLI command gets: parsed options, output, and the same dependencies the handlers use. */
import { loadConfig, type Config } from '../config.js';
import { buildDeps, closeDeps, type AppDeps } from '../runtime.js';

import { UsageError } from '../errors.js';

export { UsageError };

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** True when stdout is a terminal (progress bars redraw in place). */
  tty: boolean;
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
}

/** Builds the dependencies from the environment, runs `work`, and closes them again. */
export async function withDeps<T>(io: CliIo, work: (deps: AppDeps) => Promise<T>): Promise<T> {
  const config: Config = loadConfig(io.env, 'local');
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
