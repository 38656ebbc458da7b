import { DEFAULT_RETRY } from '../../src/retry.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { createApiHandler } from '../../src/http/app.js';
import { startLocalServer, type LocalServer } from '../../src/local/http-server.js';
import { buildDeps, type AppDeps } from '../../src/runtime.js';
import { KEYS, finishedExport, startSimulator } from '../support/helpers.js';

const TOKEN = 'test-token-0123456789abcdef';
const TASK = 't-apitask0000001';
let sim: EcsSimulator;
let deps: AppDeps;
let handler: ReturnType<typeof createApiHandler>;
let server: LocalServer;

beforeAll(async () => {
  sim = await startSimulator([finishedExport(TASK, Date.now() - 600_000)]);
  const config = loadConfig({
    TASKHOOK_ECS_ENDPOINT: sim.endpoint,
    TASKHOOK_API_TOKENS: TOKEN,
    TASKHOOK_STORE: 'memory',
    TASKHOOK_LOG_LEVEL: 'error',
    ...envKeys(),
  });
  deps = await buildDeps(config, () => config.credentials);
  handler = createApiHandler(() => deps);
  server = await startLocalServer(handler as never, 0);
});

afterAll(async () => {
  await server.close();
  await deps.store.close();
  await sim.stop();
});

function envKeys() {
  return { ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret };
}

/** An FC 3.0 HTTP trigger event, delivered as FC delivers it: a Buffer of JSON. */
function fcEvent(
  method: string,
  path: string,
  query: Record<string, string> = {},
  extra: { headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean } = {},
) {
  return Buffer.from(
    JSON.stringify({
      version: 'v1',
      rawPath: path,
      body: extra.body ?? '',
      isBase64Encoded: extra.isBase64Encoded ?? false,
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', ...extra.headers },
      queryParameters: query,
      requestContext: {
        accountId: '123',
        domainName: 'x.fcapp.run',
        domainPrefix: 'x',
        requestId: 'req-1',
        time: '',
        timeEpoch: String(Date.now()),
        http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      },
    }),
  );
}

type Result = { statusCode: number; headers: Record<string, string>; body: string };
const invoke = async (event: Buffer) => (await handler(event as never, { requestId: 'req-1' } as never)) as unknown as Result;

describe('API handler with FC 3.0 events', () => {
  it('returns the normalized task for GET /v1/tasks/{taskId}?regionId=', async () => {
    const res = await invoke(fcEvent('GET', `/v1/tasks/${TASK}`, { regionId: 'cn-hangzhou' }));
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.source).toBe('live');
    expect(body.task).toMatchObject({ id: TASK, outcome: 'succeeded', terminal: true });
  });

  it('answers 401 without a token and 401 with a wrong one, in the JSON error shape', async () => {
    for (const auth of ['', 'Bearer not-the-token-0000000']) {
      const res = await invoke(fcEvent('GET', `/v1/tasks/${TASK}`, { regionId: 'cn-hangzhou' }, { headers: { Authorization: auth } }));
      expect(res.statusCode).toBe(401);
      expect(JSON.parse(res.body).error).toMatchObject({ code: 'Unauthorized' });
      expect(res.body).not.toContain(TOKEN);
    }
  });

  it('serves /healthz and /openapi.json without a token', async () => {
    expect((await invoke(fcEvent('GET', '/healthz', {}, { headers: { Authorization: '' } }))).statusCode).toBe(200);
    const doc = JSON.parse((await invoke(fcEvent('GET', '/openapi.json', {}, { headers: { Authorization: '' } }))).body);
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/tasks/{taskId}');
  });

  it('answers 404 NotFound for an unknown route', async () => {
    const res = await invoke(fcEvent('GET', '/v1/nothing-here'));
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.body).error.code).toBe('NotFound');
  });

  it.each([
    [{}, 'MissingParameter'],
    [{ regionId: 'xx-nowhere-1' }, 'InvalidRegionId.NotFound'],
    [{ regionId: 'Not A Region' }, 'InvalidRegionId.Malformed'],
    [{ regionId: 'cn-hangzhou,cn-beijing' }, 'InvalidParameter'],
  ])('answers 400 for query %j with code %s', async (query, code) => {
    const res = await invoke(fcEvent('GET', `/v1/tasks/${TASK}`, query));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error.code).toBe(code);
  });

  it('answers 400 for a malformed task id and 404 for an unknown one', async () => {
    const bad = await invoke(fcEvent('GET', '/v1/tasks/not-a-task', { regionId: 'cn-hangzhou' }));
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBe('InvalidTaskId.Malformed');
    const missing = await invoke(fcEvent('GET', '/v1/tasks/t-nosuchtask0001', { regionId: 'cn-hangzhou' }));
    expect(missing.statusCode).toBe(404);
    const error = JSON.parse(missing.body).error;
    expect(error.code).toBe('InvalidTaskId.NotFound');
    expect(error.requestId).toMatch(/^[0-9A-F-]{36}$/);
  });

  it('decodes a base64 body, as FC sends bodies it does not treat as text', async () => {
    const body = Buffer.from(JSON.stringify({ regionId: 'cn-hangzhou', taskId: TASK })).toString('base64');
    const res = await invoke(fcEvent('POST', '/v1/tasks', {}, { body, isBase64Encoded: true }));
    expect(res.statusCode).toBe(201);
    expect(JSON.parse(res.body).task).toMatchObject({ regionId: 'cn-hangzhou', taskId: TASK, sources: ['api'] });
  });

  it('reads a repeated query parameter as FC delivers it, comma-joined, and refuses it as ambiguous', async () => {
    const res = await invoke(fcEvent('GET', `/v1/tasks/${TASK}`, { regionId: 'cn-hangzhou,cn-shanghai' }));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error.message).toContain('must name one region');
  });

  it('answers 429 with Retry-After when ECS keeps throttling, and never shows a stack trace', async () => {
    // A handler of its own: after a throttle its client pauses that API and region and retries at a halved rate.
    const own = await buildDeps(deps.config, () => deps.config.credentials);
    const throttled = createApiHandler(() => own);
    sim.injectFault({ kind: 'throttle', times: Infinity });
    try {
      const res = (await throttled(fcEvent('GET', `/v1/tasks/${TASK}`, { regionId: 'cn-hangzhou' }) as never, {} as never)) as unknown as Result;
      expect(res.statusCode).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.body).not.toMatch(/at .*\.ts:\d+/);
      // The next lookup waits out each pause instead of hammering ECS: at most one call per attempt, each a pause apart.
      const calls = sim.calls().DescribeTaskAttribute;
      const started = Date.now();
      const again = (await throttled(fcEvent('GET', `/v1/tasks/${TASK}`, { regionId: 'cn-hangzhou' }) as never, {} as never)) as unknown as Result;
      expect(again.statusCode).toBe(429);
      const made = sim.calls().DescribeTaskAttribute - calls;
      expect(made).toBeLessThanOrEqual(DEFAULT_RETRY.maxAttempts);
      expect(Date.now() - started).toBeGreaterThanOrEqual((made - 1) * 1_000);
    } finally {
      sim.clearFaults();
      await own.store.close();
    }
  }, 30_000);

  it('answers 502 when ECS fails with a server error', async () => {
    sim.injectFault({ kind: 'http500', times: Infinity });
    try {
      const res = await invoke(fcEvent('GET', `/v1/tasks/${TASK}`, { regionId: 'cn-hangzhou' }));
      expect(res.statusCode).toBe(502);
      expect(JSON.parse(res.body).error.code).toBe('InternalError');
    } finally {
      sim.clearFaults();
    }
  }, 30_000);
});

describe('API through the local server over HTTP', () => {
  const get = (path: string, token = TOKEN) => fetch(server.url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('returns 200 with the normalized task', async () => {
    const res = await get(`/v1/tasks/${TASK}?regionId=cn-hangzhou`);
    expect(res.status).toBe(200);
    expect((await res.json()).task.id).toBe(TASK);
  });

  it('returns 401 without a token', async () => {
    expect((await get(`/v1/tasks/${TASK}?regionId=cn-hangzhou`, '')).status).toBe(401);
  });

  it('joins repeated query parameters with commas like FC does, which is refused as ambiguous', async () => {
    const res = await get(`/v1/tasks/${TASK}?regionId=cn-hangzhou&regionId=cn-beijing`);
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toContain('cn-hangzhou,cn-beijing');
  });

  it('passes a binary body as base64 and the handler decodes it', async () => {
    const res = await fetch(server.url + '/v1/nothing-here', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' },
      body: Buffer.from([1, 2, 3]),
    });
    expect(res.status).toBe(404);
  });
});
