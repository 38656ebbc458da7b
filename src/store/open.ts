/** Config → the StateStore it names. SQLite and Tablestore load lazily: neither costs anything where it is not used. */
import type { Config } from '../config.js';
import { requireOts } from '../config.js';
import type { Credentials } from '../ecs/api.js';
import { createMemoryStore } from './memory.js';
import type { StateStore } from './port.js';

export async function openStore(config: Config, credentials: () => Credentials | null): Promise<StateStore> {
  switch (config.store.kind) {
    case 'memory':
      return createMemoryStore();
    case 'sqlite': {
      const { createSqliteStore } = await import('./sqlite.js');
      return createSqliteStore(config.store.path);
    }
    case 'tablestore': {
      const { createTablestoreStore } = await import('./tablestore.js');
      const ots = requireOts(config);
      return createTablestoreStore({ ...ots, tablePrefix: config.tablePrefix, credentials });
    }
  }
}
