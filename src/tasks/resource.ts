/**
 * What a task makes or changes, and when that counts as usable. ECS's "Finished" is not that moment: an imported
 * image stays `Creating` a while, a resized disk shows an undocumented `Modifying`, a redeployed instance is still
 * `Starting`, an archived snapshot's category flips later. Pure functions of data: no I/O, no clock.
 *
 * Sources (each describe call takes up to 100 ids, so the checks are batched by 100):
 * - DescribeImages: `Status` Creating | Waiting | Available | UnAvailable | CreateFailed | Deprecated, and only
 *   `Available` images are listed unless `Status` names the others; `ImageId` takes several ids separated by commas
 *   (at most 100): https://www.alibabacloud.com/help/en/ecs/developer-reference/api-describeimages and
 *   https://alibabacloud.com/help/ja/ecs/api-describeimages
 * - DescribeDisks: `DiskIds` a JSON array of up to 100 ids; `Status` In_use | Available | Attaching | Detaching |
 *   Creating | ReIniting; `OperationLocks.OperationLock[].LockReason`; `Modifying` is seen after ModifyDiskSpec
 *   but not documented: https://jp.alibabacloud.com/help/doc-detail/25514.htm (the
 *   response's OperationLocks: aliyun/alibabacloud-typescript-sdk, ecs-20140526 DescribeDisksResponseBody)
 * - DescribeInstances: `InstanceIds` a JSON array of up to 100 ids; `Status` Pending | Running | Starting |
 *   Stopping | Stopped: https://www.alibabacloud.com/help/en/ecs/developer-reference/api-describeinstances
 * - DescribeSnapshots: `SnapshotIds` a JSON array of up to 100 ids; `Category` Standard | Flash | archive:
 *   https://alibabacloud.com/help/en/ecs/api-describesnapshots
 * - DescribeTasks' `ResourceId` (aliyun/alibabacloud-typescript-sdk, ecs-20140526 DescribeTasksResponseBody) and
 *   DescribeTaskAttribute's `OperationProgressSet…RelatedItem` (`OSSBucket`, `OSSObject` for ExportImage).
 */
import type { ResourceType, TaskOperation, TaskResource, TaskSnapshot } from './snapshot.js';

/** The resource kinds with a describe call taskhook may use; an OSS object has none (taskhook calls no OSS API). */
export type CheckedType = Exclude<ResourceType, 'oss-object'>;

export const CHECKED_TYPES: readonly CheckedType[] = ['image', 'disk', 'instance', 'snapshot'];

/** What each task action makes or changes. */
export const RESOURCE_OF_ACTION: Readonly<Record<string, ResourceType>> = {
  ImportImage: 'image',
  ExportImage: 'oss-object',
  ModifyDiskSpec: 'disk',
  RedeployInstance: 'instance',
  ArchiveSnapshot: 'snapshot',
};

/** Related-item names that name a resource of a checked kind. */
const ITEM_TYPE: Readonly<Record<string, CheckedType>> = { ImageId: 'image', DiskId: 'disk', InstanceId: 'instance', SnapshotId: 'snapshot' };

const ID_PREFIX: ReadonlyArray<[RegExp, CheckedType]> = [
  [/^m-/, 'image'],
  [/^d-/, 'disk'],
  [/^i-/, 'instance'],
  [/^s-/, 'snapshot'],
];

export const typeOfId = (id: string): CheckedType | null => ID_PREFIX.find(([pattern]) => pattern.test(id))?.[1] ?? null;

/** The ECS call that shows a checked kind, and what a person waits for, for messages. */
export const DESCRIBE_CALL: Readonly<Record<CheckedType, string>> = {
  image: 'DescribeImages',
  disk: 'DescribeDisks',
  instance: 'DescribeInstances',
  snapshot: 'DescribeSnapshots',
};

/** What a describe call says of one resource: its status (a snapshot's `Category`) and its operation locks. */
export interface ResourceState {
  id: string;
  status: string | null;
  locks: string[];
}

/**
 * The resource a task makes or changes, from what ECS reported (its related items first, then DescribeTasks'
 * `ResourceId`) or what a hint saw in the call that started it; null when none names one of the right kind.
 */
export function resourceOf(
  task: Pick<TaskSnapshot, 'action' | 'resourceId' | 'operations'>,
  hinted: string | null = null,
): Omit<TaskResource, 'status'> | null {
  const wanted: ResourceType | undefined = RESOURCE_OF_ACTION[task.action];
  if (wanted === 'oss-object') {
    const object = itemValue(task.operations, 'OSSObject');
    if (!object) return null;
    const bucket = itemValue(task.operations, 'OSSBucket');
    return { type: 'oss-object', id: bucket ? `${bucket}/${object}` : object };
  }
  const fits = (type: CheckedType | null | undefined): type is CheckedType => !!type && (wanted === undefined || type === wanted);
  for (const op of task.operations) {
    for (const item of op.relatedItems) if (item.value && fits(ITEM_TYPE[item.name])) return { type: ITEM_TYPE[item.name], id: item.value };
  }
  for (const id of [task.resourceId, hinted]) {
    const type = id ? typeOfId(id) : null;
    if (id && fits(type)) return { type, id };
  }
  return null;
}

/** The resource with what was known of it kept: its last status stays while the id is the same. */
export function mergeResource(previous: TaskResource | null | undefined, found: Omit<TaskResource, 'status'> | null): TaskResource | null {
  if (!found) return previous ?? null;
  if (previous && previous.type === found.type && previous.id === found.id) return previous;
  return { ...found, status: null };
}

function itemValue(operations: TaskOperation[], name: string): string | null {
  for (const op of operations) for (const item of op.relatedItems) if (item.name === name && item.value) return item.value;
  return null;
}

/** How a describe call's answer about one resource reads: usable, not yet, or never (the wait ends now). */
export type Verdict = { state: 'ready' } | { state: 'waiting'; reason: string } | { state: 'not_ready'; reason: string };

/** The states that count, per kind: the README's readiness table is this. */
export const READY_RULES: Readonly<Record<CheckedType, { ready: readonly string[]; notYet: readonly string[]; never: readonly string[] }>> = {
  image: { ready: ['Available'], notYet: ['Creating', 'Waiting'], never: ['CreateFailed', 'UnAvailable', 'Deprecated'] },
  disk: { ready: ['In_use', 'Available'], notYet: ['Creating', 'Modifying', 'Attaching', 'Detaching', 'ReIniting'], never: [] },
  instance: { ready: ['Running'], notYet: ['Pending', 'Starting', 'Stopping'], never: ['Stopped'] },
  snapshot: { ready: ['archive'], notYet: ['Standard', 'Flash'], never: [] },
};

const NOUN: Readonly<Record<ResourceType, string>> = { image: 'image', disk: 'disk', instance: 'instance', snapshot: 'snapshot', 'oss-object': 'OSS object' };

export const describeResource = (r: Pick<TaskResource, 'type' | 'id'>) => `${NOUN[r.type]} ${r.id}`;

/** What the answer means for one resource; an unknown status or an absent resource is waited on, never taken as ready. */
export function judge(type: CheckedType, id: string, answer: ResourceState | undefined): Verdict {
  const name = describeResource({ type, id });
  if (!answer) return { state: 'waiting', reason: `ECS does not list ${name} (yet)` };
  const status = answer.status ?? '';
  const rules = READY_RULES[type];
  // ECS writes the archive category in lower case and the others capitalised; compare without case.
  const is = (list: readonly string[]) => list.some((s) => s.toLowerCase() === status.toLowerCase());
  if (type === 'disk' && answer.locks.length > 0) return { state: 'waiting', reason: `${name} is locked (${answer.locks.join(', ')})` };
  if (is(rules.ready)) return { state: 'ready' };
  if (is(rules.never)) {
    const hint = type === 'instance' ? ': start it to use it' : '';
    return { state: 'not_ready', reason: `${name} is ${status}${hint}` };
  }
  if (type === 'snapshot') return { state: 'waiting', reason: `${name} is still in category ${status || 'unknown'}, not archive` };
  return { state: 'waiting', reason: `${name} is still ${status || 'without a status'}` };
}

/** DescribeTaskAttribute carries no `ResourceId`: the DescribeTasks entry of the same poll lends it. */
export const withListedResource = (detail: TaskSnapshot, listed: TaskSnapshot | undefined): TaskSnapshot =>
  detail.resourceId || !listed?.resourceId ? detail : { ...detail, resourceId: listed.resourceId };

/**
 * A live DescribeTaskAttribute answer with the resource named (from its related items, or the ResourceId and status
 * a poll saw) and, for a finished task, what taskhook knows of the wait for it.
 */
export function withResource(live: TaskSnapshot, known: TaskSnapshot | null): TaskSnapshot {
  const resource = mergeResource(known?.resource, resourceOf(withListedResource(live, known ?? undefined)));
  const wait = known?.terminal && live.terminal ? { ready: known.ready ?? null, readyAt: known.readyAt ?? null, readiness: known.readiness ?? null } : {};
  return { ...live, resource, ...wait };
}
