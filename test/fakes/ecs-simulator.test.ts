import RPCClient from '@alicloud/pop-core';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EcsSimulator, demoTasks, loadScenario, runSimulator, type SimCredential, type SimTask } from '../../src/ecs/simulator';
import { signRpc } from '../../src/ecs/simulator/signature';

const API_VERSION = '2014-05-26';
const T0 = Date.UTC(2026, 10, 27, 2, 13, 0); // minute-aligned, so quota windows start here
const MIN = 60_000;
const KEY: SimCredential = { accessKeyId: 'LTAI5tSimulatorKey0001', accessKeySecret: 'simulator-secret-0001' };
const STS: SimCredential = {
  accessKeyId: 'STS.NUgYrLnoC37mZZCNnAbez2Pqz',
  accessKeySecret: 'sts-secret-0001',
  securityToken: 'CAIS8gF1q6Ft5B2yfSjIr5bkKPn2hL1Ex4',
};
const REQUEST_ID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

let now = T0;
let sim: EcsSimulator;
let clients: RPCClient[] = [];

function client(credential: SimCredential = KEY, apiVersion = API_VERSION): RPCClient {
  const c = new RPCClient({ endpoint: sim.endpoint, apiVersion, ...credential });
  clients.push(c);
  return c;
}

function call(action: string, params: object, opts: { method?: 'GET' | 'POST'; timeout?: number } = {}, c = client()): Promise<any> {
  return c.request(action, params, { method: 'POST', timeout: 3000, ...opts });
}

async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

function signedParams(params: Record<string, string>, method = 'GET', credential = KEY): Record<string, string> {
  const all: Record<string, string> = {
    Format: 'JSON',
    Version: API_VERSION,
    AccessKeyId: credential.accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: randomUUID(),
    Timestamp: `${new Date().toISOString().slice(0, 19)}Z`,
    ...params,
  };
  return { ...all, Signature: signRpc(method, all, credential.accessKeySecret) };
}

const signedFetch = (params: Record<string, string>) => fetch(`${sim.endpoint}/?${new URLSearchParams(signedParams(params))}`);

const statusOf = (err: any): number | undefined => err.entry?.response?.statusCode;

function task(overrides: Partial<SimTask> & { taskId: string }): SimTask {
  return {
    regionId: 'cn-hangzhou',
    action: 'ImportImage',
    createdAt: T0,
    timeline: [{ afterMs: 0, status: 'Waiting' }],
    ...overrides,
  };
}

/** Waiting at creation, 45 % after 1 min, Finished (so 100 %) after 6 min. */
const exportTimeline = [
  { afterMs: 0, status: 'Waiting' },
  { afterMs: 1 * MIN, status: 'Processing', progress: 45 },
  { afterMs: 6 * MIN, status: 'Finished' },
];

async function startSimulator(tasks: SimTask[] = [], timePrecision?: 'minute' | 'second'): Promise<void> {
  sim = new EcsSimulator({ credentials: [KEY, STS], tasks, clock: () => now, timePrecision });
  await sim.start();
}

beforeEach(() => {
  now = T0;
  clients = [];
});

afterEach(async () => {
  for (const c of clients) (c as any).keepAliveAgent?.destroy();
  await sim?.stop();
});

describe('DescribeTaskAttribute', () => {
  it('answers a finished ExportImage task exactly in the documented shape', async () => {
    const created = Date.UTC(2015, 10, 23, 2, 13);
    await startSimulator([
      task({
        taskId: 't-ce946ntx4wr5kq2m8z1a',
        action: 'ExportImage',
        createdAt: created,
        timeline: [
          { afterMs: 0, status: 'Waiting' },
          { afterMs: 6 * MIN, status: 'Finished' },
        ],
        result: {
          totalCount: 1,
          successCount: 1,
          failedCount: 0,
          operations: [{ status: 'Success', relatedItems: [{ name: 'OSSObject', value: 'MYOSSPRE_m-23f8tcp1x_t-23ym6mv1y.vhd' }] }],
        },
      }),
    ]);
    now = created + 60 * MIN;

    const res = await call('DescribeTaskAttribute', { RegionId: 'cn-hangzhou', TaskId: 't-ce946ntx4wr5kq2m8z1a' });

    expect(Object.keys(res)).toEqual([
      'CreationTime',
      'SupportCancel',
      'TotalCount',
      'SuccessCount',
      'RegionId',
      'TaskAction',
      'FailedCount',
      'RequestId',
      'TaskStatus',
      'TaskProcess',
      'FinishedTime',
      'TaskId',
      'OperationProgressSet',
    ]);
    expect(res).toEqual({
      CreationTime: '2015-11-23T02:13Z',
      SupportCancel: 'true',
      TotalCount: 1,
      SuccessCount: 1,
      RegionId: 'cn-hangzhou',
      TaskAction: 'ExportImage',
      FailedCount: 0,
      RequestId: expect.stringMatching(REQUEST_ID),
      TaskStatus: 'Finished',
      TaskProcess: '100%',
      FinishedTime: '2015-11-23T02:19Z',
      TaskId: 't-ce946ntx4wr5kq2m8z1a',
      OperationProgressSet: {
        OperationProgress: [
          { OperationStatus: 'Success', RelatedItemSet: { RelatedItem: [{ Name: 'OSSObject', Value: 'MYOSSPRE_m-23f8tcp1x_t-23ym6mv1y.vhd' }] } },
        ],
      },
    });
    expect(Object.keys(res.OperationProgressSet.OperationProgress[0])).not.toContain('ErrorCode');
  });

  it('moves a task along its timeline as the clock advances, showing operations only once it is finished', async () => {
    await startSimulator([
      task({
        taskId: 't-bp1timeline000000001',
        action: 'ExportImage',
        timeline: exportTimeline,
        result: { operations: [{ status: 'Success', relatedItems: [{ name: 'OSSObject', value: 'export.vhd' }] }] },
      }),
    ]);
    const describe = () => call('DescribeTaskAttribute', { RegionId: 'cn-hangzhou', TaskId: 't-bp1timeline000000001' });

    const waiting = await describe();
    expect(waiting).toMatchObject({ TaskStatus: 'Waiting', TaskProcess: '0%', FinishedTime: '', TotalCount: 1, SuccessCount: 0, FailedCount: 0 });
    expect(waiting.OperationProgressSet).toEqual({ OperationProgress: [] });

    now = T0 + 3 * MIN;
    const processing = await describe();
    expect(processing).toMatchObject({ TaskStatus: 'Processing', TaskProcess: '45%', FinishedTime: '' });
    expect(processing.OperationProgressSet).toEqual({ OperationProgress: [] });

    now = T0 + 7 * MIN;
    const finished = await describe();
    expect(finished).toMatchObject({ TaskStatus: 'Finished', TaskProcess: '100%', FinishedTime: '2026-11-27T02:19Z', SuccessCount: 1 });
    expect(finished.OperationProgressSet.OperationProgress).toHaveLength(1);
  });

  it('reports a failed task with its operation error code and message, and failure counts', async () => {
    await startSimulator([
      task({
        taskId: 't-bp1failed0000000001',
        timeline: [
          { afterMs: 0, status: 'Processing', progress: 30 },
          { afterMs: MIN, status: 'Failed' },
        ],
        result: { operations: [{ status: 'Failed', errorCode: 'InvalidOSSObject.NotFound', errorMessage: 'The specified OSS object does not exist.' }] },
      }),
    ]);
    now = T0 + 2 * MIN;

    const res = await call('DescribeTaskAttribute', { RegionId: 'cn-hangzhou', TaskId: 't-bp1failed0000000001' });

    expect(res).toMatchObject({ TaskStatus: 'Failed', TaskProcess: '30%', TotalCount: 1, SuccessCount: 0, FailedCount: 1, FinishedTime: '2026-11-27T02:14Z' });
    expect(res.OperationProgressSet.OperationProgress).toEqual([
      {
        ErrorMsg: 'The specified OSS object does not exist.',
        ErrorCode: 'InvalidOSSObject.NotFound',
        OperationStatus: 'Failed',
        RelatedItemSet: { RelatedItem: [] },
      },
    ]);
  });

  it('does not know a task before its creation time', async () => {
    await startSimulator([task({ taskId: 't-bp1future0000000001', createdAt: T0 + MIN })]);

    const err = await failure(call('DescribeTaskAttribute', { RegionId: 'cn-hangzhou', TaskId: 't-bp1future0000000001' }));
    expect(err.code).toBe('InvalidTaskId.NotFound');
    expect((await call('DescribeTasks', { RegionId: 'cn-hangzhou' })).TotalCount).toBe(0);

    now = T0 + MIN;
    expect(await call('DescribeTaskAttribute', { RegionId: 'cn-hangzhou', TaskId: 't-bp1future0000000001' })).toMatchObject({ TaskStatus: 'Waiting' });
    expect((await call('DescribeTasks', { RegionId: 'cn-hangzhou' })).TotalCount).toBe(1);
  });

  it('formats times to the second when asked to', async () => {
    await startSimulator([task({ taskId: 't-bp1seconds000000001', createdAt: T0 + 7_000 })], 'second');
    now = T0 + MIN;

    const res = await call('DescribeTaskAttribute', { RegionId: 'cn-hangzhou', TaskId: 't-bp1seconds000000001' });
    expect(res.CreationTime).toBe('2026-11-27T02:13:07Z');
  });
});

describe('DescribeTasks', () => {
  it('pages 250 tasks 100 at a time, newest first, with TotalCount 250 on every page', async () => {
    const tasks = Array.from({ length: 250 }, (_, i) => task({ taskId: `t-bp1page${String(i).padStart(12, '0')}`, createdAt: T0 - i * 1000 }));
    await startSimulator(tasks);

    const pages = [];
    for (const PageNumber of [1, 2, 3, 4]) pages.push(await call('DescribeTasks', { RegionId: 'cn-hangzhou', PageSize: 100, PageNumber }));

    expect(pages.map((p) => [p.TotalCount, p.PageNumber, p.PageSize, p.TaskSet.Task.length])).toEqual([
      [250, 1, 100, 100],
      [250, 2, 100, 100],
      [250, 3, 100, 50],
      [250, 4, 100, 0],
    ]);
    const ids = pages.flatMap((p) => p.TaskSet.Task.map((t: any) => t.TaskId));
    expect(ids).toEqual(tasks.map((t) => t.taskId));
  });

  it('returns 10 tasks of page 1 by default and never a progress field', async () => {
    await startSimulator(Array.from({ length: 12 }, (_, i) => task({ taskId: `t-bp1default0000000${String(i).padStart(2, '0')}` })));

    const res = await call('DescribeTasks', { RegionId: 'cn-hangzhou' });

    expect(res).toMatchObject({ TotalCount: 12, PageNumber: 1, PageSize: 10, RegionId: 'cn-hangzhou', RequestId: expect.stringMatching(REQUEST_ID) });
    expect(res.TaskSet.Task).toHaveLength(10);
    expect(res.TaskSet.Task[0]).not.toHaveProperty('TaskProcess');
  });

  it('describes each task with its action, status, cancel support, times and resource', async () => {
    await startSimulator([task({ taskId: 't-bp1row0000000000001', action: 'ImportImage', resourceId: 'm-bp1row00000000000001', timeline: exportTimeline })]);
    now = T0 + 2 * MIN;

    const res = await call('DescribeTasks', { RegionId: 'cn-hangzhou' });

    expect(res.TaskSet.Task).toEqual([
      {
        TaskId: 't-bp1row0000000000001',
        TaskAction: 'ImportImage',
        TaskStatus: 'Processing',
        SupportCancel: 'true',
        CreationTime: '2026-11-27T02:13Z',
        FinishedTime: '',
        ResourceId: 'm-bp1row00000000000001',
      },
    ]);
  });

  it('returns only the requested TaskIds of the requested region and leaves unknown ids out', async () => {
    await startSimulator([
      task({ taskId: 't-bp1ids000000000000a' }),
      task({ taskId: 't-bp1ids000000000000b' }),
      task({ taskId: 't-bp1ids000000000000c' }),
      task({ taskId: 't-2zeids000000000000d', regionId: 'cn-beijing' }),
    ]);

    const res = await call('DescribeTasks', {
      RegionId: 'cn-hangzhou',
      TaskIds: 't-bp1ids000000000000a, t-bp1ids000000000000c,t-bp1unknown0000000000,t-2zeids000000000000d',
    });

    expect(res.TotalCount).toBe(2);
    expect(res.TaskSet.Task.map((t: any) => t.TaskId).sort()).toEqual(['t-bp1ids000000000000a', 't-bp1ids000000000000c']);
  });

  it('rejects more than 100 TaskIds with InvalidParameter', async () => {
    await startSimulator();
    const ids = Array.from({ length: 101 }, (_, i) => `t-bp1many${String(i).padStart(12, '0')}`).join(',');

    const err = await failure(call('DescribeTasks', { RegionId: 'cn-hangzhou', TaskIds: ids }));

    expect(err.code).toBe('InvalidParameter');
    expect(err.data.Message).toBe('The specified parameter TaskIds exceeds 100.');
    expect(statusOf(err)).toBe(400);
  });

  it('filters by TaskAction and by TaskStatus Finished/Processing/Failed, ignoring other status values', async () => {
    await startSimulator([
      task({ taskId: 't-bp1filter0000000001', action: 'ExportImage', timeline: [{ afterMs: 0, status: 'Finished' }] }),
      task({ taskId: 't-bp1filter0000000002', action: 'ImportImage', timeline: [{ afterMs: 0, status: 'Processing' }] }),
      task({ taskId: 't-bp1filter0000000003', action: 'ImportImage', timeline: [{ afterMs: 0, status: 'Failed' }] }),
      task({ taskId: 't-bp1filter0000000004', action: 'ModifyDiskSpec', timeline: [{ afterMs: 0, status: 'Waiting' }] }),
    ]);
    const ids = async (params: object) =>
      (await call('DescribeTasks', { RegionId: 'cn-hangzhou', ...params })).TaskSet.Task.map((t: any) => t.TaskId.slice(-1)).sort();

    expect(await ids({ TaskAction: 'ImportImage' })).toEqual(['2', '3']);
    expect(await ids({ TaskStatus: 'Finished' })).toEqual(['1']);
    expect(await ids({ TaskStatus: 'Failed', TaskAction: 'ImportImage' })).toEqual(['3']);
    expect(await ids({ TaskStatus: 'Waiting' })).toEqual(['1', '2', '3', '4']);
  });

  it('keeps only tasks created inside the StartTime–EndTime window, in second or minute form', async () => {
    await startSimulator([
      task({ taskId: 't-bp1window000000001', createdAt: Date.UTC(2026, 10, 27, 1, 0, 0) }),
      task({ taskId: 't-bp1window000000002', createdAt: Date.UTC(2026, 10, 27, 2, 0, 30) }),
      task({ taskId: 't-bp1window000000003', createdAt: Date.UTC(2026, 10, 27, 2, 10, 0) }),
    ]);
    const ids = async (params: object) =>
      (await call('DescribeTasks', { RegionId: 'cn-hangzhou', ...params })).TaskSet.Task.map((t: any) => t.TaskId.slice(-1));

    expect(await ids({ StartTime: '2026-11-27T02:00:00Z', EndTime: '2026-11-27T02:05:00Z' })).toEqual(['2']);
    expect(await ids({ StartTime: '2026-11-27T02:01Z' })).toEqual(['3']);
    expect(await ids({ EndTime: '2026-11-27T02:00Z' })).toEqual(['1']);
    expect(await ids({ StartTime: '2026-11-27T02:10:00Z', EndTime: '2026-11-27T02:10:00Z' })).toEqual(['3']); // both ends inclusive
    const err = await failure(call('DescribeTasks', { RegionId: 'cn-hangzhou', StartTime: 'yesterday' }));
    expect(err.code).toBe('InvalidParameter');
  });

  it('filters by ResourceIds.N as pop-core flattens an array', async () => {
    await startSimulator([
      task({ taskId: 't-bp1resource00000001', resourceId: 'm-bp1image0000000001' }),
      task({ taskId: 't-bp1resource00000002', resourceId: 'm-bp1image0000000002' }),
      task({ taskId: 't-bp1resource00000003', resourceId: 'm-bp1image0000000003' }),
    ]);

    const res = await call('DescribeTasks', { RegionId: 'cn-hangzhou', ResourceIds: ['m-bp1image0000000001', 'm-bp1image0000000003'] });

    expect(res.TaskSet.Task.map((t: any) => t.ResourceId).sort()).toEqual(['m-bp1image0000000001', 'm-bp1image0000000003']);
  });

  it('rejects a PageSize above 100', async () => {
    await startSimulator();
    const err = await failure(call('DescribeTasks', { RegionId: 'cn-hangzhou', PageSize: 101 }));
    expect(err.code).toBe('InvalidParameter');
    expect(err.data.Message).toContain('PageSize');
  });
});

describe('CancelTask', () => {
  it('turns a running ImportImage Deleted at that moment, and it stays Deleted', async () => {
    await startSimulator([task({ taskId: 't-bp1cancel0000000001', action: 'ImportImage', timeline: exportTimeline })]);
    now = T0 + 2 * MIN;

    const res = await call('CancelTask', { RegionId: 'cn-hangzhou', TaskId: 't-bp1cancel0000000001' });
    expect(Object.keys(res)).toEqual(['RequestId']);

    now = T0 + 10 * MIN;
    const after = await call('DescribeTaskAttribute', { RegionId: 'cn-hangzhou', TaskId: 't-bp1cancel0000000001' });
    expect(after).toMatchObject({ TaskStatus: 'Deleted', FinishedTime: '2026-11-27T02:15Z', SuccessCount: 0 });
    expect(sim.tasks()[0].timeline.at(-1)).toEqual({ afterMs: 2 * MIN, status: 'Deleted' });
  });

  it('refuses to cancel a ModifyDiskSpec with 403 InvalidTaskId.TaskActionNotSupport', async () => {
    await startSimulator([task({ taskId: 't-bp1disk000000000001', action: 'ModifyDiskSpec', timeline: [{ afterMs: 0, status: 'Processing' }] })]);

    const err = await failure(call('CancelTask', { RegionId: 'cn-hangzhou', TaskId: 't-bp1disk000000000001' }));

    expect(err.code).toBe('InvalidTaskId.TaskActionNotSupport');
    expect(statusOf(err)).toBe(403);
  });

  it('refuses to cancel a finished export, or one that does not support cancelling, with 403 IncorrectTaskStatus', async () => {
    await startSimulator([
      task({ taskId: 't-bp1done000000000001', action: 'ExportImage', timeline: [{ afterMs: 0, status: 'Finished' }] }),
      task({ taskId: 't-bp1nocancel00000001', action: 'ExportImage', supportCancel: false, timeline: [{ afterMs: 0, status: 'Processing' }] }),
    ]);

    for (const TaskId of ['t-bp1done000000000001', 't-bp1nocancel00000001']) {
      const err = await failure(call('CancelTask', { RegionId: 'cn-hangzhou', TaskId }));
      expect(err.code).toBe('InvalidTaskId.IncorrectTaskStatus');
      expect(statusOf(err)).toBe(403);
    }
  });
});

describe('documented errors', () => {
  beforeEach(() => startSimulator([task({ taskId: 't-bp1known0000000001' })]));

  it('answers MissingParameter when RegionId is not given', async () => {
    const err = await failure(call('DescribeTaskAttribute', { TaskId: 't-bp1known0000000001' }));

    expect(err.code).toBe('MissingParameter');
    expect(err.data).toEqual({
      RequestId: expect.stringMatching(REQUEST_ID),
      HostId: 'ecs.aliyuncs.com',
      Code: 'MissingParameter',
      Message: 'An input parameter "RegionId" that is mandatory for processing the request is not supplied.',
    });
    expect(statusOf(err)).toBe(400);
  });

  it('answers MissingParameter naming TaskId when TaskId is not given', async () => {
    const err = await failure(call('CancelTask', { RegionId: 'cn-hangzhou' }));
    expect(err.data.Message).toBe('An input parameter "TaskId" that is mandatory for processing the request is not supplied.');
  });

  it('answers InvalidRegionId.NotFound for a region that does not exist', async () => {
    const err = await failure(call('DescribeTasks', { RegionId: 'cn-atlantis' }));

    expect(err.code).toBe('InvalidRegionId.NotFound');
    expect(err.data.Message).toBe('The specified RegionId does not exist.');
    expect(err.data.HostId).toBe('ecs.aliyuncs.com');
    expect(err.data.RequestId).toMatch(REQUEST_ID);
    expect(statusOf(err)).toBe(400);
  });

  it('answers InvalidTaskId.NotFound for an unknown task, with the regional HostId', async () => {
    const err = await failure(call('DescribeTaskAttribute', { RegionId: 'cn-hangzhou', TaskId: 't-bp1unknown000000001' }));

    expect(err.code).toBe('InvalidTaskId.NotFound');
    expect(err.data.Message).toBe('The specified "TaskId" is not found.');
    expect(err.data.HostId).toBe('ecs.cn-hangzhou.aliyuncs.com');
    expect(statusOf(err)).toBe(400);
  });

  it('does not find a task under another region', async () => {
    const err = await failure(call('DescribeTaskAttribute', { RegionId: 'cn-beijing', TaskId: 't-bp1known0000000001' }));
    expect(err.code).toBe('InvalidTaskId.NotFound');
  });

  it('answers InvalidAction.NotFound for an action it does not serve and InvalidVersion for another API version', async () => {
    expect((await failure(call('DescribeSecurityGroups', { RegionId: 'cn-hangzhou' }))).code).toBe('InvalidAction.NotFound');
    expect((await failure(call('DescribeTasks', { RegionId: 'cn-hangzhou' }, {}, client(KEY, '2016-11-11')))).code).toBe('InvalidVersion');
  });
});

describe('request signing', () => {
  beforeEach(() => startSimulator());

  it('answers SignatureDoesNotMatch when the secret is wrong', async () => {
    const err = await failure(call('DescribeTasks', { RegionId: 'cn-hangzhou' }, {}, client({ ...KEY, accessKeySecret: 'not-the-secret' })));
    expect(err.code).toBe('SignatureDoesNotMatch');
    expect(err.data.Message).toBe('Specified signature is not matched with our calculation.');
    expect(statusOf(err)).toBe(400);
  });

  it('answers 404 InvalidAccessKeyId.NotFound for an unknown access key', async () => {
    const err = await failure(call('DescribeTasks', { RegionId: 'cn-hangzhou' }, {}, client({ accessKeyId: 'LTAIunknown', accessKeySecret: 'x' })));
    expect(err.code).toBe('InvalidAccessKeyId.NotFound');
    expect(statusOf(err)).toBe(404);
  });

  it('answers IncompleteSignature to an unsigned request, or one without a nonce or with another signature method', async () => {
    const query = new URLSearchParams({ Action: 'DescribeTasks', RegionId: 'cn-hangzhou', Version: API_VERSION, Format: 'JSON' });
    const res = await fetch(`${sim.endpoint}/?${query}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ Code: 'IncompleteSignature' });

    const { SignatureNonce, ...withoutNonce } = signedParams({ Action: 'DescribeTasks', RegionId: 'cn-hangzhou' });
    expect(SignatureNonce).toBeTruthy();
    const sha256 = signedParams({ Action: 'DescribeTasks', RegionId: 'cn-hangzhou', SignatureMethod: 'HMAC-SHA256' });
    for (const params of [withoutNonce, sha256]) {
      const answer = await fetch(`${sim.endpoint}/?${new URLSearchParams(params)}`);
      expect((await answer.json()).Code).toBe('IncompleteSignature');
    }
  });

  it('binds the signature to the HTTP method and to every parameter', async () => {
    const signedForGet = signedParams({ Action: 'DescribeTasks', RegionId: 'cn-hangzhou' }, 'GET');
    const asPost = await fetch(`${sim.endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(signedForGet).toString(),
    });
    expect((await asPost.json()).Code).toBe('SignatureDoesNotMatch');

    const tampered = await fetch(`${sim.endpoint}/?${new URLSearchParams({ ...signedForGet, RegionId: 'cn-beijing' })}`);
    expect((await tampered.json()).Code).toBe('SignatureDoesNotMatch');

    const intact = await fetch(`${sim.endpoint}/?${new URLSearchParams(signedForGet)}`);
    expect(intact.status).toBe(200);
  });

  it('rejects an STS credential used without its security token and accepts it with the token', async () => {
    const { securityToken, ...withoutToken } = STS;
    const err = await failure(call('DescribeTasks', { RegionId: 'cn-hangzhou' }, {}, client(withoutToken)));
    expect(err.code).toBe('InvalidSecurityToken.Mismatch');

    const wrongToken = await failure(call('DescribeTasks', { RegionId: 'cn-hangzhou' }, {}, client({ ...STS, securityToken: `${securityToken}x` })));
    expect(wrongToken.code).toBe('InvalidSecurityToken.Mismatch');

    expect(await call('DescribeTasks', { RegionId: 'cn-hangzhou' }, {}, client(STS))).toMatchObject({ TotalCount: 0 });
    expect(sim.callLog().map((c) => c.securityToken)).toEqual([false, true, true]);
  });

  it('serves signed GET and POST requests alike', async () => {
    expect(await call('DescribeTasks', { RegionId: 'cn-hangzhou' }, { method: 'GET' })).toMatchObject({ TotalCount: 0 });
    expect(await call('DescribeTasks', { RegionId: 'cn-hangzhou' }, { method: 'POST' })).toMatchObject({ TotalCount: 0 });
  });
});

describe('flow control', () => {
  it('answers Throttling.User once the per-minute quota for DescribeTasks in a region is spent, until the next minute', async () => {
    await startSimulator();
    sim.setQuota('DescribeTasks', 2);
    now = T0 + 30_000;
    const hangzhou = () => call('DescribeTasks', { RegionId: 'cn-hangzhou' });

    await hangzhou();
    await hangzhou();
    const err = await failure(hangzhou());
    expect(err.code).toBe('Throttling.User');
    expect(err.data.Message).toBe('Request was denied due to user flow control.');
    expect(statusOf(err)).toBe(400);

    // Quotas are per region and per action.
    await call('DescribeTasks', { RegionId: 'cn-beijing' });
    expect((await failure(call('DescribeTaskAttribute', { RegionId: 'cn-hangzhou', TaskId: 't-bp1none' }))).code).toBe('InvalidTaskId.NotFound');

    now = T0 + 59_999;
    expect((await failure(hangzhou())).code).toBe('Throttling.User');
    now = T0 + MIN;
    expect(await hangzhou()).toMatchObject({ TotalCount: 0 });
  });
});

describe('injected faults', () => {
  beforeEach(() => startSimulator());
  const describeTasks = (opts = {}) => call('DescribeTasks', { RegionId: 'cn-hangzhou' }, opts);

  it('throttles the next matching request once, then answers normally', async () => {
    sim.injectFault({ kind: 'throttle' });
    expect((await failure(describeTasks())).code).toBe('Throttling.User');
    expect(await describeTasks()).toMatchObject({ TotalCount: 0 });
  });

  it('answers 500 InternalError and 503 ServiceUnavailable as JSON', async () => {
    sim.injectFault({ kind: 'http500' });
    sim.injectFault({ kind: 'http503' });

    const internal = await failure(describeTasks());
    expect([internal.code, statusOf(internal), internal.data.Message]).toEqual([
      'InternalError',
      500,
      'The request processing has failed due to some unknown error.',
    ]);
    const unavailable = await failure(describeTasks());
    expect([unavailable.code, statusOf(unavailable)]).toEqual(['ServiceUnavailable', 503]);
  });

  it('answers an HTML 503 page that pop-core fails to parse with a SyntaxError', async () => {
    sim.injectFault({ kind: 'html503' });
    const err = await failure(describeTasks());
    expect(err).toMatchObject({ name: 'SyntaxError' });
    expect(sim.callLog()[0]).toMatchObject({ status: 503 });
  });

  it('serves the HTML 503 page with a text/html content type', async () => {
    sim.injectFault({ kind: 'html503' });
    const res = await signedFetch({ Action: 'DescribeTasks', RegionId: 'cn-hangzhou' });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toMatch(/^<html>[\s\S]*<\/html>\s*$/);
  });

  it('drops the connection without answering, which pop-core reports as a network error', async () => {
    sim.injectFault({ kind: 'drop', action: 'DescribeTasks' });
    const err = await failure(describeTasks());
    expect(err.code ?? err.message).toMatch(/ECONNRESET|socket hang up/);
    expect(sim.callLog()[0].status).toBe(0);
  });

  it('delays a response past a short pop-core timeout, which pop-core reports as a timeout', async () => {
    sim.injectFault({ kind: 'latency', latencyMs: 1000 });
    const err = await failure(describeTasks({ timeout: 200 }));
    expect(`${err.name} ${err.message}`).toMatch(/Timeout/);
    expect(await describeTasks({ timeout: 200 })).toMatchObject({ TotalCount: 0 });
  });

  it('adds the configured latency to every response', async () => {
    sim.setLatency(150);
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      await describeTasks();
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    }
  });

  it('applies a fault only to requests of its action and region, as many times as asked', async () => {
    sim.injectFault({ kind: 'throttle', action: 'DescribeTasks', regionId: 'cn-beijing', times: 2 });

    expect(await describeTasks()).toMatchObject({ RegionId: 'cn-hangzhou' });
    expect((await failure(call('DescribeTaskAttribute', { RegionId: 'cn-beijing', TaskId: 't-x' }))).code).toBe('InvalidTaskId.NotFound');
    expect((await failure(call('DescribeTasks', { RegionId: 'cn-beijing' }))).code).toBe('Throttling.User');
    expect((await failure(call('DescribeTasks', { RegionId: 'cn-beijing' }))).code).toBe('Throttling.User');
    expect(await call('DescribeTasks', { RegionId: 'cn-beijing' })).toMatchObject({ RegionId: 'cn-beijing' });
  });

  it('keeps an unlimited fault until the faults are cleared', async () => {
    sim.injectFault({ kind: 'http503', times: Infinity });
    for (let i = 0; i < 3; i++) expect((await failure(describeTasks())).code).toBe('ServiceUnavailable');
    sim.clearFaults();
    expect(await describeTasks()).toMatchObject({ TotalCount: 0 });
  });

  it('checks the signature before any fault, without using the fault up', async () => {
    sim.injectFault({ kind: 'throttle' });
    const err = await failure(call('DescribeTasks', { RegionId: 'cn-hangzhou' }, {}, client({ ...KEY, accessKeySecret: 'wrong' })));
    expect(err.code).toBe('SignatureDoesNotMatch');
    const unsigned = await fetch(`${sim.endpoint}/?Action=DescribeTasks&RegionId=cn-hangzhou&Version=${API_VERSION}`);
    expect((await unsigned.json()).Code).toBe('IncompleteSignature');
    expect((await failure(describeTasks())).code).toBe('Throttling.User');
  });

  it('closes connections still waiting for an answer when stopped', async () => {
    sim.injectFault({ kind: 'latency', latencyMs: 10_000 });
    const pending = failure(describeTasks({ timeout: 15_000 }));
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    await sim.stop();
    expect(performance.now() - started).toBeLessThan(1000);
    const err = await pending;
    expect(err.code ?? err.message).toMatch(/ECONNRESET|socket hang up/);
  });
});

describe('call counters', () => {
  it('counts calls per action, failed ones included, logs each call and resets on demand', async () => {
    await startSimulator([task({ taskId: 't-bp1count0000000001' })]);

    await call('DescribeTasks', { RegionId: 'cn-hangzhou', TaskIds: 't-bp1count0000000001,t-bp1count0000000002' });
    await call('DescribeTasks', { RegionId: 'cn-hangzhou' });
    await call('DescribeTaskAttribute', { RegionId: 'cn-hangzhou', TaskId: 't-bp1count0000000001' });
    await failure(call('DescribeTaskAttribute', { RegionId: 'cn-hangzhou', TaskId: 't-bp1missing000000001' }));
    await failure(call('DescribeTasks', { RegionId: 'cn-hangzhou' }, {}, client({ ...KEY, accessKeySecret: 'wrong' })));

    expect(sim.calls()).toEqual({ DescribeTasks: 3, DescribeTaskAttribute: 2 });
    expect(sim.callLog()).toEqual([
      { action: 'DescribeTasks', regionId: 'cn-hangzhou', taskIds: ['t-bp1count0000000001', 't-bp1count0000000002'], status: 200, securityToken: false },
      { action: 'DescribeTasks', regionId: 'cn-hangzhou', status: 200, securityToken: false },
      { action: 'DescribeTaskAttribute', regionId: 'cn-hangzhou', taskIds: ['t-bp1count0000000001'], status: 200, securityToken: false },
      {
        action: 'DescribeTaskAttribute',
        regionId: 'cn-hangzhou',
        taskIds: ['t-bp1missing000000001'],
        status: 400,
        code: 'InvalidTaskId.NotFound',
        securityToken: false,
      },
      { action: 'DescribeTasks', regionId: 'cn-hangzhou', status: 400, code: 'SignatureDoesNotMatch', securityToken: false },
    ]);

    sim.resetCounters();
    expect(sim.calls()).toEqual({});
    expect(sim.callLog()).toEqual([]);
  });
});

describe('demo scenario', () => {
  it('plays out an export, a failed import, a disk resize in Beijing, a cancelled import, a slow export, a late image, a redeploy and a stall within a minute', async () => {
    await startSimulator(demoTasks(T0));
    const states = async () => {
      const hz = await call('DescribeTasks', { RegionId: 'cn-hangzhou', PageSize: 100 });
      const bj = await call('DescribeTasks', { RegionId: 'cn-beijing', PageSize: 100 });
      return [...hz.TaskSet.Task, ...bj.TaskSet.Task].map((t: any) => `${t.TaskAction}:${t.TaskStatus}`).sort();
    };

    expect(await states()).toEqual([
      'ExportImage:Waiting',
      'ExportImage:Waiting',
      'ImportImage:Waiting',
      'ImportImage:Waiting',
      'ImportImage:Waiting',
      'ImportImage:Waiting',
      'ImportImage:Waiting',
      'ModifyDiskSpec:Waiting',
      'RedeployInstance:Processing',
    ]);
    now = T0 + 60_000;
    expect(await states()).toEqual([
      'ExportImage:Finished',
      'ExportImage:Finished',
      'ImportImage:Deleted',
      'ImportImage:Failed',
      'ImportImage:Finished',
      'ImportImage:Finished',
      'ImportImage:Finished',
      'ModifyDiskSpec:Finished',
      'RedeployInstance:Finished',
    ]);

    for (const t of sim.tasks()) expect(t.taskId).toMatch(/^t-[a-z0-9]{20}$/);
    const exported = sim.tasks().find((t) => t.action === 'ExportImage' && t.timeline.length === 6)!;
    const res = await call('DescribeTaskAttribute', { RegionId: 'cn-hangzhou', TaskId: exported.taskId });
    expect(res.OperationProgressSet.OperationProgress[0].RelatedItemSet.RelatedItem.map((i: any) => i.Name)).toEqual(['OSSObject', 'OSSBucket', 'ImageFormat']);
    expect(res.OperationProgressSet.OperationProgress[0].RelatedItemSet.RelatedItem[0].Value).toMatch(/^MYOSSPRE_m-[a-z0-9]{20}_t-[a-z0-9]{20}\.vhd$/);
  });

  it('shows the slow export gaining 10 % every 5 seconds', async () => {
    const slow = demoTasks(T0).find((t) => t.timeline.length === 10)!;
    await startSimulator([slow]);
    const progress = [];
    for (const seconds of [5, 10, 20, 44, 45]) {
      now = T0 + seconds * 1000;
      progress.push((await call('DescribeTaskAttribute', { RegionId: 'cn-hangzhou', TaskId: slow.taskId })).TaskProcess);
    }
    expect(progress).toEqual(['10%', '20%', '40%', '80%', '100%']);
  });

  it('shows the late image Creating after its task finished, the disk Modifying, the instance Starting, then each usable', async () => {
    await startSimulator(demoTasks(T0));
    const by = (action: string) => sim.tasks().find((t) => t.action === action && t.resource)!;
    const image = by('ImportImage');
    const disk = by('ModifyDiskSpec');
    const instance = by('RedeployInstance');
    const look = async () => [
      (await call('DescribeImages', { RegionId: 'cn-hangzhou', ImageId: image.resourceId, Status: 'Creating,Available' })).Images.Image[0]?.Status,
      (await call('DescribeDisks', { RegionId: 'cn-beijing', DiskIds: JSON.stringify([disk.resourceId]) })).Disks.Disk[0]?.Status,
      (await call('DescribeInstances', { RegionId: 'cn-hangzhou', InstanceIds: JSON.stringify([instance.resourceId]) })).Instances.Instance[0]?.Status,
    ];
    now = T0 + 26_000; // every task finished, no resource usable yet
    expect(await look()).toEqual(['Creating', 'Modifying', 'Starting']);
    now = T0 + 41_000;
    expect(await look()).toEqual(['Available', 'In_use', 'Running']);
    // Without Status, DescribeImages lists only Available images, as ECS does.
    now = T0 + 26_000;
    expect((await call('DescribeImages', { RegionId: 'cn-hangzhou', ImageId: image.resourceId })).Images.Image).toEqual([]);
  });

  it('refuses more than 100 ids and ids that are not a JSON array, as ECS documents', async () => {
    await startSimulator([]);
    const ids = Array.from({ length: 101 }, (_, i) => `d-${i}`);
    expect((await failure(call('DescribeDisks', { RegionId: 'cn-hangzhou', DiskIds: JSON.stringify(ids) }))).code).toBe('InvalidParameter');
    expect((await failure(call('DescribeSnapshots', { RegionId: 'cn-hangzhou', SnapshotIds: 's-1,s-2' }))).code).toBe('InvalidParameter');
    expect((await failure(call('DescribeImages', { RegionId: 'cn-hangzhou', ImageId: ids.join(',') }))).code).toBe('InvalidParameter');
  });

  it('gives fresh task ids to each run', () => {
    expect(demoTasks(T0)[0].taskId).not.toBe(demoTasks(T0 + 1)[0].taskId);
    expect(demoTasks(T0)[0].taskId).toBe(demoTasks(T0)[0].taskId);
  });
});

describe('loadScenario', () => {
  const valid = { taskId: 't-bp1scenario00000001', regionId: 'cn-hangzhou', action: 'ImportImage', timeline: [{ afterMs: 0, status: 'Waiting' }] };

  it('reads creation times as an offset from now, an ISO time, or now when absent', () => {
    const tasks = loadScenario(
      {
        tasks: [
          { ...valid, afterMs: -5000 },
          { ...valid, taskId: 't-bp1scenario00000002', createdAt: '2026-11-27T02:00:00Z', resourceId: 'm-bp1x', supportCancel: false },
          { ...valid, taskId: 't-bp1scenario00000003', result: { failedCount: 1, operations: [{ status: 'Failed', errorCode: 'E' }] } },
        ],
      },
      T0,
    );
    expect(tasks.map((t) => t.createdAt)).toEqual([T0 - 5000, Date.UTC(2026, 10, 27, 2, 0, 0), T0]);
    expect(tasks[1]).toMatchObject({ resourceId: 'm-bp1x', supportCancel: false });
    expect(tasks[2].result).toEqual({ failedCount: 1, operations: [{ status: 'Failed', errorCode: 'E' }] });
  });

  it.each([
    [
      { tasks: [valid, { ...valid, taskId: 't-2' }, { ...valid, taskId: 't-3', timeline: [{ afterMs: -1, status: 'Waiting' }] }] },
      'tasks[2].timeline[0].afterMs must be a non-negative number',
    ],
    [{ tasks: [{ ...valid, taskId: undefined }] }, 'tasks[0].taskId must be a non-empty string'],
    [{ tasks: [{ ...valid, regionId: 'cn-atlantis' }] }, 'tasks[0].regionId must be a known region id, not "cn-atlantis"'],
    [{ tasks: [{ ...valid, timelin: [] }] }, 'tasks[0].timelin is not a known field'],
    [{ tasks: [{ ...valid, timeline: [] }] }, 'tasks[0].timeline must be a non-empty array'],
    [
      { tasks: [{ ...valid, timeline: [{ afterMs: 0, status: 'Processing', progress: 120 }] }] },
      'tasks[0].timeline[0].progress must be a number from 0 to 100',
    ],
    [{ tasks: [{ ...valid, createdAt: 'soon' }] }, 'tasks[0].createdAt must be an ISO 8601 time or epoch milliseconds'],
    [
      { tasks: [{ ...valid, result: { operations: [{ status: 'Success', relatedItems: [{ name: 'OSSObject' }] }] } }] },
      'tasks[0].result.operations[0].relatedItems[0].value must be a string',
    ],
    [{ tasks: [valid, valid] }, 'tasks[1].taskId t-bp1scenario00000001 is already used in cn-hangzhou'],
    [[], 'scenario must be an object with a "tasks" array'],
    [
      {
        tasks: [
          {
            ...valid,
            timeline: [
              { afterMs: 0, status: 'Waiting' },
              { afterMs: 10, status: 'Finshed' },
            ],
          },
        ],
      },
      'tasks[0].timeline[1].status "Finshed" is not an ECS task status (expected one of: Waiting, Processing, Paused, Finished, Failed, Deleted)',
    ],
    [
      { tasks: [{ ...valid, timeline: [{ afterMs: 0, status: 'Archiving', unknownStatus: 'yes' }] }] },
      'tasks[0].timeline[0].unknownStatus must be true or false',
    ],
  ])('rejects a bad scenario naming the bad field (%#)', (json, message) => {
    expect(() => loadScenario(json, T0)).toThrow(message);
  });

  it('accepts a status outside the ECS set only when the step is marked unknownStatus, and plays revisited statuses', async () => {
    const [archiving, paused] = loadScenario(
      {
        tasks: [
          {
            ...valid,
            timeline: [
              { afterMs: 0, status: 'Processing' },
              { afterMs: MIN, status: 'Archiving', unknownStatus: true },
            ],
          },
          {
            ...valid,
            taskId: 't-bp1scenario00000002',
            timeline: [
              { afterMs: 0, status: 'Processing', progress: 20 },
              { afterMs: MIN, status: 'Paused' },
              { afterMs: 2 * MIN, status: 'Processing', progress: 60 },
              { afterMs: 3 * MIN, status: 'Finished' },
            ],
          },
        ],
      },
      T0,
    );
    expect(archiving.timeline[1]).toEqual({ afterMs: MIN, status: 'Archiving' });
    await startSimulator([archiving, paused]);
    const statuses: string[][] = [];
    for (const at of [0, 1, 2, 3].map((m) => T0 + m * MIN + 1_000)) {
      now = at;
      const seen = [];
      for (const t of [archiving, paused]) seen.push((await call('DescribeTaskAttribute', { RegionId: 'cn-hangzhou', TaskId: t.taskId })).TaskStatus);
      statuses.push(seen);
    }
    expect(statuses).toEqual([
      ['Processing', 'Processing'],
      ['Archiving', 'Paused'],
      ['Archiving', 'Processing'],
      ['Archiving', 'Finished'],
    ]);
  });
});

describe('runSimulator', () => {
  it('starts on a free port with the demo tasks and prints the endpoint and working credentials, nothing else', async () => {
    const lines: string[] = [];
    sim = await runSimulator([], (line) => lines.push(line));

    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`ECS simulator listening on ${sim.endpoint}`);
    const env = Object.fromEntries(lines[1].split(' ').map((pair) => pair.split('=') as [string, string]));
    expect(Object.keys(env)).toEqual(['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'TASKHOOK_ECS_ENDPOINT']);
    expect(env.ALIBABA_CLOUD_ACCESS_KEY_ID).toMatch(/^LTAIsim[A-Za-z0-9]+$/);
    expect(env.TASKHOOK_ECS_ENDPOINT).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const credential = { accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID, accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET };
    const res = await call('DescribeTasks', { RegionId: 'cn-hangzhou' }, {}, client(credential));
    expect(res.TotalCount).toBe(8);
  });

  it('uses the access key given on the command line', async () => {
    sim = await runSimulator(['--access-key-id', 'LTAIgiven', '--access-key-secret=given-secret'], () => {});
    expect(await call('DescribeTasks', { RegionId: 'cn-beijing' }, {}, client({ accessKeyId: 'LTAIgiven', accessKeySecret: 'given-secret' }))).toMatchObject({
      TotalCount: 1,
    });
  });

  it('refuses unknown options and scenario files that are not scenarios', async () => {
    await expect(runSimulator(['--verbose'], () => {})).rejects.toThrow('Unknown option --verbose');
    await expect(runSimulator(['--port', 'http'], () => {})).rejects.toThrow('--port must be a port number');
    await expect(runSimulator(['--scenario', 'package.json'], () => {})).rejects.toThrow(
      'Invalid scenario package.json: scenario must be an object with a "tasks" array',
    );
  });
});
