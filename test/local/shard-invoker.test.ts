import { describe, expect, it } from 'vitest';
import { inProcessInvoker } from '../../src/local/shard-invoker.js';
import { captureLogs } from '../support/helpers.js';
import { createLogger } from '../../src/log.js';

describe('shards in the local runtime', () => {
  it('accepts a shard at once, runs it in this process, and waits for every run on idle', async () => {
    const ran: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const invoker = inProcessInvoker(async (shard) => {
      await gate;
      ran.push(shard.id);
    }, createLogger('warn'));
    await invoker.invokeShard({ id: 'cn-hangzhou-1', regions: ['cn-hangzhou'] });
    await invoker.invokeShard({ id: 'cn-beijing-1', regions: ['cn-beijing'] });
    expect(ran).toEqual([]);
    release();
    await invoker.idle();
    expect(ran.sort()).toEqual(['cn-beijing-1', 'cn-hangzhou-1']);
  });

  it('logs a shard run that fails, and goes on', async () => {
    const { lines } = await captureLogs(async () => {
      const invoker = inProcessInvoker(async () => {
        throw new Error('store unavailable');
      }, createLogger('warn'));
      await invoker.invokeShard({ id: 'cn-hangzhou-2', regions: ['cn-hangzhou'] });
      await invoker.idle();
    });
    expect(lines.some((l) => l.includes('a shard run failed') && l.includes('cn-hangzhou-2'))).toBe(true);
  });
});
