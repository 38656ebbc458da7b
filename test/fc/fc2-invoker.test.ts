/** The fc2 Invoker against a local FC API: what fc2 sends for a shard, and what each kind of answer becomes. */
import net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { selfTarget } from '../../src/fc/context.js';
import { createFc2Invoker, type FcFunctionTarget } from '../../src/fc/fc2-invoker.js';
import { ShardInvokeError } from '../../src/shards/invoker.js';
import type { ShardSpec } from '../../src/shards/shard.js';
import { KEYS, STS } from '../support/helpers.js';
import { startFakeFc, type FakeFc } from './fake-fc.js';

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
  fc.answerWith(() => ({ status: 202, headers: { 'x-fc-request-id': 'fc-req-1' } }));
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

  it("turns an HTTP error into FC's error code with the status, and no signature", async () => {
    fc.answerWith((call) => ({
      status: 403,
      headers: { 'content-type': 'application/json', 'x-fc-request-id': 'fc-req-3' },
      body: JSON.stringify({ ErrorCode: 'SignatureNotMatch', ErrorMessage: `signature ${String(call.headers.authorization)} does not match` }),
    }));
    const error = await rejection(invoker().invokeShard(SHARD));

    expect(error).toMatchObject({ code: 'SignatureNotMatch', status: 403, retryable: false });
    expect(error.message).toContain('failed with 403');
    expect(error.message).toContain('requestid: fc-req-3');
    for (const secret of secretsOf(fc)) expect(error.message).not.toContain(secret);
  });

  it('marks throttling and server errors as worth retrying, whatever the body is', async () => {
    fc.answerWith(() => ({
      status: 429,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ErrorCode: 'ResourceThrottled', ErrorMessage: 'slow down' }),
    }));
    expect(await rejection(invoker().invokeShard(SHARD))).toMatchObject({ code: 'ResourceThrottled', status: 429, retryable: true });

    fc.answerWith(() => ({ status: 503, headers: { 'content-type': 'text/html' }, body: '<html>upstream gone</html>' }));
    expect(await rejection(invoker().invokeShard(SHARD))).toMatchObject({ code: 'HTTP503', status: 503, retryable: true });
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
