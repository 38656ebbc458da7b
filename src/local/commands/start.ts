/** `taskhook start` (what `npm start` runs): the local runtime until Ctrl-C or SIGTERM, then a clean stop. */
import { EXIT, type Io } from '../cli-context.js';

export async function startCommand(io: Io, stopping: Promise<unknown>, options: { moveAsideCorrupt?: boolean } = {}): Promise<number> {
  const { startLocal } = await import('../start.js');
  const running = await startLocal({ env: io.env, print: io.out, warn: io.err, cwd: io.cwd, moveAsideCorrupt: options.moveAsideCorrupt });
  await stopping;
  io.out('stopping: the poll in progress finishes, then the database is closed');
  await running.stop();
  return EXIT.ok;
}
