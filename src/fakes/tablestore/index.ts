// Wire-compatible fake Alibaba Cloud Tablestore (OTS) for tests: speaks the 2015-12-31 protobuf +
// PlainBuffer protocol over HTTP on 127.0.0.1 so the real `tablestore` SDK can be pointed at it.
import { FakeTablestoreServer, type BatchOperation, type FaultCode, type RowFaultCode } from './server';

export interface FakeTablestoreOptions {
  /** Default 'taskhook-test'. */
  instanceName?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  /** When set, every request must carry it as `x-ots-ststoken` (SDK option `stsToken`/`securityToken`). */
  securityToken?: string;
  /** Clock in epoch ms for cell timestamps, TTL expiry and the timestamp deviation check. Default Date.now. */
  now?: () => number;
  /** A new table answers row operations with OTSTableNotReady for this long after CreateTable. Default 0. */
  tableUnavailableAfterCreateMs?: number;
}

export interface FakeTablestore {
  /** 'http://127.0.0.1:PORT' */
  endpoint: string;
  instanceName: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** Fails the next `times` (default 1) calls of `operation` (default: any); 'drop' destroys the socket. */
  injectFault(f: { operation?: string; code: FaultCode; times?: number }): void;
  /** Fails the rows at positions `rows` (default [0]) among the call's rows of `table` (default all) in the next `times` (default 1) batch calls having such a row; the rest are applied. */
  injectRowFault(f: { operation?: BatchOperation; code: RowFaultCode; table?: string; rows?: number[]; times?: number }): void;
  clearFaults(): void;
  /** Delays every answer (or only `operation`'s); the request is applied after the delay even if the client gave up. */
  setLatency(ms: number, operation?: string): void;
  /** From now on, each new table refuses row operations (OTSTableNotReady) for `ms` after it is created. */
  setTableUnavailableAfterCreate(ms: number): void;
  /** Calls per operation name ('PutRow', ...), counted on arrival, including faulted and rejected calls. */
  requests(): Record<string, number>;
  /** Rows per batch operation ('BatchGetRow', 'BatchWriteRow') in well-formed calls, counted on arrival, faulted rows included. */
  batchRows(): Record<string, number>;
  resetCounters(): void;
  tables(): string[];
  close(): Promise<void>;
}

export type { BatchOperation, FaultCode, RowFaultCode };

export async function startFakeTablestore(opts: FakeTablestoreOptions = {}): Promise<FakeTablestore> {
  const instanceName = opts.instanceName ?? 'taskhook-test';
  const accessKeyId = opts.accessKeyId ?? 'fake-access-key-id';
  const accessKeySecret = opts.accessKeySecret ?? 'fake-access-key-secret';
  const server = new FakeTablestoreServer({
    instanceName,
    accessKeyId,
    accessKeySecret,
    securityToken: opts.securityToken,
    now: opts.now ?? Date.now,
  });
  server.setTableUnavailableAfterCreate(opts.tableUnavailableAfterCreateMs ?? 0);
  const port = await server.listen();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    instanceName,
    accessKeyId,
    accessKeySecret,
    injectFault: (f) => server.injectFault(f),
    injectRowFault: (f) => server.injectRowFault(f),
    clearFaults: () => server.clearFaults(),
    setLatency: (ms, operation) => server.setLatency(ms, operation),
    setTableUnavailableAfterCreate: (ms) => server.setTableUnavailableAfterCreate(ms),
    requests: () => server.requests(),
    batchRows: () => server.batchRows(),
    resetCounters: () => server.resetCounters(),
    tables: () => server.registry.names(),
    close: () => server.close(),
  };
}
