import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startLocal, type RunningLocal } from '../../src/local/start.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

let local: RunningLocal | undefined;
let hanging: Receiver | undefined;

afterEach(async () => {
  await local?.stop();
  local = undefined;
  await hanging?.close();
  hanging = undefined;
});

describe('a receiver that never answers, in the local process', () => {
  it('holds up neither the demo receiver, nor the timer, nor POST /v1/poll, and stop does not wait for it', async () => {
    hanging = await startReceiver([], () => 'hang');
    const lines: string[] = [];
    const cwd = mkdtempSync(join(tmpdir(), 'taskhook-isolation-'));
    local = await startLocal({
      cwd,
      intervalSeconds: 2,
      print: (line) => lines.push(line),
      env: {
        TASKHOOK_PORT: '0',
        TASKHOOK_STORE: `sqlite:${join(cwd, 'state.db')}`,
        TASKHOOK_LOG_LEVEL: 'warn',
        TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: '127.0.0.1/32',
        TASKHOOK_WEBHOOKS: JSON.stringify([
          { url: hanging.url, secret: 'whsec_' + Buffer.alloc(32, 7).toString('base64'), events: ['ecs.task.started', 'ecs.task.succeeded'] },
        ]),
      },
    });
    // Its first delivery is under way and hangs.
    await vi.waitFor(() => expect(hanging!.received.length).toBeGreaterThan(0), { timeout: 20_000, interval: 50 });
    const demoLines = () => lines.filter((l) => /ecs\.task\.\w+/.test(l) && l.startsWith('  ')).length;
    const before = demoLines();
    // Polls asked for meanwhile run and answer 200, each one after the other.
    for (let i = 0; i < 2; i++) {
      const answer = await fetch(`${local.url}/v1/poll`, { method: 'POST', headers: { authorization: `Bearer ${local.token}` } });
      expect(answer.status).toBe(200);
    }
    // The demo receiver keeps getting events while the other receiver still hangs.
    await vi.waitFor(() => expect(demoLines()).toBeGreaterThan(before), { timeout: 20_000, interval: 50 });
    // Only its own chains wait on it: at most the per-webhook concurrency of attempts, none of them answered.
    expect(hanging.received.length).toBeLessThanOrEqual(4);
    // Stop returns while the attempt still hangs: it is cut off and retried after the next start.
    const stopped = await Promise.race([local.stop().then(() => 'stopped'), new Promise((r) => setTimeout(r, 10_000, 'still stopping'))]);
    local = undefined;
    expect(stopped).toBe('stopped');
  }, 60_000);
});
