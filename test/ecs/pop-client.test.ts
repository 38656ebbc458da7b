import { afterEach, describe, expect, it } from 'vitest';
import type { EcsCallRecord } from '../../src/ecs/api.js';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { createPopEcsApi, type PopEcsApi } from '../../src/ecs/pop-client.js';
import { EcsError } from '../../src/errors.js';
import { KEYS, STS, finishedExport, startSimulator } from '../support/helpers.js';

const T0 = Date.parse('2026-11-27T02:00:00Z');
let sim: EcsSimulator | undefined;
let ecs: PopEcsApi | undefined;

afterEach(async () => {
  ecs?.close();
  await sim?.stop();
  sim = ecs = undefined;
});

function client(overrides: Partial<Parameters<typeof createPopEcsApi>[0]> = {}) {
  ecs = createPopEcsApi({
    endpoint: sim!.endpoint,
    credentials: () => KEYS,
    timeoutMs: 2_000,
    retry: { baseDelayMs: 10, maxDelayMs: 50, budgetMs: 3_000 },
    ...overrides,
  });
  return ecs;
}

async function failure(promise: Promise<unknown>): Promise<EcsError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EcsError);
  return error as EcsError;
}

/** Nothing a caller can see of an error may carry a credential or the signed request. */
function expectNoSecrets(error: EcsError) {
  const visible = JSON.stringify({ message: error.message, code: error.code, requestId: error.requestId, text: String(error) });
  for (const secret of [KEYS.accessKeyId, KEYS.accessKeySecret, STS.securityToken, STS.accessKeyId, 'Signature=', 'SignatureNonce', 'http://', sim!.endpoint]) {
    expect(visible).not.toContain(secret);
  }
}

describe('pop-core ECS adapter against the simulator', () => {
  it('looks a task up and returns the normalized snapshot', async () => {
    sim = await startSimulator([finishedExport('t-popsuccess0001', T0 - 120_000)]);
    const task = await client().describeTaskAttribute('cn-hangzhou', 't-popsuccess0001');
    expect(task).toMatchObject({
      id: 't-popsuccess0001',
      regionId: 'cn-hangzhou',
      action: 'ExportImage',
      status: 'Finished',
      outcome: 'succeeded',
      progress: 100,
      counts: { total: 1, succeeded: 1, failed: 0 },
    });
    expect(task.operations[0].relatedItems).toEqual([{ name: 'OSSObject', value: 'MYOSSPRE_m-23f8tcp_t-23ym6mv.vhd' }]);
    // POST keeps the signed parameters out of the URL.
    expect(sim.callLog()[0]).toMatchObject({ action: 'DescribeTaskAttribute', status: 200 });
  });

  it.each([
    ['InvalidTaskId.NotFound', 'cn-hangzhou', 't-doesnotexist01', 400],
    ['InvalidRegionId.NotFound', 'xx-nowhere-1', 't-doesnotexist01', 400],
    ['MissingParameter', 'cn-hangzhou', '', 400],
  ])('reports %s with its request id and HTTP status, and does not retry it', async (code, regionId, taskId, status) => {
    sim = await startSimulator();
    const error = await failure(client().describeTaskAttribute(regionId, taskId));
    expect(error).toMatchObject({ code, httpStatus: status, retryable: false });
    expect(error.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(sim.calls().DescribeTaskAttribute).toBe(1);
    expectNoSecrets(error);
  });

  it('waits out a throttled pause and then succeeds', async () => {
    sim = await startSimulator([finishedExport('t-popthrottle001', T0)]);
    sim.injectFault({ kind: 'throttle', times: 2 });
    const api = client({ throttlePauseMs: 300 });
    const task = await api.describeTaskAttribute('cn-hangzhou', 't-popthrottle001');
    expect(task.status).toBe('Finished');
    expect(sim.callLog().map((c) => c.code ?? 'ok')).toEqual(['Throttling.User', 'Throttling.User', 'ok']);
  });

  it('waits the TimeLeft of a throttled answer’s x-ratelimit-user-api header, then probes and succeeds', async () => {
    sim = await startSimulator([finishedExport('t-poptimeleft001', T0)]);
    sim.injectFault({ kind: 'throttle', times: 1, timeLeftMs: 700 });
    const started = Date.now();
    const task = await client({ retry: { budgetMs: 10_000 } }).describeTaskAttribute('cn-hangzhou', 't-poptimeleft001');
    expect(task.status).toBe('Finished');
    // Not the rest of the minute: what ECS said.
    expect(Date.now() - started).toBeGreaterThanOrEqual(650);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(sim.callLog().map((c) => c.code ?? 'ok')).toEqual(['Throttling.User', 'ok']);
  });

  it('without a TimeLeft, sends nothing more to a throttled pair until ECS’s next minute', async () => {
    sim = await startSimulator([finishedExport('t-popminute00001', T0)]);
    sim.injectFault({ kind: 'throttle', times: 1 });
    const msToMinute = 60_000 - (Date.now() % 60_000);
    const error = await failure(client({ retry: { budgetMs: Math.min(5_000, msToMinute - 1_000) } }).describeTaskAttribute('cn-hangzhou', 't-popminute00001'));
    expect(error.code).toBe('Throttling.User');
    expect(sim.calls().DescribeTaskAttribute).toBe(1);
  });

  it('reads ECS’s clock from the Date of its answers', async () => {
    sim = await startSimulator([finishedExport('t-popskew0000001', T0)]);
    sim.setWallClockSkew(-300_000);
    const records: EcsCallRecord[] = [];
    await client({ onCall: (r) => records.push(r) }).describeTaskAttribute('cn-hangzhou', 't-popskew0000001');
    const skew = records.at(-1)?.skewMs ?? 0;
    expect(skew).toBeGreaterThan(-302_000);
    expect(skew).toBeLessThan(-298_000);
  });

  it('pauses only the API and region that was throttled; other regions and APIs go on at once', async () => {
    sim = await startSimulator([finishedExport('t-poppair0000001', T0), finishedExport('t-poppair0000002', T0, 'cn-beijing')]);
    sim.injectFault({ kind: 'throttle', action: 'DescribeTaskAttribute', regionId: 'cn-hangzhou', times: 1 });
    const api = client({ throttlePauseMs: 60_000, retry: { budgetMs: 1_000 } });
    expect((await failure(api.describeTaskAttribute('cn-hangzhou', 't-poppair0000001'))).code).toBe('Throttling.User');
    // That pair now waits out its pause; the others are not held up by it.
    expect((await api.describeTaskAttribute('cn-beijing', 't-poppair0000002')).status).toBe('Finished');
    expect((await api.describeTasks('cn-hangzhou', { taskIds: ['t-poppair0000001'] })).map((t) => t.status)).toEqual(['Finished']);
    expect((await failure(api.describeTaskAttribute('cn-hangzhou', 't-poppair0000001'))).code).toBe('Throttling.User');
  });

  it('gives up with a throttling error carrying Retry-After once the retry budget is spent', async () => {
    sim = await startSimulator([finishedExport('t-popthrottle002', T0)]);
    sim.injectFault({ kind: 'throttle', times: Infinity });
    const error = await failure(client({ throttlePauseMs: 60_000, retry: { budgetMs: 1_000 } }).describeTaskAttribute('cn-hangzhou', 't-popthrottle002'));
    expect(error.code).toBe('Throttling.User');
    expect(error.throttled).toBe(true);
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(61);
    expect(sim.calls().DescribeTaskAttribute).toBe(1);
  });

  it('retries an HTML 503 from a gateway and then succeeds', async () => {
    sim = await startSimulator([finishedExport('t-pophtml0000001', T0)]);
    sim.injectFault({ kind: 'html503', times: 2 });
    const task = await client().describeTaskAttribute('cn-hangzhou', 't-pophtml0000001');
    expect(task.outcome).toBe('succeeded');
    expect(sim.calls().DescribeTaskAttribute).toBe(3);
  });

  it('names a body that is not JSON when the gateway keeps failing', async () => {
    sim = await startSimulator([finishedExport('t-pophtml0000002', T0)]);
    sim.injectFault({ kind: 'html503', times: Infinity });
    const error = await failure(client({ retry: { maxAttempts: 2, baseDelayMs: 1 } }).describeTaskAttribute('cn-hangzhou', 't-pophtml0000002'));
    expect(error).toMatchObject({ code: 'MalformedAnswer', retryable: true });
    expectNoSecrets(error);
  });

  it('times out a slow answer after the configured timeout', async () => {
    sim = await startSimulator([finishedExport('t-popslow0000001', T0)]);
    sim.injectFault({ kind: 'latency', latencyMs: 1_500, times: Infinity });
    const started = Date.now();
    const error = await failure(client({ timeoutMs: 300, retry: { maxAttempts: 1 } }).describeTaskAttribute('cn-hangzhou', 't-popslow0000001'));
    expect(error.code).toBe('Timeout');
    expect(Date.now() - started).toBeLessThan(1_400);
    expectNoSecrets(error);
  });

  it('retries a dropped connection', async () => {
    sim = await startSimulator([finishedExport('t-popdrop0000001', T0)]);
    sim.injectFault({ kind: 'drop', times: 1 });
    expect((await client().describeTaskAttribute('cn-hangzhou', 't-popdrop0000001')).outcome).toBe('succeeded');
    expect(sim.callLog().map((c) => c.status)).toEqual([0, 200]);
  });

  it('sends the STS security token, and the simulator accepts the signed call', async () => {
    sim = await startSimulator([finishedExport('t-popsts00000001', T0)]);
    const task = await client({ credentials: () => STS }).describeTaskAttribute('cn-hangzhou', 't-popsts00000001');
    expect(task.id).toBe('t-popsts00000001');
    expect(sim.callLog()[0].securityToken).toBe(true);
  });

  it('reads credentials on every call, so rotated role credentials take effect at once', async () => {
    sim = await startSimulator([finishedExport('t-poprotate00001', T0)]);
    let current: typeof KEYS | typeof STS = KEYS;
    const api = client({ credentials: () => current });
    await api.describeTaskAttribute('cn-hangzhou', 't-poprotate00001');
    current = STS;
    await api.describeTaskAttribute('cn-hangzhou', 't-poprotate00001');
    expect(sim.callLog().map((c) => c.securityToken)).toEqual([false, true]);
  });

  it('is rejected by the signature check when the secret is wrong, without leaking it', async () => {
    sim = await startSimulator([finishedExport('t-popbadsig00001', T0)]);
    const error = await failure(
      client({ credentials: () => ({ ...KEYS, accessKeySecret: 'wrong-secret-0000' }) }).describeTaskAttribute('cn-hangzhou', 't-popbadsig00001'),
    );
    expect(error.code).toBe('SignatureDoesNotMatch');
    expect(error.message).not.toContain('wrong-secret-0000');
    expectNoSecrets(error);
  });

  it('asks DescribeTasks 100 ids at a time with PageSize=100 and follows pages', async () => {
    const tasks = Array.from({ length: 250 }, (_, i) => finishedExport(`t-popmany${String(i).padStart(7, '0')}`, T0 - i * 1000));
    sim = await startSimulator(tasks);
    const api = client();
    const listed = await api.describeTasks('cn-hangzhou', { taskIds: tasks.map((t) => t.taskId) });
    expect(listed).toHaveLength(250);
    expect(sim.calls().DescribeTasks).toBe(3);
    expect(sim.callLog().map((c) => c.taskIds?.length)).toEqual([100, 100, 50]);
    sim.resetCounters();
    const all = await api.describeTasks('cn-hangzhou', { action: 'ExportImage', startTime: new Date(T0 - 400_000).toISOString() });
    expect(all).toHaveLength(250);
    expect(sim.calls().DescribeTasks).toBe(3);
    expect(all[0]).toMatchObject({ counts: null, progress: null, resourceId: 'm-bp1export0001' });
  });
});

describe('the resources’ describe calls', () => {
  const disk = (i: number) => ({
    ...finishedExport(`t-bp1resource${String(i).padStart(4, '0')}`, T0, 'cn-hangzhou', 60_000),
    action: 'ModifyDiskSpec',
    resourceId: `d-bp1resource${String(i).padStart(4, '0')}`,
    resource: { readyAfterMs: i % 2 ? 3_600_000 : 0 },
  });

  it('asks 100 ids a call, reads each state, and leaves out an id ECS does not know', async () => {
    sim = await startSimulator(
      Array.from({ length: 150 }, (_, i) => disk(i)),
      () => T0 + 120_000,
    );
    const calls: EcsCallRecord[] = [];
    const api = client({ onCall: (c) => calls.push(c) });
    const ids = [...Array.from({ length: 150 }, (_, i) => `d-bp1resource${String(i).padStart(4, '0')}`), 'd-bp1nosuchdisk0000'];
    const states = await api.describeResources('cn-hangzhou', 'disk', ids);
    expect(calls.filter((c) => c.action === 'DescribeDisks')).toHaveLength(2);
    expect(states).toHaveLength(150);
    expect(states.find((s) => s.id === 'd-bp1resource0000')).toEqual({ id: 'd-bp1resource0000', status: 'In_use', locks: [] });
    expect(states.find((s) => s.id === 'd-bp1resource0001')).toEqual({ id: 'd-bp1resource0001', status: 'Modifying', locks: [] });
  });

  it('names every image state in DescribeImages’ Status, or ECS would list only the Available ones', async () => {
    sim = await startSimulator(
      [{ ...disk(0), action: 'ImportImage', resourceId: 'm-bp1creating00001', resource: { readyAfterMs: 3_600_000 } }],
      () => T0 + 120_000,
    );
    const states = await client().describeResources('cn-hangzhou', 'image', ['m-bp1creating00001']);
    expect(states).toEqual([{ id: 'm-bp1creating00001', status: 'Creating', locks: [] }]);
  });

  it('reads a snapshot’s Category as its status, and gives up on a refused call with ECS’s code', async () => {
    sim = await startSimulator([{ ...disk(0), action: 'ArchiveSnapshot', resourceId: 's-bp1archive000001' }], () => T0 + 120_000);
    expect(await client().describeResources('cn-hangzhou', 'snapshot', ['s-bp1archive000001'])).toEqual([
      { id: 's-bp1archive000001', status: 'archive', locks: [] },
    ]);
    sim.injectFault({ kind: 'error', code: 'Forbidden.RAM', httpStatus: 403, action: 'DescribeSnapshots', times: Infinity });
    const error = await failure(client().describeResources('cn-hangzhou', 'snapshot', ['s-bp1archive000001']));
    expect(error).toMatchObject({ code: 'Forbidden.RAM', retryable: false });
    expectNoSecrets(error);
  });
});
