// Specification of the fake Tablestore, exercised only through the real `tablestore` SDK client
// (plus one raw HTTP call for the MD5 check), so what passes here is what an adapter will see.
import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import TableStore from 'tablestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeTablestore, type FakeTablestore } from '../../src/fakes/tablestore/index';
import { PlainBufferError, readRow, writeRow } from '../../src/fakes/tablestore/plainbuffer';
import { proto, sdk } from '../../src/fakes/tablestore/sdk';

type Client = TableStore.Client;
type Row = TableStore.Row;
type CellValue = TableStore.CellValue;

const { Condition, RowExistenceExpectation: RE, SingleColumnCondition, CompositeCondition, ComparatorType, LogicalOperator } = TableStore;
const long = (n: number | string) => (typeof n === 'number' ? TableStore.Long.fromNumber(n) : TableStore.Long.fromString(n));
const ignore = () => new Condition(RE.IGNORE, null);

function clientFor(fake: FakeTablestore, over: TableStore.ConfigOptions = {}): Client {
  return new TableStore.Client({
    endpoint: fake.endpoint,
    instancename: fake.instanceName,
    accessKeyId: fake.accessKeyId,
    secretAccessKey: fake.accessKeySecret,
    // The SDK keeps maxRetries in a process-wide static; every client here sets it so each call is deterministic.
    maxRetries: 0,
    httpOptions: { timeout: 5000, maxSockets: 50 },
    ...over,
  });
}

/** A request-level failure as the SDK reports it: numeric HTTP status in `code`, raw protobuf body text in `message`. */
async function expectOtsError(p: Promise<unknown>, status: number, code: string): Promise<Error & { code: unknown }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e as Error & { code: unknown },
  );
  expect(err, `expected ${status} ${code}`).toBeDefined();
  expect(err!.code).toBe(status);
  expect(err!.message).toContain(code);
  return err!;
}

const num = (v: CellValue | undefined): number => (typeof v === 'number' ? v : ((v as TableStore.int64 | undefined)?.toNumber() ?? Number.NaN));

function attrs(row: Row | undefined): Record<string, CellValue> {
  return Object.fromEntries((row?.attributes ?? []).map((a) => [a.columnName, a.columnValue]));
}

async function createTable(
  c: Client,
  tableName: string,
  primaryKey: Array<{ name: string; type: 'STRING' | 'INTEGER' | 'BINARY' }>,
  timeToLive = -1,
): Promise<void> {
  await c.createTable({
    tableMeta: { tableName, primaryKey },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive, maxVersions: 1 },
  });
}

describe('fake Tablestore through the tablestore SDK', () => {
  let fake: FakeTablestore;
  let c: Client;

  beforeAll(async () => {
    fake = await startFakeTablestore();
    c = clientFor(fake);
  });
  afterAll(async () => {
    await fake.close();
  });

  it('creates, lists, describes and deletes tables', async () => {
    await createTable(c, 'admin_t', [
      { name: 'tenant', type: 'STRING' },
      { name: 'seq', type: 'INTEGER' },
    ]);
    expect((await c.listTable({})).tableNames).toContain('admin_t');
    expect(fake.tables()).toContain('admin_t');

    const d = await c.describeTable({ tableName: 'admin_t' });
    // Types and status come back as protobuf enum numbers: STRING=2, INTEGER=1, ACTIVE=1.
    expect(d.tableMeta.primaryKey.map((k) => [k.name, k.type])).toEqual([
      ['tenant', 2],
      ['seq', 1],
    ]);
    expect((d as unknown as { tableStatus: number }).tableStatus).toBe(1);
    expect(d.tableOptions.timeToLive).toBe(-1);
    expect(d.tableOptions.maxVersions).toBe(1);

    await expectOtsError(createTable(c, 'admin_t', [{ name: 'id', type: 'STRING' }]), 409, 'OTSObjectAlreadyExist');

    await c.deleteTable({ tableName: 'admin_t' });
    expect((await c.listTable({})).tableNames).not.toContain('admin_t');
    await expectOtsError(c.describeTable({ tableName: 'admin_t' }), 404, 'OTSObjectNotExist');
  });

  it('round-trips string, integer, boolean, double and binary columns', async () => {
    await createTable(c, 'types_t', [{ name: 'id', type: 'STRING' }]);
    const before = Date.now();
    await c.putRow({
      tableName: 'types_t',
      condition: ignore(),
      primaryKey: [{ id: 'row-1' }],
      attributeColumns: [
        { s: 'héllo ✓' },
        { i: long(42) },
        { big: long('9007199254740993') },
        { b: false },
        { d: 3.25 },
        { bin: Buffer.from([0, 1, 254, 255]) },
      ],
    });

    const { row } = await c.getRow({ tableName: 'types_t', primaryKey: [{ id: 'row-1' }] });
    expect(row?.primaryKey).toEqual([{ name: 'id', value: 'row-1' }]);
    // Attributes come back sorted by column name, integers as Int64 objects, doubles as numbers.
    expect(row?.attributes?.map((a) => a.columnName)).toEqual(['b', 'big', 'bin', 'd', 'i', 's']);
    const a = attrs(row);
    expect(a.s).toBe('héllo ✓');
    expect(typeof a.i).toBe('object');
    expect(num(a.i)).toBe(42);
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- an Int64 Long, whose toString is its decimal value
    expect(String(a.big)).toBe('9007199254740993');
    expect(a.b).toBe(false);
    expect(a.d).toBe(3.25);
    expect(Buffer.isBuffer(a.bin) && [...a.bin]).toEqual([0, 1, 254, 255]);
    const ts = num(row?.attributes?.[0].timestamp);
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(Date.now());

    // A missing row is an empty object, not null.
    const missing = await c.getRow({ tableName: 'types_t', primaryKey: [{ id: 'nope' }] });
    expect(missing.row).toEqual({});

    const some = await c.getRow({ tableName: 'types_t', primaryKey: [{ id: 'row-1' }], columnsToGet: ['s', 'd'] });
    expect(Object.keys(attrs(some.row))).toEqual(['d', 's']);
  });

  it('fails PutRow EXPECT_NOT_EXIST on an existing row with 403 OTSConditionCheckFail', async () => {
    await createTable(c, 'exist_t', [{ name: 'id', type: 'STRING' }]);
    const put = (value: string, expectation: number) =>
      c.putRow({
        tableName: 'exist_t',
        condition: new Condition(expectation as 0, null),
        primaryKey: [{ id: 'k' }],
        attributeColumns: [{ v: value }],
      });
    await put('first', RE.EXPECT_NOT_EXIST);
    const err = await expectOtsError(put('second', RE.EXPECT_NOT_EXIST), 403, 'OTSConditionCheckFail');
    expect(err.message).toContain('Condition check failed.');
    expect(attrs((await c.getRow({ tableName: 'exist_t', primaryKey: [{ id: 'k' }] })).row).v).toBe('first');

    await expectOtsError(
      c.updateRow({
        tableName: 'exist_t',
        condition: new Condition(RE.EXPECT_EXIST, null),
        primaryKey: [{ id: 'absent' }],
        updateOfAttributeColumns: [{ PUT: [{ v: 'x' }] }],
      }),
      403,
      'OTSConditionCheckFail',
    );
    expect((await c.getRow({ tableName: 'exist_t', primaryKey: [{ id: 'absent' }] })).row).toEqual({});
  });

  it('checks a single column condition EQUAL on an integer version column', async () => {
    await createTable(c, 'cas_t', [{ name: 'id', type: 'STRING' }]);
    await c.putRow({ tableName: 'cas_t', condition: ignore(), primaryKey: [{ id: 'j' }], attributeColumns: [{ version: long(1) }] });
    const bump = (expected: CellValue, next: number, passIfMissing = false, column = 'version') =>
      c.updateRow({
        tableName: 'cas_t',
        condition: new Condition(RE.EXPECT_EXIST, new SingleColumnCondition(column, expected, ComparatorType.EQUAL, passIfMissing)),
        primaryKey: [{ id: 'j' }],
        updateOfAttributeColumns: [{ PUT: [{ version: long(next) }] }],
      });
    const version = async () => num(attrs((await c.getRow({ tableName: 'cas_t', primaryKey: [{ id: 'j' }] })).row).version);

    await bump(long(1), 2);
    expect(await version()).toBe(2);
    await expectOtsError(bump(long(1), 3), 403, 'OTSConditionCheckFail');
    // A plain JS number is encoded as DOUBLE and never equals an INTEGER cell.
    await expectOtsError(bump(2, 3), 403, 'OTSConditionCheckFail');
    expect(await version()).toBe(2);
    // A missing column passes only with passIfMissing.
    await expectOtsError(bump(long(1), 3, false, 'missing_col'), 403, 'OTSConditionCheckFail');
    await bump(long(1), 3, true, 'missing_col');
    expect(await version()).toBe(3);

    const gt = new SingleColumnCondition('version', long(2), ComparatorType.GREATER_THAN, false);
    await c.updateRow({
      tableName: 'cas_t',
      condition: new Condition(RE.EXPECT_EXIST, gt),
      primaryKey: [{ id: 'j' }],
      updateOfAttributeColumns: [{ PUT: [{ note: 'gt passed' }] }],
    });
    expect(attrs((await c.getRow({ tableName: 'cas_t', primaryKey: [{ id: 'j' }] })).row).note).toBe('gt passed');
  });

  it('checks composite AND / OR / NOT conditions', async () => {
    await createTable(c, 'comp_t', [{ name: 'id', type: 'STRING' }]);
    await c.putRow({
      tableName: 'comp_t',
      condition: ignore(),
      primaryKey: [{ id: 'c' }],
      attributeColumns: [{ status: 'pending' }, { version: long(1) }],
    });
    const eq = (col: string, v: CellValue) => new SingleColumnCondition(col, v, ComparatorType.EQUAL, false);
    const combine = (op: 1 | 2 | 3, ...subs: TableStore.ColumnCondition[]) => {
      const cc = new CompositeCondition(op);
      subs.forEach((s) => cc.addSubCondition(s));
      return cc;
    };
    const write = (cond: TableStore.ColumnCondition, note: string) =>
      c.updateRow({
        tableName: 'comp_t',
        condition: new Condition(RE.EXPECT_EXIST, cond),
        primaryKey: [{ id: 'c' }],
        updateOfAttributeColumns: [{ PUT: [{ note }] }],
      });
    const note = async () => attrs((await c.getRow({ tableName: 'comp_t', primaryKey: [{ id: 'c' }] })).row).note;

    await write(combine(LogicalOperator.AND, eq('status', 'pending'), eq('version', long(1))), 'and-ok');
    expect(await note()).toBe('and-ok');
    await expectOtsError(write(combine(LogicalOperator.AND, eq('status', 'pending'), eq('version', long(9))), 'and-bad'), 403, 'OTSConditionCheckFail');
    await write(combine(LogicalOperator.OR, eq('status', 'done'), eq('version', long(1))), 'or-ok');
    expect(await note()).toBe('or-ok');
    await expectOtsError(write(combine(LogicalOperator.NOT, eq('status', 'pending')), 'not-bad'), 403, 'OTSConditionCheckFail');
    expect(await note()).toBe('or-ok');
  });

  it('UpdateRow applies PUT, DELETE_ALL, one-version DELETE and INCREMENT', async () => {
    await createTable(c, 'upd_t', [{ name: 'id', type: 'STRING' }]);
    const t0 = Date.now() - 1000;
    await c.putRow({
      tableName: 'upd_t',
      condition: ignore(),
      primaryKey: [{ id: 'u' }],
      attributeColumns: [{ a: '1' }, { b: '2' }, { old: 'o', timestamp: t0 }, { counter: long(10) }],
    });
    await c.updateRow({
      tableName: 'upd_t',
      condition: new Condition(RE.EXPECT_EXIST, null),
      primaryKey: [{ id: 'u' }],
      updateOfAttributeColumns: [
        { PUT: [{ a: 'x' }, { c: true }] },
        { DELETE_ALL: ['b'] },
        { DELETE: [{ old: long(t0) }] },
        { INCREMENT: [{ counter: long(5) }] },
      ],
    });
    const a = attrs((await c.getRow({ tableName: 'upd_t', primaryKey: [{ id: 'u' }] })).row);
    expect(Object.keys(a).sort()).toEqual(['a', 'c', 'counter']);
    expect(a.a).toBe('x');
    expect(a.c).toBe(true);
    expect(num(a.counter)).toBe(15);
  });

  it('DeleteRow removes a row; EXPECT_EXIST on a missing row fails', async () => {
    await createTable(c, 'del_t', [{ name: 'id', type: 'STRING' }]);
    await c.putRow({ tableName: 'del_t', condition: ignore(), primaryKey: [{ id: 'd' }], attributeColumns: [{ v: 'x' }] });
    await c.deleteRow({ tableName: 'del_t', condition: new Condition(RE.EXPECT_EXIST, null), primaryKey: [{ id: 'd' }] });
    expect((await c.getRow({ tableName: 'del_t', primaryKey: [{ id: 'd' }] })).row).toEqual({});
    await expectOtsError(
      c.deleteRow({ tableName: 'del_t', condition: new Condition(RE.EXPECT_EXIST, null), primaryKey: [{ id: 'd' }] }),
      403,
      'OTSConditionCheckFail',
    );
    await c.deleteRow({ tableName: 'del_t', condition: ignore(), primaryKey: [{ id: 'd' }] });
  });

  it('BatchGetRow returns rows in request order, missing rows as isOk with null primaryKey, at most 100 rows', async () => {
    await createTable(c, 'bget_t', [{ name: 'id', type: 'STRING' }]);
    for (const id of ['r1', 'r3']) {
      await c.putRow({ tableName: 'bget_t', condition: ignore(), primaryKey: [{ id }], attributeColumns: [{ v: `val-${id}` }] });
    }
    const res = await c.batchGetRow({
      tables: [{ tableName: 'bget_t', primaryKey: [[{ id: 'r3' }], [{ id: 'r2' }], [{ id: 'r1' }]] }],
    });
    const rows = res.tables[0];
    expect(rows.map((r) => r.isOk)).toEqual([true, true, true]);
    expect(rows.map((r) => (r.primaryKey ? r.primaryKey[0].value : null))).toEqual(['r3', null, 'r1']);
    expect(rows.map((r) => attrs(r).v ?? null)).toEqual(['val-r3', null, 'val-r1']);

    // Errors are per row: a key of the wrong type, or a table that does not exist.
    const mixed = await c.batchGetRow({
      tables: [
        { tableName: 'bget_t', primaryKey: [[{ id: long(1) }], [{ id: 'r1' }]] },
        { tableName: 'no_such_table', primaryKey: [[{ id: 'r1' }]] },
      ],
    });
    expect(mixed.tables.map((t) => t.map((r) => r.isOk))).toEqual([[false, true], [false]]);
    expect(mixed.tables[0][0].errorCode).toBe('OTSParameterInvalid');
    expect(mixed.tables[1][0].errorCode).toBe('OTSObjectNotExist');

    const tooMany = Array.from({ length: 101 }, (_, i) => [{ id: `k${i}` }]);
    await expectOtsError(c.batchGetRow({ tables: [{ tableName: 'bget_t', primaryKey: tooMany }] }), 400, 'OTSParameterInvalid');
  });

  it('BatchWriteRow reports per-row results: one row fails its condition while the others apply', async () => {
    await createTable(c, 'bwrite_t', [{ name: 'id', type: 'STRING' }]);
    for (const id of ['k2', 'k3', 'k4']) {
      await c.putRow({ tableName: 'bwrite_t', condition: ignore(), primaryKey: [{ id }], attributeColumns: [{ v: 'orig' }] });
    }
    const res = await c.batchWriteRow({
      tables: [
        {
          tableName: 'bwrite_t',
          rows: [
            { type: 'PUT', condition: new Condition(RE.EXPECT_NOT_EXIST, null), primaryKey: [{ id: 'k1' }], attributeColumns: [{ v: 'new' }] },
            { type: 'PUT', condition: new Condition(RE.EXPECT_NOT_EXIST, null), primaryKey: [{ id: 'k2' }], attributeColumns: [{ v: 'clobber' }] },
            { type: 'UPDATE', condition: new Condition(RE.EXPECT_EXIST, null), primaryKey: [{ id: 'k3' }], attributeColumns: [{ PUT: [{ v: 'upd' }] }] },
            { type: 'DELETE', condition: new Condition(RE.EXPECT_EXIST, null), primaryKey: [{ id: 'k4' }] },
          ],
        },
      ],
    });
    // The SDK flattens all tables into one list of row results.
    expect(res.tables.map((r) => r.isOk)).toEqual([true, false, true, true]);
    expect(res.tables[1].errorCode).toBe('OTSConditionCheckFail');
    expect(res.tables[1].errorMessage).toBe('Condition check failed.');
    expect(res.tables[0].errorCode).toBeNull();

    const got = await c.batchGetRow({
      tables: [{ tableName: 'bwrite_t', primaryKey: [[{ id: 'k1' }], [{ id: 'k2' }], [{ id: 'k3' }], [{ id: 'k4' }]] }],
    });
    expect(got.tables[0].map((r) => attrs(r).v ?? null)).toEqual(['new', 'orig', 'upd', null]);

    const rows201 = Array.from({ length: 201 }, (_, i) => ({
      type: 'PUT' as const,
      condition: ignore(),
      primaryKey: [{ id: `m${i}` }],
      attributeColumns: [{ v: 'x' }],
    }));
    await expectOtsError(c.batchWriteRow({ tables: [{ tableName: 'bwrite_t', rows: rows201 }] }), 400, 'OTSParameterInvalid');
    const dup = [rows201[0], { ...rows201[0] }];
    await expectOtsError(c.batchWriteRow({ tables: [{ tableName: 'bwrite_t', rows: dup }] }), 400, 'OTSParameterInvalid');
  });

  describe('GetRange over 12,000 integer keys', () => {
    const N = 12_000;
    const FIRST = -6_000; // negative keys check that INTEGER order is numeric, not byte-wise
    type RangeParams = Parameters<Client['getRange']>[0];

    beforeAll(async () => {
      await createTable(c, 'range_t', [{ name: 'id', type: 'INTEGER' }]);
      for (let batch = 0; batch < N / 200; batch++) {
        const rows = Array.from({ length: 200 }, (_, i) => ({
          type: 'PUT' as const,
          condition: ignore(),
          primaryKey: [{ id: long(FIRST + batch * 200 + i) }],
          attributeColumns: [{ n: long(FIRST + batch * 200 + i) }],
        }));
        const res = await c.batchWriteRow({ tables: [{ tableName: 'range_t', rows }] });
        expect(res.tables.every((r) => r.isOk)).toBe(true);
      }
    });

    const ids = (rows: Row[]) => rows.map((r) => num(r.primaryKey?.[0].value));

    async function scan(params: RangeParams): Promise<{ pages: number[]; rows: Row[] }> {
      const pages: number[] = [];
      const rows: Row[] = [];
      let start = params.inclusiveStartPrimaryKey;
      for (;;) {
        const r = await c.getRange({ ...params, inclusiveStartPrimaryKey: start });
        pages.push(r.rows.length);
        rows.push(...r.rows);
        if (!r.nextStartPrimaryKey) return { pages, rows };
        // nextStartPrimaryKey comes back as [{name, value}] and must be reshaped into [{[name]: value}].
        start = r.nextStartPrimaryKey.map(({ name, value }) => ({ [name]: value }));
      }
    }

    it('pages INF_MIN -> INF_MAX at 5,000 rows per call with nextStartPrimaryKey', async () => {
      const first = await c.getRange({
        tableName: 'range_t',
        direction: TableStore.Direction.FORWARD,
        inclusiveStartPrimaryKey: [{ id: TableStore.INF_MIN }],
        exclusiveEndPrimaryKey: [{ id: TableStore.INF_MAX }],
        limit: 7000, // the 5,000-row cap applies even with a larger limit
      });
      expect(first.rows).toHaveLength(5000);
      expect(first.nextStartPrimaryKey?.map((k) => [k.name, num(k.value)])).toEqual([['id', FIRST + 5000]]);

      const all = await scan({
        tableName: 'range_t',
        direction: TableStore.Direction.FORWARD,
        inclusiveStartPrimaryKey: [{ id: TableStore.INF_MIN }],
        exclusiveEndPrimaryKey: [{ id: TableStore.INF_MAX }],
      });
      expect(all.pages).toEqual([5000, 5000, 2000]);
      expect(ids(all.rows)).toEqual(Array.from({ length: N }, (_, i) => FIRST + i));
      expect(num(attrs(all.rows[N - 1]).n)).toBe(FIRST + N - 1);
    });

    it('reads BACKWARD with a limit, start inclusive and end exclusive', async () => {
      const top = await c.getRange({
        tableName: 'range_t',
        direction: TableStore.Direction.BACKWARD,
        inclusiveStartPrimaryKey: [{ id: TableStore.INF_MAX }],
        exclusiveEndPrimaryKey: [{ id: TableStore.INF_MIN }],
        limit: 3,
      });
      expect(ids(top.rows)).toEqual([5999, 5998, 5997]);
      expect(num(top.nextStartPrimaryKey?.[0].value)).toBe(5996);

      const back = await scan({
        tableName: 'range_t',
        direction: TableStore.Direction.BACKWARD,
        inclusiveStartPrimaryKey: [{ id: long(2) }],
        exclusiveEndPrimaryKey: [{ id: long(-3) }],
        limit: 2,
      });
      expect(back.pages).toEqual([2, 2, 1]);
      expect(ids(back.rows)).toEqual([2, 1, 0, -1, -2]);

      const fwd = await c.getRange({
        tableName: 'range_t',
        direction: TableStore.Direction.FORWARD,
        inclusiveStartPrimaryKey: [{ id: long(-3) }],
        exclusiveEndPrimaryKey: [{ id: long(2) }],
      });
      expect(ids(fwd.rows)).toEqual([-3, -2, -1, 0, 1]);
      expect(fwd.nextStartPrimaryKey).toBeNull();

      // The start key must lie before the end key in the direction of travel.
      for (const [direction, start, end] of [
        [TableStore.Direction.FORWARD, 5, 1],
        [TableStore.Direction.BACKWARD, 1, 5],
        [TableStore.Direction.FORWARD, 3, 3],
      ] as const) {
        await expectOtsError(
          c.getRange({
            tableName: 'range_t',
            direction,
            inclusiveStartPrimaryKey: [{ id: long(start) }],
            exclusiveEndPrimaryKey: [{ id: long(end) }],
          }),
          400,
          'OTSParameterInvalid',
        );
      }
    });
  });

  it('ranges over a composite (STRING, INTEGER) primary key in byte / numeric order', async () => {
    await createTable(c, 'comp_pk_t', [
      { name: 'tenant', type: 'STRING' },
      { name: 'seq', type: 'INTEGER' },
    ]);
    const rows: Array<[string, number]> = [];
    for (const tenant of ['b', 'é', 'a', 'B']) for (const seq of [10, -3, 2, 1]) rows.push([tenant, seq]);
    await c.batchWriteRow({
      tables: [
        {
          tableName: 'comp_pk_t',
          rows: rows.map(([tenant, seq]) => ({
            type: 'PUT' as const,
            condition: ignore(),
            primaryKey: [{ tenant }, { seq: long(seq) }] as TableStore.PrimaryKeyInput,
            attributeColumns: [{ v: `${tenant}:${seq}` }],
          })),
        },
      ],
    });
    const range = async (start: TableStore.PrimaryKeyInput, end: TableStore.PrimaryKeyInput) =>
      (
        await c.getRange({
          tableName: 'comp_pk_t',
          direction: TableStore.Direction.FORWARD,
          inclusiveStartPrimaryKey: start,
          exclusiveEndPrimaryKey: end,
        })
      ).rows.map((r) => attrs(r).v);

    expect(await range([{ tenant: 'b' }, { seq: TableStore.INF_MIN }], [{ tenant: 'b' }, { seq: TableStore.INF_MAX }])).toEqual(['b:-3', 'b:1', 'b:2', 'b:10']);
    expect(await range([{ tenant: 'b' }, { seq: long(2) }], [{ tenant: 'é' }, { seq: TableStore.INF_MIN }])).toEqual(['b:2', 'b:10']);
    // STRING keys order by UTF-8 bytes: 'B' (0x42) < 'a' < 'b' < 'é' (0xC3 0xA9).
    const all = await range([{ tenant: TableStore.INF_MIN }, { seq: TableStore.INF_MIN }], [{ tenant: TableStore.INF_MAX }, { seq: TableStore.INF_MAX }]);
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the range yields strings
    expect(all.map((v) => String(v).split(':')[0]).filter((t, i, xs) => xs.indexOf(t) === i)).toEqual(['B', 'a', 'b', 'é']);
    expect(all).toHaveLength(16);
  });

  it('validates primary keys against the table schema', async () => {
    await createTable(c, 'schema_t', [{ name: 'id', type: 'STRING' }]);
    const put = (primaryKey: TableStore.PrimaryKeyInput) =>
      c.putRow({ tableName: 'schema_t', condition: ignore(), primaryKey, attributeColumns: [{ v: 'x' }] });
    const wrongType = await expectOtsError(put([{ id: long(1) }]), 400, 'OTSParameterInvalid');
    expect(wrongType.message).toContain('Validate PK type fail');
    await expectOtsError(put([{ other: 'x' }]), 400, 'OTSParameterInvalid');
    await expectOtsError(put([{ id: 'x' }, { extra: 'y' }]), 400, 'OTSParameterInvalid');
    await put([{ id: 'x' }]);
  });

  it('answers a missing table with 404 OTSObjectNotExist (per row inside batches)', async () => {
    const err = await expectOtsError(c.getRow({ tableName: 'no_such_table', primaryKey: [{ id: 'x' }] }), 404, 'OTSObjectNotExist');
    expect(err.message).toContain('Requested table does not exist.');
    await expectOtsError(
      c.putRow({ tableName: 'no_such_table', condition: ignore(), primaryKey: [{ id: 'x' }], attributeColumns: [{ v: 'x' }] }),
      404,
      'OTSObjectNotExist',
    );
    const res = await c.batchWriteRow({
      tables: [{ tableName: 'no_such_table', rows: [{ type: 'PUT', condition: ignore(), primaryKey: [{ id: 'x' }], attributeColumns: [] }] }],
    });
    expect(res.tables[0]).toMatchObject({ isOk: false, errorCode: 'OTSObjectNotExist' });
  });

  it('rejects a wrong secret, access key id or instance with 403 OTSAuthFailed', async () => {
    await expectOtsError(clientFor(fake, { secretAccessKey: 'wrong-secret' }).listTable({}), 403, 'OTSAuthFailed');
    await expectOtsError(clientFor(fake, { accessKeyId: 'someone-else' }).listTable({}), 403, 'OTSAuthFailed');
    await expectOtsError(clientFor(fake, { instancename: 'other-inst' }).listTable({}), 403, 'OTSAuthFailed');
    // A token sent to an instance configured without STS is rejected too.
    await expectOtsError(clientFor(fake, { stsToken: 'unexpected' }).listTable({}), 403, 'OTSAuthFailed');
    await c.listTable({});
  });

  it('rejects a body whose MD5 does not match (400) and a stale x-ots-date (403), checked with raw signed requests', async () => {
    const body = Buffer.from(proto.main.proto.ListTableRequest.encode({}).finish());
    /** Signs like the SDK: HMAC-SHA1 over "/Op\nPOST\n\n" + sorted x-ots-* headers + "\n". */
    const rawCall = (md5Of: Buffer | string, date: Date) => {
      const headers: Record<string, string> = {
        'x-ots-apiversion': '2015-12-31',
        'x-ots-instancename': fake.instanceName,
        'x-ots-contentmd5': createHash('md5').update(md5Of).digest('base64'),
        'x-ots-date': date.toISOString(),
        'x-ots-accesskeyid': fake.accessKeyId,
      };
      const canonical = Object.keys(headers)
        .sort()
        .map((k) => `${k}:${headers[k]}`)
        .join('\n');
      headers['x-ots-signature'] = createHmac('sha1', fake.accessKeySecret).update(`/ListTable\nPOST\n\n${canonical}\n`).digest('base64');
      return new Promise<{ status: number; code?: string }>((resolve, reject) => {
        const req = request(`${fake.endpoint}/ListTable`, { method: 'POST', headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => {
            const payload = Buffer.concat(chunks);
            const status = res.statusCode ?? 0;
            resolve({ status, code: status >= 300 ? proto.main.proto.Error.decode(payload).code : undefined });
          });
        });
        req.on('error', reject);
        req.end(body);
      });
    };
    expect(await rawCall(body, new Date())).toEqual({ status: 200, code: undefined });
    expect(await rawCall('a different body', new Date())).toEqual({ status: 400, code: 'OTSParameterInvalid' });
    expect(await rawCall(body, new Date(Date.now() - 16 * 60_000))).toEqual({ status: 403, code: 'OTSAuthFailed' });
  });

  it('fails an injected OTSServerBusy once, then succeeds; the SDK itself retries reads', async () => {
    await createTable(c, 'fault_t', [{ name: 'id', type: 'STRING' }]);
    fake.resetCounters();
    fake.injectFault({ operation: 'PutRow', code: 'OTSServerBusy' });
    const put = () => c.putRow({ tableName: 'fault_t', condition: ignore(), primaryKey: [{ id: 'f' }], attributeColumns: [{ v: 'x' }] });
    const err = await expectOtsError(put(), 503, 'OTSServerBusy');
    expect(err.message).toContain('Server is busy.');
    await put();
    expect(fake.requests().PutRow).toBe(2);

    // Writes are not retried by the SDK, but reads are on 5xx once maxRetries > 0.
    fake.injectFault({ operation: 'GetRow', code: 'OTSServerBusy' });
    const { row } = await clientFor(fake, { maxRetries: 1 }).getRow({ tableName: 'fault_t', primaryKey: [{ id: 'f' }] });
    expect(attrs(row).v).toBe('x');
    expect(fake.requests().GetRow).toBe(2);
  });

  it('answers an injected OTSPartitionUnavailable, OTSServerUnavailable, OTSNotEnoughCapacityUnit and OTSOperationThrottled', async () => {
    const cases = [
      ['OTSPartitionUnavailable', 503, 'The partition is not available.'],
      ['OTSServerUnavailable', 503, 'Server is not available.'],
      ['OTSNotEnoughCapacityUnit', 403, 'Remaining capacity unit is not enough.'],
      ['OTSOperationThrottled', 403, 'Operation is throttled.'],
    ] as const;
    for (const [code, status, message] of cases) {
      fake.injectFault({ operation: 'ListTable', code });
      expect((await expectOtsError(c.listTable({}), status, code)).message).toContain(message);
    }
    await c.listTable({});
  });

  describe('injected row faults', () => {
    const value = (rows: Row[]) => rows.map((r) => (r.primaryKey ? attrs(r).v : null));
    const put = (id: string, v: string) => ({
      type: 'PUT' as const,
      condition: new Condition(RE.EXPECT_NOT_EXIST, null),
      primaryKey: [{ id }],
      attributeColumns: [{ v }],
    });
    const read = async (table: string, ids: string[]) =>
      value((await c.batchGetRow({ tables: [{ tableName: table, primaryKey: ids.map((id) => [{ id }]) }] })).tables[0]);

    it('fail the chosen rows of a BatchWriteRow with the code, apply the others, and only for the next N calls', async () => {
      await createTable(c, 'rowfault_w', [{ name: 'id', type: 'STRING' }]);
      fake.resetCounters();
      fake.injectRowFault({ operation: 'BatchWriteRow', code: 'OTSPartitionUnavailable', rows: [1], times: 2 });
      // A PutRow and a BatchGetRow are not BatchWriteRow calls: they do not use the fault up.
      await c.putRow({ tableName: 'rowfault_w', condition: ignore(), primaryKey: [{ id: 'p' }], attributeColumns: [{ v: 'p' }] });
      expect(await read('rowfault_w', ['p', 'a'])).toEqual(['p', null]);

      const first = await c.batchWriteRow({ tables: [{ tableName: 'rowfault_w', rows: [put('a', '1'), put('b', '1'), put('c', '1')] }] });
      expect(first.tables.map((r) => r.isOk)).toEqual([true, false, true]);
      expect(first.tables[1]).toMatchObject({ errorCode: 'OTSPartitionUnavailable', errorMessage: 'The partition is not available.' });
      // The failed row was not applied: written again, its EXPECT_NOT_EXIST still holds.
      expect(await read('rowfault_w', ['a', 'b', 'c'])).toEqual(['1', null, '1']);

      // A call with no row at position 1 does not match.
      expect((await c.batchWriteRow({ tables: [{ tableName: 'rowfault_w', rows: [put('b', '2')] }] })).tables.map((r) => r.isOk)).toEqual([true]);
      const second = await c.batchWriteRow({ tables: [{ tableName: 'rowfault_w', rows: [put('d', '1'), put('e', '1')] }] });
      expect(second.tables.map((r) => r.errorCode)).toEqual([null, 'OTSPartitionUnavailable']);
      const third = await c.batchWriteRow({ tables: [{ tableName: 'rowfault_w', rows: [put('f', '1'), put('e', '2')] }] });
      expect(third.tables.map((r) => r.isOk)).toEqual([true, true]);
      expect(await read('rowfault_w', ['a', 'b', 'c', 'd', 'e', 'f'])).toEqual(['1', '2', '1', '1', '2', '1']);
      expect(fake.requests()).toMatchObject({ BatchWriteRow: 4 });
      expect(fake.batchRows()).toEqual({ BatchGetRow: 2 + 3 + 6, BatchWriteRow: 3 + 1 + 2 + 2 });
    });

    it('fail the chosen rows of a BatchGetRow, among one table’s rows when a table is named', async () => {
      await createTable(c, 'rowfault_g', [{ name: 'id', type: 'STRING' }]);
      await createTable(c, 'rowfault_h', [{ name: 'id', type: 'STRING' }]);
      await c.batchWriteRow({ tables: ['rowfault_g', 'rowfault_h'].map((tableName) => ({ tableName, rows: [put('a', tableName), put('b', tableName)] })) });
      fake.injectRowFault({ code: 'OTSNotEnoughCapacityUnit', table: 'rowfault_h', rows: [0, 1], times: 2 });

      // No rowfault_h row in the call: no match.
      expect(await read('rowfault_g', ['a', 'b'])).toEqual(['rowfault_g', 'rowfault_g']);
      const mixed = await c.batchGetRow({
        tables: [
          { tableName: 'rowfault_g', primaryKey: [[{ id: 'a' }], [{ id: 'b' }]] },
          { tableName: 'rowfault_h', primaryKey: [[{ id: 'b' }], [{ id: 'zz' }]] },
        ],
      });
      expect(mixed.tables.map((t) => t.map((r) => r.errorCode))).toEqual([
        [null, null],
        ['OTSNotEnoughCapacityUnit', 'OTSNotEnoughCapacityUnit'],
      ]);
      expect(mixed.tables[1][0]).toMatchObject({ isOk: false, errorMessage: 'Remaining capacity unit is not enough.' });
      // Without an operation the fault matches a BatchWriteRow too; its rowfault_h row is not applied.
      const write = await c.batchWriteRow({ tables: [{ tableName: 'rowfault_h', rows: [put('c', 'x')] }] });
      expect(write.tables.map((r) => r.errorCode)).toEqual(['OTSNotEnoughCapacityUnit']);
      expect(await read('rowfault_h', ['b', 'c'])).toEqual(['rowfault_h', null]);

      fake.injectRowFault({ operation: 'BatchGetRow', code: 'OTSServerBusy', times: 5 });
      fake.clearFaults();
      expect(await read('rowfault_h', ['a'])).toEqual(['rowfault_h']);
    });
  });

  it('surfaces a dropped connection and a client timeout both as NetworkingError', async () => {
    fake.injectFault({ operation: 'ListTable', code: 'drop' });
    await expect(c.listTable({})).rejects.toMatchObject({ code: 'NetworkingError' });
    fake.setLatency(400);
    try {
      const slow = clientFor(fake, { httpOptions: { timeout: 100, maxSockets: 50 } });
      // The SDK raises TimeoutError, then its network error handler relabels it NetworkingError.
      await expect(slow.listTable({})).rejects.toMatchObject({ code: 'NetworkingError', message: expect.stringMatching(/timed out/) });
    } finally {
      fake.setLatency(0);
    }
    await c.listTable({});
  });
});

describe('fake Tablestore with an STS token', () => {
  let fake: FakeTablestore;
  beforeAll(async () => {
    fake = await startFakeTablestore({ instanceName: 'inst1', securityToken: 'sts-token-1' });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('requires the matching x-ots-ststoken', async () => {
    await expectOtsError(clientFor(fake).listTable({}), 403, 'OTSAuthFailed');
    await expectOtsError(clientFor(fake, { stsToken: 'sts-token-2' }).listTable({}), 403, 'OTSAuthFailed');
    expect((await clientFor(fake, { stsToken: 'sts-token-1' }).listTable({})).tableNames).toEqual([]);
  });
});

describe('fake Tablestore TTL with an injected clock', () => {
  let fake: FakeTablestore;
  let now = Date.now();
  beforeAll(async () => {
    fake = await startFakeTablestore({ now: () => now });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('hides rows whose cells are older than the table TTL', async () => {
    const c = clientFor(fake);
    await createTable(c, 'ttl_t', [{ name: 'id', type: 'STRING' }], 86400);
    await c.putRow({ tableName: 'ttl_t', condition: ignore(), primaryKey: [{ id: 't' }], attributeColumns: [{ v: 'x' }] });
    now += 86_399_000;
    expect(attrs((await c.getRow({ tableName: 'ttl_t', primaryKey: [{ id: 't' }] })).row).v).toBe('x');
    now += 2_000;
    expect((await c.getRow({ tableName: 'ttl_t', primaryKey: [{ id: 't' }] })).row).toEqual({});
    // An expired row no longer exists for conditions either.
    await c.putRow({ tableName: 'ttl_t', condition: new Condition(RE.EXPECT_NOT_EXIST, null), primaryKey: [{ id: 't' }], attributeColumns: [{ v: 'y' }] });
  });
});

describe('PlainBuffer reader (the part the SDK cannot read itself)', () => {
  const L = (n: number) => sdk.Long.fromNumber(n);

  it('reads UpdateRow cells of every type, ignoring the zero padding after the row checksum', () => {
    const buf = sdk.PlainBufferBuilder.serializeForUpdateRow(
      [{ id: 'k' }],
      [{ PUT: [{ a: 'x' }] }, { DELETE: [{ b: 1_700_000_000_000 }] }, { DELETE_ALL: ['c'] }, { INCREMENT: [{ n: L(3) }] }],
    );
    const row = readRow(buf);
    expect(row.end).toBeLessThan(buf.length); // the SDK over-allocates DELETE cells
    expect([...buf.subarray(row.end)].every((b) => b === 0)).toBe(true);
    expect(row.primaryKey).toEqual([{ name: 'id', value: { type: 'STRING', value: 'k' } }]);
    expect(row.cells).toEqual([
      { name: 'a', op: 'PUT', value: { type: 'STRING', value: 'x' }, timestamp: undefined },
      { name: 'b', op: 'DELETE', value: undefined, timestamp: 1_700_000_000_000 },
      { name: 'c', op: 'DELETE_ALL', value: undefined, timestamp: undefined },
      { name: 'n', op: 'INCREMENT', value: { type: 'INTEGER', value: 3n }, timestamp: undefined },
    ]);
  });

  it('reads INF_MIN / INF_MAX range keys and rejects a corrupted checksum', () => {
    const range = readRow(sdk.PlainBufferBuilder.serializePrimaryKey([{ a: sdk.INF_MIN }, { b: sdk.INF_MAX }]));
    expect(range.primaryKey.map((c) => c.value.type)).toEqual(['INF_MIN', 'INF_MAX']);

    const good = writeRow([{ name: 'id', value: { type: 'INTEGER', value: -5n } }], [{ name: 'v', value: { type: 'DOUBLE', value: 1.5 }, timestamp: 7 }]);
    expect(readRow(good).cells).toEqual([{ name: 'v', op: 'PUT', value: { type: 'DOUBLE', value: 1.5 }, timestamp: 7 }]);
    const bad = Buffer.from(good);
    bad[bad.length - 1] ^= 0xff;
    expect(() => readRow(bad)).toThrow(PlainBufferError);
  });
});
