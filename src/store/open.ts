/** Config → the StateStore it names. SQLite and Tablestore load lazily: neither costs anything where it is not used. */
import type { Config } from '../config.js';
import { requireOts } from '../config.js';
import type { Credentials } from '../ecs/api.js';
import { createMemoryStore } from './memory.js';
import type { StateStore } from './port.js';
import type { TablestoreOptions } from './tablestore/client.js';

/** A store with everything needed to open it resolved. */
export type StoreSpec = { kind: 'memory' } | { kind: 'sqlite'; path: string } | { kind: 'tablestore'; options: TablestoreOptions };

/** How the local runtime opens a SQLite file: where notices go, and whether a damaged file is moved aside (./sqlite.ts). */
export interface LocalOpenOptions {
  notice?: (line: string) => void;
  moveAsideCorrupt?: boolean;
}

export async function openStoreFor(spec: StoreSpec, local: LocalOpenOptions = {}): Promise<StateStore> {
  switch (spec.kind) {
    case 'memory':
      return createMemoryStore();
    case 'sqlite': {
      const { createSqliteStore } = await import('./sqlite.js');
      return createSqliteStore(spec.path, local);
    }
    case 'tablestore': {
      const { createTablestoreStore } = await import('./tablestore.js');
      return createTablestoreStore(spec.options);
    }
  }
}

export async function openStore(config: Config, credentials: () => Credentials | null): Promise<StateStore> {
  const { store } = config;
  if (store.kind !== 'tablestore') return openStoreFor(store);
  return openStoreFor({ kind: 'tablestore', options: { ...requireOts(config), tablePrefix: config.tablePrefix, credentials } });
}
