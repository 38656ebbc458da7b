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
  'actiontrail-archive-snapshot.json': {
    kind: 'api-call',
    action: 'ArchiveSnapshot',
    regionId: 'cn-hangzhou',
    taskId: 't-bp1hintarchive001',
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

  it('accepts any ActionTrail:ApiCall type with the record saying ECS, and a record without serviceName', () => {
    const event = fixture('actiontrail-import-image.json');
    event.type = 'actiontrail:ActionTrail:ApiCall';
    expect(parseHint(event)).toMatchObject({ kind: 'api-call' });
    delete event.data.serviceName;
    expect(parseHint(event)).toMatchObject({ kind: 'api-call' });
  });

  it('ignores a task id or image id that is not one, and an account id of another type only loses the account', () => {
    const call = fixture('actiontrail-import-image.json');
    call.data.responseElements.TaskId = 'rm -rf /';
    expect(parseHint(call)).toEqual({ kind: 'ignored', why: WHY.noTaskId });
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
        if (hint.kind === 'api-call') expect(hint.taskId).toMatch(/^t-[A-Za-z0-9*]{4,64}$/);
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
