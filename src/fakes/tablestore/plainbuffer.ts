// PlainBuffer: Tablestore's row encoding inside the protobuf messages.
// Reading is our own (the SDK reader cannot parse UpdateRow DELETE cells or INF_MIN/INF_MAX keys);
// writing goes through the SDK's writer so response CRC8s are exactly what the SDK verifies.
import { sdk, type SdkValue } from './sdk';

const HEADER = 0x75;
const TAG_ROW_PK = 0x01;
const TAG_ROW_DATA = 0x02;
const TAG_CELL = 0x03;
const TAG_CELL_NAME = 0x04;
const TAG_CELL_VALUE = 0x05;
const TAG_CELL_TYPE = 0x06;
const TAG_CELL_TIMESTAMP = 0x07;
const TAG_DELETE_ROW_MARKER = 0x08;
const TAG_ROW_CHECKSUM = 0x09;
const TAG_CELL_CHECKSUM = 0x0a;

const VT_INTEGER = 0x0;
const VT_DOUBLE = 0x1;
const VT_BOOLEAN = 0x2;
const VT_STRING = 0x3;
const VT_BLOB = 0x7;
const VT_INF_MIN = 0x9;
const VT_INF_MAX = 0xa;
const VT_AUTO_INCREMENT = 0xb;

const CELL_DELETE_ALL_VERSION = 0x1;
const CELL_DELETE_ONE_VERSION = 0x3;
const CELL_INCREMENT = 0x4;

export type PkValue =
  | { type: 'INTEGER'; value: bigint }
  | { type: 'STRING'; value: string }
  | { type: 'BINARY'; value: Buffer }
  | { type: 'INF_MIN' }
  | { type: 'INF_MAX' }
  | { type: 'AUTO_INCREMENT' };

/** A concrete primary-key value as stored in a row. */
export type StoredPkValue = Extract<PkValue, { value: unknown }>;

export type CellValue =
  | { type: 'INTEGER'; value: bigint }
  | { type: 'DOUBLE'; value: number }
  | { type: 'BOOLEAN'; value: boolean }
  | { type: 'STRING'; value: string }
  | { type: 'BINARY'; value: Buffer };

export type CellOp = 'PUT' | 'DELETE' | 'DELETE_ALL' | 'INCREMENT';

export interface PkColumn<V extends PkValue = PkValue> {
  name: string;
  value: V;
}
export interface RowCell {
  name: string;
  op: CellOp;
  value?: CellValue;
  timestamp?: number;
}
export interface DecodedRow {
  primaryKey: PkColumn[];
  cells: RowCell[];
  deleteMarker: boolean;
}

export class PlainBufferError extends Error {}

const CRC8_TABLE = (() => {
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
    table[i] = crc;
  }
  return table;
})();

function crc8(crc: number, bytes: Uint8Array): number {
  for (const b of bytes) crc = CRC8_TABLE[(crc ^ b) & 0xff];
  return crc;
}
const crcByte = (crc: number, b: number): number => CRC8_TABLE[(crc ^ b) & 0xff];

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new PlainBufferError('PlainBuffer truncated');
  }
  byte(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  peek(): number | undefined {
    return this.pos < this.buf.length ? this.buf[this.pos] : undefined;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer {
    if (n < 0) throw new PlainBufferError('negative length in PlainBuffer');
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  expect(tag: number, what: string): void {
    const got = this.byte();
    if (got !== tag) throw new PlainBufferError(`expected ${what} (0x${tag.toString(16)}) but got 0x${got.toString(16)}`);
  }
}

/** Reads one "variant" (type byte + payload), returning the value and the bytes the CRC covers. */
function readVariant(r: Reader): { value: PkValue | CellValue; crcBytes: Buffer } {
  const start = r.pos;
  const type = r.byte();
  switch (type) {
    case VT_INTEGER: {
      const raw = r.bytes(8);
      return { value: { type: 'INTEGER', value: raw.readBigInt64LE(0) }, crcBytes: Buffer.concat([Buffer.of(type), raw]) };
    }
    case VT_DOUBLE: {
      const raw = r.bytes(8);
      return { value: { type: 'DOUBLE', value: raw.readDoubleLE(0) }, crcBytes: Buffer.concat([Buffer.of(type), raw]) };
    }
    case VT_BOOLEAN: {
      const b = r.byte();
      return { value: { type: 'BOOLEAN', value: b !== 0 }, crcBytes: Buffer.of(type, b !== 0 ? 1 : 0) };
    }
    case VT_STRING:
    case VT_BLOB: {
      const len = r.int32();
      const raw = r.bytes(len);
      const value: CellValue = type === VT_STRING ? { type: 'STRING', value: raw.toString('utf8') } : { type: 'BINARY', value: Buffer.from(raw) };
      return { value, crcBytes: r.buf.subarray(start, r.pos) };
    }
    case VT_INF_MIN:
      return { value: { type: 'INF_MIN' }, crcBytes: Buffer.of(type) };
    case VT_INF_MAX:
      return { value: { type: 'INF_MAX' }, crcBytes: Buffer.of(type) };
    case VT_AUTO_INCREMENT:
      return { value: { type: 'AUTO_INCREMENT' }, crcBytes: Buffer.of(type) };
    default:
      throw new PlainBufferError(`unsupported PlainBuffer value type 0x${type.toString(16)}`);
  }
}

function readCellName(r: Reader): Buffer {
  r.expect(TAG_CELL_NAME, 'TAG_CELL_NAME');
  return r.bytes(r.int32());
}

function readCellValue(r: Reader): { value: PkValue | CellValue; crcBytes: Buffer } {
  r.expect(TAG_CELL_VALUE, 'TAG_CELL_VALUE');
  const total = r.int32();
  const start = r.pos;
  const v = readVariant(r);
  if (r.pos - start !== total) throw new PlainBufferError('PlainBuffer cell value length prefix mismatch');
  return v;
}

function checkCellCrc(r: Reader, crc: number, name: string): void {
  r.expect(TAG_CELL_CHECKSUM, 'TAG_CELL_CHECKSUM');
  const sent = r.byte();
  if (sent !== crc) throw new PlainBufferError(`cell checksum mismatch on column '${name}'`);
}

/**
 * Decodes one PlainBuffer row (header included), verifying every CRC8. Bytes after the row
 * checksum are ignored because the SDK sizes its buffers by estimate and pads with zeros.
 */
export function readRow(input: Uint8Array): DecodedRow & { end: number } {
  const r = new Reader(Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  if (r.int32() !== HEADER) throw new PlainBufferError('invalid PlainBuffer header');
  let rowCrc = 0;
  const primaryKey: PkColumn[] = [];
  const cells: RowCell[] = [];
  let deleteMarker = false;

  if (r.peek() === TAG_ROW_PK) {
    r.byte();
    while (r.peek() === TAG_CELL) {
      r.byte();
      const nameBytes = readCellName(r);
      const name = nameBytes.toString('utf8');
      let crc = crc8(0, nameBytes);
      const v = readCellValue(r);
      crc = crc8(crc, v.crcBytes);
      const value = v.value;
      if (value.type === 'DOUBLE' || value.type === 'BOOLEAN') {
        throw new PlainBufferError(`primary key column '${name}' has unsupported type ${value.type}`);
      }
      checkCellCrc(r, crc, name);
      rowCrc = crcByte(rowCrc, crc);
      primaryKey.push({ name, value });
    }
  }

  if (r.peek() === TAG_ROW_DATA) {
    r.byte();
    while (r.peek() === TAG_CELL) {
      r.byte();
      const nameBytes = readCellName(r);
      const name = nameBytes.toString('utf8');
      let crc = crc8(0, nameBytes);
      let value: CellValue | undefined;
      if (r.peek() === TAG_CELL_VALUE) {
        const v = readCellValue(r);
        if (v.value.type === 'INF_MIN' || v.value.type === 'INF_MAX' || v.value.type === 'AUTO_INCREMENT') {
          throw new PlainBufferError(`attribute column '${name}' has unsupported type ${v.value.type}`);
        }
        value = v.value;
        crc = crc8(crc, v.crcBytes);
      }
      let op: CellOp = 'PUT';
      let cellTypeByte: number | undefined;
      if (r.peek() === TAG_CELL_TYPE) {
        r.byte();
        cellTypeByte = r.byte();
        if (cellTypeByte === CELL_DELETE_ALL_VERSION) op = 'DELETE_ALL';
        else if (cellTypeByte === CELL_DELETE_ONE_VERSION) op = 'DELETE';
        else if (cellTypeByte === CELL_INCREMENT) op = 'INCREMENT';
        else throw new PlainBufferError(`unsupported cell type 0x${cellTypeByte.toString(16)}`);
      }
      let timestamp: number | undefined;
      if (r.peek() === TAG_CELL_TIMESTAMP) {
        r.byte();
        const raw = r.bytes(8);
        timestamp = Number(raw.readBigInt64LE(0));
        crc = crc8(crc, raw);
      }
      // The cell type is covered by the CRC after the timestamp, although it precedes it on the wire.
      if (cellTypeByte !== undefined) crc = crcByte(crc, cellTypeByte);
      checkCellCrc(r, crc, name);
      rowCrc = crcByte(rowCrc, crc);
      cells.push({ name, op, value, timestamp });
    }
  }

  if (r.peek() === TAG_DELETE_ROW_MARKER) {
    r.byte();
    deleteMarker = true;
  }
  rowCrc = crcByte(rowCrc, deleteMarker ? 1 : 0);
  r.expect(TAG_ROW_CHECKSUM, 'TAG_ROW_CHECKSUM');
  if (r.byte() !== rowCrc) throw new PlainBufferError('row checksum mismatch');
  return { primaryKey, cells, deleteMarker, end: r.pos };
}

/** Decodes a SQLVariant-encoded value (type byte + payload), as used in column filters. */
export function readSqlVariant(input: Uint8Array): CellValue {
  const r = new Reader(Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  const { value } = readVariant(r);
  if (value.type === 'INF_MIN' || value.type === 'INF_MAX' || value.type === 'AUTO_INCREMENT') {
    throw new PlainBufferError(`unsupported filter value type ${value.type}`);
  }
  return value;
}

// ---------------- writing (thin wrapper around the SDK writer) ----------------

export interface OutCell {
  name: string;
  value: CellValue;
  timestamp: number;
}

function toSdkValue(v: StoredPkValue | CellValue): SdkValue {
  switch (v.type) {
    case 'INTEGER':
      return sdk.Long.fromString(v.value.toString());
    case 'DOUBLE':
    case 'BOOLEAN':
    case 'STRING':
      return v.value;
    case 'BINARY':
      return Buffer.from(v.value);
  }
}

function sdkPk(pk: ReadonlyArray<PkColumn<StoredPkValue>>): Array<Record<string, SdkValue>> {
  return pk.map((c) => ({ [c.name]: toSdkValue(c.value) }));
}

/** One full row (header included) with exact length: the SDK writer may over-allocate. */
export function writeRow(pk: ReadonlyArray<PkColumn<StoredPkValue>>, cells: readonly OutCell[]): Buffer {
  // The SDK writer reads `timestamp` as the cell version, so a column named so cannot be encoded; tables.ts rejects it.
  const attrs = cells.map((c) => ({ [c.name]: toSdkValue(c.value), timestamp: c.timestamp }));
  const buf = sdk.PlainBufferBuilder.serializeForPutRow(sdkPk(pk), attrs);
  return buf.subarray(0, readRow(buf).end);
}

/** A primary-key-only row, as used for GetRange's next_start_primary_key. */
export function writePrimaryKey(pk: ReadonlyArray<PkColumn<StoredPkValue>>): Buffer {
  const buf = sdk.PlainBufferBuilder.serializePrimaryKey(sdkPk(pk));
  return buf.subarray(0, readRow(buf).end);
}

/** GetRange's `rows`: one header followed by each row without its own 4-byte header. */
export function concatRows(rows: readonly Buffer[]): Buffer {
  if (rows.length === 0) return Buffer.alloc(0);
  return Buffer.concat([rows[0], ...rows.slice(1).map((r) => r.subarray(4))]);
}
