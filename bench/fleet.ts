/** The simulated task fleets the poll benchmark watches: deterministic, so the bench and its peer build the same one. */
import type { SimTask } from '../src/ecs/simulator/index.js';

export const BENCH_KEYS = { accessKeyId: 'LTAIbenchkey00001', accessKeySecret: 'bench-secret-0001' };

export const AGE_MS = 5 * 60_000;
/** Every `FINISH_EVERY`-th task finishes this long after creation; the rest run for a month. */
export const FINISH_AFTER_MS = 20 * 60_000;
export const FINISH_EVERY = 10;
/** Clock offset that puts the fleet past the finishers' end but nowhere near the others'. */
export const FINISHED_OFFSET_MS = FINISH_AFTER_MS - AGE_MS + 60_000;

export interface FleetSpec {
  count: number;
  regions: string[];
  /** Epoch ms the fleet was created at. */
  createdAt: number;
}

export function fleet(spec: FleetSpec): SimTask[] {
  return Array.from({ length: spec.count }, (_, i) => {
    const regionIndex = i % spec.regions.length;
    const finishes = i % FINISH_EVERY === 0;
    return {
      taskId: `t-bench${regionIndex}${String(i).padStart(8, '0')}`,
      regionId: spec.regions[regionIndex],
      action: 'ExportImage',
      resourceId: `m-bench${String(i).padStart(8, '0')}`,
      createdAt: spec.createdAt,
      timeline: [
        { afterMs: 0, status: 'Waiting', progress: 0 },
        { afterMs: 1_000, status: 'Processing', progress: 10 },
        { afterMs: finishes ? FINISH_AFTER_MS : 30 * 24 * 3_600_000, status: 'Finished', progress: 100 },
      ],
      result: {
        totalCount: 1,
        successCount: 1,
        failedCount: 0,
        operations: [{ status: 'Success', relatedItems: [{ name: 'OSSObject', value: `bench/${i}.vhd` }] }],
      },
    };
  });
}
