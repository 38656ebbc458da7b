/** An FC instance's dependencies: the poller's timer handler gets a shard invoker aimed at its own function, the API none. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeFcDeps, fcDeps } from '../../src/fc/deps.js';
import { STS } from '../support/helpers.js';
import { startFakeFc, type FakeFc } from './fake-fc.js';

let fc: FakeFc;
beforeAll(async () => {
  fc = await startFakeFc([STS]);
  vi.stubEnv('TASKHOOK_STORE', 'memory');
  vi.stubEnv('TASKHOOK_LOG_LEVEL', 'error');
  vi.stubEnv('FC_FUNCTION_NAME', 'taskhook-poller');
  vi.stubEnv('FC_REGION', 'cn-shanghai');
  vi.stubEnv('FC_ACCOUNT_ID', '1234567890123456');
  vi.stubEnv('TASKHOOK_FC_ENDPOINT', fc.endpoint);
});
afterAll(async () => {
  await closeFcDeps();
  vi.unstubAllEnvs();
  await fc.close();
});

const context = { requestId: 'r-1', credentials: STS, function: { name: 'taskhook-poller', timeout: 300 } };

describe('fcDeps', () => {
  it('gives no invoker unless asked (the API never asks), and the same instance either way', async () => {
    const api = await fcDeps(context);
    expect('invoker' in api).toBe(false);
    const poller = await fcDeps(context, { shardInvoker: true });
    expect(typeof poller.invoker.invokeShard).toBe('function');
    expect(poller.store).toBe(api.store);
    expect((await fcDeps(context, { shardInvoker: true })).invoker).toBe(poller.invoker);
  });

  it('invokes the running function, in its account, with the role credentials of the invocation', async () => {
    const { invoker } = await fcDeps(context, { shardInvoker: true });
    await invoker.invokeShard({ id: 'cn-hangzhou', regions: ['cn-hangzhou'] });
    expect(fc.calls).toHaveLength(1);
    expect(fc.calls[0]).toMatchObject({ path: '/2023-03-30/functions/taskhook-poller/invocations', signatureOk: true });
    expect(fc.calls[0].headers).toMatchObject({
      'x-fc-invocation-type': 'Async',
      'x-fc-account-id': '1234567890123456',
      'x-fc-security-token': STS.securityToken,
    });
    expect(JSON.parse(fc.calls[0].body)).toEqual({ shard: { id: 'cn-hangzhou', regions: ['cn-hangzhou'] } });
  });
});
