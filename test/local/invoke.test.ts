/** `taskhook invoke` against a local FC 3.0 API: every receipt form of an async call, and every error shape FC answers in. */
import net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { completeIo } from '../../src/local/cli-context.js';
import { invokeCommand, type InvokeOptions } from '../../src/local/commands/invoke.js';
import { accepted, fcError, startFakeFc, type FakeFc } from '../fc/fake-fc.js';
import { KEYS, STS } from '../support/helpers.js';
import { freshDir } from './cli-process.js';

let fc: FakeFc;
beforeAll(async () => {
  fc = await startFakeFc([KEYS, STS]);
});
afterAll(() => fc.close());
beforeEach(() => {
  fc.calls.length = 0;
  fc.answerWith(() => accepted('no-content-type', 'fc-req-1'));
});

const KEY_ENV = { ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret };

/** The command in this process, with its stdout and stderr lines captured. */
async function invoke(options: InvokeOptions = {}, env: Record<string, string> = KEY_ENV) {
  const out: string[] = [];
  const err: string[] = [];
  const io = completeIo({ out: (l) => out.push(l), err: (l) => err.push(l), tty: false, readStdin: async () => '', env, cwd: freshDir('invoke') });
  const code = await invokeCommand(io, { region: 'cn-hangzhou', accountId: '1234567890123456', endpoint: fc.endpoint, ...options });
  return { code, out, err, stderr: err.join('\n') };
}

describe('taskhook invoke: what it sends', () => {
  it('POSTs the timer payload to the poller, signed, synchronously unless --async', async () => {
    fc.answerWith((call) =>
      call.headers['x-fc-invocation-type'] === 'Sync'
        ? { status: 200, headers: { 'content-type': 'application/json', 'x-fc-request-id': 'fc-req-s' }, body: JSON.stringify({ leased: true }) }
        : accepted('json-empty'),
    );
    const sync = await invoke({ json: true });
    expect(sync).toMatchObject({ code: 0, out: ['{"leased":true}'], err: [] });
    const queued = await invoke({ async: true });
    expect(queued).toMatchObject({ code: 0, out: ['queued: request id fc-req-accepted'], err: [] });

    expect(fc.calls.map((c) => [c.path, c.headers['x-fc-invocation-type'], c.signatureOk, c.contentMd5Ok])).toEqual([
      ['/2023-03-30/functions/taskhook-poller/invocations', 'Sync', true, true],
      ['/2023-03-30/functions/taskhook-poller/invocations', 'Async', true, true],
    ]);
    expect(JSON.parse(fc.calls[0].body)).toMatchObject({ triggerName: 'taskhook-invoke', payload: '' });
  });
});

describe('taskhook invoke: what each answer becomes', () => {
  it.each(['no-content-type', 'json-empty', 'json-body', 'text-body'] as const)('reports an async 202 (%s) as queued', async (form) => {
    fc.answerWith(() => accepted(form, `fc-req-${form}`));
    expect(await invoke({ async: true })).toMatchObject({ code: 0, out: [`queued: request id fc-req-${form}`], err: [] });
    expect(await invoke({ async: true, json: true })).toMatchObject({ code: 0, out: [JSON.stringify({ queued: true, requestId: `fc-req-${form}` })] });
  });

  it('prints a sync answer that says JSON but is empty or not JSON as text, instead of failing', async () => {
    fc.answerWith(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '' }));
    expect(await invoke()).toMatchObject({ code: 0, out: [''], err: [] });
    fc.answerWith(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: 'done' }));
    expect(await invoke()).toMatchObject({ code: 0, out: ['done'], err: [] });
  });

  it.each(['fc3', 'lowercase', 'fc2'] as const)('reads a missing fc:InvokeFunction from the %s error body, on one line with the fix', async (shape) => {
    fc.answerWith(() => fcError(403, 'AccessDenied', 'You are not authorized to do this action.', shape));
    const run = await invoke();
    expect(run.code).toBe(1);
    expect(run.out).toEqual([]);
    expect(run.err).toHaveLength(1);
    expect(run.stderr).toMatch(/^invoke failed: HTTP 403 AccessDenied: You are not authorized to do this action\. \(request id fc-err-\d+\); /);
    expect(run.stderr).toContain(
      'the RAM user of ALIBABA_CLOUD_ACCESS_KEY_ID lacks fc:InvokeFunction on acs:fc:cn-hangzhou:1234567890123456:functions/taskhook-poller',
    );
    expect(run.stderr).not.toContain('undefined');
  });

  it('says a wrong --function is not found, and names the options that choose it', async () => {
    const run = await invoke({ function: 'taskhook-pollr' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("invoke failed: HTTP 404 FunctionNotFound: function 'taskhook-pollr' does not exist.");
    expect(run.stderr).toContain('FC has no function taskhook-pollr in cn-hangzhou of account 1234567890123456: check --function, --region and --account-id');
  });

  it('names the credential variables for an unknown key, and never prints a key, secret, token or signature', async () => {
    const stranger = { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIstrangerkey0009', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'stranger-secret-0009' };
    const unknown = await invoke({}, stranger);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('HTTP 403 InvalidAccessKeyID');
    expect(unknown.stderr).toContain('check ALIBABA_CLOUD_ACCESS_KEY_ID');
    expect(unknown.stderr).not.toContain(stranger.ALIBABA_CLOUD_ACCESS_KEY_ID);

    fc.answerWith((call) =>
      fcError(403, 'SignatureNotMatch', `got ${String(call.headers.authorization)} with token ${String(call.headers['x-fc-security-token'])}`),
    );
    const sts = {
      ALIBABA_CLOUD_ACCESS_KEY_ID: STS.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: STS.accessKeySecret,
      ALIBABA_CLOUD_SECURITY_TOKEN: STS.securityToken,
    };
    const echoed = await invoke({}, sts);
    expect(echoed.stderr).toContain('HTTP 403 SignatureNotMatch');
    const signature = String(fc.calls.at(-1)?.headers.authorization).split(':')[1];
    for (const secret of [STS.accessKeyId, STS.accessKeySecret, STS.securityToken, signature]) expect(echoed.stderr).not.toContain(secret);
  });

  it("fails a function that threw with its type and message, and a throttle or FC's own failure with 'retry later'", async () => {
    fc.answerWith(() => ({
      status: 200,
      headers: { 'content-type': 'application/json', 'x-fc-error-type': 'UnhandledInvocationError' },
      body: JSON.stringify({ errorMessage: 'ECS call failed', errorType: 'EcsError', stackTrace: ['at poll'] }),
    }));
    expect(await invoke()).toMatchObject({ code: 1, out: [], err: ['invoke failed: UnhandledInvocationError: ECS call failed'] });

    fc.answerWith(() => fcError(429, 'ResourceExhausted', 'concurrency limit'));
    expect((await invoke({ async: true })).stderr).toMatch(/^invoke failed: HTTP 429 ResourceExhausted: concurrency limit .*retry later/);
    fc.answerWith(() => ({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html><h1>502 Bad Gateway</h1></html>' }));
    expect((await invoke()).stderr).toMatch(/^invoke failed: HTTP 502: 502 Bad Gateway; FC failed on its side: retry later/);
  });

  it('says which options to check when FC cannot be reached', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const run = await invoke({ endpoint: `http://127.0.0.1:${port}` });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`^invoke failed: cannot reach FC at http://127\\.0\\.0\\.1:${port}: connect ECONNREFUSED .*; check --region, --account-id and --endpoint`),
    );
  });
});
