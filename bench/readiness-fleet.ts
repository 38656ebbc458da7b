/**
 * The readiness scenario's tasks: seeded, so the bench and its peer build the same ones. Every task runs from before
 * the first cycle; in each cycle a share of them finishes at a random instant, and the resource of each that succeeds
 * stays unusable for a random lag after it (an image `Creating`, a disk `Modifying`, an instance `Starting`, a
 * snapshot's category not yet `archive`); the rest keep running.
 */
import type { SimTask } from '../src/ecs/simulator/index.js';
import { seededRandom } from './latency-fleet.js';

export interface ReadinessSpec {
  seed: number;
  tasks: number;
  regionId: string;
  /** Epoch ms the first cycle starts at. */
  startAt: number;
  cycles: number;
  intervalMs: number;
  /** Share of the tasks that finishes in each cycle (0.01: 1 %). */
  finishShare: number;
  /** `import`: every task an ImportImage; `mixed`: the five actions in turn. */
  mix: 'import' | 'mixed';
  /** The resource becomes usable this long after its task finished, uniformly between the two. */
  lagMs: { min: number; max: number };
}

export interface ReadinessTask {
  task: SimTask;
  /** Epoch ms of the true finish; null for a task that keeps running. */
  finishAt: number | null;
  /** Epoch ms the resource becomes usable; null when nothing can check it (an export) or the task keeps running. */
  usableAt: number | null;
}

const MIXED = ['ImportImage', 'ModifyDiskSpec', 'RedeployInstance', 'ArchiveSnapshot', 'ExportImage'] as const;
const PREFIX: Record<string, string> = { ImportImage: 'm', ModifyDiskSpec: 'd', RedeployInstance: 'i', ArchiveSnapshot: 's', ExportImage: 'm' };
const ITEM: Record<string, string | undefined> = { ImportImage: 'ImageId', ModifyDiskSpec: 'DiskId' };

export function readinessFleet(spec: ReadinessSpec): ReadinessTask[] {
  const random = seededRandom(spec.seed);
  const perCycle = Math.max(1, Math.round(spec.tasks * spec.finishShare));
  const createdAt = spec.startAt - 30 * 60_000;
  return Array.from({ length: spec.tasks }, (_, i): ReadinessTask => {
    const action = spec.mix === 'import' ? 'ImportImage' : MIXED[i % MIXED.length];
    const id = String(i).padStart(7, '0');
    const resourceId = `${PREFIX[action]}-bpready${id}`;
    const cycle = Math.floor(i / perCycle);
    const finishes = cycle < spec.cycles;
    const finishAt = finishes ? spec.startAt + cycle * spec.intervalMs + Math.round(random() * (spec.intervalMs - 1)) : null;
    const lag = Math.round(spec.lagMs.min + random() * (spec.lagMs.max - spec.lagMs.min));
    const item = ITEM[action];
    const operations =
      action === 'ExportImage'
        ? [
            {
              status: 'Success',
              relatedItems: [
                { name: 'OSSObject', value: `exports/${resourceId}.vhd` },
                { name: 'OSSBucket', value: 'bench' },
              ],
            },
          ]
        : [{ status: 'Success', relatedItems: item ? [{ name: item, value: resourceId }] : [] }];
    return {
      task: {
        taskId: `t-bpready${id}`,
        regionId: spec.regionId,
        action,
        resourceId,
        createdAt,
        timeline: [
          { afterMs: 0, status: 'Processing', progress: 10 },
          ...(finishAt === null ? [] : [{ afterMs: finishAt - createdAt, status: 'Finished', progress: 100 }]),
        ],
        result: { totalCount: 1, successCount: 1, failedCount: 0, operations },
        resource: { readyAfterMs: lag },
      },
      finishAt,
      usableAt: finishAt === null || action === 'ExportImage' ? null : finishAt + lag,
    };
  });
}
