/** The hint parser on every fixture built from Alibaba Cloud's documented event shapes, and on junk: it never throws, junk is ignored. */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHint, WHY, type Hint } from '../../src/hints/parse.js';

const DIR = new URL('../fixtures/hints/', import.meta.url);
const fixture = (name: string): Record<string, any> => JSON.parse(readFileSync(new URL(name, DIR), 'utf8'));
const ACCOUNT = '1234567890123456';

/** What each fixture must parse to. */
const EXPECTED: Record<string, Hint> = {
  'actiontrail-import-image.json': { kind: 'api-call', action: 'ImportImage', regionId: 'cn-hangzhou', taskId: 't-bp1hintimport0001', accountId: ACCOUNT },
  'actiontrail-export-image.json': { kind: 'api-call', action: 'ExportImage', regionId: 'cn-hangzhou', taskId: 't-bp1hintexport0001', accountId: ACCOUNT },
  'actiontrail-modify-disk-spec.json': { kind: 'api-call', action: 'ModifyDiskSpec', regionId: 'cn-beijing', taskId: 't-2zehintdisk00001', accountId: ACCOUNT },
  'actiontrail-redeploy-instance.json': {
    kind: 'api-call',
    action: 'RedeployInstance',
    regionId: 'cn-hangzhou',
    taskId: 't-bp1hintredeploy01',
    accountId: ACCOUNT,
  },
  // ArchiveSnapshot is a task action, never an eventName: archive tasks come from ModifySnapshotCategory.
  'actiontrail-archive-snapshot-not-a-call.json': { kind: 'ignored', why: WHY.otherCall },
  'actiontrail-sample-modify-snapshot-category-archive.json': {
    kind: 'api-call',
    action: 'ArchiveSnapshot',
    regionId: 'cn-beijing',
    taskId: 't-2zehintarchive001',
    accountId: ACCOUNT,
  },
  'actiontrail-sample-modify-snapshot-category-standard.json': { kind: 'ignored', why: WHY.notArchive },
  'actiontrail-sample-modify-snapshot-category-no-response.json': {
    kind: 'api-call',
    action: 'ArchiveSnapshot',
    regionId: 'cn-beijing',
    taskId: null,
    calledAt: '2021-08-04T06:11:36.000Z',
    accountId: ACCOUNT,
  },
  'actiontrail-sample-import-image-with-response.json': {
    kind: 'api-call',
    action: 'ImportImage',
    regionId: 'cn-beijing',
    taskId: 't-2zehintsample0001',
    accountId: ACCOUNT,
  },
  'actiontrail-sample-redeploy-instance-no-response.json': {
    kind: 'api-call',
    action: 'RedeployInstance',
    regionId: 'cn-beijing',
    taskId: null,
    calledAt: '2021-08-04T06:11:36.000Z',
    accountId: ACCOUNT,
  },
  // A bare record has no envelope: the account comes from userIdentity, masked as the page masks it.
  'actiontrail-sample-bare-export-image-no-response.json': {
    kind: 'api-call',
    action: 'ExportImage',
    regionId: 'cn-beijing',
    taskId: null,
    calledAt: '2021-08-04T06:11:36.000Z',
    accountId: '154735325685****',
  },
  'actiontrail-response-string-without-task-id.json': {
    kind: 'api-call',
    action: 'ExportImage',
    regionId: 'cn-beijing',
    taskId: null,
    calledAt: '2021-08-04T06:11:36.000Z',
    accountId: ACCOUNT,
  },
  'eventbridge-sample-export-image-actiontrail-type.json': {
    kind: 'api-call',
    action: 'ExportImage',
    regionId: 'cn-hangzhou',
    taskId: null,
    calledAt: '2022-10-22T21:52:00.000Z',
    accountId: ACCOUNT,
  },
  'eventbridge-sample-export-image-ecs-type.json': {
    kind: 'api-call',
    action: 'ExportImage',
    regionId: 'cn-hangzhou',
    taskId: null,
    calledAt: '2022-10-22T21:52:00.000Z',
    accountId: ACCOUNT,
  },
  'actiontrail-response-as-string.json': {
    kind: 'api-call',
    action: 'ExportImage',
    regionId: 'cn-hangzhou',
    taskId: 't-bp1hintstring0001',
    accountId: ACCOUNT,
  },
  'actiontrail-bare-record.json': { kind: 'api-call', action: 'ImportImage', regionId: 'cn-shanghai', taskId: 't-uf6hintbare00001', accountId: ACCOUNT },
  'actiontrail-delete-disk.json': { kind: 'ignored', why: WHY.otherCall },
  'actiontrail-import-image-failed.json': { kind: 'ignored', why: WHY.failedCall },
  'actiontrail-other-service.json': { kind: 'ignored', why: WHY.otherService },
  'image-state-available.json': { kind: 'image-state', regionId: 'cn-hangzhou', imageId: 'm-bp1hintimage00001', state: 'Available', accountId: ACCOUNT },
  'image-state-create-failed.json': { kind: 'image-state', regionId: 'cn-hangzhou', imageId: 'm-bp1hintimage00001', state: 'CreateFailed', accountId: ACCOUNT },
  'image-state-bare-notification.json': { kind: 'image-state', regionId: 'cn-beijing', imageId: 'm-2zehintbare00001', state: 'Available', accountId: ACCOUNT },
  'image-state-creating.json': { kind: 'ignored', why: WHY.imageNotFinal },
  'eventbridge-other-event.json': { kind: 'ignored', why: WHY.otherType },
};

describe('parseHint on the fixtures', () => {
  it('has an expectation for every fixture, and a fixture for every expectation', () => {
    expect(
      readdirSync(DIR)
        .filter((f) => f.endsWith('.json'))
        .sort(),
    ).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s', (name, expected) => {
    expect(parseHint(fixture(name))).toEqual(expected);
  });
});

describe('parseHint tolerates what the documentation does not pin down', () => {
  it('takes the region from requestParameters or the envelope when the record has no acsRegion', () => {
    const event = fixture('actiontrail-export-image.json');
    delete event.data.acsRegion;
    expect(parseHint(event)).toMatchObject({ kind: 'api-call', regionId: 'cn-hangzhou' });
    delete event.data.requestParameters;
    delete event.data.responseElements.RegionId;
    event.aliyunregionid = 'cn-shenzhen';
    expect(parseHint(event)).toMatchObject({ kind: 'api-call', regionId: 'cn-shenzhen' });
    delete event.aliyunregionid;
    expect(parseHint(event)).toEqual({ kind: 'ignored', why: WHY.noRegion });
  });

  it('reads a lower-case taskId, and an image id and region from the resource ARN alone', () => {
    const call = fixture('actiontrail-import-image.json');
    call.data.responseElements = { taskId: 't-bp1lowercase0001' };
    expect(parseHint(call)).toMatchObject({ kind: 'api-call', taskId: 't-bp1lowercase0001' });

    const image = fixture('image-state-bare-notification.json');
    delete image.content.imageId;
    delete image.regionId;
    expect(parseHint(image)).toMatchObject({ kind: 'image-state', imageId: 'm-2zehintbare00001', regionId: 'cn-beijing' });
  });

  it('accepts both type spellings and both sources with the record saying ECS, and a record without serviceName', () => {
    const event = fixture('actiontrail-import-image.json');
    for (const type of ['ecs:ActionTrail:ApiCall', 'actiontrail:ActionTrail:ApiCall']) {
      for (const source of ['acs.ecs', 'acs.actiontrail']) {
        Object.assign(event, { type, source });
        expect(parseHint(event), `${type} ${source}`).toMatchObject({ kind: 'api-call', taskId: 't-bp1hintimport0001' });
      }
    }
    delete event.data.serviceName;
    expect(parseHint(event)).toMatchObject({ kind: 'api-call' });
    event.data.serviceName = 'Ram';
    expect(parseHint(event)).toEqual({ kind: 'ignored', why: WHY.otherService });
  });

  it('ignores a task id or image id that is not one, and an account id of another type only loses the account', () => {
    const call = fixture('actiontrail-import-image.json');
    call.data.responseElements.TaskId = 'rm -rf /';
    expect(parseHint(call)).toEqual({ kind: 'ignored', why: WHY.badTaskId });
    call.data.responseElements.TaskId = 't-bp1hintimport0001';
    call.aliyunaccountid = { nested: true };
    delete call.data.userIdentity;
    expect(parseHint(call)).toMatchObject({ kind: 'api-call', accountId: null });

    const image = fixture('image-state-available.json');
    image.data.content.imageId = '../../etc/passwd';
    image.data.resourceId = 'nothing';
    expect(parseHint(image)).toEqual({ kind: 'ignored', why: WHY.noImageId });
  });

  it('never echoes a value of the event in why', () => {
    const call = fixture('actiontrail-import-image.json');
    call.data.eventName = 'SecretCallName';
    const hint = parseHint(call);
    expect(hint).toEqual({ kind: 'ignored', why: WHY.otherCall });
    expect(JSON.stringify(hint)).not.toContain('SecretCallName');
  });
});

describe('parseHint on records without a TaskId', () => {
  it('looks the task up by the time of the call: eventTime first, else the envelope time, else it is ignored', () => {
    const event = fixture('eventbridge-sample-export-image-ecs-type.json');
    event.time = '2022-10-22T21:53:07Z';
    expect(parseHint(event)).toMatchObject({ taskId: null, calledAt: '2022-10-22T21:52:00.000Z' });
    delete event.data.eventTime;
    expect(parseHint(event)).toMatchObject({ taskId: null, calledAt: '2022-10-22T21:53:07.000Z' });
    event.time = '2020-11-19T21:04:41+08:00';
    expect(parseHint(event)).toMatchObject({ taskId: null, calledAt: '2020-11-19T13:04:41.000Z' });
    for (const junk of ['yesterday', '1', '2022-10-22', 'x'.repeat(100)]) {
      event.time = junk;
      expect(parseHint(event), junk).toEqual({ kind: 'ignored', why: WHY.noTaskId });
    }
  });

  it('treats no responseElements, an object or a JSON string without TaskId, and an unreadable one alike', () => {
    const event = fixture('actiontrail-export-image.json');
    const lookup = { kind: 'api-call', action: 'ExportImage', regionId: 'cn-hangzhou', taskId: null, calledAt: '2026-11-27T10:00:00.000Z' };
    for (const answer of [undefined, {}, { RequestId: 'C8B26B44' }, '{"RequestId":"C8B26B44"}', '{"TaskId":', null, 7]) {
      if (answer === undefined) delete event.data.responseElements;
      else event.data.responseElements = answer;
      expect(parseHint(event), JSON.stringify(answer)).toMatchObject(lookup);
    }
  });

  it('still ignores a failed call without a TaskId', () => {
    const event = fixture('eventbridge-sample-export-image-actiontrail-type.json');
    event.data.errorCode = 'InvalidImageId.NotFound';
    expect(parseHint(event)).toEqual({ kind: 'ignored', why: WHY.failedCall });
  });
});

describe('ModifySnapshotCategory', () => {
  const withCategory = (params: unknown) => {
    const event = fixture('actiontrail-sample-modify-snapshot-category-archive.json');
    event.data.requestParameters = params;
    return parseHint(event);
  };

  it('is the ArchiveSnapshot task when Category is Archive, in any case, as a string or inside a JSON string', () => {
    for (const params of [{ Category: 'Archive' }, { category: 'archive' }, { CATEGORY: ' ARCHIVE ' }, '{"Category":"Archive","SnapshotId":"s-1"}']) {
      expect(withCategory(params), JSON.stringify(params)).toMatchObject({ kind: 'api-call', action: 'ArchiveSnapshot', taskId: 't-2zehintarchive001' });
    }
  });

  it('is taken as Archive, the only value the API documents, when the record shows no Category', () => {
    for (const params of [undefined, {}, { SnapshotId: 's-1' }, 'not json']) {
      expect(withCategory(params), JSON.stringify(params)).toMatchObject({ kind: 'api-call', action: 'ArchiveSnapshot' });
    }
  });

  it('is ignored for any other category, naming no value of the event', () => {
    for (const params of [
      { Category: 'Standard' },
      { Category: 'SecretTier' },
      { Category: '' },
      { Category: true },
      { Category: ['Archive'] },
      '{"category":"Flash"}',
    ]) {
      const hint = withCategory(params);
      expect(hint, JSON.stringify(params)).toEqual({ kind: 'ignored', why: WHY.notArchive });
      expect(JSON.stringify(hint)).not.toContain('SecretTier');
    }
  });
});

describe('parseHint on junk', () => {
  const junk: unknown[] = [
    undefined,
    null,
    0,
    42,
    'ecs:ActionTrail:ApiCall',
    true,
    [],
    [fixture('actiontrail-import-image.json')],
    {},
    { type: 5, data: {} },
    { type: 'ecs:ActionTrail:ApiCall' },
    { type: 'ecs:ActionTrail:ApiCall', data: null },
    { type: 'ecs:ActionTrail:ApiCall', data: 'ImportImage' },
    { type: 'ecs:ActionTrail:ApiCall', data: { eventName: 'ImportImage', responseElements: { TaskId: 5 } } },
    { type: 'ecs:ActionTrail:ApiCall', data: { eventName: 'ImportImage', responseElements: '{"TaskId":' } },
    { type: 'ecs:ActionTrail:ApiCall', data: { eventName: ['ImportImage'], responseElements: { TaskId: 't-bp1hintimport0001' } } },
    { type: 'ecs:Image:StateChange', data: { content: 'Available' } },
    { type: 'ecs:Image:StateChange', data: { content: { imageId: 'm-bp1hintimage00001', currentState: ['Available'] } } },
    { eventType: 'ApiCall', eventName: 7 },
    { name: 'Image:StateChange' },
    JSON.parse('{"__proto__": {"type": "ecs:ActionTrail:ApiCall"}, "constructor": {"prototype": {"x": 1}}}'),
    { type: 'ecs:ActionTrail:ApiCall', data: { eventName: 'ImportImage', responseElements: 'x'.repeat(200_000) } },
  ];

  it.each(junk.map((j, i) => [i, j]))('junk #%i is ignored', (_, body) => {
    expect(parseHint(body).kind).toBe('ignored');
  });

  it('never throws and only ever answers one of the three kinds, on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const hint = parseHint(value);
        expect(['api-call', 'image-state', 'ignored']).toContain(hint.kind);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on a fixture with any one field replaced by any value', () => {
    const bodies = Object.keys(EXPECTED).map(fixture);
    const paths = bodies.flatMap((body, b) => leafPaths(body).map((path) => ({ b, path })));
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.anything(), ({ b, path }, value) => {
        const body = structuredClone(bodies[b]);
        setAt(body, path, value);
        const hint = parseHint(body);
        if (hint.kind === 'api-call' && hint.taskId !== null) expect(hint.taskId).toMatch(/^t-[A-Za-z0-9*]{4,64}$/);
        if (hint.kind === 'api-call' && hint.taskId === null) expect(new Date(hint.calledAt).toISOString()).toBe(hint.calledAt);
        if (hint.kind === 'image-state') expect(hint.imageId).toMatch(/^m-[A-Za-z0-9*]{4,64}$/);
      }),
      { numRuns: 1_000 },
    );
  });
});

function leafPaths(value: unknown, at: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [at];
  return [at, ...Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...at, k]))].filter((p) => p.length > 0);
}

function setAt(target: Record<string, any>, path: string[], value: unknown) {
  let node = target;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path[path.length - 1]] = value;
}
