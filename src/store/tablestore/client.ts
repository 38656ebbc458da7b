/** The Tablestore wire layer: one SDK client per credential set, every call through withRetry, SDK results reshaped. */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import TableStore from 'tablestore';
import { StoreError } from '../../errors.js';
import { scrub } from '../../scrub.js';
import { DEFAULT_RETRY, withRetry, type RetryHooks, type RetryPolicy } from '../../retry.js';

export interface TablestoreCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export interface TablestoreOptions {
  endpoint: string;
  instance: string;
  tablePrefix: string;
  /** Read before every call: Function Compute role credentials rotate. */
  credentials: () => TablestoreCredentials | null;
  /** Socket idle timeout per request; the SDK has none by default. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  retryHooks?: RetryHooks;
}

export type Value = TableStore.CellValue;
/** Primary key values in the table's key column order; INF_MIN/INF_MAX only in ranges. */
export type KeyValues = Array<Value | typeof TableStore.INF_MIN | typeof TableStore.INF_MAX>;
export type Attrs = Record<string, Value>;
export type ColumnCondition = TableStore.ColumnCondition;
export type Condition = TableStore.Condition;

export interface Table {
  name: string;
  pk: string[];
}

export interface Row {
  key: Record<string, Value>;
  attrs: Record<string, Value>;
}

export type WriteRow =
  | { type: 'PUT'; table: Table; key: KeyValues; attrs: Attrs; condition: Condition }
  | { type: 'UPDATE'; table: Table; key: KeyValues; put?: Attrs; remove?: string[]; condition: Condition }
  | { type: 'DELETE'; table: Table; key: KeyValues; condition: Condition };

export const INF_MIN: typeof TableStore.INF_MIN = TableStore.INF_MIN;
export const INF_MAX: typeof TableStore.INF_MAX = TableStore.INF_MAX;
const RE = TableStore.RowExistenceExpectation;

/** Integers must travel as Int64: a plain JS number is stored as DOUBLE and never equals an INTEGER in a condition. */
export const long = (n: number) => TableStore.Long.fromNumber(n);

export function num(v: Value | undefined): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return v.toNumber();
  return Number.NaN;
}
export const str = (v: Value | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

export const ignore = (c: ColumnCondition | null = null) => new TableStore.Condition(RE.IGNORE, c);
export const mustExist = (c: ColumnCondition | null = null) => new TableStore.Condition(RE.EXPECT_EXIST, c);
export const mustNotExist = () => new TableStore.Condition(RE.EXPECT_NOT_EXIST, null);
export const equals = (column: string, value: Value, passIfMissing = false) =>
  new TableStore.SingleColumnCondition(column, value, TableStore.ComparatorType.EQUAL, passIfMissing, true);
export const atMost = (column: string, value: Value) => new TableStore.SingleColumnCondition(column, value, TableStore.ComparatorType.LESS_EQUAL, false, true);
export const above = (column: string, value: Value) => new TableStore.SingleColumnCondition(column, value, TableStore.ComparatorType.GREATER_THAN, false, true);
export function allOf(...conditions: ColumnCondition[]): ColumnCondition {
  const c = new TableStore.CompositeCondition(TableStore.LogicalOperator.AND);
  conditions.forEach((sub) => c.addSubCondition(sub));
  return c;
}
export function anyOf(...conditions: ColumnCondition[]): ColumnCondition {
  const c = new TableStore.CompositeCondition(TableStore.LogicalOperator.OR);
  conditions.forEach((sub) => c.addSubCondition(sub));
  return c;
}

const BATCH_GET_ROWS = 100;
const BATCH_WRITE_ROWS = 200;
/** Under the 4 MB request limit, with room for encoding overhead. */
const BATCH_WRITE_BYTES = 3_500_000;
/** Codes that mean "not now" (retried request-level and per row), each with whether a request that got it may still have applied; sources: help.aliyun.com/en/tablestore/support/why-do-5xx-related-errors-occur-when-i-use-tablestore, the SDK's lib/retry/retry_util.js. */
const RETRYABLE = new Map<string, { maybeApplied: boolean }>([
  ['OTSServerBusy', { maybeApplied: false }],
  ['OTSTimeout', { maybeApplied: true }],
  ['OTSQuotaExhausted', { maybeApplied: false }],
  ['OTSInternalServerError', { maybeApplied: true }],
  ['OTSTableNotReady', { maybeApplied: false }],
  ['OTSRowOperationConflict', { maybeApplied: false }],
  ['OTSPartitionUnavailable', { maybeApplied: false }],
  ['OTSServerUnavailable', { maybeApplied: true }],
  ['OTSNotEnoughCapacityUnit', { maybeApplied: false }],
  ['OTSOperationThrottled', { maybeApplied: false }],
]);

/** The rows of one batch answer that failed with a retryable code; the next attempt sends only them (a failed row was not applied). */
class RowsFailed extends Error {
  override name = 'RowsFailed';
  readonly indices: number[] = [];
  readonly tables = new Set<string>();
  code = '';

  constructor(
    readonly attempt: number,
    readonly total: number,
  ) {
    super('rows failed');
  }

  /** Keeps a retryable row for the next attempt; any other code ends the call now, not retryable. */
  add(operation: string, index: number, table: string, code: string | null | undefined) {
    if (!RETRYABLE.has(code ?? '')) throw storeError(operation, table, code ?? 'UnknownError', null);
    if (this.indices.length === 0) this.code = code!;
    this.indices.push(index);
    this.tables.add(table);
  }
}

interface Failure {
  code: string;
  requestId: string | null;
  retryable: boolean;
  maybeApplied: boolean;
}

function failureOf(error: unknown): Failure {
  if (error instanceof RowsFailed) return { code: error.code, requestId: null, retryable: true, maybeApplied: false };
  if (error instanceof StoreError) return { code: error.code, requestId: null, retryable: error.retryable, maybeApplied: false };
  const e = (error ?? {}) as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : '';
  // A lost connection and an expired httpOptions.timeout both surface as NetworkingError; the request may have landed.
  if (e.code === 'NetworkingError' || e.code === 'TimeoutError') {
    return { code: /timed out/i.test(message) ? 'RequestTimeout' : 'NetworkingError', requestId: null, retryable: true, maybeApplied: true };
  }
  // SDK quirk: `code` is the HTTP status as a number and the OTS code sits inside the raw protobuf body in `message`.
  const status = typeof e.code === 'number' ? e.code : null;
  const code = /OTS[A-Za-z]+/.exec(message)?.[0] ?? (status !== null ? `HTTP${status}` : 'UnknownError');
  const requestId = /requestId:([\w-]+)/.exec(message)?.[1] ?? null;
  const serverError = status !== null && status >= 500;
  const known = RETRYABLE.get(code);
  return { code, requestId, retryable: known !== undefined || serverError, maybeApplied: known ? known.maybeApplied : serverError };
}

/** What to do about the codes an operator can fix. */
const HINTS: Record<string, string> = {
  OTSObjectNotExist: '; create the tables with `taskhook tables init`',
  OTSAuthFailed: '; check the access key, its permissions on the instance, and the instance name',
};

/** The error a failed call ends in: operation, table, code and request id only, never the request itself. */
export function storeError(operation: string, table: string | null, code: string, requestId: string | null, retryable = false): StoreError {
  const where = table ? ` on ${table}` : '';
  const request = requestId ? ` (request ${requestId})` : '';
  return new StoreError(scrub(`Tablestore ${operation}${where} failed: ${code}${request}${HINTS[code] ?? ''}`), code, retryable);
}

/** Rows still failing once the retries ran out: retryable, so callers treat it as transient. */
function rowsError(operation: string, f: RowsFailed): StoreError {
  const rows = `${f.indices.length} of ${f.total} row${f.total === 1 ? '' : 's'}`;
  const retried = `retried ${f.attempt - 1} time${f.attempt === 2 ? '' : 's'}`;
  return new StoreError(scrub(`Tablestore ${operation} on ${[...f.tables].join(', ')} failed: ${f.code} on ${rows}, ${retried}`), f.code, true);
}

export const isConditionFailed = (error: unknown) => error instanceof StoreError && error.code === 'OTSConditionCheckFail';

/** Awaits a conditional write for which a failed condition is an expected outcome: true if it applied. */
export async function applied(write: Promise<void>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

/** Set when an attempt failed in a way that may have applied the write anyway (the answer was lost). */
export interface CallState {
  maybeApplied: boolean;
}

const toPk = (table: Table, values: KeyValues): TableStore.PrimaryKeyInput => table.pk.map((name, i) => ({ [name]: values[i] }));
const toAttrs = (attrs: Attrs) => Object.entries(attrs).map(([name, value]) => ({ [name]: value }));

function toRow(raw: { primaryKey: TableStore.PrimaryKeyOutput | null; attributes: TableStore.AttributesOutput | null }): Row {
  return {
    key: Object.fromEntries((raw.primaryKey ?? []).map((k) => [k.name, k.value])),
    attrs: Object.fromEntries((raw.attributes ?? []).map((a) => [a.columnName, a.columnValue])),
  };
}

function sizeOf(values: Array<Value | symbol | undefined>): number {
  let bytes = 64;
  for (const v of values) bytes += typeof v === 'string' ? Buffer.byteLength(v) + 16 : Buffer.isBuffer(v) ? v.length + 16 : 24;
  return bytes;
}

function writeSize(row: WriteRow): number {
  const keyBytes = sizeOf(row.key);
  if (row.type === 'PUT') return keyBytes + sizeOf(Object.values(row.attrs));
  if (row.type === 'UPDATE') return keyBytes + sizeOf(Object.values(row.put ?? {})) + (row.remove?.length ?? 0) * 32;
  return keyBytes;
}

function toBatchRow(row: WriteRow) {
  const primaryKey = toPk(row.table, row.key);
  // attributeColumns is required on a batch PUT, even when empty.
  if (row.type === 'PUT') return { type: 'PUT' as const, condition: row.condition, primaryKey, attributeColumns: toAttrs(row.attrs) };
  if (row.type === 'DELETE') return { type: 'DELETE' as const, condition: row.condition, primaryKey };
  return { type: 'UPDATE' as const, condition: row.condition, primaryKey, attributeColumns: updates(row.put, row.remove) };
}

function updates(put: Attrs | undefined, remove: string[] | undefined) {
  const out: Array<{ PUT?: TableStore.AttributesInput; DELETE_ALL?: string[] }> = [];
  if (put && Object.keys(put).length > 0) out.push({ PUT: toAttrs(put) });
  if (remove && remove.length > 0) out.push({ DELETE_ALL: remove });
  return out;
}

function chunks<T>(items: T[], maxCount: number, maxBytes = Infinity, size: (item: T) => number = () => 0): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const s = size(item);
    if (current.length > 0 && (current.length >= maxCount || bytes + s > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += s;
  }
  if (current.length > 0) out.push(current);
  return out;
}

export type WriteOutcome = 'ok' | 'conditionFailed';

export class Db {
  private current: { id: string; secret: string; token: string | undefined; client: TableStore.Client } | null = null;
  private readonly agent: HttpAgent;
  private readonly policy: RetryPolicy;

  constructor(private readonly options: TablestoreOptions) {
    this.policy = options.retry ?? DEFAULT_RETRY;
    // An agent of our own keeps sockets alive between calls and can be closed; the SDK would use the global one.
    this.agent = options.endpoint.startsWith('https:') ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  }

  table(name: string, pk: string[]): Table {
    return { name: `${this.options.tablePrefix}${name}`, pk };
  }

  close() {
    this.agent.destroy();
    this.current = null;
  }

  /** The client for the credentials in force now; a new one when they rotated. */
  private client(): TableStore.Client {
    const creds = this.options.credentials();
    if (!creds) {
      throw new StoreError(
        'Tablestore needs credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or give the function a role',
        'MissingCredentials',
      );
    }
    const c = this.current;
    if (c && c.id === creds.accessKeyId && c.secret === creds.accessKeySecret && c.token === creds.securityToken) return c.client;
    const client = new TableStore.Client({
      endpoint: this.options.endpoint,
      instancename: this.options.instance,
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.accessKeySecret,
      ...(creds.securityToken ? { stsToken: creds.securityToken } : {}),
      // The SDK's own retry never matches server error codes (and its setting is process-wide): withRetry does it here.
      maxRetries: 0,
      httpOptions: { timeout: this.options.timeoutMs ?? 10_000, agent: this.agent } as unknown as { timeout: number; maxSockets: number },
    });
    this.current = { id: creds.accessKeyId, secret: creds.accessKeySecret, token: creds.securityToken, client };
    return client;
  }

  /** One logical call, retried on transient failures; the final failure is a StoreError naming operation and code only. */
  async call<T>(operation: string, table: string | null, fn: (client: TableStore.Client, attempt: number) => Promise<T>, state?: CallState): Promise<T> {
    try {
      return await withRetry(
        (attempt) => fn(this.client(), attempt),
        (error) => {
          const f = failureOf(error);
          if (f.maybeApplied && state) state.maybeApplied = true;
          return { retry: f.retryable };
        },
        this.policy,
        this.options.retryHooks,
      );
    } catch (error) {
      if (error instanceof RowsFailed) throw rowsError(operation, error);
      if (error instanceof StoreError) throw error;
      const f = failureOf(error);
      throw storeError(operation, table, f.code, f.requestId, f.retryable);
    }
  }

  async getRow(table: Table, key: KeyValues, columns?: string[]): Promise<Row | null> {
    const res = await this.call('GetRow', table.name, (c) =>
      c.getRow({ tableName: table.name, primaryKey: toPk(table, key), ...(columns ? { columnsToGet: columns } : {}) }),
    );
    // A miss comes back as `row: {}`, not null.
    return res.row?.primaryKey ? toRow(res.row) : null;
  }

  async putRow(table: Table, key: KeyValues, attrs: Attrs, condition: Condition, state?: CallState): Promise<void> {
    await this.call(
      'PutRow',
      table.name,
      (c) => c.putRow({ tableName: table.name, primaryKey: toPk(table, key), attributeColumns: toAttrs(attrs), condition }),
      state,
    );
  }

  async updateRow(table: Table, key: KeyValues, change: { put?: Attrs; remove?: string[] }, condition: Condition, state?: CallState): Promise<void> {
    await this.call(
      'UpdateRow',
      table.name,
      (c) => c.updateRow({ tableName: table.name, primaryKey: toPk(table, key), updateOfAttributeColumns: updates(change.put, change.remove), condition }),
      state,
    );
  }

  async deleteRow(table: Table, key: KeyValues, condition: Condition, state?: CallState): Promise<void> {
    await this.call('DeleteRow', table.name, (c) => c.deleteRow({ tableName: table.name, primaryKey: toPk(table, key), condition }), state);
  }

  /** Rows by key, null where absent, in the order asked; ≤100 keys per BatchGetRow, chunks in parallel. */
  async batchGet(table: Table, keys: KeyValues[], columns?: string[]): Promise<Array<Row | null>> {
    const out = new Array<Row | null>(keys.length).fill(null);
    const indices = keys.map((_, i) => i);
    await Promise.all(
      chunks(indices, BATCH_GET_ROWS).map(async (chunk) => {
        let pending = chunk;
        await this.call('BatchGetRow', table.name, async (c, attempt) => {
          const res = await c.batchGetRow({
            tables: [{ tableName: table.name, primaryKey: pending.map((i) => toPk(table, keys[i])), ...(columns ? { columnsToGet: columns } : {}) }],
          });
          const failed = new RowsFailed(attempt, chunk.length);
          res.tables[0].forEach((r, j) => {
            const i = pending[j];
            // A miss is isOk with a null primaryKey; failures are per row with a string errorCode.
            if (r.isOk) out[i] = r.primaryKey ? toRow(r) : null;
            else failed.add('BatchGetRow', i, table.name, r.errorCode);
          });
          pending = failed.indices;
          if (pending.length > 0) throw failed;
        });
      }),
    );
    return out;
  }

  /** BatchWriteRow in parallel chunks (≤200 rows, <4 MB), so no order among them; a failed row condition is an outcome. */
  async batchWrite(rows: WriteRow[]): Promise<WriteOutcome[]> {
    const out = new Array<WriteOutcome>(rows.length).fill('ok');
    const indices = rows.map((_, i) => i);
    await Promise.all(
      chunks(indices, BATCH_WRITE_ROWS, BATCH_WRITE_BYTES, (i) => writeSize(rows[i])).map(async (chunk) => {
        let pending = chunk;
        await this.call('BatchWriteRow', rows[chunk[0]].table.name, async (c, attempt) => {
          const byTable = new Map<string, number[]>();
          for (const i of pending) byTable.set(rows[i].table.name, [...(byTable.get(rows[i].table.name) ?? []), i]);
          const order = [...byTable.values()].flat();
          const res = await c.batchWriteRow({
            tables: [...byTable].map(([tableName, list]) => ({ tableName, rows: list.map((i) => toBatchRow(rows[i])) })),
          });
          // Results come back as one flat list, table after table, in request order.
          const failed = new RowsFailed(attempt, chunk.length);
          res.tables.forEach((r, j) => {
            const i = order[j];
            if (r.isOk) out[i] = 'ok';
            else if (r.errorCode === 'OTSConditionCheckFail') out[i] = 'conditionFailed';
            else failed.add('BatchWriteRow', i, rows[i].table.name, r.errorCode);
          });
          pending = failed.indices;
          if (pending.length > 0) throw failed;
        });
      }),
    );
    return out;
  }

  /** One GetRange call: up to `limit` rows from `start` (inclusive) towards `end` (exclusive), and where to go on. */
  async range(
    table: Table,
    start: KeyValues,
    end: KeyValues,
    opts: { limit?: number; columns?: string[]; backward?: boolean } = {},
  ): Promise<{ rows: Row[]; next: KeyValues | null }> {
    const res = await this.call('GetRange', table.name, (c) =>
      c.getRange({
        tableName: table.name,
        direction: opts.backward ? TableStore.Direction.BACKWARD : TableStore.Direction.FORWARD,
        inclusiveStartPrimaryKey: toPk(table, start),
        exclusiveEndPrimaryKey: toPk(table, end),
        ...(opts.limit ? { limit: Math.min(opts.limit, 5000) } : {}),
        ...(opts.columns ? { columnsToGet: opts.columns } : {}),
      }),
    );
    // nextStartPrimaryKey is null when done, else [{name, value}]; a page may be short or empty with a next key.
    const next = res.nextStartPrimaryKey ? table.pk.map((name) => res.nextStartPrimaryKey!.find((k) => k.name === name)?.value ?? null) : null;
    return { rows: res.rows.map(toRow), next };
  }

  /** Every row between two keys, page after page; `visit` returns false to stop early. */
  async scan(
    table: Table,
    start: KeyValues,
    end: KeyValues,
    opts: { limit?: number; columns?: string[]; backward?: boolean },
    visit: (rows: Row[]) => Promise<boolean | void>,
  ): Promise<void> {
    let from: KeyValues | null = start;
    while (from) {
      const page: { rows: Row[]; next: KeyValues | null } = await this.range(table, from, end, opts);
      if ((await visit(page.rows)) === false) return;
      from = page.next;
    }
  }

  async listTables(): Promise<string[]> {
    return (await this.call('ListTable', null, (c) => c.listTable({}))).tableNames;
  }

  async createTable(table: Table, timeToLive: number): Promise<void> {
    await this.call('CreateTable', table.name, (c) =>
      c.createTable({
        tableMeta: { tableName: table.name, primaryKey: table.pk.map((name) => ({ name, type: 'STRING' as const })) },
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive, maxVersions: 1 },
      }),
    );
  }
}
