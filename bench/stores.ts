/** Opens a fresh, empty store of each kind; Tablestore runs against the wire-level fake in the peer process. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStoreFor } from '../src/store/open.js';
import type { StateStore } from '../src/store/port.js';
import type { Peer } from './peer-client.js';
import type { StoreKind } from './rows.js';

export type { StoreKind };

export interface OpenedStore {
  store: StateStore;
  /** The SQLite file (SQLite only). */
  path: string | null;
  /** Requests the Tablestore fake served so far, summed over operations (Tablestore only). */
  requests: () => Promise<number | null>;
  cleanup: () => Promise<void>;
}

const none = async () => null;
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

export async function openStore(kind: StoreKind, peer: Peer): Promise<OpenedStore> {
  if (kind === 'memory') return { store: await openStoreFor({ kind }), path: null, requests: none, cleanup: async () => undefined };
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'taskhook-bench-'));
    const path = join(dir, 'state.db');
    const store = await openStoreFor({ kind, path });
    return { store, path, requests: none, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  // Loaded only here, so the other rows never pay for the Tablestore SDK.
  const { createTables } = await import('../src/store/tablestore.js');
  const fake = await peer.startTablestore();
  const options = {
    endpoint: fake.endpoint,
    instance: fake.instanceName,
    tablePrefix: 'bench_',
    credentials: () => ({ accessKeyId: fake.accessKeyId, accessKeySecret: fake.accessKeySecret }),
  };
  await createTables(options);
  return {
    store: await openStoreFor({ kind, options }),
    path: null,
    requests: async () => sum(await peer.tablestoreRequests()),
    cleanup: () => peer.stopTablestore(),
  };
}
