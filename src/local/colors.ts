/** Colours for human output: only on a terminal, never with NO_COLOR (or TERM=dumb). */
import pc from 'picocolors';
import type { Io } from './cli-context.js';

export type Colors = ReturnType<typeof pc.createColors>;

export function colorsFor(io: Pick<Io, 'tty' | 'env'>): Colors {
  return pc.createColors(io.tty && !io.env.NO_COLOR && io.env.TERM !== 'dumb');
}

/** ANSI escape sequences removed: what a line measures on screen. */
export function visible(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}
