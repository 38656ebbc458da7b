/**
 * End to end: ECS answers SignatureDoesNotMatch quoting the string-to-sign it received (AccessKeyId and SecurityToken
 * included), as the real gateway does. Through the API handler, the local server, the poll cycle and the CLI, none of
 * the STS token, the access key id or the secret appears in a log line, a response body, stderr or an error message.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { createPopEcsApi } from '../../src/ecs/pop-client.js';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { EcsError } from '../../src/errors.js';
import { createApiHandler } from '../../src/http/app.js';
import { runCli } from '../../src/local/cli.js';
import type { CliIo } from '../../src/local/cli-context.js';
import { startLocalServer, type FcHandler, type LocalServer } from '../../src/local/http-server.js';
import { createLogger, setLogSink } from '../../src/log.js';
import { pollOnce } from '../../src/poller.js';
import { buildDeps, closeDeps, type AppDeps } from '../../src/runtime.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { STS, finishedExport, startSimulator } from '../support/helpers.js';

const TOKEN = 'leaks-api-token-0123456789abcdef';
const TASK = 't-leaktask00000001';
const REGION = 'cn-hangzhou';
/** What must never leave the process, in every form a message could carry it. */
const SECRETS = [STS.accessKeyId, STS.accessKeySecret, STS.securityToken, encodeURIComponent(STS.securityToken), TOKEN];

let sim: EcsSimulator;
let config: Config;
let deps: AppDeps;
let api: FcHandler;
let server: LocalServer;
const lines: string[] = [];
let restoreSink: () => void;

const env = () => ({
  TASKHOOK_ECS_ENDPOINT: sim.endpoint,
  TASKHOOK_API_TOKENS: TOKEN,
  TASKHOOK_STORE: 'memory',
  TASKHOOK_LOG_LEVEL: 'debug',
  ALIBABA_CLOUD_ACCESS_KEY_ID: STS.accessKeyId,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: STS.accessKeySecret,
  ALIBABA_CLOUD_SECURITY_TOKEN: STS.securityToken,
});

function expectNoSecret(where: string, text: string) {
  for (const secret of SECRETS) expect(text, `${where} carries ${secret}`).not.toContain(secret);
}

/** Every ECS call answers SignatureDoesNotMatch with the string-to-sign, until the test clears it. */
const mismatchEverything = () => sim.injectFault({ kind: 'signatureMismatch', times: Infinity });

beforeAll(async () => {
  restoreSink = setLogSink((line) => lines.push(line));
  sim = await startSimulator([finishedExport(TASK, Date.now() - 600_000)]);
  config = loadConfig(env());
  deps = await buildDeps(config, () => config.credentials);
  api = createApiHandler(() => deps) as unknown as FcHandler;
  server = await startLocalServer(api, 0, '127.0.0.1', { apiTokens: [TOKEN], logger: createLogger('debug') });
});

afterEach(() => {
  sim.clearFaults();
});

afterAll(async () => {
  restoreSink?.();
  await server?.close();
  if (deps) await closeDeps(deps);
  await sim?.stop();
});

describe('the simulator fault', () => {
  it('quotes the AccessKeyId and SecurityToken it received, as ECS does', async () => {
    mismatchEverything();
    const raw = await createPopEcsApi({ endpoint: sim.endpoint, credentials: () => STS, retry: { maxAttempts: 1 } })
      .describeTaskAttribute(REGION, TASK)
      .catch((error: unknown) => error);
    expect(raw).toBeInstanceOf(EcsError);
    const error = raw as EcsError;
    expect(error.code).toBe('SignatureDoesNotMatch');
    expect(error.message).toBe('Specified signature is not matched with our calculation. server string to sign is:[redacted]');
    // The simulator really sent them: its call log saw the token, and ECS's message (before scrub) holds it.
    expect(sim.callLog().at(-1)).toMatchObject({ code: 'SignatureDoesNotMatch', securityToken: true });
  });

  it('sends the credentials in its answer (what scrub is there for)', async () => {
    mismatchEverything();
    const body = new URLSearchParams({
      Action: 'DescribeTaskAttribute',
      Version: '2014-05-26',
      RegionId: REGION,
      TaskId: TASK,
      AccessKeyId: STS.accessKeyId,
      SecurityToken: STS.securityToken,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: 'n-1',
      Timestamp: new Date().toISOString(),
    });
    const { signRpc } = await import('../../src/ecs/simulator/signature.js');
    body.set('Signature', signRpc('POST', Object.fromEntries(body), STS.accessKeySecret));
    const res = await fetch(sim.endpoint + '/', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    const answer = (await res.json()) as { Code: string; Message: string };
    expect(answer.Code).toBe('SignatureDoesNotMatch');
    expect(answer.Message).toContain(`AccessKeyId%3D${STS.accessKeyId}`);
    expect(answer.Message).toContain('SecurityToken%3DCAIS');
  });
});

describe('SignatureDoesNotMatch end to end', () => {
  it('a lookup through the local server answers a JSON 502 without the credentials', async () => {
    mismatchEverything();
    lines.length = 0;
    const res = await fetch(`${server.url}/v1/tasks/${TASK}?regionId=${REGION}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await res.text();
    expect(res.status).toBe(502);
    expect(JSON.parse(text).error).toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect(JSON.parse(text).error.message).toContain('server string to sign is:[redacted]');
    expectNoSecret('response body', text);
    expectNoSecret('response headers', JSON.stringify([...res.headers]));
    for (const line of lines) expectNoSecret('log line', line);
  });

  it('lookups through the API handler (GET, watch POST, a poll via the API) leak nothing', async () => {
    mismatchEverything();
    lines.length = 0;
    const calls: Array<[method: string, path: string, query: Record<string, string>, body?: string]> = [
      ['GET', `/v1/tasks/${TASK}`, { regionId: REGION }],
      ['GET', `/v1/tasks/${TASK}`, { regionId: REGION, refresh: 'true' }],
      ['POST', '/v1/tasks', {}, JSON.stringify({ regionId: REGION, taskId: TASK })],
      ['POST', '/v1/poll', {}],
    ];
    for (const [method, path, query, body] of calls) {
      const event = {
        version: 'v1',
        rawPath: path,
        body: body ?? '',
        isBase64Encoded: false,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        queryParameters: query,
        requestContext: { requestId: 'req-leak', http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'leaks' } },
      };
      const result = (await api(Buffer.from(JSON.stringify(event)), { requestId: 'req-leak' })) as {
        statusCode: number;
        body: string;
        headers?: Record<string, string>;
      };
      expectNoSecret(`${method} ${path} body`, result.body);
      expectNoSecret(`${method} ${path} headers`, JSON.stringify(result.headers ?? {}));
    }
    for (const line of lines) expectNoSecret('log line', line);
  });

  it("the poll cycle's line names the ECS code and nothing secret", async () => {
    mismatchEverything();
    lines.length = 0;
    const store = createMemoryStore();
    try {
      await pollOnce(
        {
          ecsFor: (onCall) =>
            createPopEcsApi({ endpoint: sim.endpoint, credentials: () => STS, onCall, retry: { baseDelayMs: 1, maxDelayMs: 2, budgetMs: 500 } }),
          store,
          config: { ...config, tasks: [{ regionId: REGION, taskId: TASK }], discover: [{ regionId: REGION, actions: [] }], webhooks: [] },
          logger: createLogger('debug'),
          now: Date.now,
        },
        { budgetMs: 10_000 },
      );
    } finally {
      await store.close();
    }
    // A refused signature stops polling the region: one error line with the cause, the fix and ECS's (scrubbed) message.
    const warns = lines.filter((line) => JSON.parse(line).level === 'error' && line.includes('SignatureDoesNotMatch'));
    expect(warns.length).toBeGreaterThan(0);
    expect(warns[0]).toContain('server string to sign is:[redacted]');
    for (const line of lines) expectNoSecret('log line', line);
  });

  it('the CLI lookup prints the ECS code on stderr without the credentials', async () => {
    mismatchEverything();
    lines.length = 0;
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), tty: false, readStdin: async () => '', env: env() };
    const code = await runCli(['lookup', TASK, '--region', REGION], io);
    expect(code).not.toBe(0);
    expect(err.join('\n')).toContain('SignatureDoesNotMatch');
    expectNoSecret('stderr', err.join('\n'));
    expectNoSecret('stdout', out.join('\n'));
    for (const line of lines) expectNoSecret('log line', line);
  });

  it('a log line given the raw credentials by mistake still carries none of them', () => {
    lines.length = 0;
    createLogger('debug').warn(`retrying with AccessKeyId=${STS.accessKeyId}&SecurityToken=${STS.securityToken}`, {
      url: `${sim.endpoint}/?AccessKeyId=${STS.accessKeyId}&Signature=abc%3D`,
      error: new Error(`Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3D${STS.accessKeyId}`),
      nested: { token: STS.securityToken, authorization: `Bearer ${TOKEN}` },
    });
    expect(lines).toHaveLength(1);
    expectNoSecret('log line', lines[0]);
  });
});
