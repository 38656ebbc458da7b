/**
 * What the FC code directories carry: at most 1 MB each, no package their function does not run, @alicloud/fc2
 * only in dist/poller/fc2.js (loaded at the first shard), and a Tablestore SDK whose protobuf messages, rebuilt from
 * the SDK's .proto files, still speak the wire format the SDK's own static module reads.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { startFakeTablestore, type FakeTablestore } from '../../src/fakes/tablestore/index.js';
import { parseShard } from '../../src/shards/shard.js';
import { createTables, createTablestoreStore } from '../../src/store/tablestore.js';
import { startFakeFc, type FakeFc } from '../fc/fake-fc.js';
import { STS, finishedExport, startSimulator } from '../support/helpers.js';
import { isolatedCopy, root, runLikeFc, runLikeFcAsync, setUpRunner, tearDownRunner } from './fc-runner.js';

/** 1 MB, counted as 10^6 bytes. */
const ONE_MB = 1_000_000;
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const size = (file: string) => statSync(path.join(root, file)).size;

/** A string literal of `file` that survives minification; throws if the file no longer has it, so the check cannot go blind. */
function marker(file: string, pattern: RegExp): string {
  const found = pattern.exec(read(file))?.[1];
  if (!found) throw new Error(`${file} no longer matches ${pattern}; pick another marker`);
  return found;
}

const timerEvent = { triggerTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), triggerName: 'every-minute', payload: '' };
const stsContext = (requestId: string) => ({ requestId, accountId: '1234567890123456', function: { name: 'taskhook-poller', timeout: 60 }, credentials: STS });

let scratch = '';
beforeAll(() => {
  setUpRunner();
  scratch = mkdtempSync(path.join(os.tmpdir(), 'taskhook-bundles-'));
});
afterAll(() => {
  tearDownRunner();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the FC code directories', () => {
  it('hold an index.js of at most 1 MB each, and the parts it requires when first used in files of their own', () => {
    const codeDirs = { api: ['index.js', 'tablestore.js'], poller: ['index.js', 'tablestore.js', 'fc2.js'] };
    for (const [name, files] of Object.entries(codeDirs)) {
      const sizes = files.map((file) => size(`dist/${name}/${file}`));
      console.log(
        `dist/${name}: ${files.map((f, i) => `${f} ${(sizes[i] / 1024).toFixed(0)} KiB`).join(' + ')} = ${(sizes.reduce((a, b) => a + b) / 1024).toFixed(0)} KiB`,
      );
      expect(sizes[0], `dist/${name}/index.js`).toBeLessThanOrEqual(ONE_MB);
      for (const [i, file] of files.entries()) if (i > 0) expect(sizes[i], `dist/${name}/${file}`).toBeLessThanOrEqual(ONE_MB / 2);
    }
    expect(read('dist/api/tablestore.js') === read('dist/poller/tablestore.js'), 'one tablestore.js for both').toBe(true);
  });

  it('carry @alicloud/fc2 only in dist/poller/fc2.js, without its code-upload (ali-oss) and WebSocket (ws) parts', () => {
    const fc2 = marker('node_modules/@alicloud/fc2/lib/client.js', /new TypeError\('("accountid" must be passed in)'\)/);
    expect(read('dist/poller/fc2.js')).toContain(fc2);
    expect(read('dist/api/index.js').includes(fc2), 'dist/api/index.js contains fc2').toBe(false);
    expect(read('dist/poller/index.js').includes(fc2), 'dist/poller/index.js contains fc2').toBe(false);
    expect(read('dist/poller/index.js').includes('require("./fc2.js")'), 'dist/poller/index.js requires ./fc2.js').toBe(true);
    const ossMarker = marker('node_modules/ali-oss/lib/common/client/initOptions.js', /throw new Error\('(require options\.endpoint or options\.region)'\)/);
    const wsMarker = marker('node_modules/ws/lib/websocket.js', /new Error\('(WebSocket is not open: readyState 0 \(CONNECTING\))'\)/);
    for (const m of [ossMarker, wsMarker]) expect(read('dist/poller/fc2.js').includes(m), `dist/poller/fc2.js contains "${m}"`).toBe(false);
  });

  it('carry neither undici nor the XML parser of pop-core’s ROA client', () => {
    const markers = [
      marker('node_modules/undici/lib/core/errors.js', /this\.code = '(UND_ERR_CONNECT_TIMEOUT)'/),
      marker('node_modules/sax/lib/sax.js', /strictFail\(parser, '(Non-whitespace before first tag\.)'\)/),
    ];
    for (const name of ['api', 'poller']) {
      const text = read(`dist/${name}/index.js`);
      for (const m of markers) expect(text.includes(m), `dist/${name}/index.js contains "${m}"`).toBe(false);
    }
  });

  it('let the poller run a cycle without loading fc2.js: only index.js is loaded', () => {
    const env = { TASKHOOK_STORE: 'memory', TASKHOOK_ECS_ENDPOINT: 'http://127.0.0.1:9', FC_FUNCTION_NAME: 'taskhook-poller' };
    const out = runLikeFc(isolatedCopy('dist/poller', 'poller-no-shard'), 'index.handler', env, timerEvent, stsContext('r-no-shard'));
    expect(out.error, out.logs).toBeUndefined();
    expect(out.result).toMatchObject({ leased: true, shards: 0 });
    expect(out.loaded).toEqual(['index.js']);
  });
});

describe('dist/poller/fc2.js', () => {
  let fc: FakeFc;
  beforeAll(async () => {
    fc = await startFakeFc([STS]);
  });
  afterAll(() => fc.close());

  /** Runs `source` in a fresh node next to a copy of the poller's code dir; resolves with what it printed. */
  async function nextToFc2(source: string): Promise<string> {
    const dir = isolatedCopy('dist/poller', `poller-fc2-${fc.calls.length}`);
    const script = path.join(scratch, `fc2-${fc.calls.length}.cjs`);
    writeFileSync(script, source);
    const child = spawn(process.execPath, [script, dir, fc.endpoint], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (status !== 0) throw new Error(`script exited ${status}: ${stderr}`);
    return stdout;
  }

  it('invokes a function asynchronously, signed, on its own (no node_modules), and says which parts it left out', async () => {
    const printed = await nextToFc2(`
      const [dir, endpoint] = process.argv.slice(2);
      const FCClient = require(dir + '/fc2.js');
      const client = new FCClient('1234567890123456', { accessKeyID: ${JSON.stringify(STS.accessKeyId)}, accessKeySecret: ${JSON.stringify(STS.accessKeySecret)},
        securityToken: ${JSON.stringify(STS.securityToken)}, region: 'cn-hangzhou', endpoint, timeout: 5000 });
      client.version = '2023-03-30';
      (async () => {
        const res = await client.post('/functions/taskhook-poller/invocations', '{"shard":{"id":"a","regions":["cn-hangzhou"]}}', { 'x-fc-invocation-type': 'Async' });
        let websocket;
        try { client.websocket('/functions/taskhook-poller/invocations', {}); } catch (e) { websocket = e.message; }
        console.log(JSON.stringify({ requestId: res.headers['x-fc-request-id'], websocket }));
      })();
    `);
    const { requestId, websocket } = JSON.parse(printed) as { requestId: string; websocket: string };
    expect(requestId).toBe('fc-req-accepted');
    expect(websocket).toBe('ws is left out of this Function Compute bundle');
    expect(fc.calls).toHaveLength(1);
    expect(fc.calls[0]).toMatchObject({ path: '/2023-03-30/functions/taskhook-poller/invocations', signatureOk: true, contentMd5Ok: true });
    expect(fc.calls[0].headers['x-fc-invocation-type']).toBe('Async');
  });
});

describe('the bundled Tablestore SDK (protobuf messages from the .proto descriptor)', () => {
  let sim: EcsSimulator;
  let ots: FakeTablestore;
  const tables = { tablePrefix: 'bundle_' };
  beforeAll(async () => {
    sim = await startSimulator([finishedExport('t-bundleots00001', Date.now() - 600_000)]);
    ots = await startFakeTablestore({ accessKeyId: STS.accessKeyId, accessKeySecret: STS.accessKeySecret, securityToken: STS.securityToken });
  });
  afterAll(async () => {
    await ots?.close();
    await sim?.stop();
  });

  const options = () => ({ endpoint: ots.endpoint, instance: ots.instanceName, ...tables, credentials: () => STS });
  const env = (name: string) => ({
    FC_FUNCTION_NAME: `taskhook-${name}`,
    TASKHOOK_STORE: 'tablestore',
    TASKHOOK_OTS_ENDPOINT: ots.endpoint,
    TASKHOOK_OTS_INSTANCE: ots.instanceName,
    TASKHOOK_TABLE_PREFIX: tables.tablePrefix,
    TASKHOOK_ECS_ENDPOINT: sim.endpoint,
    TASKHOOK_TASKS: 'cn-hangzhou/t-bundleots00001',
    TASKHOOK_API_TOKENS: 'bundle-test-token-0123456789',
    TASKHOOK_LOG_LEVEL: 'warn',
  });

  it('writes from the poller bundle what the SDK (its static protobuf module) reads back, and the API bundle reads it too', async () => {
    await createTables(options());
    const poller = await runLikeFcAsync(isolatedCopy('dist/poller', 'poller-ots'), 'index.handler', env('poller'), timerEvent, stsContext('r-ots'));
    expect(poller.error, poller.logs).toBeUndefined();
    expect(poller.result).toMatchObject({ leased: true, tasks: { polled: 1 }, events: { 'ecs.task.succeeded': 1 } });
    expect(poller.loaded).toEqual(['index.js', 'tablestore.js']);

    const store = createTablestoreStore(options());
    try {
      const events = (await store.listEvents({ type: 'ecs.task.succeeded', limit: 10 })).items.map((e) => e.event);
      expect(events.map((e) => e.subject)).toEqual(['t-bundleots00001']);
      const api = await runLikeFcAsync(
        isolatedCopy('dist/api', 'api-ots'),
        'index.handler',
        env('api'),
        {
          version: 'v1',
          rawPath: '/v1/events',
          body: '',
          isBase64Encoded: false,
          headers: { Authorization: 'Bearer bundle-test-token-0123456789' },
          queryParameters: { type: 'ecs.task.succeeded' },
          requestContext: { requestId: 'r-api-ots', http: { method: 'GET', path: '/v1/events', sourceIp: '203.0.113.7' } },
        },
        stsContext('r-api-ots'),
      );
      expect(api.error, api.logs).toBeUndefined();
      const response = api.result as { statusCode: number; body: string };
      expect(response.statusCode, response.body).toBe(200);
      expect((JSON.parse(response.body) as { events: Array<{ id: string }> }).events.map((e) => e.id)).toEqual(events.map((e) => e.id));
    } finally {
      await store.close();
    }
  });
});

describe('the poller bundle fanning a long watch list out', () => {
  const SHARD_TASKS = 100;
  /** 60 tasks in each of two regions: 120 are more than one run sweeps, and each region fits one shard. */
  const watched = ['cn-hangzhou', 'cn-beijing'].flatMap((regionId, r) =>
    Array.from({ length: 60 }, (_, i) => ({ regionId, taskId: `t-fanout${r}${String(i).padStart(8, '0')}` })),
  );
  let sim: EcsSimulator;
  let ots: FakeTablestore;
  let fc: FakeFc;
  beforeAll(async () => {
    sim = await startSimulator(watched.map((t) => finishedExport(t.taskId, Date.now() - 5_000, t.regionId, 3_600_000)));
    ots = await startFakeTablestore({ accessKeyId: STS.accessKeyId, accessKeySecret: STS.accessKeySecret, securityToken: STS.securityToken });
    fc = await startFakeFc([STS]);
    await createTables({ endpoint: ots.endpoint, instance: ots.instanceName, tablePrefix: 'fanout_', credentials: () => STS });
  });
  afterAll(async () => {
    await fc?.close();
    await ots?.close();
    await sim?.stop();
  });

  const env = () => ({
    FC_FUNCTION_NAME: 'taskhook-poller',
    FC_REGION: 'cn-hangzhou',
    FC_ACCOUNT_ID: '1234567890123456',
    TASKHOOK_FC_ENDPOINT: fc.endpoint,
    TASKHOOK_STORE: 'tablestore',
    TASKHOOK_OTS_ENDPOINT: ots.endpoint,
    TASKHOOK_OTS_INSTANCE: ots.instanceName,
    TASKHOOK_TABLE_PREFIX: 'fanout_',
    TASKHOOK_ECS_ENDPOINT: sim.endpoint,
    TASKHOOK_TASKS: watched.map((t) => `${t.regionId}/${t.taskId}`).join(','),
    TASKHOOK_SHARD_TASKS: String(SHARD_TASKS),
    // The watched tasks were created moments ago, so every run would keep them hot for its window: this test is about shards.
    TASKHOOK_HOT_INTERVAL: '0',
    TASKHOOK_LOG_LEVEL: 'warn',
  });
  const poller = (name: string, event: unknown) => runLikeFcAsync(isolatedCopy('dist/poller', name), 'index.handler', env(), event, stsContext(`r-${name}`));

  it('loads fc2.js at its first shard only, hands the shard to FC as an async invocation, and runs that shard from the event FC passes on', async () => {
    // The first run learns how long the list is; it sweeps it all, and fc2.js stays unloaded.
    const first = await poller('fanout-1', timerEvent);
    expect(first.error, first.logs).toBeUndefined();
    expect(first.result).toMatchObject({ leased: true, shards: 0, tasks: { active: watched.length } });
    expect(first.loaded).toEqual(['index.js', 'tablestore.js']);
    expect(fc.calls).toEqual([]);

    // The next one splits it: one region is its own, the other goes to FC.
    const second = await poller('fanout-2', timerEvent);
    expect(second.error, second.logs).toBeUndefined();
    expect(second.result).toMatchObject({ leased: true, shards: 1 });
    expect(second.loaded).toEqual(['fc2.js', 'index.js', 'tablestore.js']);
    expect(fc.calls).toHaveLength(1);
    const [call] = fc.calls;
    expect(call).toMatchObject({ method: 'POST', path: '/2023-03-30/functions/taskhook-poller/invocations', signatureOk: true, contentMd5Ok: true });
    expect(call.headers).toMatchObject({ 'x-fc-invocation-type': 'Async', 'x-fc-account-id': '1234567890123456', 'x-fc-security-token': STS.securityToken });
    const shard = parseShard((JSON.parse(call.body) as { shard: unknown }).shard);
    expect(shard.regions).toHaveLength(1);
    expect(['cn-hangzhou', 'cn-beijing']).toContain(shard.regions[0]);

    // FC passes the body on as the event (the runner hands it over as JSON.stringify(event), the same bytes here):
    // that run sweeps the shard's region and hands nothing further off.
    const event: unknown = JSON.parse(call.body);
    expect(JSON.stringify(event)).toBe(call.body);
    const before = sim.callLog().length;
    const third = await poller('fanout-3', event);
    expect(third.error, third.logs).toBeUndefined();
    expect(third.result).toMatchObject({ leased: true, shards: 0, tasks: { active: 60 } });
    expect(third.loaded).toEqual(['index.js', 'tablestore.js']);
    const calls = sim.callLog().slice(before);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.regionId === shard.regions[0])).toBe(true);
    expect(fc.calls).toHaveLength(1);
  });
});
