import { describe, expect, it } from 'vitest';
import { createPacer } from '../../src/ecs/pacer.js';

/** A pacer on a hand-moved clock: sleeping moves the clock, so every wait shows in `clock.t`. */
function pacedClock(rate: number) {
  const clock = { t: 0 };
  const pacer = createPacer({ rate, now: () => clock.t, sleep: async (ms) => void (clock.t += ms), random: () => 0, pauseMs: 1_000 });
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

  it('halves a throttled pair’s rate, pauses it, and wins the rate back with successes', async () => {
    const { clock, pacer } = pacedClock(20);
    const pair = 'DescribeTasks|cn-hangzhou';
    await pacer.take(pair);
    pacer.throttled(pair);
    expect(pacer.rateOf(pair)).toBe(10);
    await pacer.take(pair);
    expect(clock.t).toBeGreaterThanOrEqual(1_000);
    pacer.throttled(pair);
    expect(pacer.rateOf(pair)).toBe(5);
    for (let i = 0; i < 100; i++) pacer.succeeded(pair);
    expect(pacer.rateOf(pair)).toBe(20);
  });

  it('keeps a floor under a pair in a long storm', () => {
    const { pacer } = pacedClock(16);
    for (let i = 0; i < 50; i++) pacer.throttled('DescribeTasks|cn-hangzhou');
    expect(pacer.rateOf('DescribeTasks|cn-hangzhou')).toBe(1);
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
