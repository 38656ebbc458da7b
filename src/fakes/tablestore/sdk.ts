// Typed access to the parts of the `tablestore` SDK the fake reuses: the compiled protobuf
// codecs (wire format) and the PlainBuffer writer (so response rows carry CRC8s the SDK accepts).
// @types/tablestore declares neither, hence the local interfaces and the typed require.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** protobufjs int64 fields decode to `Long` (or number when small and `long` is absent). */
export type Int64 = number | { toString(): string };

export function int64ToNumber(v: Int64 | null | undefined): number | undefined {
  if (v === null || v === undefined) return undefined;
  return typeof v === 'number' ? v : Number(v.toString());
}

interface Writer {
  finish(): Uint8Array;
}
export interface Codec<T> {
  decode(buf: Uint8Array): T;
  encode(msg: T): Writer;
}

// ---- request / response shapes (only the fields the fake reads or writes) ----
export interface CapacityUnit {
  read?: number;
  write?: number;
}
export interface ConsumedCapacity {
  capacityUnit: CapacityUnit;
}
export interface ErrorMsg {
  code: string;
  message?: string;
}
export interface PrimaryKeySchema {
  name: string;
  type: number;
  option?: number | null;
}
export interface DefinedColumnSchema {
  name: string;
  type: number;
}
export interface TableMeta {
  tableName: string;
  primaryKey: PrimaryKeySchema[];
  definedColumn?: DefinedColumnSchema[];
}
export interface TableOptions {
  timeToLive?: number | null;
  maxVersions?: number | null;
  deviationCellVersionInSec?: Int64 | null;
  allowUpdate?: boolean | null;
}
export interface ReservedThroughput {
  capacityUnit: CapacityUnit;
}
export interface ReservedThroughputDetails {
  capacityUnit: CapacityUnit;
  lastIncreaseTime: Int64;
  lastDecreaseTime?: Int64 | null;
}
export interface StreamSpecification {
  enableStream: boolean;
  expirationTime?: number | null;
}
export interface StreamDetails {
  enableStream: boolean;
  streamId?: string;
  expirationTime?: number;
  lastEnableTime?: Int64;
}
export interface Condition {
  rowExistence: number;
  columnCondition?: Uint8Array | null;
}
export interface ReturnContent {
  returnType?: number | null;
  returnColumnNames?: string[];
}
export interface TimeRange {
  startTime?: Int64 | null;
  endTime?: Int64 | null;
  specificTime?: Int64 | null;
}

export interface CreateTableRequest {
  tableMeta: TableMeta;
  reservedThroughput: ReservedThroughput;
  tableOptions?: TableOptions | null;
  streamSpec?: StreamSpecification | null;
}
export interface UpdateTableRequest {
  tableName: string;
  reservedThroughput?: ReservedThroughput | null;
  tableOptions?: TableOptions | null;
  streamSpec?: StreamSpecification | null;
}
export interface UpdateTableResponse {
  reservedThroughputDetails: ReservedThroughputDetails;
  tableOptions: TableOptions;
  streamDetails?: StreamDetails;
}
export interface TableNameRequest {
  tableName: string;
}
export interface DescribeTableResponse {
  tableMeta: TableMeta;
  reservedThroughputDetails: ReservedThroughputDetails;
  tableOptions: TableOptions;
  tableStatus: number;
  streamDetails?: StreamDetails;
  shardSplits?: Uint8Array[];
}
export interface ListTableResponse {
  tableNames: string[];
}
export type Empty = Record<string, never>;

export interface ReadOptions {
  columnsToGet?: string[];
  timeRange?: TimeRange | null;
  maxVersions?: number | null;
  filter?: Uint8Array | null;
  startColumn?: string | null;
  endColumn?: string | null;
}
export interface GetRowRequest extends ReadOptions {
  tableName: string;
  primaryKey: Uint8Array;
}
export interface RowResponse {
  consumed: ConsumedCapacity;
  row?: Uint8Array;
}
export interface PutRowRequest {
  tableName: string;
  row: Uint8Array;
  condition: Condition;
  returnContent?: ReturnContent | null;
}
export interface UpdateRowRequest {
  tableName: string;
  rowChange: Uint8Array;
  condition: Condition;
  returnContent?: ReturnContent | null;
}
export interface DeleteRowRequest {
  tableName: string;
  primaryKey: Uint8Array;
  condition: Condition;
  returnContent?: ReturnContent | null;
}

export interface TableInBatchGetRowRequest extends ReadOptions {
  tableName: string;
  primaryKey: Uint8Array[];
}
export interface BatchGetRowRequest {
  tables: TableInBatchGetRowRequest[];
}
export interface RowInBatchResponse {
  isOk: boolean;
  error?: ErrorMsg;
  consumed?: ConsumedCapacity;
  row?: Uint8Array;
}
export interface BatchGetRowResponse {
  tables: Array<{ tableName: string; rows: RowInBatchResponse[] }>;
}
export interface RowInBatchWriteRowRequest {
  type: number;
  rowChange: Uint8Array;
  condition: Condition;
  returnContent?: ReturnContent | null;
}
export interface BatchWriteRowRequest {
  tables: Array<{ tableName: string; rows: RowInBatchWriteRowRequest[] }>;
}
export interface BatchWriteRowResponse {
  tables: Array<{ tableName: string; rows: RowInBatchResponse[] }>;
}

export interface GetRangeRequest extends ReadOptions {
  tableName: string;
  direction: number;
  limit?: number | null;
  inclusiveStartPrimaryKey: Uint8Array;
  exclusiveEndPrimaryKey: Uint8Array;
}
export interface GetRangeResponse {
  consumed: ConsumedCapacity;
  rows: Uint8Array;
  nextStartPrimaryKey?: Uint8Array;
}

export interface FilterMsg {
  type: number;
  filter: Uint8Array;
}
export interface SingleColumnValueFilterMsg {
  comparator: number;
  columnName: string;
  columnValue: Uint8Array;
  filterIfMissing: boolean;
  latestVersionOnly: boolean;
}
export interface CompositeColumnValueFilterMsg {
  combinator: number;
  subFilters: FilterMsg[];
}
export interface ColumnPaginationFilterMsg {
  offset: number;
  limit: number;
}

interface ProtoRoot {
  main: {
    proto: {
      Error: Codec<ErrorMsg>;
      CreateTableRequest: Codec<CreateTableRequest>;
      CreateTableResponse: Codec<Empty>;
      UpdateTableRequest: Codec<UpdateTableRequest>;
      UpdateTableResponse: Codec<UpdateTableResponse>;
      DescribeTableRequest: Codec<TableNameRequest>;
      DescribeTableResponse: Codec<DescribeTableResponse>;
      ListTableRequest: Codec<Empty>;
      ListTableResponse: Codec<ListTableResponse>;
      DeleteTableRequest: Codec<TableNameRequest>;
      DeleteTableResponse: Codec<Empty>;
      GetRowRequest: Codec<GetRowRequest>;
      GetRowResponse: Codec<RowResponse>;
      PutRowRequest: Codec<PutRowRequest>;
      PutRowResponse: Codec<RowResponse>;
      UpdateRowRequest: Codec<UpdateRowRequest>;
      UpdateRowResponse: Codec<RowResponse>;
      DeleteRowRequest: Codec<DeleteRowRequest>;
      DeleteRowResponse: Codec<RowResponse>;
      BatchGetRowRequest: Codec<BatchGetRowRequest>;
      BatchGetRowResponse: Codec<BatchGetRowResponse>;
      BatchWriteRowRequest: Codec<BatchWriteRowRequest>;
      BatchWriteRowResponse: Codec<BatchWriteRowResponse>;
      GetRangeRequest: Codec<GetRangeRequest>;
      GetRangeResponse: Codec<GetRangeResponse>;
    };
  };
  filter: {
    proto: {
      Filter: Codec<FilterMsg>;
      SingleColumnValueFilter: Codec<SingleColumnValueFilterMsg>;
      CompositeColumnValueFilter: Codec<CompositeColumnValueFilterMsg>;
      ColumnPaginationFilter: Codec<ColumnPaginationFilterMsg>;
    };
  };
}

export const proto = require('tablestore/lib/protocol/tablestore_compiled_proto.js') as ProtoRoot;

/** Values the SDK's PlainBuffer writer accepts (Int64LE instances come from `Long`). */
export type SdkValue = string | number | boolean | Buffer | object;

interface SdkInternals {
  INF_MIN: object;
  INF_MAX: object;
  Long: { fromString(s: string): object; fromNumber(n: number): object };
  PlainBufferBuilder: {
    serializeForPutRow(pk: Array<Record<string, SdkValue>>, attrs: Array<Record<string, SdkValue>>): Buffer;
    serializePrimaryKey(pk: Array<Record<string, SdkValue>>): Buffer;
    serializeForUpdateRow(pk: Array<Record<string, SdkValue>>, updates: Array<Record<string, unknown[]>>): Buffer;
  };
}

export const sdk = require('tablestore') as SdkInternals;
