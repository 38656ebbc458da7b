/** A shard invocation's event: the ShardSpec it carries, how a bad one is refused, and the poll run it starts. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { InvalidInputError, TimerPayloadError } from '../../src/errors.js';
import { createPollHandler, type PollerDeps } from '../../src/fc/poll-handler.js';
import { parseTimerEvent } from '../../src/fc/timer-event.js';
import { buildDeps, closeDeps } from '../../src/runtime.js';
import type { Invoker } from '../../src/shards/invoker.js';
import { parseShard, type ShardSpec } from '../../src/shards/shard.js';
import { KEYS, finishedExport, startSimulator } from '../support/helpers.js';

const shardEvent = (shard: unknown) => Buffer.from(JSON.stringify({ shard }));

describe('parseShard', () => {
  it('accepts whole regions, and a task-id range inside one region with open ends and its share of the ECS rate', () => {
    expect(parseShard({ id: 'all', regions: ['cn-hangzhou', 'cn-beijing'] })).toEqual({ id: 'all', regions: ['cn-hangzhou', 'cn-beijing'] });
    const ranged = { id: 'cn-hangzhou#1', regions: ['cn-hangzhou'], range: { from: 't-bp1aaaa00000001', to: 't-bp1mmmm00000001' } };
    expect(parseShard(ranged)).toEqual(ranged);
    expect(parseShard({ id: 'head', regions: ['cn-hangzhou'], range: { from: null, to: 't-bp1mmmm00000001' } }).range).toEqual({
      from: null,
      to: 't-bp1mmmm00000001',
    });
    expect(parseShard({ id: 'tail', regions: ['cn-hangzhou'], range: { from: 't-bp1mmmm00000001', to: null } }).range).toEqual({
      from: 't-bp1mmmm00000001',
      to: null,
    });
    const shared = { id: 'half', regions: ['cn-hangzhou'], range: { from: null, to: 't-bp1mmmm00000001' }, share: 0.5 };
    expect(parseShard(shared)).toEqual(shared);
  });

  it.each([
    ['not an object', 'cn-hangzhou', 'shard', /a shard must be an object/],
    ['an array', [], 'shard', /a shard must be an object/],
    ['no id', { regions: ['cn-hangzhou'] }, 'shard.id', /shard\.id must be 1 to 128 printable characters/],
    ['an id with a space', { id: 'a b', regions: ['cn-hangzhou'] }, 'shard.id', /shard\.id must be/],
    ['an id with a newline', { id: 'a\nINFO forged', regions: ['cn-hangzhou'] }, 'shard.id', /shard\.id must be/],
    ['no regions', { id: 'x' }, 'shard.regions', /shard\.regions must be a list of 1 to 100 region ids/],
    ['empty regions', { id: 'x', regions: [] }, 'shard.regions', /shard\.regions must be a list/],
    ['regions as a string', { id: 'x', regions: 'cn-hangzhou' }, 'shard.regions', /shard\.regions must be a list/],
    [
      'a bad region',
      { id: 'x', regions: ['cn-hangzhou', 'Hangzhou'] },
      'shard.regions[1]',
      /shard\.regions\[1\] must be a region id like "cn-hangzhou", got "Hangzhou"/,
    ],
    ['a repeated region', { id: 'x', regions: ['cn-hangzhou', 'cn-hangzhou'] }, 'shard.regions[1]', /shard\.regions\[1\] repeats "cn-hangzhou"/],
    ['an unknown field', { id: 'x', regions: ['cn-hangzhou'], budget: 5 }, 'shard.budget', /shard\.budget is not a shard field/],
    [
      'a range over two regions',
      { id: 'x', regions: ['cn-hangzhou', 'cn-beijing'], range: { from: null, to: null } },
      'shard.range',
      /inside one region, but the shard names 2/,
    ],
    ['a range without to', { id: 'x', regions: ['cn-hangzhou'], range: { from: null } }, 'shard.range', /must name both from and to/],
    ['a range end that is no task id', { id: 'x', regions: ['cn-hangzhou'], range: { from: 'abc', to: null } }, 'shard.range.from', /must be a task id/],
    ['a range end that is a number', { id: 'x', regions: ['cn-hangzhou'], range: { from: null, to: 7 } }, 'shard.range.to', /must be a task id .* got 7/],
    ['an empty range', { id: 'x', regions: ['cn-hangzhou'], range: { from: 't-bp1bbbb00000001', to: 't-bp1aaaa00000001' } }, 'shard.range', /from before to/],
    ['a share of 0', { id: 'x', regions: ['cn-hangzhou'], share: 0 }, 'shard.share', /shard\.share must be a number above 0 and at most 1/],
    ['a share above 1', { id: 'x', regions: ['cn-hangzhou'], share: 1.5 }, 'shard.share', /got 1\.5/],
    ['a share as a string', { id: 'x', regions: ['cn-hangzhou'], share: '0.5' }, 'shard.share', /got "0\.5"/],
    [
      'an unknown range field',
      { id: 'x', regions: ['cn-hangzhou'], range: { from: null, to: null, step: 2 } },
      'shard.step',
      /not a shard field \(a range has from, to\)/,
    ],
  ])('refuses %s, naming the field', (_name, value, field, message) => {
    let error: unknown;
    try {
      parseShard(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ code: 'InvalidShard', field });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message.split('\n')).toHaveLength(1);
  });

  it('quotes at most 60 characters of a hostile value', () => {
    expect(() => parseShard({ id: 'x', regions: ['x'.repeat(10_000)] })).toThrow(/got "x{59}…$/);
  });
});

describe('the shard event', () => {
  const shard: ShardSpec = { id: 'cn-beijing', regions: ['cn-beijing'] };

  it('hands the shard on as options.shard, next to the timer forms it accepted before', () => {
    expect(parseTimerEvent(shardEvent(shard)).options).toEqual({ shard });
    expect(parseTimerEvent(Buffer.from(JSON.stringify({ triggerName: 'every-minute', payload: '{"regions":["cn-beijing"]}' }))).options).toEqual({
      regions: ['cn-beijing'],
    });
  });

  it('refuses a bad shard, or regions next to a shard, as a timer payload error naming the field', () => {
    expect(() => parseTimerEvent(shardEvent({ id: 'x', regions: ['Beijing'] }))).toThrow(TimerPayloadError);
    expect(() => parseTimerEvent(shardEvent({ id: 'x', regions: ['Beijing'] }))).toThrow(
      /the shard event is not usable: shard\.regions\[0\] must be a region id/,
    );
    expect(() => parseTimerEvent(Buffer.from(JSON.stringify({ shard, payload: '{"regions":["cn-hangzhou"]}' })))).toThrow(/names its regions in "shard"/);
    expect(() => parseTimerEvent(Buffer.from('[1]'))).toThrow(/not a JSON object/);
    expect(() => parseTimerEvent(Buffer.from('{"payload":5}'))).toThrow(/"payload" must be a string/);
  });

  it("starts a run of the shard's regions only, and offers the deps source the shard invoker", async () => {
    const sim = await startSimulator([
      finishedExport('t-shardhz0000001', Date.now() - 600_000),
      finishedExport('t-shardbj0000001', Date.now() - 600_000, 'cn-beijing'),
    ]);
    const config = loadConfig({
      TASKHOOK_STORE: 'memory',
      TASKHOOK_ECS_ENDPOINT: sim.endpoint,
      TASKHOOK_TASKS: 'cn-hangzhou/t-shardhz0000001,cn-beijing/t-shardbj0000001',
      TASKHOOK_LOG_LEVEL: 'error',
    });
    const deps = await buildDeps(config, () => KEYS);
    const invoked: ShardSpec[] = [];
    const invoker: Invoker = { invokeShard: async (s) => void invoked.push(s) };
    const asked: unknown[] = [];
    try {
      const handler = createPollHandler((_context, wants): PollerDeps => {
        asked.push(wants);
        return { ...deps, invoker };
      });
      // A shard run only sweeps: the run that handed it off has watched the tasks.
      const now = new Date().toISOString();
      await deps.store.watchTask({ regionId: 'cn-hangzhou', taskId: 't-shardhz0000001' }, 'config', now);
      await deps.store.watchTask({ regionId: 'cn-beijing', taskId: 't-shardbj0000001' }, 'config', now);
      const before = sim.callLog().length;
      const summary = await handler(shardEvent(shard), { requestId: 'r-shard', function: { timeout: 60 } });
      expect(summary).toMatchObject({ leased: true, tasks: { polled: 1 }, events: { 'ecs.task.succeeded': 1 }, shards: 0 });
      const shardCalls = sim.callLog().slice(before);
      expect(shardCalls.length).toBeGreaterThan(0);
      expect(shardCalls.every((c) => c.regionId === 'cn-beijing')).toBe(true);
      expect(asked).toEqual([{ shardInvoker: true }]);
      expect(invoked).toEqual([]); // a shard's run sweeps; it hands nothing further off
    } finally {
      await closeDeps(deps);
      await sim.stop();
    }
  });
});
