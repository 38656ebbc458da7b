/** `taskhook tables init`: creates the Tablestore tables (idempotent). */
import { requireOts } from '../../config.js';
import { configOf, EXIT, UsageError, type CliIo } from '../cli-context.js';

export async function tablesCommand(io: CliIo, positionals: string[]): Promise<number> {
  if (positionals[0] !== 'init') throw new UsageError('usage: taskhook tables init');
  const config = configOf(io);
  const ots = requireOts(config);
  if (!config.credentials) throw new UsageError('tables init needs ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET');
  const { createTables } = await import('../../store/tablestore.js');
  const result = await createTables({ ...ots, tablePrefix: config.tablePrefix, credentials: () => config.credentials });
  io.out(JSON.stringify(result));
  return EXIT.ok;
}
