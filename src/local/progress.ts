/** `watch`'s progress line: fitted to the terminal's width, redrawn in place on a terminal, one line per change elsewhere. */
import type { TaskSnapshot } from '../tasks/snapshot.js';
import type { Colors } from './colors.js';

/** A lookup may carry an estimate of when the task ends (not every answer does). */
export type WatchedTask = TaskSnapshot & { estimatedFinishAt?: string | null };

/** Carriage return and "erase the whole line": the next frame replaces the last one, whatever their lengths. */
export const CLEAR_LINE = '\r\x1b[2K';

const MAX_BAR = 30;
const MIN_BAR = 10;

export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

export function percentOf(task: TaskSnapshot): number {
  return Math.round(task.progress ?? (task.outcome === 'succeeded' ? 100 : 0));
}

/** `ETA 2m 10s` from estimatedFinishAt, or null when the lookup has none. */
export function etaOf(task: WatchedTask, now: number): string | null {
  const at = task.estimatedFinishAt ? Date.parse(task.estimatedFinishAt) : NaN;
  if (Number.isNaN(at)) return null;
  return at <= now ? 'ETA any moment' : `ETA ${formatDuration(at - now)}`;
}

/** Elapsed since the task was created (or since watching began, when ECS gave no creation time). */
export function elapsedOf(task: TaskSnapshot, watchingSince: number, now: number): number {
  const created = task.createdAt ? Date.parse(task.createdAt) : NaN;
  return now - (Number.isNaN(created) ? watchingSince : Math.min(created, now));
}

/** Cuts plain text to `width` characters, marking the cut with an ellipsis. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : text.slice(0, Math.max(0, width - 1)) + '…';
}

/**
 * One frame, at most `width - 1` characters (the last column stays free, so no terminal wraps it):
 * `[#########-----]  45%  Processing  1m 05s  ETA 2m 10s  ExportImage t-bp1…`. The bar shrinks, then goes, before the
 * text is cut.
 */
export function progressFrame(task: WatchedTask, elapsedMs: number, now: number, width: number, colors?: Colors): string {
  const room = Math.max(1, width - 1);
  const pct = percentOf(task);
  const parts = [`${String(pct).padStart(3)}%`, task.status, formatDuration(elapsedMs), etaOf(task, now), `${task.action} ${task.id}`].filter(
    (p): p is string => p !== null,
  );
  const text = parts.join('  ');
  const barWidth = Math.min(MAX_BAR, room - text.length - 4);
  let line: string;
  if (barWidth >= MIN_BAR) {
    const filled = Math.round((pct / 100) * barWidth);
    line = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]  ${text}`;
  } else line = text;
  line = truncate(line, room);
  if (!colors) return line;
  // Colour what survived the cut: the status word, by outcome.
  const paint = task.outcome === 'succeeded' ? colors.green : task.terminal ? colors.red : task.outcome === 'paused' ? colors.yellow : colors.cyan;
  const at = line.indexOf(`  ${task.status}`);
  return at < 0 ? line : line.slice(0, at + 2) + paint(task.status) + line.slice(at + 2 + task.status.length);
}
