/** Which watched task a hint is about: its dedupe key, and the active ImportImage task that works on an image. */
import { describe, expect, it } from 'vitest';
import { hintKey, importsImage, lookupWindow } from '../../src/hints/match.js';
import { EXAMPLE_SNAPSHOT } from '../../src/schema/snapshot.js';
import type { TaskRecord } from '../../src/store/port.js';

const IMAGE = 'm-bp1hintimage00001';

function task(over: Partial<TaskRecord['snapshot'] & object> | null, active = true): TaskRecord {
  return {
    regionId: 'cn-hangzhou',
    taskId: 't-bp1hintimport0001',
    sources: ['api'],
    snapshot: over === null ? null : { ...EXAMPLE_SNAPSHOT, action: 'ImportImage', resourceId: IMAGE, operations: [], ...over },
    version: 1,
    sequence: 1,
    active,
    invalid: null,
    pendingVerdict: null,
    watchedAt: '2026-11-27T10:00:00.000Z',
    updatedAt: '2026-11-27T10:00:00.000Z',
    lastPolledAt: '2026-11-27T10:00:00.000Z',
  };
}

describe('importsImage', () => {
  it('matches an active ImportImage task by its resource id, or by an operation naming the image', () => {
    expect(importsImage(task({}), IMAGE)).toBe(true);
    const byItem = task({
      resourceId: null,
      operations: [{ status: 'Success', errorCode: null, errorMessage: null, relatedItems: [{ name: 'ImageId', value: IMAGE }] }],
    });
    expect(importsImage(byItem, IMAGE)).toBe(true);
  });

  it('does not match another image, another action, a task never seen, or one no longer active', () => {
    expect(importsImage(task({}), 'm-bp1otherimage0001')).toBe(false);
    expect(importsImage(task({ action: 'ExportImage' }), IMAGE)).toBe(false);
    expect(importsImage(task(null), IMAGE)).toBe(false);
    expect(importsImage(task({}, false), IMAGE)).toBe(false);
  });
});

describe('hintKey', () => {
  it('keys a call by its task and an image hint by its image, apart per region', () => {
    const call = { kind: 'api-call', action: 'ImportImage', regionId: 'cn-hangzhou', taskId: 't-bp1abcd', accountId: null } as const;
    const image = { kind: 'image-state', regionId: 'cn-hangzhou', imageId: 'm-bp1abcd', state: 'Available', accountId: null } as const;
    expect(hintKey(call)).toBe('cn-hangzhou/t-bp1abcd');
    expect(hintKey(image)).toBe('cn-hangzhou/image/m-bp1abcd');
    expect(hintKey({ ...call, regionId: 'cn-beijing' })).not.toBe(hintKey(call));
  });

  it('keys a call without a task id by its region, task action and minute', () => {
    const lookup = {
      kind: 'api-call',
      action: 'ArchiveSnapshot',
      regionId: 'cn-hangzhou',
      taskId: null,
      calledAt: '2026-11-27T10:00:07.000Z',
      accountId: null,
    } as const;
    expect(hintKey(lookup)).toBe('cn-hangzhou/lookup/ArchiveSnapshot/2026-11-27T10:00:00Z');
    expect(hintKey({ ...lookup, calledAt: '2026-11-27T10:00:59.999Z' })).toBe(hintKey(lookup));
    expect(hintKey({ ...lookup, calledAt: '2026-11-27T10:01:00.000Z' })).not.toBe(hintKey(lookup));
    expect(hintKey({ ...lookup, action: 'ExportImage' })).not.toBe(hintKey(lookup));
    expect(hintKey({ ...lookup, regionId: 'cn-beijing' })).not.toBe(hintKey(lookup));
  });
});

describe('lookupWindow', () => {
  const late = Date.parse('2026-11-28T00:00:00Z');

  it("spans the call's minute and two minutes either side, the same for every call of that minute", () => {
    const expected = { startTime: '2026-11-27T09:58:00Z', endTime: '2026-11-27T10:03:00Z' };
    expect(lookupWindow('2026-11-27T10:00:00.000Z', late)).toEqual(expected);
    expect(lookupWindow('2026-11-27T10:00:42.500Z', late)).toEqual(expected);
  });

  it('ends no later than now, rounded up to the second, and never before it starts', () => {
    expect(lookupWindow('2026-11-27T10:00:10.000Z', Date.parse('2026-11-27T10:00:12.300Z'))).toEqual({
      startTime: '2026-11-27T09:58:00Z',
      endTime: '2026-11-27T10:00:13Z',
    });
    expect(lookupWindow('2026-11-27T10:00:10.000Z', Date.parse('2026-11-27T09:00:00Z'))).toEqual({
      startTime: '2026-11-27T09:58:00Z',
      endTime: '2026-11-27T09:58:00Z',
    });
  });
});
