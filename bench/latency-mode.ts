/** How a latency row's mode reads in the tables and the target check. */
import type { LatencyRow } from './rows.js';

export function modeName(r: LatencyRow): string {
  switch (r.mode) {
    case 'plain':
      return 'timer only';
    case 'hot':
      if (!r.hotSupported) return 'hot tasks (not in this poller: timer only)';
      return `hot tasks, every ${r.hotIntervalSeconds ?? '?'} s${r.hotBudgetSeconds === null ? '' : ` for ${r.hotBudgetSeconds} s`}`;
    case 'cover':
      return `continuous coverage, every ${r.hotIntervalSeconds ?? '?'} s, ${r.coverPercent ?? '?'} % of the rate`;
    case 'hints':
      return `${r.coverPercent ? 'continuous coverage' : 'timer'} + hints (ImportImage, finish + ${r.hintDelayS ?? '?'} s)`;
  }
}
