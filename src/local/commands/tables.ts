/** `taskhook tables init`: creates the Tablestore tables (idempotent) and waits until new ones accept reads and writes. */
import { StoreError } from '../../errors.js';
import { configOf, EXIT, UsageError, type Io } from '../cli-context.js';

/** Everything `tables init` needs, named at once when any of it is missing. */
const NEEDED =
  'tables init creates the tables that TASKHOOK_STORE=tablestore uses; it needs TASKHOOK_OTS_ENDPOINT (e.g. https://my-instance.cn-hangzhou.ots.aliyuncs.com), ' +
  'TASKHOOK_OTS_INSTANCE (e.g. my-instance) and credentials (ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET)';

const UNREACHABLE = new Set(['NetworkingError', 'RequestTimeout']);

export async function tablesInitCommand(io: Io, options: { json?: boolean }): Promise<number> {
  const config = configOf(io);
  const missing = [
    config.ots.endpoint ? null : 'TASKHOOK_OTS_ENDPOINT',
    config.ots.instance ? null : 'TASKHOOK_OTS_INSTANCE',
    config.credentials ? null : 'ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET',
  ].filter(Boolean);
  if (missing.length) throw new UsageError(`${NEEDED}; not set: ${missing.join(', ')}`);
  const ots = { endpoint: config.ots.endpoint!, instance: config.ots.instance! };
  const host = new URL(ots.endpoint).host;
  const { createTables } = await import('../../store/tablestore.js');
  const waiting = new Set<string>();
  let result: Awaited<ReturnType<typeof createTables>>;
  try {
    result = await createTables(
      { ...ots, tablePrefix: config.tablePrefix, credentials: () => config.credentials },
      {
        onProgress: (p) => {
          // One line when a table starts refusing rows and one when it takes them, not one per probe.
          if (!p.ready && !waiting.has(p.table)) io.err(`waiting for ${p.table} to accept reads and writes (${p.code ?? 'not ready'})`);
          if (p.ready && waiting.has(p.table)) io.err(`${p.table} ready after ${Math.round(p.waitedMs / 1000)} s`);
          if (p.ready) waiting.delete(p.table);
          else waiting.add(p.table);
        },
      },
    );
  } catch (error) {
    if (error instanceof StoreError && UNREACHABLE.has(error.code))
      throw new UsageError(`could not reach Tablestore at ${host} (${error.code}); check TASKHOOK_OTS_ENDPOINT and that this machine can reach it`);
    if (error instanceof StoreError) throw new StoreError(`${error.message} (Tablestore at ${host}, instance ${ots.instance})`, error.code, error.retryable);
    throw error;
  }
  io.out(JSON.stringify(result, null, options.json ? undefined : 2));
  if (result.notReady.length === 0) return EXIT.ok;
  io.err(
    `${result.notReady.join(', ')} did not accept reads and writes within ${Math.round(result.waitedMs / 1000)} s; ` +
      'new tables can take a minute or two: run `taskhook tables init` again before starting taskhook',
  );
  return EXIT.failed;
}
