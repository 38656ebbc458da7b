/**
 * The resources the simulated tasks make or change, and the four describe calls that show them: DescribeImages,
 * DescribeDisks, DescribeInstances and DescribeSnapshots. A resource lags its task: an imported image is `Creating`
 * for a while after its task finished, a resized disk shows `Modifying`, a redeployed instance is `Starting`, an
 * archived snapshot's category flips late (SimTask.resource). Filters and limits as ECS documents them: DescribeImages
 * lists only `Available` images unless `Status` names others and takes ids separated by commas; the other three take
 * a JSON array; at most 100 ids and 100 entries a page.
 */
import { errors } from './protocol';
import { taskStateAt } from './timeline';
import type { SimTask } from './types';
import { REGION_IDS } from './types';

export type SimResourceKind = 'image' | 'disk' | 'instance' | 'snapshot';

/** The action whose task makes or changes each kind of resource. */
export const KIND_OF_ACTION: Readonly<Record<string, SimResourceKind>> = {
  ImportImage: 'image',
  ModifyDiskSpec: 'disk',
  RedeployInstance: 'instance',
  ArchiveSnapshot: 'snapshot',
};

const PENDING: Record<SimResourceKind, string> = { image: 'Creating', disk: 'Modifying', instance: 'Starting', snapshot: 'standard' };
const READY: Record<SimResourceKind, string> = { image: 'Available', disk: 'In_use', instance: 'Running', snapshot: 'archive' };
/** What a failed task leaves: a failed import's image failed with it; the others are as they were. */
const AFTER_FAILURE: Record<SimResourceKind, string> = { image: 'CreateFailed', disk: 'In_use', instance: 'Running', snapshot: 'standard' };

export interface ResourceView {
  id: string;
  status: string;
  locks: string[];
}

/** The resource of a task at `t`, or null when it does not exist (not created yet, or a cancelled import's image). */
export function resourceAt(task: SimTask, t: number): ResourceView | null {
  const kind = KIND_OF_ACTION[task.action];
  if (!kind || !task.resourceId) return null;
  const state = taskStateAt(task, t);
  if (!state) return null;
  const r = task.resource ?? {};
  const pending = { id: task.resourceId, status: r.pendingStatus ?? PENDING[kind], locks: r.locks ?? [] };
  if (!state.terminal) return pending;
  if (state.status === 'Deleted') return kind === 'image' ? null : { id: task.resourceId, status: READY[kind], locks: [] };
  if (state.status === 'Failed') return { id: task.resourceId, status: AFTER_FAILURE[kind], locks: [] };
  if (t < state.finishedAt! + (r.readyAfterMs ?? 0)) return pending;
  return { id: task.resourceId, status: r.readyStatus ?? READY[kind], locks: [] };
}

export interface ResourceStore {
  /** The task whose resource has this id in the region. */
  byResource(regionId: string, id: string): SimTask | undefined;
  /** Every task of the region (a scan: only a describe call without ids uses it). */
  inRegion(regionId: string): SimTask[];
}

export interface ResourceContext {
  store: ResourceStore;
  now: number;
  requestId: string;
}

type Params = Record<string, string>;

const MAX_IDS = 100;
const IMAGE_STATUSES = ['Creating', 'Waiting', 'Available', 'UnAvailable', 'CreateFailed', 'Deprecated'];

function regionOf(params: Params): string {
  if (!params.RegionId) throw errors.missing('RegionId');
  if (!REGION_IDS.includes(params.RegionId)) throw errors.regionNotFound();
  return params.RegionId;
}

/** A JSON array of ids (`["d-…","d-…"]`), as DiskIds, InstanceIds and SnapshotIds are written; null when absent. */
function jsonIds(params: Params, name: string): string[] | null {
  const raw = params[name];
  if (raw === undefined || raw === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw errors.invalid(name);
  }
  if (!Array.isArray(parsed) || parsed.some((id) => typeof id !== 'string')) throw errors.invalid(name);
  if (parsed.length > MAX_IDS) throw errors.invalid(name);
  return parsed as string[];
}

function page(params: Params): { number: number; size: number } {
  const size = params.PageSize ? Number(params.PageSize) : 10;
  const number = params.PageNumber ? Number(params.PageNumber) : 1;
  if (!(Number.isInteger(size) && size >= 1 && size <= 100)) throw errors.invalid('PageSize');
  if (!(Number.isInteger(number) && number >= 1)) throw errors.invalid('PageNumber');
  return { number, size };
}

/** The region's resources of one kind: those asked for by id, or all of them. */
function resourcesOf(kind: SimResourceKind, regionId: string, ids: string[] | null, ctx: ResourceContext): ResourceView[] {
  const tasks = ids
    ? ids.map((id) => ctx.store.byResource(regionId, id)).filter((t): t is SimTask => t !== undefined)
    : ctx.store.inRegion(regionId).filter((t) => KIND_OF_ACTION[t.action] === kind);
  const seen = new Set<string>();
  const views: ResourceView[] = [];
  for (const task of tasks) {
    if (KIND_OF_ACTION[task.action] !== kind || seen.has(task.resourceId!)) continue;
    const view = resourceAt(task, ctx.now);
    if (view) views.push(view);
    seen.add(task.resourceId!);
  }
  return views.sort((a, b) => a.id.localeCompare(b.id));
}

function paged<T>(params: Params, ctx: ResourceContext, regionId: string, setName: string, itemName: string, items: T[]): Record<string, unknown> {
  const { number, size } = page(params);
  return {
    RequestId: ctx.requestId,
    RegionId: regionId,
    TotalCount: items.length,
    PageNumber: number,
    PageSize: size,
    [setName]: { [itemName]: items.slice((number - 1) * size, number * size) },
  };
}

export function describeImages(params: Params, ctx: ResourceContext): Record<string, unknown> {
  const regionId = regionOf(params);
  const ids = params.ImageId
    ? params.ImageId.split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : null;
  if (ids && ids.length > MAX_IDS) throw errors.invalid('ImageId');
  const wanted = (params.Status || 'Available').split(',').map((s) => s.trim());
  if (wanted.some((s) => s !== 'ALL' && !IMAGE_STATUSES.includes(s))) throw errors.invalid('Status');
  const images = resourcesOf('image', regionId, ids, ctx).filter((r) => wanted.includes('ALL') || wanted.includes(r.status));
  return paged(
    params,
    ctx,
    regionId,
    'Images',
    'Image',
    images.map((r) => ({ ImageId: r.id, Status: r.status, ImageOwnerAlias: 'self', Progress: r.status === 'Available' ? '100%' : '99%' })),
  );
}

export function describeDisks(params: Params, ctx: ResourceContext): Record<string, unknown> {
  const regionId = regionOf(params);
  const disks = resourcesOf('disk', regionId, jsonIds(params, 'DiskIds'), ctx);
  return paged(
    params,
    ctx,
    regionId,
    'Disks',
    'Disk',
    disks.map((r) => ({
      DiskId: r.id,
      RegionId: regionId,
      Status: r.status,
      OperationLocks: { OperationLock: r.locks.map((reason) => ({ LockReason: reason })) },
    })),
  );
}

export function describeInstances(params: Params, ctx: ResourceContext): Record<string, unknown> {
  const regionId = regionOf(params);
  const instances = resourcesOf('instance', regionId, jsonIds(params, 'InstanceIds'), ctx);
  return paged(
    params,
    ctx,
    regionId,
    'Instances',
    'Instance',
    instances.map((r) => ({ InstanceId: r.id, RegionId: regionId, Status: r.status, OperationLocks: { LockReason: [] } })),
  );
}

export function describeSnapshots(params: Params, ctx: ResourceContext): Record<string, unknown> {
  const regionId = regionOf(params);
  const snapshots = resourcesOf('snapshot', regionId, jsonIds(params, 'SnapshotIds'), ctx);
  return paged(
    params,
    ctx,
    regionId,
    'Snapshots',
    'Snapshot',
    snapshots.map((r) => ({ SnapshotId: r.id, Category: r.status, Status: 'accomplished' })),
  );
}
