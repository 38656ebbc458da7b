/** `taskhook tables init`: creates the Tablestore tables (idempotent) and waits until new ones accept reads and writes. */
import { requireOts } from '../../config.js';
import { configOf, EXIT, UsageError, type CliIo } from '../cli-context.js';

export async function tablesCommand(io: CliIo, positionals: string[]): Promise<number> {
  if (positionals[0] !== 'init') throw new UsageError('usage: taskhook tables init');
  const config = configOf(io);
  const ots = requireOts(config);
  if (!config.credentials) throw new UsageError('tables init needs ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET');
  const { createTables } = await import('../../store/tablestore.js');
  const waiting = new Set<string>();
  const result = await createTables(
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
  io.out(JSON.stringify(result));
  if (result.notReady.length === 0) return EXIT.ok;
  io.err(
    `${result.notReady.join(', ')} did not accept reads and writes within ${Math.round(result.waitedMs / 1000)} s; ` +
      'new tables can take a minute or two: run `taskhook tables init` again before starting taskhook',
  );
  return EXIT.failed;
}
