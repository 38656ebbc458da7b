/**
 * The SQLite state file on disk, before SQLite opens it: its folder made private, its modes tightened, a missing
 * file made whole under a temporary name and linked into place, a file that is not SQLite's refused, and the move of
 * a damaged one aside. The file holds webhook secrets, so it and everything next to it is its owner's only.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fchmodSync, linkSync, lstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { asideName, corruptStamp } from './sqlite-errors.js';

/** The local state folder's name (src/local/instance-file.ts STATE_DIR): only a folder of this name is taskhook's alone to tighten. */
const STATE_DIR = '.taskhook';
const HEADER = Buffer.from('SQLite format 3\0', 'latin1');
/** SQLite's own files next to the database: they hold its recent writes, secrets included. */
export const SIDE_FILES = ['-wal', '-shm', '-journal'];

const octal = (mode: number) => '0' + (mode & 0o777).toString(8);

/** `mode` on `file` when it allows more than that; a note of what changed, or of why it could not be. */
function tighten(file: string, mode: number, notes: string[]): void {
  let current: number;
  try {
    current = lstatSync(file).mode & 0o777;
  } catch {
    return;
  }
  if ((current & ~mode) === 0) return;
  try {
    chmodSync(file, mode);
    notes.push(`${file} ${octal(current)} → ${octal(mode)}`);
  } catch (error) {
    notes.push(`${file} stays ${octal(current)} (${(error as NodeJS.ErrnoException).code}: run chmod ${octal(mode)} ${file} as its owner)`);
  }
}

/**
 * The folder of `path`, 0700 from the start: mkdir's mode is cut by the umask, so each folder made here is chmod-ed
 * too, before SQLite writes anything in it. An existing `.taskhook` folder is tightened; any other existing folder
 * is left as it is (it may be shared), the files taskhook keeps in it are 0600 whatever it allows.
 */
export function preparePrivateFolder(path: string, notes: string[]): void {
  const dir = dirname(resolve(path));
  const first = mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (first) {
    for (let made = dir; ; made = dirname(made)) {
      chmodSync(made, 0o700);
      if (made === first || dirname(made) === made) break;
    }
    return;
  }
  if (basename(dir) === STATE_DIR) tighten(dirname(path), 0o700, notes);
}

/** The database and SQLite's files next to it, 0600 when an earlier version (or a copy) left them looser. */
export function tightenFiles(path: string, notes: string[]): void {
  for (const file of [path, ...SIDE_FILES.map((suffix) => path + suffix)]) tighten(file, 0o600, notes);
}

/** One line for what was tightened, or nothing. */
export function privacyNotice(notes: string[]): string | null {
  if (notes.length === 0) return null;
  return `taskhook: state files are their owner's only (they hold webhook secrets): ${notes.join(', ')}`;
}

/** The file before SQLite looks at it: missing (a new store is made), SQLite's header there (PRAGMA quick_check judges the rest), or a problem. */
export type FileVerdict = { kind: 'missing' } | { kind: 'sqlite' } | { kind: 'bad'; problem: string };

const bad = (problem: string): FileVerdict => ({ kind: 'bad', problem });

export function fileVerdict(path: string): FileVerdict {
  let size: number;
  try {
    const stats = statSync(path);
    if (!stats.isFile()) return bad('is not a file');
    size = stats.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // A write-ahead log without its database holds the last writes of a file that was removed: never applied to a new one.
    const log = orphanLog(path);
    return log ? bad(`is missing, but its write-ahead log ${log} (${statSync(log).size} bytes) is still there`) : { kind: 'missing' };
  }
  if (size === 0) return bad('is empty (0 bytes), not an SQLite database');
  const head = Buffer.alloc(HEADER.length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  return head.equals(HEADER) ? { kind: 'sqlite' } : bad(`is not an SQLite database (${size} bytes without SQLite's header)`);
}

function orphanLog(path: string): string | null {
  const log = path + '-wal';
  try {
    return statSync(log).size > 0 ? log : null;
  } catch {
    return null;
  }
}

/** The database and SQLite's files next to it, those that exist now. */
export const stateFilesOf = (path: string) => [path, ...SIDE_FILES.map((suffix) => path + suffix)].filter((file) => existsSync(file));

/**
 * A new database at `path`, whole from its first moment: made 0600 under a temporary name, set up by `init`, then
 * hard-linked into place. No process ever sees it empty (which would read as corrupt) or with the umask's modes,
 * and a second process making it at the same time keeps the first one's file (link fails with EEXIST). The mode is
 * set with fchmod on the empty file, not by changing the umask: the umask is process-wide, and SQLite gives the -wal
 * and -shm it makes later the database's mode anyway.
 */
export function createInPlace(path: string, init: (temporary: string) => void): void {
  const temporary = `${path}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    // open's mode is cut by the umask; fchmod is not, so the owner can always read and write it.
    fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
  try {
    init(temporary);
    try {
      linkSync(temporary, path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return;
      // A file system without hard links: a rename, unless another process made the file meanwhile.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
      if (!existsSync(path)) renameSync(temporary, path);
    }
  } finally {
    for (const file of [temporary, ...SIDE_FILES.map((suffix) => temporary + suffix)]) rmSync(file, { force: true });
  }
}

/** Renames the database and its side files to `<name>.corrupt-<time>[-wal|-shm]`, 0600; the new names. */
export function moveAside(path: string): string[] {
  const stamp = corruptStamp();
  const moved: string[] = [];
  for (const file of stateFilesOf(path)) {
    const target = asideName(file, stamp);
    renameSync(file, target);
    try {
      chmodSync(target, 0o600);
    } catch {
      // Not this user's file: it keeps its modes, as before the move.
    }
    moved.push(target);
  }
  return moved;
}
