/** The console's built files. Run from source, they are built here on first use; in a bundle, scripts/build.mjs puts the built text in place of this module. */
import type { ConsoleFiles } from './bundle.mjs';

export async function consoleFiles(): Promise<ConsoleFiles> {
  const { buildConsole } = await import('./bundle.mjs');
  return buildConsole();
}
