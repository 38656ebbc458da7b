/** `taskhook lookup <taskId> --region R [--json]` and `taskhook watch <taskId> --region R [--interval s]`. */
import { REGION_ID, TASK_ID } from '../../config.js';
import { EcsError } from '../../errors.js';
import type { TaskSnapshot } from '../../tasks/snapshot.js';
import { sleep } from '../../retry.js';
import { EXIT, UsageError, requireOption, withDeps, type CliIo } from '../cli-context.js';

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
  for (const op of t.operations) {
    const items = op.relatedItems.map((i) => `${i.name}=${i.value}`).join(' ');
    lines.push(`operation ${op.status ?? '-'}${op.errorCode ? `  ${op.errorCode}: ${op.errorMessage ?? ''}` : ''}${items ? `  ${items}` : ''}`);
  }
  return lines;
}

export async function lookupCommand(io: CliIo, positionals: string[], options: { region?: string; json?: boolean }): Promise<number> {
  const { taskId, regionId } = checkTaskArgs(positionals[0], options.region);
  return withDeps(io, async (deps) => {
    const task = await deps.ecs.describeTaskAttribute(regionId, taskId);
    if (options.json) io.out(JSON.stringify(task, null, 2));
    else for (const line of describeTask(task)) io.out(line);
    return EXIT.ok;
  });
}

/** Like `aws ec2 wait`, with a progress bar: exit 0 when the task succeeded, 1 when it ended otherwise, 2 on error. */
export async function watchCommand(io: CliIo, positionals: string[], options: { region?: string; interval?: string }): Promise<number> {
  const { taskId, regionId } = checkTaskArgs(positionals[0], options.region);
  const interval = Number(options.interval ?? '5');
  if (!Number.isFinite(interval) || interval < 0.1 || interval > 3600)
    throw new UsageError(`--interval must be seconds from 0.1 to 3600, got "${options.interval}"`);
  return withDeps(io, async (deps) => {
    let last = '';
    for (;;) {
      let task: TaskSnapshot;
      try {
        task = await deps.ecs.describeTaskAttribute(regionId, taskId);
      } catch (error) {
        if (error instanceof EcsError && error.code === 'InvalidTaskId.NotFound') {
          io.out(`${taskId}: not found in ${regionId}`);
          return EXIT.failed;
        }
        throw error;
      }
      const line = progressLine(task);
      if (io.tty) io.out(`\r${line}`);
      else if (line !== last) io.out(line);
      last = line;
      if (task.terminal) {
        if (io.tty) io.out('\n');
        io.out(`${taskId}: ${task.outcome}${task.finishedAt ? ` at ${task.finishedAt}` : ''}`);
        return task.outcome === 'succeeded' ? EXIT.ok : EXIT.failed;
      }
      await sleep(interval * 1000);
    }
  });
}

export function progressLine(task: TaskSnapshot, width = 30): string {
  const pct = task.progress ?? (task.outcome === 'succeeded' ? 100 : 0);
  const filled = Math.round((pct / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(pct)).padStart(3)}%  ${task.status}  ${task.action} ${task.id}`;
}
