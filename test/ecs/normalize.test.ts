import { describe, expect, it } from 'vitest';
import seed from '../support/fixtures/describe-task-attribute.seed.json';
import { normalizeAction, normalizeTaskAttribute, normalizeTaskListEntry, parseEcsTime } from '../../src/ecs/normalize.js';

const observedAt = '2026-11-27T10:00:00Z';

describe('normalizeTaskAttribute', () => {
  it('turns the documented DescribeTaskAttribute example into a succeeded snapshot', () => {
    expect(normalizeTaskAttribute(seed, observedAt)).toEqual({
      id: 't-ce946ntx4wr****',
      regionId: 'cn-hangzhou',
      action: 'ExportImage',
      status: 'Finished',
      outcome: 'succeeded',
      terminal: true,
      progress: 100,
      supportCancel: true,
      createdAt: '2015-11-23T02:13:00Z',
      finishedAt: '2015-11-23T02:19:00Z',
      durationSeconds: 360,
      counts: { total: 1, succeeded: 1, failed: 0 },
      operations: [
        {
          status: 'Success',
          errorCode: 'ParameterInvalid',
          errorMessage: 'The specified RegionId parameter is invalid.',
          relatedItems: [{ name: 'OSSObject', value: 'MYOSSPRE_m-23f8tcp***_t-23ym6mv***.vhd' }],
        },
      ],
      resourceId: null,
      requestId: '473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E',
      observedAt,
    });
  });

  it('reads second-precision times and leaves an empty FinishedTime as null', () => {
    const s = normalizeTaskAttribute(
      { ...seed, TaskStatus: 'Processing', TaskProcess: '45%', CreationTime: '2026-11-27T02:13:45Z', FinishedTime: '' },
      observedAt,
    );
    expect(s.createdAt).toBe('2026-11-27T02:13:45Z');
    expect(s.finishedAt).toBeNull();
    expect(s.durationSeconds).toBeNull();
    expect(s.outcome).toBe('running');
    expect(s.terminal).toBe(false);
    expect(s.progress).toBe(45);
  });

  it('accepts SupportCancel as a boolean or as the string "false"', () => {
    expect(normalizeTaskAttribute({ ...seed, SupportCancel: true }, observedAt).supportCancel).toBe(true);
    expect(normalizeTaskAttribute({ ...seed, SupportCancel: 'false' }, observedAt).supportCancel).toBe(false);
  });

  it('maps IMPORT_IMAGE-style actions to the API name', () => {
    expect(normalizeTaskAttribute({ ...seed, TaskAction: 'IMPORT_IMAGE' }, observedAt).action).toBe('ImportImage');
    expect(normalizeAction('MODIFY_DISK_SPEC')).toBe('ModifyDiskSpec');
    expect(normalizeAction('ExportImage')).toBe('ExportImage');
  });

  it('gives an empty operations list when OperationProgressSet is missing', () => {
    const { OperationProgressSet: _omit, ...rest } = seed;
    expect(normalizeTaskAttribute(rest, observedAt).operations).toEqual([]);
  });

  it('accepts RelatedItem as a single object and OperationProgress as a single object', () => {
    const s = normalizeTaskAttribute(
      {
        ...seed,
        OperationProgressSet: {
          OperationProgress: { OperationStatus: 'Failed', RelatedItemSet: { RelatedItem: { Name: 'ImageId', Value: 'm-1' } } },
        },
      },
      observedAt,
    );
    expect(s.operations).toEqual([{ status: 'Failed', errorCode: null, errorMessage: null, relatedItems: [{ name: 'ImageId', value: 'm-1' }] }]);
  });

  it.each([
    ['Waiting', {}, 'pending', false],
    ['Paused', {}, 'paused', false],
    ['Deleted', {}, 'cancelled', true],
    ['Failed', { SuccessCount: 0, FailedCount: 1 }, 'failed', true],
    ['Finished', { SuccessCount: 1, FailedCount: 1, TotalCount: 2 }, 'partially_failed', true],
    ['Finished', { SuccessCount: 0, FailedCount: 1 }, 'failed', true],
    ['Archiving', {}, 'unknown', false],
  ])('classifies TaskStatus %s %j as %s (terminal %s)', (status, counts, outcome, terminal) => {
    const s = normalizeTaskAttribute({ ...seed, TaskStatus: status, ...counts }, observedAt);
    expect(s.outcome).toBe(outcome);
    expect(s.terminal).toBe(terminal);
  });
});

describe('normalizeTaskListEntry', () => {
  it('builds a snapshot from a DescribeTasks entry without counts or progress', () => {
    const s = normalizeTaskListEntry(
      {
        TaskId: 't-1',
        TaskAction: 'ImportImage',
        TaskStatus: 'Processing',
        SupportCancel: 'true',
        CreationTime: '2026-11-27T02:13Z',
        FinishedTime: '',
        ResourceId: 'm-9',
      },
      'cn-beijing',
      'REQ',
      observedAt,
    );
    expect(s).toMatchObject({ id: 't-1', regionId: 'cn-beijing', outcome: 'running', counts: null, progress: null, resourceId: 'm-9', requestId: 'REQ' });
  });
});

describe('parseEcsTime', () => {
  it('returns null for text that is not a time', () => {
    expect(parseEcsTime('soon')).toBeNull();
    expect(parseEcsTime(undefined)).toBeNull();
  });
});
