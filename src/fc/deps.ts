/**
 * The dependencies of a function instance on FC: the configuration is read from the environment once per
 * instance; the role credentials come with every invocation and rotate, so they are read per call.
 */
import { loadConfig, type Credentials } from '../config.js';
import { buildDeps, closeDeps, type AppDeps } from '../runtime.js';
import { detectRuntime, roleCredentials, type InvocationContext } from './context.js';

let instanceDeps: Promise<AppDeps> | null = null;
let latestRole: Credentials | null = null;

export function fcDeps(context: InvocationContext | undefined): Promise<AppDeps> {
  latestRole = roleCredentials(context) ?? latestRole;
  if (!instanceDeps) {
    const config = loadConfig(process.env, detectRuntime(process.env));
    instanceDeps = buildDeps(config, () => latestRole ?? config.credentials).then((deps) => ({ ...deps, accountId: context?.accountId }));
    instanceDeps.catch(() => (instanceDeps = null));
  }
  return instanceDeps;
}

/** Closes what the instance opened. */
export async function closeFcDeps(): Promise<void> {
  const deps = await instanceDeps?.catch(() => null);
  instanceDeps = null;
  if (deps) await closeDeps(deps);
}
