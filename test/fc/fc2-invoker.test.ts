/** The fc2 Invoker against a local FC 3.0 API: what it sends for a shard, and what each kind of answer becomes. */
import http from 'node:http';
import net from 'node:net';
import FCClient from '@alicloud/fc2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { selfTarget } from '../../src/fc/context.js';
import { createFc2Invoker, type FcFunctionTarget } from '../../src/fc/fc2-invoker.js';
import { ShardInvokeError } from '../../src/shards/invoker.js';
import type { ShardSpec } from '../../src/shards/shard.js';
import { KEYS, STS } from '../support/helpers.js';
import { accepted, fcError, startFakeFc, type FakeFc, type FcAnswer } from './fake-fc.js';

const SHARD: ShardSpec = { id: 'cn-hangzhou#2', regions: ['cn-hangzhou'], range: { from: 't-bp1half00000001', to: null } };
const INVOKE_PATH = '/2023-03-30/functions/taskhook-poller/invocations';
/** Everything that must never show in an error: the secrets, the token, and the signature fc2 sent. */
const secretsOf = (fc: FakeFc) => [
  KEYS.accessKeySecret,
  STS.accessKeySecret,
  STS.securityToken,
  ...fc.calls.map((c) => String(c.headers.authorization).split(':')[1]),
];

let fc: FakeFc;
beforeAll(async () => {
  fc = await startFakeFc([KEYS, STS]);
});
afterAll(() => fc.close());
beforeEach(() => {
  fc.calls.length = 0;
  fc.answerWith(() => accepted('no-content-type', 'fc-req-1'));
});

const target = (extra: Partial<FcFunctionTarget> = {}): FcFunctionTarget => ({
  functionName: 'taskhook-poller',
  region: 'cn-hangzhou',
  accountId: '1234567890123456',
  endpoint: fc.endpoint,
  ...extra,
});

const invoker = (options: { target?: () => FcFunctionTarget; credentials?: () => typeof KEYS | typeof STS | null } = {}) =>
  createFc2Invoker({ target: options.target ?? (() => target()), credentials: options.credentials ?? (() => KEYS), timeoutMs: 2_000 });

async function rejection(promise: Promise<unknown>): Promise<ShardInvokeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ShardInvokeError);
  return error as ShardInvokeError;
}

describe('the fc2 invoker: what it sends', () => {
  it('POSTs {"shard": …} to the function, asynchronously, signed with the FC signature', async () => {
    await expect(invoker().invokeShard(SHARD)).resolves.toBeUndefined();

    expect(fc.calls).toHaveLength(1);
    const [call] = fc.calls;
    expect(call).toMatchObject({ method: 'POST', path: INVOKE_PATH, query: {}, authorizationWellFormed: true, signatureOk: true, contentMd5Ok: true });
    expect(call.headers['x-fc-invocation-type']).toBe('Async');
    expect(call.headers['x-fc-account-id']).toBe('1234567890123456');
    expect(String(call.headers.authorization)).toMatch(new RegExp(`^FC ${KEYS.accessKeyId}:`));
    expect(Number.isNaN(Date.parse(String(call.headers.date)))).toBe(false);
    expect(JSON.parse(call.body)).toEqual({ shard: SHARD });
  });

  it('sends the STS token of role credentials, inside the signed headers', async () => {
    await invoker({ credentials: () => STS }).invokeShard(SHARD);
    const [call] = fc.calls;
    expect(call.headers['x-fc-security-token']).toBe(STS.securityToken);
    expect(call).toMatchObject({ authorizationWellFormed: true, signatureOk: true });
    expect(String(call.headers.authorization)).toMatch(new RegExp(`^FC ${STS.accessKeyId.replace('.', '\\.')}:`));
  });

  it('invokes the version or alias the run was invoked as', async () => {
    await invoker({ target: () => target({ qualifier: 'prod' }) }).invokeShard(SHARD);
    expect(fc.calls[0]).toMatchObject({ path: INVOKE_PATH, query: { qualifier: 'prod' }, signatureOk: true });
  });

  it('reads the credentials at each shard, so rotated role credentials are used', async () => {
    let current: typeof KEYS | typeof STS = KEYS;
    const rotating = invoker({ credentials: () => current });
    await rotating.invokeShard(SHARD);
    current = STS;
    await rotating.invokeShard({ id: 'cn-beijing', regions: ['cn-beijing'] });
    expect(fc.calls.map((c) => String(c.headers.authorization).split(':')[0])).toEqual([`FC ${KEYS.accessKeyId}`, `FC ${STS.accessKeyId}`]);
    expect(fc.calls.every((c) => c.signatureOk)).toBe(true);
  });
});

describe('the fc2 invoker: what each answer becomes', () => {
  it.each(['no-content-type', 'json-empty', 'json-body', 'text-body'] as const)('takes an async 202 (%s) as the receipt', async (form) => {
    fc.answerWith(() => accepted(form));
    await expect(invoker().invokeShard(SHARD)).resolves.toBeUndefined();
    expect(fc.calls).toHaveLength(1);
  });

  it("turns FC's function-error form (2xx with x-fc-error-type) into an error with the function's message, scrubbed", async () => {
    fc.answerWith(() => ({
      status: 200,
      headers: { 'content-type': 'application/json', 'x-fc-request-id': 'fc-req-2', 'x-fc-error-type': 'UnhandledInvocationError' },
      body: JSON.stringify({
        errorMessage: `ECS call failed\n  AccessKeyId=${KEYS.accessKeyId}&Signature=abcdef0123456789`,
        errorType: 'EcsError',
        stackTrace: ['EcsError: ECS call failed', '    at poll (/code/index.js:1:1)'],
      }),
    }));
    const error = await rejection(invoker().invokeShard(SHARD));

    expect(error).toMatchObject({ code: 'UnhandledInvocationError', shardId: SHARD.id, status: null, retryable: false });
    expect(error.message).toMatch(/^shard cn-hangzhou#2: invoking taskhook-poller \(async\) failed: UnhandledInvocationError: ECS call failed/);
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.message).not.toContain(KEYS.accessKeyId);
    expect(error.message).not.toContain('abcdef0123456789');
    expect(error.message).not.toContain('stackTrace');
  });

  it.each(['fc3', 'lowercase', 'fc2'] as const)("reads a missing fc:InvokeFunction from FC's %s error body, and says which policy to change", async (shape) => {
    fc.answerWith(() =>
      fcError(403, 'AccessDenied', 'You are not authorized to do this action. Resource: acs:fc:cn-hangzhou:1234567890123456:functions/taskhook-poller', shape),
    );
    const error = await rejection(invoker({ credentials: () => STS }).invokeShard(SHARD));

    expect(error).toMatchObject({ code: 'AccessDenied', status: 403, retryable: false });
    expect(error.message).toContain('HTTP 403 AccessDenied: You are not authorized to do this action.');
    expect(error.message).not.toContain('undefined');
    expect(error.message).toContain(
      "the function's role lacks fc:InvokeFunction on acs:fc:cn-hangzhou:1234567890123456:functions/taskhook-poller: add it to the policy of the function's role",
    );
    expect(error.message).toContain('"Resource": "*"');
    expect(error.message).toMatch(/\(request id fc-err-\d+\)/);
    for (const secret of secretsOf(fc)) expect(error.message).not.toContain(secret);
  });

  it('tells a wrong function name or qualifier apart from a missing permission, naming the settings that choose it', async () => {
    const error = await rejection(invoker({ target: () => target({ functionName: 'taskhook-pollr', qualifier: 'prod' }) }).invokeShard(SHARD));

    expect(error).toMatchObject({ code: 'FunctionNotFound', status: 404, retryable: false });
    expect(error.message).toContain("HTTP 404 FunctionNotFound: function 'taskhook-pollr' does not exist.");
    expect(error.message).toContain('FC has no function taskhook-pollr (qualifier prod) in cn-hangzhou of account 1234567890123456');
    expect(error.message).toContain('FC_FUNCTION_NAME');
    expect(error.message).not.toContain('fc:InvokeFunction');
  });

  it('names the credentials for an unknown key or a wrong signature, without quoting the key, the secret or the signature', async () => {
    const stranger = { accessKeyId: 'LTAIstrangerkey0009', accessKeySecret: 'stranger-secret-0009' };
    const unknown = await rejection(invoker({ credentials: () => stranger }).invokeShard(SHARD));
    expect(unknown).toMatchObject({ code: 'InvalidAccessKeyID', status: 403, retryable: false });
    expect(unknown.message).toContain("FC does not know the access key id: check the function's role");
    expect(unknown.message).not.toContain(stranger.accessKeyId);

    const wrongSecret = { accessKeyId: KEYS.accessKeyId, accessKeySecret: 'not-the-secret-0010' };
    const mismatch = await rejection(invoker({ credentials: () => wrongSecret }).invokeShard(SHARD));
    expect(mismatch).toMatchObject({ code: 'SignatureNotMatch', status: 403, retryable: false });
    expect(mismatch.message).toContain('FC computed a different signature');
    for (const secret of [...secretsOf(fc), wrongSecret.accessKeySecret]) expect(mismatch.message).not.toContain(secret);
  });

  it('scrubs a signature FC quotes back in its message', async () => {
    fc.answerWith((call) => fcError(403, 'SignatureNotMatch', `signature ${String(call.headers.authorization)} does not match`));
    const error = await rejection(invoker({ credentials: () => STS }).invokeShard(SHARD));
    expect(error).toMatchObject({ code: 'SignatureNotMatch', status: 403 });
    for (const secret of secretsOf(fc)) expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain(STS.accessKeyId);
  });

  it('keeps at most 64 KiB of an answer and one short line of its message', async () => {
    fc.answerWith(() => fcError(403, 'AccessDenied', 'x'.repeat(200_000)));
    const error = await rejection(invoker().invokeShard(SHARD));
    // The cut JSON no longer parses: the status still says what kind of problem it is.
    expect(error).toMatchObject({ code: 'HTTP403', status: 403, retryable: false });
    expect(error.message).toContain('fc:InvokeFunction');
    expect(error.message.length).toBeLessThan(1_000);
  });

  it('marks throttling and server errors as worth retrying, whatever the body is', async () => {
    fc.answerWith(() => fcError(429, 'ResourceThrottled', 'Reserve resource exhausted'));
    const throttled = await rejection(invoker().invokeShard(SHARD));
    expect(throttled).toMatchObject({ code: 'ResourceThrottled', status: 429, retryable: true });
    expect(throttled.message).toContain('retry later');

    fc.answerWith(() => fcError(429, 'SomeNewThrottle', 'slow down', 'lowercase'));
    expect(await rejection(invoker().invokeShard(SHARD))).toMatchObject({ code: 'SomeNewThrottle', status: 429, retryable: true });

    fc.answerWith(() => ({ status: 503, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>503 upstream gone</h1></body></html>' }));
    const gone = await rejection(invoker().invokeShard(SHARD));
    expect(gone).toMatchObject({ code: 'HTTP503', status: 503, retryable: true });
    expect(gone.message).toContain('HTTP 503: 503 upstream gone');
    expect(gone.message).toContain('FC failed on its side: retry later');

    fc.answerWith(() => ({ status: 500, headers: { 'content-type': 'application/json' }, body: '' }));
    expect(await rejection(invoker().invokeShard(SHARD))).toMatchObject({ code: 'HTTP500', status: 500, retryable: true });
  });

  it('turns a dropped connection and a refused port into a retryable network error naming the function', async () => {
    fc.answerWith(() => 'drop');
    const dropped = await rejection(invoker().invokeShard(SHARD));
    expect(dropped).toMatchObject({ code: 'NetworkError', status: null, retryable: true });
    expect(dropped.message).toContain('invoking taskhook-poller (async) failed');

    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await rejection(invoker({ target: () => target({ endpoint: `http://127.0.0.1:${port}` }) }).invokeShard(SHARD));
    expect(refused).toMatchObject({ code: 'NetworkError', retryable: true });
    expect(refused.message).toContain('ECONNREFUSED');
  });

  it('gives up on an FC that does not answer within the timeout, as a retryable Timeout', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const slow = createFc2Invoker({ target: () => target({ endpoint: `http://127.0.0.1:${port}` }), credentials: () => KEYS, timeoutMs: 200 });
      const started = Date.now();
      const error = await rejection(slow.invokeShard(SHARD));
      expect(error).toMatchObject({ code: 'Timeout', status: null, retryable: true });
      expect(error.message).toContain('no answer from FC within 200 ms');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('also gives up on an answer whose body never ends', async () => {
    const stalled = http.createServer((_req, res) => {
      res.writeHead(202, { 'content-type': 'application/json' });
      res.write('{');
    });
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = stalled.address() as net.AddressInfo;
      const slow = createFc2Invoker({ target: () => target({ endpoint: `http://127.0.0.1:${port}` }), credentials: () => KEYS, timeoutMs: 200 });
      expect(await rejection(slow.invokeShard(SHARD))).toMatchObject({ code: 'Timeout', status: null, retryable: true });
    } finally {
      stalled.closeAllConnections();
      await new Promise<void>((resolve) => stalled.close(() => resolve()));
    }
  });

  it('refuses to invoke without credentials, with an STS key but no token, or without a target, sending nothing', async () => {
    expect(await rejection(invoker({ credentials: () => null }).invokeShard(SHARD))).toMatchObject({ code: 'NoCredentials' });
    const tokenless = { accessKeyId: STS.accessKeyId, accessKeySecret: STS.accessKeySecret };
    const refused = await rejection(invoker({ credentials: () => tokenless }).invokeShard(SHARD));
    expect(refused).toMatchObject({ code: 'InvokeFailed', retryable: false });
    expect(refused.message).toContain('securityToken');
    expect(refused.message).not.toContain(STS.accessKeySecret);
    const untargeted = invoker({
      target: () => {
        throw new Error('FC_FUNCTION_NAME is not set and the invocation context does not say it either');
      },
    });
    const error = await rejection(untargeted.invokeShard(SHARD));
    expect(error).toMatchObject({ code: 'NoFunctionTarget' });
    expect(error.message).toContain('FC_FUNCTION_NAME');
    expect(fc.calls).toEqual([]);
  });
});

describe("@alicloud/fc2's own request(), which the invoker signs with but does not send through", () => {
  const fc2Post = async (answer: FcAnswer) => {
    fc.answerWith(() => answer);
    const client = new FCClient('1234567890123456', {
      accessKeyID: KEYS.accessKeyId,
      accessKeySecret: KEYS.accessKeySecret,
      region: 'cn-hangzhou',
      endpoint: fc.endpoint,
    });
    client.version = '2023-03-30';
    return client.post('/functions/taskhook-poller/invocations', '{}', { 'x-fc-invocation-type': 'Async' }).then(
      () => null,
      (e: unknown) => e as Error & { code?: unknown },
    );
  };

  it('throws on a 202 with a JSON content type and no body, and loses the code and message of an FC 3.0 error', async () => {
    expect(await fc2Post(accepted('json-empty'))).toBeInstanceOf(SyntaxError);
    const denied = await fc2Post(fcError(403, 'AccessDenied', 'not allowed'));
    expect(denied?.code).toBeUndefined();
    expect(denied?.message).toContain('message: undefined');
  });
});

describe('the function a shard runs in (selfTarget)', () => {
  const env = { FC_FUNCTION_NAME: 'taskhook-poller', FC_REGION: 'cn-hangzhou', FC_ACCOUNT_ID: '1234567890123456' };

  it("reads FC's environment first, then the invocation context", () => {
    expect(selfTarget(env, undefined)).toEqual({ functionName: 'taskhook-poller', region: 'cn-hangzhou', accountId: '1234567890123456' });
    expect(selfTarget({}, { function: { name: 'poller-b' }, region: 'cn-beijing', accountId: '42' })).toEqual({
      functionName: 'poller-b',
      region: 'cn-beijing',
      accountId: '42',
    });
  });

  it('keeps the qualifier the run was invoked as, except LATEST, and takes TASKHOOK_FC_ENDPOINT as an origin', () => {
    expect(selfTarget(env, { function: { qualifier: 'prod' } }).qualifier).toBe('prod');
    expect(selfTarget(env, { service: { qualifier: 'LATEST' } }).qualifier).toBeUndefined();
    expect(selfTarget({ ...env, TASKHOOK_FC_ENDPOINT: 'http://127.0.0.1:9000/' }, undefined).endpoint).toBe('http://127.0.0.1:9000');
  });

  it('names the setting that is missing or wrong', () => {
    expect(() => selfTarget({ FC_FUNCTION_NAME: 'taskhook-poller' }, undefined)).toThrow(/FC_REGION is not set/);
    expect(() => selfTarget({ ...env, FC_ACCOUNT_ID: '' }, { accountId: '' })).toThrow(/FC_ACCOUNT_ID is not set/);
    expect(() => selfTarget({ ...env, FC_REGION: 'Hangzhou' }, undefined)).toThrow(/FC_REGION "Hangzhou" is not a region id/);
    expect(() => selfTarget({ ...env, TASKHOOK_FC_ENDPOINT: 'fc.example' }, undefined)).toThrow(/TASKHOOK_FC_ENDPOINT is not a URL/);
    expect(() => selfTarget({ ...env, TASKHOOK_FC_ENDPOINT: 'https://user:pw@fc.example/2023-03-30' }, undefined)).toThrow(
      /TASKHOOK_FC_ENDPOINT must be an http\(s\) origin/,
    );
  });
});
