import { describe, expect, it } from 'vitest';
import { boundMs, neededCalls, neededPairs } from '../../bench/bound';
import { cycleNeeds, perRegion, slotOf, slotSize, taskKey, type FleetSpec } from '../../bench/fleet';

const spec = (count: number, regions: number): FleetSpec => ({
  count,
  regions: ['cn-hangzhou', 'cn-shanghai', 'cn-beijing', 'cn-shenzhen'].slice(0, regions),
  createdAt: 0,
});

describe('the lower bound of a poll cycle', () => {
  it('needs ⌈N / 100⌉ DescribeTasks per region and one DescribeTaskAttribute per finished task', () => {
    expect(neededPairs({ activePerRegion: [250, 100], finishingPerRegion: [3, 0] })).toEqual([
      { api: 'DescribeTasks', region: 0, calls: 3 },
      { api: 'DescribeTaskAttribute', region: 0, calls: 3 },
      { api: 'DescribeTasks', region: 1, calls: 1 },
      { api: 'DescribeTaskAttribute', region: 1, calls: 0 },
    ]);
    expect(neededCalls({ activePerRegion: [250, 100], finishingPerRegion: [3, 0] })).toBe(7);
  });

  it('takes the slowest (API, region) pair at the rate, plus one round trip', () => {
    // 100,000 tasks in one region, 1 % finished, 50 calls/s: 1,000 DescribeTasks and 1,000 DescribeTaskAttribute side by side.
    expect(boundMs({ activePerRegion: [100_000], finishingPerRegion: [1_000] }, 50, 20)).toBe(20_020);
    // Across 4 regions each pair has a quarter of the calls.
    expect(boundMs({ activePerRegion: [25_000, 25_000, 25_000, 25_000], finishingPerRegion: [250, 250, 250, 250] }, 50, 20)).toBe(5_020);
    // The first poll: DescribeTasks only.
    expect(boundMs({ activePerRegion: [1_000], finishingPerRegion: [0] }, 50, 20)).toBe(220);
    expect(boundMs({ activePerRegion: [0], finishingPerRegion: [0] }, 50, 20)).toBe(0);
    expect(() => boundMs({ activePerRegion: [1], finishingPerRegion: [0] }, 0, 20)).toThrow(/rate/);
  });
});

describe('the bench fleet', () => {
  it('spreads tasks over regions and finishes 1 % of every region per cycle', () => {
    const s = spec(10_000, 4);
    expect(perRegion(s)).toEqual([2_500, 2_500, 2_500, 2_500]);
    expect(slotSize(s, 0)).toEqual([25, 25, 25, 25]);
    const inSlot0 = Array.from({ length: s.count }, (_, i) => i).filter((i) => slotOf(s, i) === 0);
    expect(inSlot0).toHaveLength(100);
    expect(new Set(inSlot0.map((i) => taskKey(s, i).regionId)).size).toBe(4);
  });

  it('counts a cycle’s active and finishing tasks per region, uneven splits included', () => {
    expect(cycleNeeds(spec(1_000, 1), 0)).toEqual({ activePerRegion: [1_000], finishingPerRegion: [0] });
    expect(cycleNeeds(spec(1_000, 1), 1)).toEqual({ activePerRegion: [1_000], finishingPerRegion: [10] });
    expect(cycleNeeds(spec(1_000, 1), 3)).toEqual({ activePerRegion: [980], finishingPerRegion: [10] });
    const uneven = spec(1_003, 4);
    expect(perRegion(uneven)).toEqual([251, 251, 251, 250]);
    const keys = Array.from({ length: uneven.count }, (_, i) => taskKey(uneven, i));
    // Counted task by task: the tasks of slot 1 finish before cycle 2; slot 0's are no longer polled in cycle 2.
    const inSlot = (slot: number, r: string) => keys.filter((k, i) => k.regionId === r && slotOf(uneven, i) === slot).length;
    expect(cycleNeeds(uneven, 2).finishingPerRegion).toEqual(uneven.regions.map((r) => inSlot(1, r)));
    expect(cycleNeeds(uneven, 2).activePerRegion).toEqual(uneven.regions.map((r) => keys.filter((k) => k.regionId === r).length - inSlot(0, r)));
    expect(new Set(keys.map((k) => k.taskId)).size).toBe(uneven.count);
    expect(perRegion(uneven)).toEqual(uneven.regions.map((r) => keys.filter((k) => k.regionId === r).length));
  });
});
