// Row conditions (existence + column condition) for writes, and column filters for reads.
// Both arrive as a protobuf `filter.proto.Filter`; values inside are SQLVariant-encoded.
import { invalid, OtsError } from './errors';
import { readSqlVariant, type CellValue } from './plainbuffer';
import { proto, type Condition, type FilterMsg } from './sdk';

const FT_SINGLE_COLUMN_VALUE = 1;
const FT_COMPOSITE_COLUMN_VALUE = 2;
const FT_COLUMN_PAGINATION = 3;

export const Comparator = { EQUAL: 1, NOT_EQUAL: 2, GREATER_THAN: 3, GREATER_EQUAL: 4, LESS_THAN: 5, LESS_EQUAL: 6 } as const;
const LOGICAL = { 1: 'NOT', 2: 'AND', 3: 'OR' } as const;
const VALID_COMPARATORS = new Set<number>(Object.values(Comparator));

export type ColumnFilter =
  | {
      kind: 'single';
      comparator: number;
      column: string;
      value: CellValue;
      passIfMissing: boolean;
      latestVersionOnly: boolean;
    }
  | { kind: 'composite'; op: 'NOT' | 'AND' | 'OR'; subs: ColumnFilter[] }
  | { kind: 'pagination'; offset: number; limit: number };

export type RowExistence = 'IGNORE' | 'EXPECT_EXIST' | 'EXPECT_NOT_EXIST';

export interface RowCondition {
  existence: RowExistence;
  column?: ColumnFilter;
}

/** What a condition or filter sees of a row: its live attribute cells by name. */
export type CellLookup = ReadonlyMap<string, { value: CellValue }>;

function decodeFilterMsg(msg: FilterMsg, depth: number): ColumnFilter {
  if (depth > 32) throw invalid('Column condition is nested too deeply.');
  try {
    switch (msg.type) {
      case FT_SINGLE_COLUMN_VALUE: {
        const f = proto.filter.proto.SingleColumnValueFilter.decode(msg.filter);
        if (!VALID_COMPARATORS.has(f.comparator)) throw invalid(`Invalid comparator type: ${f.comparator}.`);
        if (!f.columnName) throw invalid('Column name of a column condition must not be empty.');
        return {
          kind: 'single',
          comparator: f.comparator,
          column: f.columnName,
          value: readSqlVariant(f.columnValue),
          passIfMissing: !f.filterIfMissing,
          latestVersionOnly: f.latestVersionOnly,
        };
      }
      case FT_COMPOSITE_COLUMN_VALUE: {
        const f = proto.filter.proto.CompositeColumnValueFilter.decode(msg.filter);
        const op = LOGICAL[f.combinator as keyof typeof LOGICAL];
        if (!op) throw invalid(`Invalid logical operator: ${f.combinator}.`);
        if (op === 'NOT' && f.subFilters.length !== 1) throw invalid('NOT must have exactly one sub condition.');
        if (op !== 'NOT' && f.subFilters.length < 1) throw invalid(`${op} must have at least one sub condition.`);
        const subs = f.subFilters.map((s) => decodeFilterMsg(s, depth + 1));
        if (subs.some((s) => s.kind === 'pagination')) throw invalid('Pagination filter cannot be combined.');
        return { kind: 'composite', op, subs };
      }
      case FT_COLUMN_PAGINATION: {
        const f = proto.filter.proto.ColumnPaginationFilter.decode(msg.filter);
        if (f.offset < 0 || f.limit < 0) throw invalid('Offset and limit of a pagination filter must not be negative.');
        return { kind: 'pagination', offset: f.offset, limit: f.limit };
      }
      default:
        throw invalid(`Invalid filter type: ${msg.type}.`);
    }
  } catch (e) {
    if (e instanceof OtsError) throw e;
    throw invalid(`Invalid column condition: ${(e as Error).message}`);
  }
}

export function decodeFilter(bytes: Uint8Array): ColumnFilter {
  let msg: FilterMsg;
  try {
    msg = proto.filter.proto.Filter.decode(bytes);
  } catch (e) {
    throw invalid(`Invalid filter: ${(e as Error).message}`);
  }
  return decodeFilterMsg(msg, 0);
}

export function decodeCondition(c: Condition | null | undefined): RowCondition {
  if (!c) throw invalid('Condition is required.');
  const existence = (['IGNORE', 'EXPECT_EXIST', 'EXPECT_NOT_EXIST'] as const)[c.rowExistence];
  if (!existence) throw invalid(`Invalid row existence expectation: ${c.rowExistence}.`);
  if (!c.columnCondition || c.columnCondition.length === 0) return { existence };
  const column = decodeFilter(c.columnCondition);
  if (column.kind === 'pagination') throw invalid('Pagination filter is not allowed in a condition.');
  return { existence, column };
}

/** Orders two values of the same type; undefined when the types differ (never comparable). */
export function compareValues(a: CellValue, b: CellValue): number | undefined {
  if (a.type !== b.type) return undefined;
  switch (a.type) {
    case 'INTEGER': {
      const bv = b.value as bigint;
      return a.value < bv ? -1 : a.value > bv ? 1 : 0;
    }
    case 'DOUBLE': {
      const bv = b.value as number;
      return a.value < bv ? -1 : a.value > bv ? 1 : 0;
    }
    case 'BOOLEAN':
      return Number(a.value) - Number(b.value);
    case 'STRING':
      return Buffer.compare(Buffer.from(a.value, 'utf8'), Buffer.from(b.value as string, 'utf8'));
    case 'BINARY':
      return Buffer.compare(a.value, b.value as Buffer);
  }
}

/** Evaluates a column condition; pagination filters always pass (they only trim columns). */
export function evaluate(filter: ColumnFilter, cells: CellLookup): boolean {
  switch (filter.kind) {
    case 'pagination':
      return true;
    case 'composite':
      if (filter.op === 'NOT') return !evaluate(filter.subs[0], cells);
      if (filter.op === 'AND') return filter.subs.every((s) => evaluate(s, cells));
      return filter.subs.some((s) => evaluate(s, cells));
    case 'single': {
      const cell = cells.get(filter.column);
      if (!cell) return filter.passIfMissing;
      const cmp = compareValues(cell.value, filter.value);
      // Values of different types (e.g. a JS number, i.e. DOUBLE, against an INTEGER column) are never equal.
      if (cmp === undefined) return filter.comparator === Comparator.NOT_EQUAL;
      switch (filter.comparator) {
        case Comparator.EQUAL:
          return cmp === 0;
        case Comparator.NOT_EQUAL:
          return cmp !== 0;
        case Comparator.GREATER_THAN:
          return cmp > 0;
        case Comparator.GREATER_EQUAL:
          return cmp >= 0;
        case Comparator.LESS_THAN:
          return cmp < 0;
        default:
          return cmp <= 0;
      }
    }
  }
}

/** True when a write may proceed; `cells` is undefined when the row does not exist. */
export function checkCondition(cond: RowCondition, cells: CellLookup | undefined): boolean {
  if (cond.existence === 'EXPECT_EXIST' && !cells) return false;
  if (cond.existence === 'EXPECT_NOT_EXIST' && cells) return false;
  if (!cond.column) return true;
  return evaluate(cond.column, cells ?? new Map());
}
