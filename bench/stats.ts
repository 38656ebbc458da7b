/** Small measuring helpers: medians, percentiles, CPU, peak RSS, bytes written, a forced GC before memory readings. */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gcFn = vm.runInNewContext('gc') as (() => void) | undefined;

/** Runs a full GC so an RSS reading starts from live data only. */
export function collect(): void {
  gcFn?.();
  gcFn?.();
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export const mb = (bytes: number) => bytes / (1024 * 1024);

export const cpuMs = (from: NodeJS.CpuUsage, to: NodeJS.CpuUsage) => (to.user - from.user + to.system - from.system) / 1000;

/** This process's peak resident set so far, in MiB (maxRSS is in KiB). */
export const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

export interface IoCounters {
  wchar: number;
  writeBytes: number;
}

/** `/proc/self/io` (Linux); null where it cannot be read. */
export function ioCounters(): IoCounters | null {
  try {
    const text = readFileSync('/proc/self/io', 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    const io = { wchar: field('wchar'), writeBytes: field('write_bytes') };
    return Number.isFinite(io.wchar) ? io : null;
  } catch {
    return null;
  }
}
