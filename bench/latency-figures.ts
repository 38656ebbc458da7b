/** The latency scenario's figures from what it recorded: percentiles of the latencies and the estimate's error. Pure. */
import { percentile } from './stats.js';

export interface Spread {
  p50S: number | null;
  p95S: number | null;
  maxS: number | null;
  meanS: number | null;
}

const orNull = (n: number) => (Number.isFinite(n) ? n : null);

/** p50, p95 (nearest rank), max and mean of a list of seconds; nulls for an empty list. */
export function spread(seconds: number[]): Spread {
  if (seconds.length === 0) return { p50S: null, p95S: null, maxS: null, meanS: null };
  return {
    p50S: orNull(percentile(seconds, 50)),
    p95S: orNull(percentile(seconds, 95)),
    maxS: Math.max(...seconds),
    meanS: seconds.reduce((a, b) => a + b, 0) / seconds.length,
  };
}

/** What a task's first running snapshot said of its finish: absent (no such field), null, or an instant. */
export type EstimateSample = { field: false } | { field: true; estimatedFinishAt: string | null };

export interface EstimateFigures {
  /** Whether any snapshot carried the field at all. */
  field: boolean;
  /** Tasks whose sample had an estimate. */
  samples: number;
  medianErrorS: number | null;
  p90ErrorS: number | null;
}

/** The absolute error, in seconds, of each task's estimate against its true finish (epoch ms), summarised. */
export function estimateFigures(samples: Map<string, EstimateSample>, finishAt: Map<string, number>): EstimateFigures {
  const errors: number[] = [];
  let field = false;
  for (const [taskId, sample] of samples) {
    if (!sample.field) continue;
    field = true;
    const truth = finishAt.get(taskId);
    const estimate = sample.estimatedFinishAt === null ? NaN : Date.parse(sample.estimatedFinishAt);
    if (truth !== undefined && Number.isFinite(estimate)) errors.push(Math.abs(estimate - truth) / 1000);
  }
  if (errors.length === 0) return { field, samples: 0, medianErrorS: null, p90ErrorS: null };
  return { field, samples: errors.length, medianErrorS: percentile(errors, 50), p90ErrorS: percentile(errors, 90) };
}
