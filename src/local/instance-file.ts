/** `.taskhook/instance.json`: what a running `npm start` tells the CLI in the same folder (API, token, the demo's simulator). */
import { chmodSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const STATE_DIR = '.taskhook';
export const INSTANCE_FILE = 'instance.json';

export interface InstanceInfo {
  pid: number;
  startedAt: string;
  /** The local API, e.g. http://127.0.0.1:9000, and a bearer token it accepts. */
  apiUrl: string;
  token: string;
  consoleUrl: string;
  /** The store as TASKHOOK_STORE would name it, with an absolute SQLite path. */
  store: string;
  demo: boolean;
  /** In demo mode, the ECS simulator and the access key it accepts. */
  simulator: { endpoint: string; accessKeyId: string; accessKeySecret: string } | null;
  /** CIDRs the instance lets webhooks reach although private. */
  allowPrivateWebhooks: string[];
}

/** `live` is the instance when its process still runs; `stale` names a file a stopped one left behind. */
export interface InstanceLookup {
  live: InstanceInfo | null;
  stale: string | null;
  path: string;
}

export function instancePath(cwd: string): string {
  return join(cwd, STATE_DIR, INSTANCE_FILE);
}

/** Written atomically, the directory 0700 and the file 0600: it holds the API token and the simulator's key. */
export function writeInstance(cwd: string, info: InstanceInfo): string {
  const dir = join(cwd, STATE_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const path = instancePath(cwd);
  const temporary = `${path}.${process.pid}.tmp`;
  // A file left by a crash keeps its modes when rewritten: a fresh one is made 0600 (open's mode; the umask can only narrow it).
  rmSync(temporary, { force: true });
  writeFileSync(temporary, JSON.stringify(info, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  renameSync(temporary, path);
  // The SQLite state next to it (and its -wal/-shm files, which SQLite creates with the database's mode) is the owner's only too.
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile() || entry.name === INSTANCE_FILE) continue;
    try {
      chmodSync(join(dir, entry.name), 0o600);
    } catch {
      // Not ours to change (another user's file): left as it is.
    }
  }
  return path;
}

/** Removes the file if it is this process's (another instance may have taken the folder since). */
export function removeInstance(cwd: string, pid = process.pid): void {
  const path = instancePath(cwd);
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as Partial<InstanceInfo>;
    if (info.pid === pid) rmSync(path, { force: true });
  } catch {
    // Not there, or not ours to judge: leave it.
  }
}

export function findInstance(cwd: string): InstanceLookup {
  const path = instancePath(cwd);
  let info: InstanceInfo;
  try {
    info = JSON.parse(readFileSync(path, 'utf8')) as InstanceInfo;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { live: null, stale: null, path };
    return { live: null, stale: `${path} cannot be read (${(error as Error).message}); delete it and run npm start again`, path };
  }
  if (typeof info?.pid !== 'number' || typeof info.apiUrl !== 'string' || typeof info.token !== 'string')
    return { live: null, stale: `${path} is not an instance file; delete it and run npm start again`, path };
  if (!isRunning(info.pid)) return { live: null, stale: `${path} was left by taskhook pid ${info.pid}, which is no longer running`, path };
  return { live: info, stale: null, path };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
