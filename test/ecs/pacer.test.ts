import { describe, expect, it } from 'vitest';
import { createPacer } from '../../src/ecs/pacer.js';

/** A pacer on a hand-moved clock: sleeping moves the clock, so every wait shows in `clock.t`. */
function pacedClock(rate: number, start = 0) {
  const clock = { t: start };
  const pacer = createPacer({ rate, now: () => clock.t, sleep: async (ms) => void (clock.t += ms), random: () => 0 });
  return { clock, pacer };
}

describe('the ECS pacer', () => {
  it('spaces the calls of one (API, region) pair to its rate', async () => {
    const { clock, pacer } = pacedClock(10);
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      await pacer.take('DescribeTasks|cn-hangzhou');
      starts.push(clock.t);
    }
    expect(starts).toEqual([0, 100, 200, 300, 400]);
  });

  it('never makes one pair wait for another', async () => {
    const { clock, pacer } = pacedClock(2);
    await pacer.take('DescribeTasks|cn-hangzhou');
    pacer.throttled('DescribeTasks|cn-hangzhou');
    const before = clock.t;
    await pacer.take('DescribeTasks|cn-beijing');
    await pacer.take('DescribeTaskAttribute|cn-hangzhou');
    expect(clock.t).toBe(before);
  });

  it('pauses a throttled pair until ECS’s next minute, probes at 1 call/s, then wins the rate back with successes', async () => {
    // 10 s into a minute: ECS accepts this pair's calls again from the next minute on.
    const { clock, pacer } = pacedClock(20, 10_000);
    const pair = 'DescribeTasks|cn-hangzhou';
    await pacer.take(pair);
    pacer.throttled(pair);
    expect(pacer.rateOf(pair)).toBe(1);
    await pacer.take(pair);
    expect(clock.t).toBeGreaterThanOrEqual(60_000);
    expect(clock.t).toBeLessThan(62_000);
    const probe = clock.t;
    await pacer.take(pair);
    expect(clock.t - probe).toBe(1_000);
    for (let i = 0; i < 100; i++) pacer.succeeded(pair);
    expect(pacer.rateOf(pair)).toBe(20);
  });

  it('waits the TimeLeft a throttled answer carried instead of the minute', async () => {
    const { clock, pacer } = pacedClock(20, 10_000);
    const pair = 'DescribeTasks|cn-hangzhou';
    pacer.throttled(pair, { timeLeftMs: 5_000 });
    await pacer.take(pair);
    expect(clock.t).toBe(15_000);
  });

  it('counts the minute on ECS’s clock, not on a skewed local one', async () => {
    // Our clock reads 10 s into a minute; ECS's (20 s ahead) reads 30 s: its next minute is 30 s away.
    const { clock, pacer } = pacedClock(20, 10_000);
    const pair = 'DescribeTasks|cn-hangzhou';
    pacer.throttled(pair, { skewMs: 20_000 });
    await pacer.take(pair);
    expect(clock.t).toBeGreaterThanOrEqual(40_000);
    expect(clock.t).toBeLessThan(41_500);
  });

  it('refuses a slot past the caller’s deadline without reserving it', async () => {
    const { clock, pacer } = pacedClock(1);
    expect(await pacer.take('p', 10_000)).toBe(true);
    expect(await pacer.take('p', 500)).toBe(false);
    expect(clock.t).toBe(0);
    expect(await pacer.take('p', 10_000)).toBe(true);
    expect(clock.t).toBe(1_000);
  });

  it('refuses a rate that is not above zero', () => {
    expect(() => createPacer({ rate: 0, now: () => 0, sleep: async () => undefined })).toThrow('above 0');
  });
});
