/** The simulated task fleets the bench watches: deterministic, so the bench and its peer build the same one from a spec. */
import type { SimTask } from '../src/ecs/simulator/index.js';
import type { TaskKey } from '../src/store/port.js';
import type { CycleNeeds } from './bound.js';

export const BENCH_KEYS = { accessKeyId: 'LTAIbenchkey00001', accessKeySecret: 'bench-secret-0001' };

/** Tasks are created this long before the first cycle. */
export const AGE_MS = 10 * 60_000;
/** A task that is not finished by the bench runs for a month. */
const RUNS_FOR_MS = 30 * 24 * 3_600_000;
/** Each cycle finishes one slot: 1 / SLOTS of every region's tasks. */
export const SLOTS = 100;

export interface FleetSpec {
  count: number;
  regions: string[];
  /** Epoch ms the fleet was created at. */
  createdAt: number;
}

/** Task `i` lives in region `i mod R`; its slot counts within the region, so every region finishes 1 % per cycle. */
export const regionIndexOf = (spec: FleetSpec, i: number) => i % spec.regions.length;
export const slotOf = (spec: FleetSpec, i: number) => Math.floor(i / spec.regions.length) % SLOTS;

export function taskKey(spec: FleetSpec, i: number): TaskKey {
  const r = regionIndexOf(spec, i);
  return { regionId: spec.regions[r], taskId: `t-bench${r}${String(i).padStart(8, '0')}` };
}

export function fleetTask(spec: FleetSpec, i: number): SimTask {
  return {
    ...taskKey(spec, i),
    action: 'ExportImage',
    resourceId: `m-bench${String(i).padStart(8, '0')}`,
    createdAt: spec.createdAt,
    timeline: [
      { afterMs: 0, status: 'Waiting', progress: 0 },
      { afterMs: 1_000, status: 'Processing', progress: 10 },
      { afterMs: RUNS_FOR_MS, status: 'Finished', progress: 100 },
    ],
    result: { totalCount: 1, successCount: 1, failedCount: 0, operations: [{ status: 'Success' }] },
  };
}

/** Per region: how many tasks the fleet has. */
export function perRegion(spec: FleetSpec): number[] {
  return spec.regions.map((_, r) => Math.floor(spec.count / spec.regions.length) + (r < spec.count % spec.regions.length ? 1 : 0));
}

/** Per region: how many of its tasks are in slot `slot`. */
export function slotSize(spec: FleetSpec, slot: number): number[] {
  return perRegion(spec).map((n) => Math.floor(n / SLOTS) + (slot < n % SLOTS ? 1 : 0));
}

/**
 * What cycle `cycle` has to do when every earlier cycle did its job: cycle 0 is the first poll (nothing finished
 * yet); before cycle c ≥ 1 slot c − 1 finishes, and the slots finished before it are no longer polled.
 */
export function cycleNeeds(spec: FleetSpec, cycle: number): CycleNeeds {
  const retired = perRegion(spec).map(() => 0);
  for (let slot = 0; slot < cycle - 1; slot++) slotSize(spec, slot).forEach((n, r) => (retired[r] += n));
  return {
    activePerRegion: perRegion(spec).map((n, r) => n - retired[r]),
    finishingPerRegion: cycle === 0 ? retired.map(() => 0) : slotSize(spec, cycle - 1),
  };
}
