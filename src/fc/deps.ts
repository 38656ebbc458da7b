/**
 * The dependencies of a function instance on FC: the configuration is read from the environment once per
 * instance; the role credentials come with every invocation and rotate, so they are read per call. The poller also
 * gets an Invoker for shards and delivery runs (asked for by the timer handler); @alicloud/fc2 loads at the first invocation.
 */
import { loadConfig, type Config, type Credentials } from '../config.js';
import { buildDeps, closeDeps, type AppDeps } from '../runtime.js';
import type { Invoker } from '../shards/invoker.js';
import { detectRuntime, roleCredentials, selfTarget, type InvocationContext } from './context.js';
import { createFc2Invoker } from './fc2-invoker.js';

let instanceDeps: Promise<AppDeps> | null = null;
let instanceInvoker: Invoker | null = null;
let latestRole: Credentials | null = null;
let latestContext: InvocationContext | undefined;

export function fcDeps(context: InvocationContext | undefined): Promise<AppDeps>;
export function fcDeps(context: InvocationContext | undefined, wants: { shardInvoker: true }): Promise<AppDeps & { invoker: Invoker }>;
export function fcDeps(context: InvocationContext | undefined, wants?: { shardInvoker?: boolean }): Promise<AppDeps & { invoker?: Invoker }> {
  latestRole = roleCredentials(context) ?? latestRole;
  latestContext = context ?? latestContext;
  if (!instanceDeps) {
    const config = loadConfig(process.env, detectRuntime(process.env));
    instanceDeps = buildDeps(config, () => latestRole ?? config.credentials).then((deps) => ({ ...deps, accountId: context?.accountId }));
    instanceDeps.catch(() => (instanceDeps = null));
  }
  if (!wants?.shardInvoker) return instanceDeps;
  return instanceDeps.then((deps) => ({ ...deps, invoker: shardInvoker(deps.config) }));
}

/** One Invoker per instance, aimed at the running function itself; nothing of fc2 is loaded until it invokes. */
function shardInvoker(config: Config): Invoker {
  instanceInvoker ??= createFc2Invoker({ target: () => selfTarget(process.env, latestContext), credentials: () => latestRole ?? config.credentials });
  return instanceInvoker;
}

/** Closes what the instance opened. */
export async function closeFcDeps(): Promise<void> {
  const deps = await instanceDeps?.catch(() => null);
  instanceDeps = null;
  instanceInvoker = null;
  if (deps) await closeDeps(deps);
}
