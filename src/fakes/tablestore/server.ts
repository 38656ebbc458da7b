// HTTP front of the fake: request signature and MD5 checks, routing by `POST /<Operation>`,
// protobuf (de)serialisation, injected faults and latency, per-operation counters.
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeCondition, decodeFilter } from './conditions';
import { invalid, OtsError } from './errors';
import { concatRows } from './plainbuffer';
import {
  int64ToNumber,
  proto,
  type BatchGetRowResponse,
  type BatchWriteRowResponse,
  type Codec,
  type ConsumedCapacity,
  type DescribeTableResponse,
  type ReadOptions,
  type ReturnContent,
  type RowInBatchResponse,
  type TableOptions,
} from './sdk';
import { PK_TYPE_NUMBER, TableRegistry, type FakeTable, type ReadSpec, type ReturnSpec, type TableOptionsState } from './tables';

export type FaultCode =
  | 'OTSServerBusy'
  | 'OTSTimeout'
  | 'OTSQuotaExhausted'
  | 'OTSInternalServerError'
  | 'OTSPartitionUnavailable'
  | 'OTSServerUnavailable'
  | 'OTSNotEnoughCapacityUnit'
  | 'OTSOperationThrottled'
  | 'OTSParameterInvalid'
  | 'drop';
/** A code one row of a batch can fail with while the others are applied. */
export type RowFaultCode = Exclude<FaultCode, 'drop'>;
export type BatchOperation = 'BatchGetRow' | 'BatchWriteRow';

// The 503s as help.aliyun.com/en/tablestore/support/why-do-5xx-related-errors-occur-when-i-use-tablestore lists them.
const FAULT_RESPONSES: Record<RowFaultCode, { status: number; message: string }> = {
  OTSServerBusy: { status: 503, message: 'Server is busy.' },
  OTSTimeout: { status: 503, message: 'Operation timeout.' },
  OTSQuotaExhausted: { status: 403, message: 'Too frequent table operations.' },
  OTSInternalServerError: { status: 500, message: 'Internal server error.' },
  OTSPartitionUnavailable: { status: 503, message: 'The partition is not available.' },
  OTSServerUnavailable: { status: 503, message: 'Server is not available.' },
  OTSNotEnoughCapacityUnit: { status: 403, message: 'Remaining capacity unit is not enough.' },
  // No documented text: clients match the code, never the message.
  OTSOperationThrottled: { status: 403, message: 'Operation is throttled.' },
  OTSParameterInvalid: { status: 400, message: 'Injected invalid parameter.' },
};

const API_VERSION = '2015-12-31';
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const BATCH_GET_MAX_ROWS = 100;
const BATCH_WRITE_MAX_ROWS = 200;
const pb = proto.main.proto;

export interface ServerConfig {
  instanceName: string;
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  now: () => number;
}

interface Fault {
  operation?: string;
  code: FaultCode;
  remaining: number;
}

interface RowFault {
  operation?: BatchOperation;
  code: RowFaultCode;
  table?: string;
  rows: number[];
  remaining: number;
}

const has = (msg: object, key: string): boolean => Object.prototype.hasOwnProperty.call(msg, key);

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  // timingSafeEqual needs equal lengths; comparing against itself keeps the time independent of where they differ.
  return ab.length === bb.length ? timingSafeEqual(ab, bb) : (timingSafeEqual(ab, ab), false);
}

function decode<T>(codec: Codec<T>, body: Buffer): T {
  try {
    return codec.decode(body);
  } catch (e) {
    throw invalid(`Invalid request body: ${(e as Error).message}`);
  }
}

const encode = <T>(codec: Codec<T>, msg: T): Uint8Array => codec.encode(msg).finish();
const readCU = (n: number): ConsumedCapacity => ({ capacityUnit: { read: n, write: 0 } });
const writeCU = (n: number): ConsumedCapacity => ({ capacityUnit: { read: 0, write: n } });
// A failed row is is_ok=false with its own Error, nothing applied: help.aliyun.com/en/tablestore/developer-reference/rowinbatchwriterowresponse (and ...rowinbatchgetrowresponse).
const rowError = (e: OtsError): RowInBatchResponse => ({ isOk: false, error: { code: e.code, message: e.message } });

function readSpec(r: ReadOptions): ReadSpec {
  const tr = r.timeRange;
  return {
    columnsToGet: r.columnsToGet ?? [],
    filter: r.filter && r.filter.length > 0 ? decodeFilter(r.filter) : undefined,
    timeRange: tr
      ? {
          start: has(tr, 'startTime') ? int64ToNumber(tr.startTime) : undefined,
          end: has(tr, 'endTime') ? int64ToNumber(tr.endTime) : undefined,
          specific: has(tr, 'specificTime') ? int64ToNumber(tr.specificTime) : undefined,
        }
      : undefined,
    startColumn: r.startColumn || undefined,
    endColumn: r.endColumn || undefined,
  };
}

function returnSpec(rc: ReturnContent | null | undefined): ReturnSpec {
  switch (rc?.returnType ?? 0) {
    case 0:
      return { type: 'NONE' };
    case 1:
      return { type: 'PK' };
    case 2:
      return { type: 'AFTER_MODIFY', columns: rc?.returnColumnNames ?? [] };
    default:
      throw invalid(`Invalid return type: ${rc?.returnType}.`);
  }
}

function optionsFrom(o: TableOptions | null | undefined): Partial<TableOptionsState> {
  if (!o) return {};
  const out: Partial<TableOptionsState> = {};
  if (has(o, 'timeToLive')) out.timeToLive = o.timeToLive ?? undefined;
  if (has(o, 'maxVersions')) out.maxVersions = o.maxVersions ?? undefined;
  if (has(o, 'deviationCellVersionInSec')) out.deviationCellVersionInSec = int64ToNumber(o.deviationCellVersionInSec);
  if (has(o, 'allowUpdate')) out.allowUpdate = o.allowUpdate ?? undefined;
  return out;
}

function describe(t: FakeTable): DescribeTableResponse {
  return {
    tableMeta: {
      tableName: t.name,
      primaryKey: t.schema.map((s) => ({ name: s.name, type: PK_TYPE_NUMBER[s.type], ...(s.autoIncrement ? { option: 1 } : {}) })),
      definedColumn: t.definedColumns,
    },
    reservedThroughputDetails: {
      capacityUnit: { read: t.throughput.read, write: t.throughput.write },
      lastIncreaseTime: t.lastIncreaseTime,
      ...(t.lastDecreaseTime !== undefined ? { lastDecreaseTime: t.lastDecreaseTime } : {}),
    },
    tableOptions: { ...t.options },
    tableStatus: 1, // ACTIVE; row operations may still be refused for unavailableAfterCreateMs
    streamDetails: { enableStream: false },
    shardSplits: [],
  };
}

export class FakeTablestoreServer {
  readonly registry: TableRegistry;
  private readonly server: Server;
  private faults: Fault[] = [];
  private rowFaults: RowFault[] = [];
  private rowCounts: Record<string, number> = {};
  private latencyMs = 0;
  private readonly latencyByOperation = new Map<string, number>();
  private counts: Record<string, number> = {};
  private readonly handlers: Record<string, (body: Buffer) => Uint8Array>;

  constructor(private readonly config: ServerConfig) {
    this.registry = new TableRegistry(config.now);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) this.sendError(res, new OtsError(500, 'OTSInternalServerError', `Fake failure: ${String(e)}`));
      });
    });
    this.handlers = this.buildHandlers();
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.close((err) => (err ? reject(err) : resolve()));
      // The SDK uses keep-alive sockets; close them or server.close() waits for their idle timeout.
      this.server.closeAllConnections();
    });
  }

  clearFaults(): void {
    this.faults = [];
    this.rowFaults = [];
  }

  injectFault(f: { operation?: string; code: FaultCode; times?: number }): void {
    this.faults.push({ operation: f.operation, code: f.code, remaining: f.times ?? 1 });
  }

  injectRowFault(f: { operation?: BatchOperation; code: RowFaultCode; table?: string; rows?: number[]; times?: number }): void {
    this.rowFaults.push({ operation: f.operation, code: f.code, table: f.table, rows: f.rows ?? [0], remaining: f.times ?? 1 });
  }

  setTableUnavailableAfterCreate(ms: number): void {
    this.registry.unavailableAfterCreateMs = Math.max(0, ms);
  }

  setLatency(ms: number, operation?: string): void {
    if (operation === undefined) this.latencyMs = Math.max(0, ms);
    else this.latencyByOperation.set(operation, Math.max(0, ms));
  }

  requests(): Record<string, number> {
    return { ...this.counts };
  }

  batchRows(): Record<string, number> {
    return { ...this.rowCounts };
  }

  resetCounters(): void {
    this.counts = {};
    this.rowCounts = {};
  }

  // ---------------- HTTP plumbing ----------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = (req.url ?? '/').split('?')[0];
    const operation = path.replace(/^\//, '');
    this.counts[operation] = (this.counts[operation] ?? 0) + 1;

    const latency = this.latencyByOperation.get(operation) ?? this.latencyMs;
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));

    const fault = this.takeFault(operation);
    if (fault === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault) {
      const f = FAULT_RESPONSES[fault];
      this.sendError(res, new OtsError(f.status, fault, f.message));
      return;
    }

    try {
      if (req.method !== 'POST') throw new OtsError(405, 'OTSMethodNotAllowed', `Method ${req.method} is not allowed.`);
      this.authenticate(req, path, body);
      const handler = this.handlers[operation];
      if (!handler) throw new OtsError(400, 'OTSUnsupportOperation', `Unsupported operation: '${operation}'.`);
      this.send(res, 200, handler(body));
    } catch (e) {
      if (e instanceof OtsError) this.sendError(res, e);
      else this.sendError(res, new OtsError(500, 'OTSInternalServerError', `Fake failure: ${(e as Error).stack ?? String(e)}`));
    }
  }

  private takeFault(operation: string): FaultCode | undefined {
    const f = this.faults.find((x) => x.remaining > 0 && (x.operation === undefined || x.operation === operation));
    if (!f) return undefined;
    f.remaining -= 1;
    this.faults = this.faults.filter((x) => x.remaining > 0);
    return f.code;
  }

  /** The rows (`tableIndex:rowIndex` → error) the first row fault with a row at one of its positions in this call fails. */
  private takeRowFault(operation: BatchOperation, tables: Array<{ tableName: string; rows: number }>): Map<string, OtsError> {
    const failing = new Map<string, OtsError>();
    for (const f of this.rowFaults) {
      if (f.remaining <= 0 || (f.operation !== undefined && f.operation !== operation)) continue;
      const candidates = tables.flatMap((t, ti) =>
        f.table === undefined || f.table === t.tableName ? Array.from({ length: t.rows }, (_, ri) => `${ti}:${ri}`) : [],
      );
      const picked = f.rows.filter((p) => p >= 0 && p < candidates.length).map((p) => candidates[p]);
      if (picked.length === 0) continue;
      const { status, message } = FAULT_RESPONSES[f.code];
      for (const at of picked) failing.set(at, new OtsError(status, f.code, message));
      f.remaining -= 1;
      break;
    }
    this.rowFaults = this.rowFaults.filter((x) => x.remaining > 0);
    return failing;
  }

  private countRows(operation: BatchOperation, n: number): void {
    this.rowCounts[operation] = (this.rowCounts[operation] ?? 0) + n;
  }

  private authenticate(req: IncomingMessage, path: string, body: Buffer): void {
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(',') : v;
    };
    const authFailed = (message: string): OtsError => new OtsError(403, 'OTSAuthFailed', message);
    for (const name of ['x-ots-accesskeyid', 'x-ots-signature']) {
      if (!header(name)) throw authFailed(`Missing header: '${name}'.`);
    }
    for (const name of ['x-ots-apiversion', 'x-ots-date', 'x-ots-contentmd5', 'x-ots-instancename']) {
      if (!header(name)) throw invalid(`Missing header: '${name}'.`);
    }

    const expected = createHmac('sha1', this.config.accessKeySecret)
      .update(stringToSign(path, req.method ?? 'POST', req))
      .digest('base64');
    if (!safeEqual(header('x-ots-signature')!, expected) || !safeEqual(header('x-ots-accesskeyid')!, this.config.accessKeyId)) {
      throw authFailed('Signature mismatch.');
    }
    const token = header('x-ots-ststoken');
    if (this.config.securityToken !== undefined ? !token || !safeEqual(token, this.config.securityToken) : token !== undefined) {
      throw authFailed('The security token is missing or invalid.');
    }
    const date = Date.parse(header('x-ots-date')!);
    if (Number.isNaN(date)) throw invalid(`Invalid x-ots-date: '${header('x-ots-date')}'.`);
    // Wall clock, not the injectable data clock: the SDK stamps requests with the real time.
    if (Math.abs(date - Date.now()) > MAX_CLOCK_SKEW_MS) {
      throw authFailed(`Mismatch between system time and x-ots-date: ${header('x-ots-date')}.`);
    }
    if (header('x-ots-apiversion') !== API_VERSION) throw invalid(`Unsupported API version: '${header('x-ots-apiversion')}'.`);
    if (header('x-ots-instancename') !== this.config.instanceName) {
      throw authFailed(`The instance '${header('x-ots-instancename')}' is not found.`);
    }
    if (createHash('md5').update(body).digest('base64') !== header('x-ots-contentmd5')) {
      throw invalid('Mismatch between MD5 value of request body and x-ots-contentmd5 in header.');
    }
  }

  private send(res: ServerResponse, status: number, body: Uint8Array): void {
    // The SDK checks neither response signature nor MD5; the headers mirror the service for anyone inspecting them.
    res.writeHead(status, {
      'content-type': 'application/x-protobuf',
      'content-length': body.length,
      'x-ots-requestid': randomUUID(),
      'x-ots-date': new Date().toISOString(),
      'x-ots-contentmd5': createHash('md5').update(body).digest('base64'),
      'x-ots-contenttype': 'protocol buffer',
    });
    res.end(body);
  }

  private sendError(res: ServerResponse, e: OtsError): void {
    this.send(res, e.status, encode(pb.Error, { code: e.code, message: e.message }));
  }

  // ---------------- operations ----------------

  private buildHandlers(): Record<string, (body: Buffer) => Uint8Array> {
    const reg = this.registry;
    return {
      CreateTable: (body) => {
        const req = decode(pb.CreateTableRequest, body);
        const cu = req.reservedThroughput?.capacityUnit;
        reg.create({
          name: req.tableMeta.tableName,
          // proto2 enum defaults to its first value (AUTO_INCREMENT), so only an explicitly sent option counts.
          primaryKey: req.tableMeta.primaryKey.map((k) => ({ name: k.name, type: k.type, option: has(k, 'option') ? k.option : undefined })),
          definedColumns: (req.tableMeta.definedColumn ?? []).map((d) => ({ name: d.name, type: d.type })),
          options: optionsFrom(req.tableOptions),
          throughput: { read: cu?.read ?? 0, write: cu?.write ?? 0 },
        });
        return encode(pb.CreateTableResponse, {});
      },
      ListTable: (body) => {
        decode(pb.ListTableRequest, body);
        return encode(pb.ListTableResponse, { tableNames: reg.names() });
      },
      DescribeTable: (body) => encode(pb.DescribeTableResponse, describe(reg.get(decode(pb.DescribeTableRequest, body).tableName))),
      DeleteTable: (body) => {
        reg.delete(decode(pb.DeleteTableRequest, body).tableName);
        return encode(pb.DeleteTableResponse, {});
      },
      UpdateTable: (body) => {
        const req = decode(pb.UpdateTableRequest, body);
        const cu = req.reservedThroughput?.capacityUnit;
        const throughput = cu ? { read: has(cu, 'read') ? cu.read : undefined, write: has(cu, 'write') ? cu.write : undefined } : undefined;
        const t = reg.update(req.tableName, optionsFrom(req.tableOptions), throughput);
        const d = describe(t);
        return encode(pb.UpdateTableResponse, {
          reservedThroughputDetails: d.reservedThroughputDetails,
          tableOptions: d.tableOptions,
          streamDetails: d.streamDetails,
        });
      },
      GetRow: (body) => {
        const req = decode(pb.GetRowRequest, body);
        const r = reg.forRows(req.tableName).getRow(req.primaryKey, readSpec(req));
        return encode(pb.GetRowResponse, { consumed: readCU(r.readCU), row: r.row ?? Buffer.alloc(0) });
      },
      PutRow: (body) => {
        const req = decode(pb.PutRowRequest, body);
        const t = reg.forRows(req.tableName);
        const r = t.putRow(req.row, decodeCondition(req.condition), returnSpec(req.returnContent));
        return encode(pb.PutRowResponse, { consumed: writeCU(r.writeCU), ...(r.row ? { row: r.row } : {}) });
      },
      UpdateRow: (body) => {
        const req = decode(pb.UpdateRowRequest, body);
        const t = reg.forRows(req.tableName);
        const r = t.updateRow(req.rowChange, decodeCondition(req.condition), returnSpec(req.returnContent));
        return encode(pb.UpdateRowResponse, { consumed: writeCU(r.writeCU), ...(r.row ? { row: r.row } : {}) });
      },
      DeleteRow: (body) => {
        const req = decode(pb.DeleteRowRequest, body);
        const t = reg.forRows(req.tableName);
        const r = t.deleteRow(req.primaryKey, decodeCondition(req.condition), returnSpec(req.returnContent));
        return encode(pb.DeleteRowResponse, { consumed: writeCU(r.writeCU), ...(r.row ? { row: r.row } : {}) });
      },
      GetRange: (body) => {
        const req = decode(pb.GetRangeRequest, body);
        const t = reg.forRows(req.tableName);
        const direction = req.direction === 0 ? 'FORWARD' : req.direction === 1 ? 'BACKWARD' : undefined;
        if (!direction) throw invalid(`Invalid direction: ${req.direction}.`);
        const limit = has(req, 'limit') && req.limit !== 0 ? (req.limit ?? undefined) : undefined;
        const r = t.getRange(req.inclusiveStartPrimaryKey, req.exclusiveEndPrimaryKey, direction, limit, readSpec(req));
        return encode(pb.GetRangeResponse, {
          consumed: readCU(r.readCU),
          rows: concatRows(r.rows),
          ...(r.next ? { nextStartPrimaryKey: r.next } : {}),
        });
      },
      BatchGetRow: (body) => encode(pb.BatchGetRowResponse, this.batchGetRow(body)),
      BatchWriteRow: (body) => encode(pb.BatchWriteRowResponse, this.batchWriteRow(body)),
    };
  }

  private batchGetRow(body: Buffer): BatchGetRowResponse {
    const req = decode(pb.BatchGetRowRequest, body);
    const total = req.tables.reduce((n, t) => n + t.primaryKey.length, 0);
    if (total === 0) throw invalid('No row specified in the request of BatchGetRow.');
    if (total > BATCH_GET_MAX_ROWS) throw invalid(`Rows count exceeds the upper limit: ${BATCH_GET_MAX_ROWS}.`);
    this.countRows('BatchGetRow', total);
    const faulted = this.takeRowFault(
      'BatchGetRow',
      req.tables.map((t) => ({ tableName: t.tableName, rows: t.primaryKey.length })),
    );
    return {
      tables: req.tables.map((t, ti) => {
        let table: FakeTable | undefined;
        let spec: ReadSpec | undefined;
        let tableError: OtsError | undefined;
        try {
          table = this.registry.forRows(t.tableName);
          spec = readSpec(t);
        } catch (e) {
          if (!(e instanceof OtsError)) throw e;
          tableError = e;
        }
        const rows = t.primaryKey.map((pk, ri): RowInBatchResponse => {
          const fault = faulted.get(`${ti}:${ri}`);
          if (fault) return rowError(fault);
          if (tableError || !table || !spec) return rowError(tableError!);
          try {
            const r = table.getRow(pk, spec);
            return { isOk: true, consumed: readCU(r.readCU), row: r.row ?? Buffer.alloc(0) };
          } catch (e) {
            if (e instanceof OtsError) return rowError(e);
            throw e;
          }
        });
        return { tableName: t.tableName, rows };
      }),
    };
  }

  private batchWriteRow(body: Buffer): BatchWriteRowResponse {
    const req = decode(pb.BatchWriteRowRequest, body);
    const total = req.tables.reduce((n, t) => n + t.rows.length, 0);
    if (total === 0) throw invalid('No row specified in the request of BatchWriteRow.');
    if (total > BATCH_WRITE_MAX_ROWS) throw invalid(`Rows count exceeds the upper limit: ${BATCH_WRITE_MAX_ROWS}.`);

    // The service rejects the whole batch when one primary key appears twice in a table.
    const keys = new Set<string>();
    for (const t of req.tables) {
      let table: FakeTable;
      try {
        table = this.registry.get(t.tableName);
      } catch {
        continue;
      }
      for (const row of t.rows) {
        const k = table.keyOfWrite(row.rowChange);
        if (k === undefined) continue;
        if (keys.has(`${t.tableName}\0${k}`)) throw invalid('Duplicated primary key in one BatchWriteRow request.');
        keys.add(`${t.tableName}\0${k}`);
      }
    }

    this.countRows('BatchWriteRow', total);
    const faulted = this.takeRowFault(
      'BatchWriteRow',
      req.tables.map((t) => ({ tableName: t.tableName, rows: t.rows.length })),
    );
    return {
      tables: req.tables.map((t, ti) => ({
        tableName: t.tableName,
        rows: t.rows.map((row, ri): RowInBatchResponse => {
          const fault = faulted.get(`${ti}:${ri}`);
          if (fault) return rowError(fault);
          try {
            const table = this.registry.forRows(t.tableName);
            const cond = decodeCondition(row.condition);
            const ret = returnSpec(row.returnContent);
            const r =
              row.type === 1
                ? table.putRow(row.rowChange, cond, ret)
                : row.type === 2
                  ? table.updateRow(row.rowChange, cond, ret)
                  : row.type === 3
                    ? table.deleteRow(row.rowChange, cond, ret)
                    : undefined;
            if (!r) throw invalid(`Invalid operation type: ${row.type}.`);
            return { isOk: true, consumed: writeCU(r.writeCU), ...(r.row ? { row: r.row } : {}) };
          } catch (e) {
            if (e instanceof OtsError) return rowError(e);
            throw e;
          }
        }),
      })),
    };
  }
}

/** `/<Operation>\nPOST\n\n` + sorted `x-ots-*` headers (signature excluded), as the SDK's Signer builds it. */
function stringToSign(path: string, method: string, req: IncomingMessage): string {
  const lines = Object.keys(req.headers)
    .filter((k) => k.startsWith('x-ots-') && k !== 'x-ots-signature')
    .sort()
    .map((k) => {
      const v = req.headers[k];
      return `${k}:${Array.isArray(v) ? v.join(',') : (v ?? '')}`;
    });
  return `${path}\n${method}\n\n${lines.join('\n')}\n`;
}
