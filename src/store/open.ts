/** Config → the StateStore it names. SQLite and Tablestore load lazily: neither costs anything where it is not used. */
import type { Config } from '../config.js';
import { requireOts } from '../config.js';
import type { Credentials } from '../ecs/api.js';
import { createMemoryStore } from './memory.js';
import type { StateStore } from './port.js';
import type { TablestoreOptions } from './tablestore/client.js';

/** A store with everything needed to open it resolved. */
export type StoreSpec = { kind: 'memory' } | { kind: 'sqlite'; path: string } | { kind: 'tablestore'; options: TablestoreOptions };

export async function openStoreFor(spec: StoreSpec): Promise<StateStore> {
  switch (spec.kind) {
    case 'memory':
      return createMemoryStore();
    case 'sqlite': {
      const { createSqliteStore } = await import('./sqlite.js');
      return createSqliteStore(spec.path);
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
