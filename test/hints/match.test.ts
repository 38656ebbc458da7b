/** Which watched task a hint is about: its dedupe key, and the active ImportImage task that works on an image. */
import { describe, expect, it } from 'vitest';
import { hintKey, importsImage } from '../../src/hints/match.js';
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
});
