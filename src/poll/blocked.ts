/**
 * Regions whose polling ECS stopped: an answer about the request or the caller (a skewed clock, a bad signature or
 * key, a missing permission, refused parameters) says nothing about any task, so the region is paused for the rest
 * of the run, its tasks stay as they are, and the next run asks again. A user learns of it without reading logs:
 * one error line per run, the run summary, and one `poller.blocked` event when it starts and one `poller.resumed`
 * when a later run is answered in that region again. The state between runs is a mark per region.
 */
import { BLOCKING_CLASSES, classifyEcsError, explainBlocking } from '../ecs/error-class.js';
import type { EcsError } from '../errors.js';
import { pollerEvent, publishOperational, type PollerEventData } from '../webhooks/operational.js';
import { nowIso, type Blockage, type Run } from './run.js';

const markOf = (regionId: string) => `blocked/${regionId}`;

/** True (and the region paused for the run) when the error is about the request or the caller, not the tasks. */
export function blocksRegion(run: Run, regionId: string, action: string, error: EcsError): boolean {
  const cls = classifyEcsError(error);
  if (!BLOCKING_CLASSES.has(cls)) return false;
  run.blocked ??= new Map();
  if (run.blocked.has(regionId)) return true;
  const { cause, fix } = explainBlocking(error, cls, { action, regionId, skewMs: run.skewMs ?? null });
  const blockage: Blockage = { regionId, action, code: error.code, reason: cause, fix };
  run.blocked.set(regionId, blockage);
  (run.summary.blocked ??= []).push(blockage);
  // ECS's own message is in the fields, scrubbed where the error was made (a SignatureDoesNotMatch quotes the request).
  run.deps.logger.error(`polling ${regionId} stopped: ${cause}. Fix: ${fix}`, {
    regionId,
    action,
    code: error.code,
    message: error.message,
    requestId: error.requestId,
  });
  return true;
}

export const isBlocked = (run: Run, regionId: string) => run.blocked?.has(regionId) ?? false;

/**
 * At the end of a run: a region blocked now and not before raises `poller.blocked`; a region blocked before that
 * answered now (and is not blocked again) raises `poller.resumed`. A store failure here costs the event, not the run.
 */
export async function settleBlockages(run: Run): Promise<void> {
  const { store } = run.deps;
  const regions = new Set([...(run.blocked?.keys() ?? []), ...(run.answeredRegions ?? [])]);
  const at = nowIso(run);
  for (const regionId of regions) {
    try {
      const stored = parse(await store.getMark(markOf(regionId)));
      const now = run.blocked?.get(regionId);
      if (now && !stored) {
        const data: PollerEventData = { ...now, since: at };
        await store.setMark(markOf(regionId), JSON.stringify(data), at);
        await publishOperational(run.deps, pollerEvent('poller.blocked', data, at));
      } else if (!now && stored) {
        await store.setMark(markOf(regionId), '', at);
        const reason = `ECS answers in ${regionId} again (it refused ${stored.action} with ${stored.code} since ${stored.since})`;
        run.deps.logger.warn(`polling ${regionId} resumed`, { regionId, since: stored.since });
        await publishOperational(run.deps, pollerEvent('poller.resumed', { ...stored, reason, fix: 'nothing to do' }, at));
      }
    } catch (error) {
      run.deps.logger.warn('the state of a blocked region could not be kept; its event is raised again next run', { regionId, error });
    }
  }
}

function parse(value: string | null): PollerEventData | null {
  if (!value) return null;
  try {
    return JSON.parse(value) as PollerEventData;
  } catch {
    return null;
  }
}
