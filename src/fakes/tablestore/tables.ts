// In-memory tables and the row operations, in terms of decoded PlainBuffer rows.
// One version per cell (max_versions 1 semantics): the latest value and its timestamp.
import { checkCondition, evaluate, type ColumnFilter, type RowCondition } from './conditions';
import { conditionFailed, invalid, OtsError, tableNotExist } from './errors';
import {
  PlainBufferError,
  readRow,
  writePrimaryKey,
  writeRow,
  type CellValue,
  type DecodedRow,
  type OutCell,
  type PkColumn,
  type StoredPkValue,
} from './plainbuffer';

export type PkType = 'INTEGER' | 'STRING' | 'BINARY';
export const PK_TYPE_BY_NUMBER: Record<number, PkType> = { 1: 'INTEGER', 2: 'STRING', 3: 'BINARY' };
export const PK_TYPE_NUMBER: Record<PkType, number> = { INTEGER: 1, STRING: 2, BINARY: 3 };

export interface PkSchema {
  name: string;
  type: PkType;
  autoIncrement: boolean;
}
export interface TableOptionsState {
  timeToLive: number;
  maxVersions: number;
  deviationCellVersionInSec: number;
  allowUpdate: boolean;
}
export interface Throughput {
  read: number;
  write: number;
}

interface StoredCell {
  value: CellValue;
  ts: number;
}
interface StoredRow {
  key: Buffer;
  pk: Array<PkColumn<StoredPkValue>>;
  cells: Map<string, StoredCell>;
}

export interface ReadSpec {
  columnsToGet: string[];
  filter?: ColumnFilter;
  timeRange?: { start?: number; end?: number; specific?: number };
  startColumn?: string;
  endColumn?: string;
}

export type ReturnSpec = { type: 'NONE' } | { type: 'PK' } | { type: 'AFTER_MODIFY'; columns: string[] };

export interface WriteResult {
  row?: Buffer;
  writeCU: number;
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
const MAX_PK_VALUE_BYTES = 1024;
const MAX_ATTR_VALUE_BYTES = 2 * 1024 * 1024;
const RANGE_MAX_ROWS = 5000;
const RANGE_MAX_BYTES = 4 * 1024 * 1024;
const CU_BYTES = 4096;

const cu = (bytes: number): number => Math.max(1, Math.ceil(bytes / CU_BYTES));

function valueBytes(v: CellValue | StoredPkValue): number {
  switch (v.type) {
    case 'INTEGER':
    case 'DOUBLE':
      return 8;
    case 'BOOLEAN':
      return 1;
    case 'STRING':
      return Buffer.byteLength(v.value, 'utf8');
    case 'BINARY':
      return v.value.length;
  }
}

/** Sort key whose byte order is the table order: per column a marker (INF_MIN < value < INF_MAX) then the value. */
function sortKey(pk: ReadonlyArray<PkColumn>): Buffer {
  const parts: Buffer[] = [];
  for (const { value } of pk) {
    if (value.type === 'INF_MIN') parts.push(Buffer.of(0x00));
    else if (value.type === 'INF_MAX') parts.push(Buffer.of(0x02));
    else if (value.type === 'INTEGER') {
      const b = Buffer.alloc(9);
      b[0] = 0x01;
      // Flipping the sign bit makes two's-complement integers sort as unsigned big-endian bytes.
      b.writeBigUInt64BE(BigInt.asUintN(64, value.value) ^ (1n << 63n), 1);
      parts.push(b);
    } else if (value.type === 'STRING' || value.type === 'BINARY') {
      const raw = value.type === 'STRING' ? Buffer.from(value.value, 'utf8') : value.value;
      const out: number[] = [0x01];
      // 0x00 is escaped and 0x00 0x00 terminates, so a prefix sorts before its extensions.
      for (const byte of raw) out.push(...(byte === 0 ? [0, 1] : [byte]));
      out.push(0, 0);
      parts.push(Buffer.from(out));
    } else {
      throw invalid('Auto-increment placeholder is not a key value.');
    }
  }
  return Buffer.concat(parts);
}

function parseRow(bytes: Uint8Array | null | undefined, what: string): DecodedRow {
  if (!bytes || bytes.length === 0) throw invalid(`${what} is empty.`);
  try {
    return readRow(bytes);
  } catch (e) {
    if (e instanceof PlainBufferError) throw invalid(`Invalid ${what}: ${e.message}`);
    throw e;
  }
}

function checkColumnName(name: string): void {
  if (!NAME_RE.test(name)) throw invalid(`Invalid column name: '${name}'.`);
}

export class FakeTable {
  readonly rows = new Map<string, StoredRow>();
  /** Row keys in table order; kept sorted on insert so GetRange is a binary search plus a walk. */
  readonly sorted: Buffer[] = [];
  private autoIncrement = 0;

  constructor(
    readonly name: string,
    readonly schema: PkSchema[],
    readonly definedColumns: Array<{ name: string; type: number }>,
    public options: TableOptionsState,
    public throughput: Throughput,
    public lastIncreaseTime: number,
    public lastDecreaseTime: number | undefined,
    private readonly now: () => number,
  ) {}

  // ---- primary keys ----

  /** Checks names, order and types against the schema; INF_MIN/INF_MAX only in ranges, auto-increment only in puts. */
  private validatePk(pk: PkColumn[], mode: 'exact' | 'put' | 'range'): PkColumn[] {
    if (pk.length !== this.schema.length) {
      throw invalid(`Validate PK size fail. Input: ${pk.length}, Meta: ${this.schema.length}.`);
    }
    pk.forEach((col, i) => {
      const meta = this.schema[i];
      if (col.name !== meta.name) throw invalid(`Validate PK name fail. Input: ${col.name}, Meta: ${meta.name}.`);
      const t = col.value.type;
      if (t === 'INF_MIN' || t === 'INF_MAX') {
        if (mode !== 'range') throw invalid(`INF_MIN or INF_MAX is only allowed in GetRange (column '${col.name}').`);
        return;
      }
      if (t === 'AUTO_INCREMENT') {
        if (mode !== 'put' || !meta.autoIncrement) throw invalid(`Column '${col.name}' is not an auto-increment primary key.`);
        return;
      }
      if (t !== meta.type) throw invalid(`Validate PK type fail. Input: VT_${t}, Meta: VT_${meta.type}.`);
      if ((t === 'STRING' || t === 'BINARY') && valueBytes(col.value) > MAX_PK_VALUE_BYTES) {
        throw invalid(
          `The length of primary key column: '${col.name}' exceeds the MaxLength:${MAX_PK_VALUE_BYTES} with CurrentLength:${valueBytes(col.value)}.`,
        );
      }
    });
    return pk;
  }

  private exactPk(pk: PkColumn[]): Array<PkColumn<StoredPkValue>> {
    return this.validatePk(pk, 'exact') as Array<PkColumn<StoredPkValue>>;
  }

  // ---- storage ----

  private lowerBound(key: Buffer): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Buffer.compare(this.sorted[mid], key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private upperBound(key: Buffer): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Buffer.compare(this.sorted[mid], key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private store(row: StoredRow): void {
    const id = row.key.toString('latin1');
    if (!this.rows.has(id)) this.sorted.splice(this.lowerBound(row.key), 0, row.key);
    this.rows.set(id, row);
  }

  private remove(key: Buffer): void {
    const id = key.toString('latin1');
    if (!this.rows.delete(id)) return;
    const i = this.lowerBound(key);
    if (i < this.sorted.length && this.sorted[i].equals(key)) this.sorted.splice(i, 1);
  }

  /** Cells still alive under the table TTL (expiry is by cell timestamp against the injectable clock). */
  private liveCells(row: StoredRow): Map<string, StoredCell> {
    const ttl = this.options.timeToLive;
    if (ttl <= 0) return row.cells;
    const cutoff = this.now() - ttl * 1000;
    const live = new Map<string, StoredCell>();
    for (const [name, cell] of row.cells) if (cell.ts > cutoff) live.set(name, cell);
    return live;
  }

  /** The visible row, or undefined when absent or fully expired. */
  private lookup(key: Buffer): { row: StoredRow; cells: Map<string, StoredCell> } | undefined {
    const row = this.rows.get(key.toString('latin1'));
    if (!row) return undefined;
    const cells = this.liveCells(row);
    if (row.cells.size > 0 && cells.size === 0) return undefined;
    return { row, cells };
  }

  private cellTimestamp(ts: number | undefined): number {
    if (ts === undefined) return this.now();
    const deviation = this.options.deviationCellVersionInSec * 1000;
    if (ts < 0 || Math.abs(ts - this.now()) > deviation) {
      throw invalid(`The timestamp ${ts} of cell is out of the allowed deviation (${this.options.deviationCellVersionInSec}s).`);
    }
    return ts;
  }

  private checkAttribute(name: string, value: CellValue | undefined): void {
    checkColumnName(name);
    // The SDK's PlainBuffer writer treats a key named `timestamp` as the cell version, so such a column cannot round-trip.
    if (name === 'timestamp') throw invalid("Attribute column name 'timestamp' cannot be encoded by the tablestore SDK.");
    if (this.schema.some((s) => s.name === name)) throw invalid(`Attribute column '${name}' duplicates a primary key column.`);
    if (value && (value.type === 'STRING' || value.type === 'BINARY') && valueBytes(value) > MAX_ATTR_VALUE_BYTES) {
      throw invalid(`The length of attribute column: '${name}' exceeds the MaxLength:${MAX_ATTR_VALUE_BYTES}.`);
    }
  }

  private returnRow(spec: ReturnSpec, pk: Array<PkColumn<StoredPkValue>>, cells: Map<string, StoredCell> | undefined): Buffer | undefined {
    if (spec.type === 'NONE') return undefined;
    const out: OutCell[] = [];
    if (spec.type === 'AFTER_MODIFY' && cells) {
      for (const name of [...spec.columns].sort()) {
        const c = cells.get(name);
        if (c) out.push({ name, value: c.value, timestamp: c.ts });
      }
    }
    return writeRow(pk, out);
  }

  // ---- operations ----

  /** Builds the response row for a read, or undefined when nothing is to be returned. */
  private project(row: StoredRow, live: Map<string, StoredCell>, spec: ReadSpec): Buffer | undefined {
    const wanted = spec.columnsToGet.length > 0 ? new Set(spec.columnsToGet) : undefined;
    const { timeRange, startColumn, endColumn } = spec;
    const selected = new Map<string, StoredCell>();
    for (const name of [...live.keys()].sort()) {
      const cell = live.get(name)!;
      if (wanted && !wanted.has(name)) continue;
      if (startColumn && name < startColumn) continue;
      if (endColumn && name >= endColumn) continue;
      if (timeRange?.specific !== undefined && cell.ts !== timeRange.specific) continue;
      if (timeRange?.start !== undefined && cell.ts < timeRange.start) continue;
      if (timeRange?.end !== undefined && cell.ts >= timeRange.end) continue;
      selected.set(name, cell);
    }
    // Like the service, the filter only sees the selected columns: a filter column missing from columnsToGet counts as absent.
    if (spec.filter && !evaluate(spec.filter, selected)) return undefined;
    let cells = [...selected].map(([name, c]): OutCell => ({ name, value: c.value, timestamp: c.ts }));
    if (spec.filter?.kind === 'pagination') cells = cells.slice(spec.filter.offset, spec.filter.offset + spec.filter.limit);
    const pkRequested = wanted ? this.schema.some((s) => wanted.has(s.name)) : true;
    if (cells.length === 0 && !pkRequested) return undefined;
    return writeRow(row.pk, cells);
  }

  getRow(pkBytes: Uint8Array, spec: ReadSpec): { row?: Buffer; readCU: number } {
    const pk = this.exactPk(parseRow(pkBytes, 'primary key').primaryKey);
    const found = this.lookup(sortKey(pk));
    if (!found) return { readCU: 1 };
    const row = this.project(found.row, found.cells, spec);
    return { row, readCU: cu(row?.length ?? 0) };
  }

  putRow(rowBytes: Uint8Array, cond: RowCondition, ret: ReturnSpec): WriteResult {
    const decoded = parseRow(rowBytes, 'row');
    if (decoded.deleteMarker) throw invalid('PutRow does not accept a delete marker.');
    const pkIn = this.validatePk(decoded.primaryKey, 'put');
    const seen = new Set<string>();
    for (const cell of decoded.cells) {
      if (cell.op !== 'PUT' || !cell.value) throw invalid(`PutRow only accepts plain values (column '${cell.name}').`);
      this.checkAttribute(cell.name, cell.value);
      if (seen.has(cell.name)) throw invalid(`Duplicated attribute column name: '${cell.name}'.`);
      seen.add(cell.name);
    }
    const hasAuto = pkIn.some((c) => c.value.type === 'AUTO_INCREMENT');
    if (hasAuto && cond.existence !== 'IGNORE') {
      throw invalid('The row existence expectation must be IGNORE when the primary key is auto-incremented.');
    }
    const pk = pkIn.map((c): PkColumn<StoredPkValue> =>
      // Auto-increment values are unique and increasing, not dense, as in the service.
      c.value.type === 'AUTO_INCREMENT'
        ? { name: c.name, value: { type: 'INTEGER', value: BigInt(this.now()) * 1000n + BigInt(++this.autoIncrement) } }
        : (c as PkColumn<StoredPkValue>),
    );
    const key = sortKey(pk);
    const found = this.lookup(key);
    if (!checkCondition(cond, found?.cells)) throw conditionFailed();
    const cells = new Map<string, StoredCell>();
    for (const cell of decoded.cells) cells.set(cell.name, { value: cell.value!, ts: this.cellTimestamp(cell.timestamp) });
    this.store({ key, pk, cells });
    return { row: this.returnRow(ret, pk, cells), writeCU: cu(rowBytes.length) };
  }

  updateRow(rowBytes: Uint8Array, cond: RowCondition, ret: ReturnSpec): WriteResult {
    const decoded = parseRow(rowBytes, 'row change');
    if (decoded.deleteMarker) throw invalid('UpdateRow does not accept a delete marker.');
    const pk = this.exactPk(decoded.primaryKey);
    const seen = new Set<string>();
    for (const cell of decoded.cells) {
      this.checkAttribute(cell.name, cell.value);
      if (seen.has(cell.name)) throw invalid(`Duplicated attribute column name: '${cell.name}'.`);
      seen.add(cell.name);
      if ((cell.op === 'PUT' || cell.op === 'INCREMENT') && !cell.value) throw invalid(`Column '${cell.name}' has no value.`);
      if ((cell.op === 'DELETE_ALL' || cell.op === 'DELETE') && cell.value) throw invalid(`Delete of column '${cell.name}' must not carry a value.`);
      if (cell.op === 'DELETE' && cell.timestamp === undefined) throw invalid(`Deleting one version of '${cell.name}' needs a timestamp.`);
      if (cell.op === 'INCREMENT' && cell.value?.type !== 'INTEGER') throw invalid(`Increment of '${cell.name}' needs an integer.`);
    }
    const key = sortKey(pk);
    const found = this.lookup(key);
    if (!checkCondition(cond, found?.cells)) throw conditionFailed();
    const cells = new Map(found?.cells ?? []);
    for (const cell of decoded.cells) {
      const existing = cells.get(cell.name);
      if (cell.op === 'DELETE_ALL') cells.delete(cell.name);
      else if (cell.op === 'DELETE') {
        if (existing && existing.ts === cell.timestamp) cells.delete(cell.name);
      } else if (cell.op === 'INCREMENT') {
        if (existing && existing.value.type !== 'INTEGER') throw invalid(`Column '${cell.name}' is not an integer and cannot be incremented.`);
        const base = existing ? (existing.value.value as bigint) : 0n;
        const delta = cell.value!.value as bigint;
        cells.set(cell.name, { value: { type: 'INTEGER', value: BigInt.asIntN(64, base + delta) }, ts: this.cellTimestamp(undefined) });
      } else {
        const ts = this.cellTimestamp(cell.timestamp);
        // One version per cell: an explicitly older version does not replace a newer one.
        if (!existing || existing.ts <= ts) cells.set(cell.name, { value: cell.value!, ts });
      }
    }
    this.store({ key, pk, cells });
    return { row: this.returnRow(ret, pk, cells), writeCU: cu(rowBytes.length) };
  }

  deleteRow(pkBytes: Uint8Array, cond: RowCondition, ret: ReturnSpec): WriteResult {
    const decoded = parseRow(pkBytes, 'primary key');
    if (decoded.cells.length > 0) throw invalid('DeleteRow does not accept attribute columns.');
    const pk = this.exactPk(decoded.primaryKey);
    const key = sortKey(pk);
    const found = this.lookup(key);
    if (!checkCondition(cond, found?.cells)) throw conditionFailed();
    this.remove(key);
    return { row: ret.type === 'NONE' ? undefined : writeRow(pk, []), writeCU: 1 };
  }

  /** Sort key of a write's primary key, for duplicate detection in BatchWriteRow. */
  keyOfWrite(bytes: Uint8Array): string | undefined {
    try {
      const pk = readRow(bytes).primaryKey;
      return pk.some((c) => c.value.type === 'AUTO_INCREMENT') ? undefined : sortKey(pk).toString('latin1');
    } catch {
      return undefined; // the row itself reports the error
    }
  }

  getRange(
    startBytes: Uint8Array,
    endBytes: Uint8Array,
    direction: 'FORWARD' | 'BACKWARD',
    limit: number | undefined,
    spec: ReadSpec,
  ): { rows: Buffer[]; next?: Buffer; readCU: number } {
    const start = sortKey(this.validatePk(parseRow(startBytes, 'inclusive start primary key').primaryKey, 'range'));
    const end = sortKey(this.validatePk(parseRow(endBytes, 'exclusive end primary key').primaryKey, 'range'));
    const cmp = Buffer.compare(start, end);
    if (direction === 'FORWARD' && cmp >= 0) throw invalid('Begin key must less than end key in FORWARD');
    if (direction === 'BACKWARD' && cmp <= 0) throw invalid('Begin key must more than end key in BACKWARD');
    if (limit !== undefined && limit <= 0) throw invalid(`Invalid limit: ${limit}.`);
    const cap = Math.min(limit ?? RANGE_MAX_ROWS, RANGE_MAX_ROWS);

    const rows: Buffer[] = [];
    let bytes = 0;
    let next: Buffer | undefined;
    const forward = direction === 'FORWARD';
    let i = forward ? this.lowerBound(start) : this.upperBound(start) - 1;
    const inRange = (k: Buffer): boolean => (forward ? Buffer.compare(k, end) < 0 : Buffer.compare(k, end) > 0);
    for (; i >= 0 && i < this.sorted.length && inRange(this.sorted[i]); i += forward ? 1 : -1) {
      const key = this.sorted[i];
      const found = this.lookup(key);
      if (!found) continue;
      if (rows.length >= cap || bytes >= RANGE_MAX_BYTES) {
        next = writePrimaryKey(found.row.pk);
        break;
      }
      const out = this.project(found.row, found.cells, spec);
      if (!out) continue;
      rows.push(out);
      bytes += out.length;
    }
    return { rows, next, readCU: cu(bytes) };
  }
}

export interface CreateTableInput {
  name: string;
  primaryKey: Array<{ name: string; type: number; option?: number | null }>;
  definedColumns: Array<{ name: string; type: number }>;
  options: Partial<TableOptionsState>;
  throughput: Throughput;
}

/** All tables of one fake instance. */
export class TableRegistry {
  private readonly byName = new Map<string, FakeTable>();
  /** When each table starts serving rows (epoch ms of the data clock). */
  private readonly availableAt = new Map<string, number>();
  /** How long a new table answers row operations with OTSTableNotReady, as the service may right after CreateTable. */
  unavailableAfterCreateMs = 0;

  constructor(private readonly now: () => number) {}

  /** The table for a row operation: refused while it is still being made available. */
  forRows(name: string): FakeTable {
    const t = this.get(name);
    if (this.now() < (this.availableAt.get(name) ?? 0)) throw new OtsError(404, 'OTSTableNotReady', 'The table is not ready.');
    return t;
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  get(name: string): FakeTable {
    const t = this.byName.get(name);
    if (!t) throw tableNotExist();
    return t;
  }

  create(input: CreateTableInput): void {
    if (!NAME_RE.test(input.name)) throw invalid(`Invalid table name: '${input.name}'.`);
    if (input.primaryKey.length < 1 || input.primaryKey.length > 4) {
      throw invalid('The number of primary key columns must be in range: [1, 4].');
    }
    const seen = new Set<string>();
    const schema = input.primaryKey.map((pk, i): PkSchema => {
      checkColumnName(pk.name);
      if (seen.has(pk.name)) throw invalid(`Duplicated primary key name: '${pk.name}'.`);
      seen.add(pk.name);
      const type = PK_TYPE_BY_NUMBER[pk.type];
      if (!type) throw invalid(`Invalid primary key type: ${pk.type}.`);
      const autoIncrement = pk.option === 1;
      if (autoIncrement && (type !== 'INTEGER' || i === 0)) {
        throw invalid('Only an INTEGER primary key column other than the partition key can auto-increment.');
      }
      return { name: pk.name, type, autoIncrement };
    });
    const options: TableOptionsState = {
      timeToLive: input.options.timeToLive ?? -1,
      maxVersions: input.options.maxVersions ?? 1,
      deviationCellVersionInSec: input.options.deviationCellVersionInSec ?? 86400,
      allowUpdate: input.options.allowUpdate ?? true,
    };
    validateOptions(options);
    if (this.byName.has(input.name)) throw new OtsError(409, 'OTSObjectAlreadyExist', 'Requested table already exists.');
    const nowSec = Math.floor(this.now() / 1000);
    this.byName.set(input.name, new FakeTable(input.name, schema, input.definedColumns, options, input.throughput, nowSec, undefined, this.now));
    this.availableAt.set(input.name, this.now() + this.unavailableAfterCreateMs);
  }

  update(name: string, options: Partial<TableOptionsState>, throughput: Partial<Throughput> | undefined): FakeTable {
    const t = this.get(name);
    const merged: TableOptionsState = {
      timeToLive: options.timeToLive ?? t.options.timeToLive,
      maxVersions: options.maxVersions ?? t.options.maxVersions,
      deviationCellVersionInSec: options.deviationCellVersionInSec ?? t.options.deviationCellVersionInSec,
      allowUpdate: options.allowUpdate ?? t.options.allowUpdate,
    };
    validateOptions(merged);
    t.options = merged;
    if (throughput) {
      const next = { read: throughput.read ?? t.throughput.read, write: throughput.write ?? t.throughput.write };
      const nowSec = Math.floor(this.now() / 1000);
      if (next.read > t.throughput.read || next.write > t.throughput.write) t.lastIncreaseTime = nowSec;
      if (next.read < t.throughput.read || next.write < t.throughput.write) t.lastDecreaseTime = nowSec;
      t.throughput = next;
    }
    return t;
  }

  delete(name: string): void {
    this.get(name);
    this.byName.delete(name);
    this.availableAt.delete(name);
  }
}

function validateOptions(o: TableOptionsState): void {
  if (o.timeToLive !== -1 && o.timeToLive < 86400) throw invalid('TimeToLive must be -1 or at least 86400 seconds.');
  if (o.maxVersions < 1) throw invalid('MaxVersions must be at least 1.');
  if (o.deviationCellVersionInSec < 1) throw invalid('MaxTimeDeviation must be at least 1 second.');
}
