import { describe, expect, it } from 'vitest';
import type { PollRow } from '../../bench/rows';
import { checkTargets } from '../../bench/targets';

function cycle(overrides: Partial<PollRow>): PollRow {
  return {
    kind: 'poll',
    store: 'sqlite',
    tasks: 1_000,
    regions: 1,
    cycle: 1,
    activeTasks: 1_000,
    finishing: 10,
    polledShare: 1,
    summaryPolledShare: 1,
    deferred: 0,
    cycleMs: 250,
    boundMs: 220,
    naiveMs: null,
    naiveExtrapolated: null,
    vsBound: 250 / 220,
    vsNaive: null,
    calls: { DescribeTasks: 10, DescribeTaskAttribute: 10 },
    callsTotal: 20,
    neededCalls: 20,
    callsVsNeeded: 1,
    callsPerTask: 0.02,
    throttled: 0,
    throttledShare: 0,
    summaryThrottled: 0,
    peakRssMb: 90,
    cpuMs: 80,
    peerCpuMs: 30,
    storeRoundTrips: 30,
    storeCalls: {},
    tablestoreRequests: null,
    stalenessS: 1,
    stalenessSource: 'summary',
    ecsStalenessS: 0.3,
    periodS: 60,
    stalenessCycles: 1 / 60,
    events: 20,
    setupMs: 300,
    ...overrides,
  };
}

const statusOf = (checks: ReturnType<typeof checkTargets>, starts: string) => checks.find((c) => c.target.startsWith(starts))!;

describe('the target check', () => {
  it('passes what is within every limit and reports targets it has no rows for as not measured', () => {
    const checks = checkTargets([cycle({}), cycle({ cycle: 2 })]);
    expect(statusOf(checks, '100 %').status).toBe('pass');
    expect(statusOf(checks, 'cycle time').status).toBe('pass');
    expect(statusOf(checks, 'peak RSS').status).toBe('not measured');
    expect(statusOf(checks, 'delivery').status).toBe('not measured');
  });

  it('fails on the worst row and names it', () => {
    const checks = checkTargets([cycle({}), cycle({ cycle: 3, throttled: 3, throttledShare: 3 / 20, tasks: 100_000, peakRssMb: 200 })]);
    expect(statusOf(checks, 'throttled')).toMatchObject({ status: 'fail', reached: expect.stringContaining('cycle 3') });
    expect(statusOf(checks, 'peak RSS')).toMatchObject({ status: 'fail', reached: expect.stringContaining('200 MB') });
  });

  it('holds only cycles whose lower bound fits the budget to polling the whole list', () => {
    const checks = checkTargets([cycle({}), cycle({ boundMs: 300_000, polledShare: 0.5 })]);
    expect(statusOf(checks, '100 %').status).toBe('pass');
    expect(statusOf(checks, '100 %').reached).toContain('1 cycle checked');
    expect(statusOf(checkTargets([cycle({ polledShare: 0.99 })]), '100 %').status).toBe('fail');
  });

  it('leaves the first poll out of the cycle-time target: it has its own', () => {
    const checks = checkTargets([cycle({ cycle: 0, cycleMs: 5_000, vsBound: 5_000 / 220 }), cycle({})]);
    expect(statusOf(checks, 'cycle time').status).toBe('pass');
  });
});
