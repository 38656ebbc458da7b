/** The timer handler when the store cannot be written: one error line that says why, and the invocation fails (FC records it). */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { StoreError } from '../../src/errors.js';
import { createPollHandler } from '../../src/fc/poll-handler.js';
import { createLogger } from '../../src/log.js';
import { buildDeps, closeDeps } from '../../src/runtime.js';
import { captureLogs, KEYS } from '../support/helpers.js';

describe('the timer handler', () => {
  it('says in one line why a run could not write, and fails the invocation', async () => {
    const config = loadConfig({
      ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret,
      TASKHOOK_STORE: 'memory',
    });
    const deps = await buildDeps(config, () => config.credentials);
    const refusal = new StoreError('Tablestore PutRow on taskhook_leases failed: OTSServerBusy (retried 5 times)', 'OTSServerBusy', true);
    deps.store.acquireLease = async () => {
      throw refusal;
    };
    try {
      const handler = createPollHandler(() => ({ ...deps, logger: createLogger('info') }));
      const { result, lines } = await captureLogs(() =>
        handler(Buffer.from(''), { requestId: 'r-store', function: { timeout: 60 } }).then(
          () => null,
          (error: unknown) => error,
        ),
      );
      expect(result).toBe(refusal);
      const failed = lines.map((l) => JSON.parse(l) as { level: string; msg?: string; message?: string }).filter((l) => l.level === 'error');
      expect(failed).toHaveLength(1);
      expect(JSON.stringify(failed[0])).toContain('poll failed: Tablestore PutRow on taskhook_leases failed: OTSServerBusy');
    } finally {
      await closeDeps(deps);
    }
  });
});
