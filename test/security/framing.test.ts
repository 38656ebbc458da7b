/**
 * The local server's HTTP framing cannot hurt the process: every malformed request in framing-cases.ts, against a
 * trivial FC handler and against the real API handler, gets a JSON error with a code (a 500 only where the handler
 * throws on purpose) or a closed connection where HTTP has no way to answer; /healthz answers after each; and no
 * unhandled rejection or exception fires.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { createApiHandler } from '../../src/http/app.js';
import { startDemoReceiver, type DemoReceiver } from '../../src/local/demo-receiver.js';
import { startLocalServer, type FcHandler, type LocalServer } from '../../src/local/http-server.js';
import { createLogger, setLogSink } from '../../src/log.js';
import { buildDeps, type AppDeps } from '../../src/runtime.js';
import { newWebhookSecret } from '../../src/webhooks/signing.js';
import { KEYS, startSimulator } from '../support/helpers.js';
import { framingCases, type FramingCase, type Outcome } from './framing-cases.js';
import { FIN, RST, exchange, type Exchange, type Step } from './raw-http.js';

const TOKEN = 'framing-token-0123456789abcdef';
const LIMITS = { maxBodyBytes: 2048, maxHeaderBytes: 4096, headersTimeoutMs: 300, requestTimeoutMs: 800, keepAliveTimeoutMs: 300 };
const THROWN = 'boom: the handler broke with LTAIthrownsecret0001 in its message';

const processFaults: unknown[] = [];
const onFault = (error: unknown) => processFaults.push(error);
const logLines: string[] = [];
let restoreSink: () => void;
let sim: EcsSimulator;
let deps: AppDeps;
const servers: Record<string, LocalServer> = {};
let receiver: DemoReceiver;
const printed: string[] = [];
/** Outcome counts per target, for the report. */
const tally: Record<string, Record<string, number>> = {};

/** A stand-in FC handler: /healthz, POST /v1/tasks echoes the body size, /v1/throw throws, other methods 405, the rest 404. */
const trivialHandler: FcHandler = async (raw) => {
  const event = JSON.parse(raw.toString('utf8')) as { rawPath: string; body: string; requestContext: { http: { method: string } } };
  const method = event.requestContext.http.method;
  const json = (statusCode: number, body: unknown) => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (event.rawPath === '/v1/throw') throw new Error(THROWN);
  const routes: Record<string, string> = { '/healthz': 'GET', '/openapi.json': 'GET', '/v1/tasks': 'POST', '/v1/events': 'GET' };
  const allowed = routes[event.rawPath];
  if (!allowed) return json(404, { error: { code: 'NotFound', message: 'no such route' } });
  if (allowed !== method) return json(405, { error: { code: 'MethodNotAllowed', message: `${event.rawPath} takes ${allowed}` } });
  return json(200, { ok: true, bytes: event.body.length });
};

/** The real API handler, plus one route that throws (the API has none on purpose). */
const apiWithThrow =
  (api: FcHandler): FcHandler =>
  async (raw, context) => {
    if ((JSON.parse(raw.toString('utf8')) as { rawPath: string }).rawPath === '/v1/throw') throw new Error(THROWN);
    return api(raw, context);
  };

beforeAll(async () => {
  process.on('unhandledRejection', onFault);
  process.on('uncaughtException', onFault);
  restoreSink = setLogSink((line) => logLines.push(line));
  sim = await startSimulator();
  const config = loadConfig({
    TASKHOOK_ECS_ENDPOINT: sim.endpoint,
    TASKHOOK_API_TOKENS: TOKEN,
    TASKHOOK_STORE: 'memory',
    TASKHOOK_LOG_LEVEL: 'error',
    ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret,
  });
  deps = await buildDeps(config, () => config.credentials);
  const api = createApiHandler(() => deps) as unknown as FcHandler;
  const options = { apiTokens: [TOKEN], ...LIMITS, logger: createLogger('error') };
  servers.trivial = await startLocalServer(trivialHandler, 0, '127.0.0.1', options);
  servers.api = await startLocalServer(apiWithThrow(api), 0, '127.0.0.1', options);
  receiver = await startDemoReceiver(newWebhookSecret(), (line) => printed.push(line), LIMITS);
});

afterAll(async () => {
  process.off('unhandledRejection', onFault);
  process.off('uncaughtException', onFault);
  restoreSink?.();
  await Promise.all(Object.values(servers).map((s) => s.close()));
  await receiver?.close();
  await deps?.store.close();
  await sim?.stop();
  const total = Object.values(tally).reduce((n, t) => n + Object.values(t).reduce((a, b) => a + b, 0), 0);
  console.log(`framing: ${total} malformed requests; outcomes per target: ${JSON.stringify(tally)}`);
});

const outcomeOf = (x: Exchange): Outcome => x.status ?? 'closed';

function record(target: string, outcome: Outcome) {
  const t = (tally[target] ??= {});
  t[String(outcome)] = (t[String(outcome)] ?? 0) + 1;
}

/** The rule every answer obeys: JSON with error.code, status < 500 unless it is the deliberate throw; or no answer at all. */
function expectSafeAnswer(x: Exchange, row: Pick<FramingCase, 'expect' | 'code'>) {
  expect(x.timedOut, 'the server neither answered nor closed').toBe(false);
  const outcome = outcomeOf(x);
  expect(row.expect).toContain(outcome);
  if (outcome === 'closed') return;
  if (outcome >= 200 && outcome < 300) return; // only where a row allows a success, e.g. a request pipelined before garbage
  expect(x.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(x.body) as { error?: { code?: unknown; message?: unknown } };
  expect(typeof body.error?.code).toBe('string');
  if (row.code) expect(body.error?.code).toBe(row.code);
  if (outcome >= 500) expect(row.expect).toEqual([500]);
  expect(x.raw).not.toMatch(/\n\s+at |boom|LTAIthrown/);
}

async function expectHealthy(url: string) {
  const res = await fetch(url + '/healthz');
  expect(res.status).toBe(200);
}

const cases = framingCases({ token: TOKEN, maxBodyBytes: LIMITS.maxBodyBytes, maxHeaderBytes: LIMITS.maxHeaderBytes });

describe.each(['trivial', 'api'])('local server with the %s handler', (target) => {
  it.each(cases.map((c) => [`${c.group}: ${c.name}`, c] as const))('%s', async (_name, row) => {
    const started = Date.now();
    const x = await exchange(servers[target].url, row.steps, 4_000);
    record(target, outcomeOf(x));
    expectSafeAnswer(x, row);
    // Refusals before the body (size, token) do not wait for the client to send anything.
    if (row.group === 'oversize' && row.name.startsWith('declared')) expect(Date.now() - started).toBeLessThan(250);
    if (row.group === 'oversize' && row.name.includes('100-continue')) expect(x.raw).not.toContain('100 Continue');
    await expectHealthy(servers[target].url);
  });

  it('still serves real requests: a body at the limit, keep-alive, 100-continue', async () => {
    const body = JSON.stringify({ regionId: 'cn-hangzhou', taskId: 't-framing00000001', pad: '' });
    const padded = body.replace('"pad":""', `"pad":"${'x'.repeat(LIMITS.maxBodyBytes - body.length)}"`);
    expect(Buffer.byteLength(padded)).toBe(LIMITS.maxBodyBytes);
    const res = await fetch(servers[target].url + '/v1/tasks', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: padded,
    });
    expect(res.status).toBeLessThan(500);
    expect(res.status).not.toBe(413);
    const steps: Step[] = [
      `POST /v1/tasks HTTP/1.1\r\nHost: local\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`,
      { pauseMs: 50 },
      body,
    ];
    const continued = await exchange(servers[target].url, steps);
    expect(continued.raw).toMatch(/^HTTP\/1\.1 100 Continue/);
    expect(continued.status).toBeLessThan(500);
  });

  it('answers an unauthenticated route without waiting for its body', async () => {
    const started = Date.now();
    const x = await exchange(servers[target].url, ['POST /v1/webhooks HTTP/1.1\r\nHost: local\r\nContent-Length: 1000000\r\n\r\n']);
    expect(x.status).toBe(401);
    expect(x.headers['www-authenticate']).toBe('Bearer');
    expect(Date.now() - started).toBeLessThan(250);
  });
});

describe('demo receiver', () => {
  const rows: Array<[name: string, steps: Step[], expect: Outcome[], code?: string]> = [
    [
      'unsigned delivery',
      ['POST /webhook HTTP/1.1\r\nHost: local\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'],
      [400],
      'InvalidSignature',
    ],
    ['declared over the limit', [`POST /webhook HTTP/1.1\r\nHost: local\r\nContent-Length: ${LIMITS.maxBodyBytes + 1}\r\n\r\n`], [413], 'PayloadTooLarge'],
    [
      'streamed over the limit',
      ['POST /webhook HTTP/1.1\r\nHost: local\r\nTransfer-Encoding: chunked\r\n\r\n', ...Array.from({ length: 40 }, () => `40\r\n${'a'.repeat(64)}\r\n`)],
      [413],
      'PayloadTooLarge',
    ],
    ['bad chunk size', ['POST /webhook HTTP/1.1\r\nHost: local\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'], [400], 'BadRequest'],
    ['RST mid-body', ['POST /webhook HTTP/1.1\r\nHost: local\r\nContent-Length: 100\r\n\r\n{"ty', { pauseMs: 30 }, RST], ['closed']],
    ['FIN mid-body', ['POST /webhook HTTP/1.1\r\nHost: local\r\nContent-Length: 100\r\n\r\n{"ty', FIN], [400, 'closed']],
    ['huge header', [`POST /webhook HTTP/1.1\r\nHost: local\r\nX-Big: ${'a'.repeat(LIMITS.maxHeaderBytes + 512)}\r\n\r\n`], [431], 'HeadersTooLarge'],
    ['headers never end', ['POST /webhook HTTP/1.1\r\nHost: local\r\n'], [408], 'RequestTimeout'],
    ['body never finishes', ['POST /webhook HTTP/1.1\r\nHost: local\r\nContent-Length: 10\r\n\r\n{}'], [408], 'RequestTimeout'],
    ['unknown method', ['BREW /webhook HTTP/1.1\r\nHost: local\r\n\r\n'], [400], 'BadRequest'],
  ];

  it.each(rows)('%s', async (_name, steps, expected, code) => {
    const x = await exchange(receiver.url, steps, 4_000);
    record('demo-receiver', outcomeOf(x));
    expectSafeAnswer(x, { expect: expected, code });
    // The receiver keeps taking deliveries.
    const again = await exchange(receiver.url, ['POST /webhook HTTP/1.1\r\nHost: local\r\nContent-Length: 2\r\n\r\n{}']);
    expect(again.status).toBe(400);
  });
});

describe('the process', () => {
  it('saw no unhandled rejection or uncaught exception', () => {
    expect(processFaults).toEqual([]);
  });

  it('logged the throwing handler with its secret scrubbed, and nothing else above error level leaked', () => {
    const thrown = logLines.filter((line) => line.includes('local HTTP request failed'));
    expect(thrown.length).toBeGreaterThan(0);
    for (const line of logLines) expect(line).not.toContain('LTAIthrownsecret0001');
  });

  it(`ran at least 60 distinct malformed requests (${cases.length} rows × 2 handlers)`, () => {
    expect(cases.length * 2).toBeGreaterThanOrEqual(60);
    expect(new Set(cases.map((c) => `${c.group}: ${c.name}`)).size).toBe(cases.length);
  });
});
