/** The lower bound of a poll cycle: only the strictly needed ECS calls, each (API, region) pair at its quota, all pairs in parallel. */

export const IDS_PER_CALL = 100;

export interface CycleNeeds {
  /** Per region: tasks to poll this cycle. */
  activePerRegion: number[];
  /** Per region: tasks that finished since the last cycle (each needs one DescribeTaskAttribute). */
  finishingPerRegion: number[];
}

export interface PairCalls {
  api: 'DescribeTasks' | 'DescribeTaskAttribute';
  region: number;
  calls: number;
}

/** ⌈active / 100⌉ DescribeTasks per region, one DescribeTaskAttribute per finished task. */
export function neededPairs(needs: CycleNeeds): PairCalls[] {
  if (needs.activePerRegion.length !== needs.finishingPerRegion.length) throw new Error('activePerRegion and finishingPerRegion need one entry per region');
  return needs.activePerRegion.flatMap((active, region) => [
    { api: 'DescribeTasks' as const, region, calls: Math.ceil(active / IDS_PER_CALL) },
    { api: 'DescribeTaskAttribute' as const, region, calls: needs.finishingPerRegion[region] },
  ]);
}

export function neededCalls(needs: CycleNeeds): number {
  return neededPairs(needs).reduce((sum, p) => sum + p.calls, 0);
}

/** max over (API, region) pairs of calls / rate, plus one round trip; 0 when nothing needs asking. */
export function boundMs(needs: CycleNeeds, ratePerSecond: number, latencyMs: number): number {
  if (!(ratePerSecond > 0)) throw new Error(`the rate must be > 0 calls/s, not ${ratePerSecond}`);
  const slowest = Math.max(0, ...neededPairs(needs).map((p) => (p.calls / ratePerSecond) * 1000));
  return slowest === 0 ? 0 : slowest + latencyMs;
}
