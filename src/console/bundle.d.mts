/** Types of bundle.mjs, which scripts/build.mjs runs as plain JavaScript. */
import type { Plugin } from 'esbuild';

export type ConsoleFiles = Record<string, string>;
export function buildConsole(): Promise<ConsoleFiles>;
export function embedConsole(files: ConsoleFiles): Plugin;
