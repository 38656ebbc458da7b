/**
 * `taskhook watch`, after the task succeeded: the wait for its resource, as the poller does it (src/poll/readiness.ts)
 * but live, one describe call per interval, saying what it waits for ("task finished 40 s ago; image m-… still
 * Creating"). `--until finished` skips it.
 */
import { DEFAULT_READY_WAIT_SECONDS } from '../../config.js';
import { EcsError } from '../../errors.js';
import type { AppDeps } from '../../runtime.js';
import { describeResource, judge, resourceOf, withListedResource, type CheckedType, type Verdict } from '../../tasks/resource.js';
import type { TaskSnapshot } from '../../tasks/snapshot.js';
import { duration } from '../../tasks/stall.js';
import { EXIT, UsageError, type Io } from '../cli-context.js';
import type { Colors } from '../colors.js';
import { CLEAR_LINE } from '../progress.js';

export type Until = 'ready' | 'finished';

export function untilOption(value: string | undefined): Until {
  if (value === undefined || value === 'ready' || value === 'finished') return value ?? 'ready';
  throw new UsageError(`--until must be ready (the task's resource is usable) or finished (the task alone), not "${value}"`);
}

export interface WaitOptions {
  json: boolean;
  /** Redraw one line in place (a terminal) rather than print a line per change. */
  inPlace: boolean;
  intervalMs: number;
  deadline: number;
  colors: Colors;
}

/** Exit 0 once the resource is usable (or there is none to check), 1 when it ends unusable or the deadline passes. */
export async function waitForResource(io: Io, deps: AppDeps, task: TaskSnapshot, options: WaitOptions): Promise<number> {
  let found = resourceOf(task);
  if (!found) {
    // DescribeTaskAttribute carries no ResourceId; DescribeTasks does.
    const [listed] = await deps.ecs.describeTasks(task.regionId, { taskIds: [task.id] });
    found = resourceOf(withListedResource(task, listed));
  }
  const waitSeconds = (deps.config.readyWaitSeconds ?? DEFAULT_READY_WAIT_SECONDS)[task.action] ?? 0;
  if (!found || found.type === 'oss-object' || waitSeconds <= 0) return EXIT.ok;
  const type: CheckedType = found.type;
  const name = describeResource(found);
  const finishedAt = Date.parse(task.finishedAt ?? task.observedAt);
  let drawn = false;
  let last = '';

  const say = (verdict: Verdict | null, status: string | null) => {
    const ago = duration((Date.now() - finishedAt) / 1000);
    const state = verdict?.state === 'waiting' ? verdict.reason : `${name} ${status ?? 'not answered yet'}`;
    const line = `task finished ${ago} ago; ${state}`;
    if (options.json) {
      const key = `${status}|${verdict?.state}`;
      if (key === last) return;
      last = key;
      io.out(
        JSON.stringify({ taskId: task.id, regionId: task.regionId, resource: { type, id: found.id, status }, waiting: true, at: new Date().toISOString() }),
      );
    } else if (options.inPlace) {
      io.write(CLEAR_LINE + line);
      drawn = true;
    } else if (status !== last) {
      last = status ?? '';
      io.out(line);
    }
  };
  const clear = () => {
    if (drawn) io.write(CLEAR_LINE);
    drawn = false;
  };
  const end = (code: number, text: string, fields: Record<string, unknown>) => {
    clear();
    if (options.json)
      io.out(JSON.stringify({ taskId: task.id, regionId: task.regionId, resource: { type, id: found.id, ...fields }, at: new Date().toISOString() }));
    else io.out(`${task.id}: ${text}`);
    return code;
  };

  for (;;) {
    let verdict: Verdict | null = null;
    let status: string | null = null;
    try {
      const [state] = await deps.ecs.describeResources(task.regionId, type, [found.id]);
      verdict = judge(type, found.id, state);
      status = state?.status ?? null;
    } catch (error) {
      // A passing ECS fault is asked again next interval; anything else (a refusal, a missing permission) ends the watch.
      if (!(error instanceof EcsError && error.retryable)) throw error;
    }
    const waited = duration((Date.now() - finishedAt) / 1000);
    if (verdict?.state === 'ready')
      return end(EXIT.ok, `${options.colors.green('ready')}: ${name} ${status}, ${waited} after the task finished`, { status, ready: true });
    if (verdict?.state === 'not_ready')
      return end(EXIT.failed, `${options.colors.red('not ready')}: ${verdict.reason}`, { status, ready: false, reason: verdict.reason });
    say(verdict, status);
    if (Date.now() >= options.deadline) {
      return end(EXIT.failed, `${options.colors.yellow('timed out')} (--timeout): task finished ${waited} ago; ${verdict?.reason ?? `${name} not answered`}`, {
        status,
        ready: null,
        timedOut: true,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(options.intervalMs, options.deadline - Date.now()))));
  }
}
