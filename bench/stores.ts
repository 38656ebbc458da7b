/** Opens a fresh, empty store of each kind; Tablestore runs against the wire-level fake in the peer process. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStoreFor } from '../src/store/open.js';
import type { StateStore } from '../src/store/port.js';
import type { Peer } from './peer-client.js';

export type StoreKind = 'memory' | 'sqlite' | 'tablestore';

export interface OpenedStore {
  store: StateStore;
  /** Backend requests so far (Tablestore only). */
  requests: () => Promise<Record<string, number>>;
  cleanup: () => Promise<void>;
}

const none = async () => ({});

export async function openStore(kind: StoreKind, peer: Peer): Promise<OpenedStore> {
  if (kind === 'memory') return { store: await openStoreFor({ kind }), requests: none, cleanup: async () => undefined };
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'taskhook-bench-'));
    const store = await openStoreFor({ kind, path: join(dir, 'state.db') });
    return { store, requests: none, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
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
  return { store: await openStoreFor({ kind, options }), requests: () => peer.tablestoreRequests(), cleanup: () => peer.stopTablestore() };
}
