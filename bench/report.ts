/** Markdown tables from the measured rows. */
import type { ColdStartRow } from './cold-start.js';
import type { DeliveryRow } from './delivery.js';
import type { PollRow } from './poll.js';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const fixed = (n: number, digits = 1) => n.toFixed(digits);

function table(header: string[], rows: string[][]): string {
  const right = header.map((_, i) => rows.every((r) => /^[-–\d,.\s%×]+$/.test(r[i]) || r[i] === ''));
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(right.map((r) => (r ? '---:' : '---'))), ...rows.map(line)].join('\n');
}

function changedLabel(r: PollRow): string {
  if (r.cycle === 'first') return `first poll (${int(r.changed)} new)`;
  if (r.cycle === 'unchanged') return '0';
  return `${int(r.changed)} (${Math.round((100 * r.changed) / r.tasks)} %)`;
}

export function pollTable(rows: PollRow[]): string {
  return table(
    [
      'Store',
      'Tasks',
      'Regions',
      'Changed',
      'Runs',
      'Wall ms (median)',
      'taskhook CPU ms',
      'Peer CPU ms',
      'DescribeTasks',
      'DescribeTaskAttribute',
      'Events written',
      'Tablestore requests',
      'RSS Δ MB',
    ],
    rows.map((r) => [
      r.progressHook ? `${r.store} + progress webhook` : r.store,
      int(r.tasks),
      String(r.regions.length),
      changedLabel(r),
      String(r.runs),
      int(r.median.wallMs),
      int(r.median.cpuMs),
      int(r.median.simCpuMs),
      int(r.median.describeTasks),
      int(r.median.describeTaskAttribute),
      int(r.median.events),
      r.store === 'tablestore' ? int(r.median.storeRequests) : '–',
      fixed(r.median.rssDeltaMb),
    ]),
  );
}

export function deliveryTable(rows: DeliveryRow[]): string {
  return table(
    [
      'Store',
      'Endpoints',
      'Due deliveries',
      'Succeeded',
      'Wall ms',
      'Deliveries/s',
      'Attempt p50 ms',
      'Attempt p95 ms',
      'Attempt max ms',
      'taskhook CPU ms',
      'RSS Δ MB',
      'Signatures verified',
    ],
    rows.map((r) => [
      r.store,
      String(r.endpoints),
      int(r.deliveries),
      int(r.succeeded),
      int(r.wallMs),
      int(r.perSecond),
      int(r.p50Ms),
      int(r.p95Ms),
      int(r.maxMs),
      int(r.cpuMs),
      fixed(r.rssDeltaMb),
      `${r.signaturesValid}/${r.signaturesChecked}`,
    ]),
  );
}

export function coldStartTable(rows: ColdStartRow[]): string {
  return table(
    ['Bundle', 'Size KiB', 'gzip KiB', 'require() ms (median)', 'Process start → handler ms', 'Spawn → exit ms', 'RSS MB', 'Runs'],
    rows.map((r) => [
      `\`${r.bundle}\``,
      int(r.bytes / 1024),
      int(r.gzipBytes / 1024),
      int(r.requireMs),
      int(r.readyMs),
      int(r.processMs),
      fixed(r.rssMb),
      String(r.runs),
    ]),
  );
}
