/** Which resource a task makes or changes, and which of its states count as usable: plain data in, verdicts out. */
import { describe, expect, it } from 'vitest';
import { judge, mergeResource, resourceOf, withListedResource } from '../../src/tasks/resource.js';
import type { TaskOperation, TaskSnapshot } from '../../src/tasks/snapshot.js';
import { emptySnapshot } from '../../src/tasks/transition.js';

const op = (...items: Array<[string, string]>): TaskOperation => ({
  status: 'Success',
  errorCode: null,
  errorMessage: null,
  relatedItems: items.map(([name, value]) => ({ name, value })),
});
const task = (action: string, resourceId: string | null, operations: TaskOperation[] = []) => ({ action, resourceId, operations });

describe('resourceOf', () => {
  it('takes an export’s OSS object, with its bucket, from the related items', () => {
    expect(resourceOf(task('ExportImage', 'm-bp1source', [op(['OSSObject', 'a/b.vhd'], ['OSSBucket', 'exports'])]))).toEqual({
      type: 'oss-object',
      id: 'exports/a/b.vhd',
    });
    expect(resourceOf(task('ExportImage', 'm-bp1source'))).toBeNull();
  });

  it('prefers the related item, then DescribeTasks’ ResourceId, then what a hint saw, each only of the kind the action makes', () => {
    expect(resourceOf(task('ImportImage', 'm-bp1fromlist', [op(['ImageId', 'm-bp1fromitem'])]))).toEqual({ type: 'image', id: 'm-bp1fromitem' });
    expect(resourceOf(task('ModifyDiskSpec', 'd-bp1disk'))).toEqual({ type: 'disk', id: 'd-bp1disk' });
    expect(resourceOf(task('RedeployInstance', 'i-bp1inst'))).toEqual({ type: 'instance', id: 'i-bp1inst' });
    expect(resourceOf(task('ArchiveSnapshot', null), 's-bp1hinted')).toEqual({ type: 'snapshot', id: 's-bp1hinted' });
    // A disk id is no image, whatever the field.
    expect(resourceOf(task('ImportImage', 'd-bp1wrongkind'))).toBeNull();
    expect(resourceOf(task('ImportImage', null, [op(['OSSObject', 'images/a.qcow2'])]))).toBeNull();
  });

  it('keeps the last status while the id holds, and the listed ResourceId for a DescribeTaskAttribute answer', () => {
    const known = { type: 'image' as const, id: 'm-bp1a', status: 'Creating' };
    expect(mergeResource(known, { type: 'image', id: 'm-bp1a' })).toBe(known);
    expect(mergeResource(known, { type: 'image', id: 'm-bp1b' })).toEqual({ type: 'image', id: 'm-bp1b', status: null });
    expect(mergeResource(known, null)).toBe(known);
    const detail: TaskSnapshot = { ...emptySnapshot({ regionId: 'cn-hangzhou', taskId: 't-bp1x' }, '2026-11-27T00:00:00Z'), action: 'ModifyDiskSpec' };
    expect(withListedResource(detail, { ...detail, resourceId: 'd-bp1listed' }).resourceId).toBe('d-bp1listed');
    expect(withListedResource(detail, undefined)).toBe(detail);
  });
});

describe('judge', () => {
  const state = (status: string | null, locks: string[] = []) => ({ id: 'x', status, locks });
  it.each([
    ['image', 'Available', 'ready'],
    ['image', 'Creating', 'waiting'],
    ['image', 'Waiting', 'waiting'],
    ['image', 'CreateFailed', 'not_ready'],
    ['image', 'UnAvailable', 'not_ready'],
    ['disk', 'In_use', 'ready'],
    ['disk', 'Available', 'ready'],
    ['disk', 'Modifying', 'waiting'],
    ['disk', 'Creating', 'waiting'],
    ['instance', 'Running', 'ready'],
    ['instance', 'Starting', 'waiting'],
    ['instance', 'Stopped', 'not_ready'],
    ['snapshot', 'archive', 'ready'],
    ['snapshot', 'Standard', 'waiting'],
    ['snapshot', 'standard', 'waiting'],
    ['image', 'SomethingNew', 'waiting'],
  ] as const)('%s %s is %s', (type, status, expected) => {
    expect(judge(type, 'x', state(status)).state).toBe(expected);
  });

  it('waits on a disk with an operation lock, and on a resource ECS does not list, naming why', () => {
    expect(judge('disk', 'd-1', state('In_use', ['financial']))).toEqual({ state: 'waiting', reason: 'disk d-1 is locked (financial)' });
    expect(judge('image', 'm-1', undefined)).toEqual({ state: 'waiting', reason: 'ECS does not list image m-1 (yet)' });
    expect(judge('instance', 'i-1', state('Stopped'))).toEqual({ state: 'not_ready', reason: 'instance i-1 is Stopped: start it to use it' });
  });
});
