/** Stands in for ./sqlite.js in Function Compute bundles: better-sqlite3 is native and cannot run there. */
import type { StateStore } from './port.js';

export function createSqliteStore(_path: string): StateStore {
  throw new Error('the SQLite store is only available in the local runtime; on Function Compute use TASKHOOK_STORE=tablestore');
}
