/**
 * The resource an ActionTrail record of a task-starting call names: the image ImportImage answered with, the disk,
 * instance or snapshot the call was made on. A hint hands it to the poll it starts (src/poll/settle.ts), so the task's
 * resource is known even before DescribeTasks or DescribeTaskAttribute name it. Pure and total, like parse.ts.
 */
import { typeOfId } from '../tasks/resource.js';

/** Where each call's record holds the resource id: `responseElements` (the answer) or `requestParameters`. */
const WHERE: Record<string, { in: 'responseElements' | 'requestParameters'; field: string }> = {
  ImportImage: { in: 'responseElements', field: 'ImageId' },
  ModifyDiskSpec: { in: 'requestParameters', field: 'DiskId' },
  RedeployInstance: { in: 'requestParameters', field: 'InstanceId' },
  ModifySnapshotCategory: { in: 'requestParameters', field: 'SnapshotId' },
};

type Raw = Record<string, unknown>;

const asObject = (value: unknown): Raw | null => {
  if (typeof value === 'string') {
    try {
      return asObject(JSON.parse(value));
    } catch {
      return null;
    }
  }
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Raw) : null;
};

/** The id, when the record (bare or in an EventBridge envelope) names one of the kind its call works on; else null. */
export function hintedResourceId(body: unknown): string | null {
  const outer = asObject(body);
  const record = asObject(outer?.data) ?? outer;
  const where = typeof record?.eventName === 'string' && Object.hasOwn(WHERE, record.eventName) ? WHERE[record.eventName] : undefined;
  if (!record || !where) return null;
  const value = asObject(record[where.in])?.[where.field];
  return typeof value === 'string' && typeOfId(value) !== null ? value : null;
}
