/** Times, durations and labels as the console prints them; pure functions of their arguments. */

/** `42 s`, `3 min 5 s`, `2 h 10 min`, `3 d 4 h`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** `just now`, `12 s ago`, `in 3 min`; `—` for no time. */
export function relativeTime(iso: string | null | undefined, now: number): string {
  if (!iso) return '—';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '—';
  const seconds = (now - at) / 1000;
  if (Math.abs(seconds) < 2) return 'just now';
  return seconds > 0 ? `${formatDuration(seconds)} ago` : `in ${formatDuration(-seconds)}`;
}

/** The local date and time to the second, e.g. `2026-11-27 14:03:09`; `—` for no time. */
export function absoluteTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '—';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

/** How long a task has run: created → finished, or created → now while it runs; null without a creation time. */
export function elapsedSeconds(task: { createdAt: string | null; finishedAt: string | null; durationSeconds?: number | null }, now: number): number | null {
  if (task.durationSeconds != null && task.finishedAt) return task.durationSeconds;
  if (!task.createdAt) return null;
  const start = Date.parse(task.createdAt);
  const end = task.finishedAt ? Date.parse(task.finishedAt) : now;
  return Number.isNaN(start) || Number.isNaN(end) ? null : Math.max(0, (end - start) / 1000);
}

/** `partially_failed` → `partially failed`. */
export const outcomeLabel = (outcome: string) => outcome.replace(/_/g, ' ');

/** `12 ms`, `1.4 s`. */
export const formatMs = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`);

/** `97 %` with no decimals unless it would round to 100 or 0 while not being exact. */
export function formatRate(rate: number): string {
  const percent = rate * 100;
  if (percent > 99 && percent < 100) return `${percent.toFixed(1)} %`;
  if (percent > 0 && percent < 1) return `${percent.toFixed(1)} %`;
  return `${Math.round(percent)} %`;
}

/** The `YYYY-MM-DDTHH:MM` an <input type="datetime-local"> shows, in local time. */
export function toLocalInput(ms: number): string {
  const at = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}
