/** `taskhook lookup <taskId> --region R` and `taskhook watch <taskId> --region R`: a live DescribeTaskAttribute, once or until the task ends. */
import { REGION_ID, TASK_ID } from '../../config.js';
import { EcsError } from '../../errors.js';
import type { TaskSnapshot } from '../../tasks/snapshot.js';
import { EXIT, UsageError, requireOption, secondsOption, withDeps, type Io } from '../cli-context.js';
import { colorsFor } from '../colors.js';
import { CLEAR_LINE, elapsedOf, etaOf, formatDuration, percentOf, progressFrame, type WatchedTask } from '../progress.js';
import { untilOption, waitForResource } from './wait-ready.js';
import { describeResource, withResource } from '../../tasks/resource.js';

export function checkTaskArgs(taskId: string | undefined, region: string | undefined): { taskId: string; regionId: string } {
  if (!taskId) throw new UsageError('a task id is required (e.g. taskhook lookup t-bp1abcdefghij --region cn-hangzhou)');
  if (!TASK_ID.test(taskId)) throw new UsageError(`"${taskId}" is not a task id (t- followed by letters and digits)`);
  const regionId = requireOption(region, 'region', 'cn-hangzhou');
  if (!REGION_ID.test(regionId)) throw new UsageError(`"${regionId}" is not a region id (e.g. cn-hangzhou)`);
  return { taskId, regionId };
}

export function describeTask(t: TaskSnapshot): string[] {
  const lines = [
    `${t.id}  ${t.action}  ${t.regionId}`,
    `status    ${t.status} (${t.outcome})${t.progress !== null ? `  ${t.progress}%` : ''}`,
    `created   ${t.createdAt ?? '-'}`,
    `finished  ${t.finishedAt ?? '-'}${t.durationSeconds !== null ? `  (${t.durationSeconds} s)` : ''}`,
  ];
  if (t.counts) lines.push(`counts    ${t.counts.succeeded} succeeded, ${t.counts.failed} failed of ${t.counts.total}`);
  if (t.resource) lines.push(`resource  ${describeResource(t.resource)}${t.resource.status ? `  ${t.resource.status}` : ''}`);
  if (t.readiness) lines.push(`ready     ${t.readiness.state}${t.readyAt ? ` at ${t.readyAt}` : ''}${t.readiness.reason ? `  ${t.readiness.reason}` : ''}`);
  if (t.stall) lines.push(`stalled   ${t.stall.reason}`);
  for (const op of t.operations) {
    const items = op.relatedItems.map((i) => `${i.name}=${i.value}`).join(' ');
    lines.push(`operation ${op.status ?? '-'}${op.errorCode ? `  ${op.errorCode}: ${op.errorMessage ?? ''}` : ''}${items ? `  ${items}` : ''}`);
  }
  return lines;
}

export interface LookupOptions {
  region?: string;
  json?: boolean;
}

export async function lookupCommand(io: Io, taskIdArg: string | undefined, options: LookupOptions): Promise<number> {
  const { taskId, regionId } = checkTaskArgs(taskIdArg, options.region);
  return withDeps(io, async (deps) => {
    const task = withResource(await deps.ecs.describeTaskAttribute(regionId, taskId), null);
    if (options.json) io.out(JSON.stringify(task, null, 2));
    else for (const line of describeTask(task)) io.out(line);
    return EXIT.ok;
  });
}

export interface WatchOptions {
  region?: string;
  interval?: string;
  timeout?: string;
  json?: boolean;
  /** `ready` (default): after a success, until its resource is usable; `finished`: the task alone. */
  until?: string;
}

/** How often the elapsed time is redrawn on a terminal between lookups. */
const REDRAW_MS = 1_000;

/**
 * Like `aws ec2 wait`, with progress: exit 0 when the task succeeded and its resource is usable (`--until finished`:
 * the task alone), 1 when it ended otherwise, its resource ended unusable or --timeout passed, 2 on error.
 */
export async function watchCommand(io: Io, taskIdArg: string | undefined, options: WatchOptions): Promise<number> {
  const { taskId, regionId } = checkTaskArgs(taskIdArg, options.region);
  const until = untilOption(options.until);
  const intervalMs = secondsOption(options.interval, 'interval', 5, 0.1, 3600) * 1000;
  const timeoutMs = options.timeout === undefined ? null : secondsOption(options.timeout, 'timeout', 0, 0.1, 7 * 86_400) * 1000;
  const colors = colorsFor(io);
  const inPlace = io.tty && !options.json;
  const started = Date.now();
  const deadline = timeoutMs === null ? Infinity : started + timeoutMs;
  let drawn = false;
  let lastChange = '';

  const draw = (task: WatchedTask) => {
    const now = Date.now();
    const frame = progressFrame(task, elapsedOf(task, started, now), now, io.columns() ?? 80, colors);
    io.write(CLEAR_LINE + frame);
    drawn = true;
  };
  /** The last frame is erased, so what follows starts on a clean line. */
  const finishLine = () => {
    if (drawn) io.write(CLEAR_LINE);
    drawn = false;
  };
  const report = (task: WatchedTask) => {
    const change = `${task.status}|${task.progress}`;
    if (change === lastChange) return;
    lastChange = change;
    const now = Date.now();
    if (options.json) {
      const eta = task.estimatedFinishAt ?? null;
      io.out(
        JSON.stringify({
          taskId,
          regionId,
          status: task.status,
          outcome: task.outcome,
          progress: task.progress,
          terminal: task.terminal,
          elapsedSeconds: Math.round(elapsedOf(task, started, now) / 1000),
          estimatedFinishAt: eta,
          at: new Date(now).toISOString(),
        }),
      );
    } else io.out(progressFrame(task, elapsedOf(task, started, now), now, io.columns() ?? 80));
  };

  return withDeps(io, async (deps) => {
    for (;;) {
      let task: WatchedTask;
      try {
        task = await deps.ecs.describeTaskAttribute(regionId, taskId);
      } catch (error) {
        if (error instanceof EcsError && error.code === 'InvalidTaskId.NotFound') {
          finishLine();
          if (options.json) io.out(JSON.stringify({ taskId, regionId, outcome: 'not_found', terminal: true, at: new Date().toISOString() }));
          else io.out(`${taskId}: ${colors.red('not found')} in ${regionId}`);
          return EXIT.failed;
        }
        finishLine();
        throw error;
      }
      if (inPlace) draw(task);
      else report(task);
      if (task.terminal) {
        finishLine();
        if (!options.json) {
          const paint = task.outcome === 'succeeded' ? colors.green : colors.red;
          io.out(`${taskId}: ${paint(task.outcome)}${task.finishedAt ? ` at ${task.finishedAt}` : ''}`);
        }
        if (task.outcome !== 'succeeded') return EXIT.failed;
        return until === 'finished' ? EXIT.ok : waitForResource(io, deps, task, { json: !!options.json, inPlace, intervalMs, deadline, colors });
      }
      // Until the next lookup: redraw the elapsed time each second on a terminal, and stop at the deadline.
      const next = Date.now() + intervalMs;
      while (Date.now() < next) {
        if (Date.now() >= deadline) {
          finishLine();
          const waited = formatDuration(Date.now() - started);
          if (options.json)
            io.out(JSON.stringify({ taskId, regionId, timedOut: true, status: task.status, progress: task.progress, at: new Date().toISOString() }));
          else {
            const eta = etaOf(task, Date.now());
            io.out(`${taskId}: ${colors.yellow('timed out')} after ${waited} (--timeout), still ${task.status} at ${percentOf(task)}%${eta ? `, ${eta}` : ''}`);
          }
          return EXIT.failed;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(REDRAW_MS, next - Date.now(), deadline - Date.now()))));
        if (inPlace && Date.now() < next) draw(task);
      }
    }
  });
}
