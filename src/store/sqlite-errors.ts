/**
 * SQLite's failures (and the file system's, around the state file) as StoreErrors a user can act on: each message
 * names the file, the code SQLite or the OS answered, and what to do. docs/store.md lists the mapping.
 */
import { existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreError } from '../errors.js';

/** Failures of the file or its disk, not of one statement: a batch that meets one is rolled back whole. */
const FILE_FAULTS = new Set([
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_READONLY',
  'SQLITE_CANTOPEN',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_NOMEM',
  'SQLITE_PERM',
  'SQLITE_PROTOCOL',
]);

function sqliteCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && error.name === 'SqliteError' && typeof code === 'string' ? code : null;
}

/** SQLITE_IOERR_WRITE → SQLITE_IOERR: extended codes share their primary code's meaning and fix. */
const primaryOf = (code: string) => code.split('_').slice(0, 2).join('_');

export function isFileFault(error: unknown): boolean {
  const code = sqliteCode(error);
  return code !== null && FILE_FAULTS.has(primaryOf(code));
}

/** SQLite reports some writes on a full disk as I/O errors: the disk's free space tells them apart. */
function diskIsFull(path: string): boolean {
  try {
    let dir = dirname(path);
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize < 64 * 1024;
  } catch {
    return false;
  }
}

/** The name a file is moved aside to: `state.db-wal` → `state.db.corrupt-<time>-wal`, so the three stay together. */
export const asideName = (file: string, stamp: string) => file.replace(/(-wal|-shm|-journal)?$/, `.corrupt-${stamp}$1`);

/** What to do when the state file cannot be used as it is: the move-aside command for `files`, with an actual time in the names. */
export function moveAsideFix(files: string[]): string {
  const stamp = corruptStamp();
  const moves = files.map((file) => `mv ${file} ${asideName(file, stamp)}`).join('; ');
  return `move it aside with taskhook start --move-aside-corrupt (or: ${moves}) and start again; webhooks and deliveries in it are lost unless you restore a copy`;
}

/** A time for a moved-aside file's name: sortable, and free of characters a shell or Windows would mind. */
export const corruptStamp = (at = new Date()) =>
  at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

/** The error a state file that cannot be trusted stops start-up with. */
export function corruptStateError(path: string, problem: string, files: string[] = [path]): StoreError {
  return new StoreError(`${path} ${problem}; taskhook will not use it: ${moveAsideFix(files)}`, 'StateFileCorrupt');
}

const RETRIES = 'nothing of the failed write was kept, and taskhook tries again every run';

/** `error` as a StoreError naming `path` when it is SQLite's or the file system's; anything else as it is. */
export function storeErrorOf(error: unknown, path: string): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  if (error instanceof StoreError) return error;
  const code = sqliteCode(error) ?? (error as NodeJS.ErrnoException).code ?? null;
  if (!code) return error;
  const said = `${code}: ${error.message}`;
  switch (primaryOf(code)) {
    case 'SQLITE_FULL':
    case 'ENOSPC':
    case 'EDQUOT':
      return new StoreError(`the disk holding ${path} is full (${said}): free space there; ${RETRIES}`, code, true);
    case 'SQLITE_IOERR':
      if (diskIsFull(path)) return new StoreError(`the disk holding ${path} is full (${said}): free space there; ${RETRIES}`, code, true);
      return new StoreError(`${path} could not be read or written (${said}): check the disk and its mount (df, dmesg); ${RETRIES}`, code, true);
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new StoreError(
        `${path} cannot be written (${said}): make it and its folder writable by the user taskhook runs as (or remount the disk read-write), or set TASKHOOK_STORE=sqlite:<a writable path>; ${RETRIES}`,
        code,
        true,
      );
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return new StoreError(
        `${path} stayed locked by another process (${said}): stop whatever else writes to it (a second taskhook start, a stuck taskhook poll --once), or give each its own TASKHOOK_STORE; ${RETRIES}`,
        code,
        true,
      );
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return new StoreError(`${path} is damaged (${said}); stop taskhook and ${moveAsideFix([path])}`, code);
    case 'SQLITE_CANTOPEN':
      return new StoreError(
        `${path} cannot be opened (${said}): check that its folder exists and the user taskhook runs as may write there, or set TASKHOOK_STORE=sqlite:<a writable path>`,
        code,
        true,
      );
    default:
      if (!sqliteCode(error)) return error;
      return new StoreError(`${path}: SQLite answered ${said}`, code);
  }
}
