/**
 * POST /v1/hints: Alibaba Cloud's own events (through EventBridge) as hints. An ActionTrail record of a call that
 * started a task watches that task and polls it now (a record without the task id has it looked up with one
 * DescribeTasks per region, action and minute); an `Image:StateChange` polls the ImportImage task of the image.
 * A hint only ever starts a targeted poll (pollTasks: the sweep's batch step), so the poll, not the hint, makes
 * any event; a hint for a task ECS does not show leaves the watch list as it was. Paced by a token bucket per
 * instance; always answered 202 once authenticated, so EventBridge never retries a hint. The body is read as JSON
 * whatever its content type: EventBridge's push is not documented to send a JSON one.
 */
import { NotFoundError, HttpError } from '../../errors.js';
import type { EcsCallRecord } from '../../ecs/api.js';
import { createHintGate, createKeyMemory, type HintGate, type KeyMemory } from '../../hints/gate.js';
import { hintKey, importsImage, lookupWindow } from '../../hints/match.js';
import { parseHint, type Hint } from '../../hints/parse.js';
import { hintedResourceId } from '../../hints/resource.js';
import { pollTasks, type PollSummary } from '../../poller.js';
import type { AppDeps } from '../../runtime.js';
import { HINT_REASONS, hintAnswer, hintBody, hintPath } from '../../schema/api/hints.js';
import { taskKeyString, type StateStore, type TaskKey, type TaskRecord } from '../../store/port.js';
import { tokenMatches } from '../auth.js';
import type { TaskSnapshot } from '../../tasks/snapshot.js';
import { json } from '../request.js';
import type { ApiEvent, ApiResponse, ApiRoute, RouteSchema } from '../route.js';
import { defineRoute } from '../validate.js';

/** Targeted polls per second per instance, and the burst after a quiet spell. */
export const HINT_POLLS_PER_SECOND = 5;
export const HINT_BURST = 10;
/** A second hint about the same task (or image) within this is a duplicate. */
export const HINT_DEDUPE_MS = 5_000;
/** A hint's poll and its deliveries fit in this, well inside the API function's time. */
export const HINT_BUDGET_MS = 5_000;
/** An image hint looks for its import among at most this many active tasks of the region (pages of 500). */
const SCAN_PAGE = 500;
const SCAN_PAGES = 20;
/** A region, action and minute is looked up once; hints about it later than this may look again. */
export const LOOKUP_DEDUPE_MS = 60 * 60_000;
/** A lookup watches at most this many new tasks (one DescribeTasks page of ids to poll); more are left to discovery. */
export const LOOKUP_MAX_WATCH = 100;

export const HINT_TOKEN_HEADER = 'x-taskhook-hint-token';

type Acted = Exclude<Hint, { kind: 'ignored' }>;
type ApiCall = Extract<Acted, { kind: 'api-call' }>;
type Reason = (typeof HINT_REASONS)[number];

/** One gate and one lookup memory per store, so each instance (and each test harness) paces its own hints. */
const gates = new WeakMap<StateStore, { gate: HintGate; lookups: KeyMemory }>();
const gateFor = (deps: AppDeps) => {
  let pacing = gates.get(deps.store);
  if (!pacing) {
    pacing = {
      gate: createHintGate({ ratePerSecond: HINT_POLLS_PER_SECOND, burst: HINT_BURST, dedupeMs: HINT_DEDUPE_MS }),
      lookups: createKeyMemory({ windowMs: LOOKUP_DEDUPE_MS }),
    };
    gates.set(deps.store, pacing);
  }
  return pacing;
};

const refused = (reason: Reason, detail: string): ApiResponse => json(202, { accepted: false, reason, detail });

/**
 * Off (404) without TASKHOOK_HINT_TOKENS; otherwise a hint token in the path or the header, or a bearer API token.
 * Checked before the body is read. Every comparison runs in constant time and no answer names a token.
 */
function authorize(event: ApiEvent): void {
  const { hintTokens, apiTokens } = event.deps.config;
  if (hintTokens.length === 0) throw new NotFoundError('NotFound', 'hints are off: set TASKHOOK_HINT_TOKENS to receive Alibaba Cloud events here');
  const inPath = event.pathParameters?.token;
  const inHeader = event.headers[HINT_TOKEN_HEADER];
  const bearer = /^Bearer\s+(\S+)$/i.exec(event.headers.authorization ?? '')?.[1];
  const ok =
    (inPath !== undefined && tokenMatches(inPath, hintTokens)) ||
    (inHeader !== undefined && tokenMatches(inHeader, hintTokens)) ||
    (bearer !== undefined && apiTokens.length > 0 && tokenMatches(bearer, apiTokens));
  if (!ok) {
    throw new HttpError(
      401,
      'Unauthorized',
      `send a token from TASKHOOK_HINT_TOKENS in the path (/v1/hints/<token>) or the ${HINT_TOKEN_HEADER} header, or Authorization: Bearer <token from TASKHOOK_API_TOKENS>`,
      { 'www-authenticate': 'Bearer' },
    );
  }
}

async function handle(deps: AppDeps, body: unknown): Promise<ApiResponse> {
  const hint = parseHint(body);
  if (hint.kind === 'ignored') return refused('ignored', hint.why);
  if (deps.accountId && hint.accountId && hint.accountId !== deps.accountId) return refused('ignored', 'the event is of another Alibaba Cloud account');
  const { gate, lookups } = gateFor(deps);
  const key = hintKey(hint);
  const now = deps.now();
  const lookup = hint.kind === 'api-call' && hint.taskId === null;
  // Checked, admitted and claimed with no await in between, so a burst of hints about one minute makes one lookup.
  if (lookup && lookups.seen(key, now)) return refused('duplicate', LOOKED_UP_ALREADY);
  const verdict = gate.admit(key, now);
  if (verdict === 'duplicate')
    return refused(
      'duplicate',
      lookup ? LOOKED_UP_ALREADY : `the same ${hint.kind === 'api-call' ? 'task' : 'image'} was hinted seconds ago; it is not polled again`,
    );
  if (verdict === 'rate')
    return refused('rate', `more than ${HINT_POLLS_PER_SECOND} hints a second: nothing was done for this one (a watched task is polled by the next sweep)`);
  if (lookup) lookups.claim(key, now);
  if (hint.kind === 'image-state') return onImageState(deps, hint);
  return hint.taskId === null ? onCallWithoutTaskId(deps, hint) : onApiCall(deps, hint, hintedResourceId(body));
}

const LOOKED_UP_ALREADY = 'the tasks of this task action, region and minute were already looked up with DescribeTasks; it is not asked again';

/** The task the call started: watched if it was not, polled now; dropped again unless ECS shows it. */
async function onApiCall(deps: AppDeps, hint: ApiCall & { taskId: string }, resourceId: string | null): Promise<ApiResponse> {
  const key: TaskKey = { regionId: hint.regionId, taskId: hint.taskId };
  const known = (await deps.store.getTasks([key])).has(taskKeyString(key));
  if (!known) await deps.store.watchTask(key, 'hint', new Date(deps.now()).toISOString());
  const resources = resourceId ? new Map([[taskKeyString(key), resourceId]]) : undefined;
  const summary = await pollTasks(deps, [key], { budgetMs: HINT_BUDGET_MS, resources });
  if (!known) {
    const after = (await deps.store.getTasks([key])).get(taskKeyString(key));
    if (!shownByEcs(after)) {
      await deps.store.unwatchTask(key, 'hint');
      return after?.lastPolledAt
        ? refused('not-found', 'ECS does not show the task, so it is not watched')
        : refused('unanswered', 'ECS did not answer, so the task is not watched; the sweep or discovery finds it');
    }
  }
  return accepted(deps, hint, [key], polledOf(summary));
}

/**
 * A record without the task id: one DescribeTasks of the region for the call's task action, created in the call's
 * minute give or take a margin, through the same paced ECS client a poll uses. The tasks it shows that are not
 * watched yet are watched (source `api`) and polled now; tasks already watched are left to the sweep.
 */
async function onCallWithoutTaskId(deps: AppDeps, hint: ApiCall & { taskId: null }): Promise<ApiResponse> {
  const window = lookupWindow(hint.calledAt, deps.now());
  const lookupCalls: Record<string, number> = {};
  const ecs = deps.ecsFor((call: EcsCallRecord) => {
    if (call.sent !== false) lookupCalls[call.action] = (lookupCalls[call.action] ?? 0) + 1;
  });
  let listed: TaskSnapshot[];
  try {
    listed = await ecs.describeTasks(hint.regionId, { action: hint.action, ...window });
  } catch (error) {
    deps.logger.warn('hint lookup failed: DescribeTasks did not answer; discovery (TASKHOOK_DISCOVER) finds the task', {
      regionId: hint.regionId,
      action: hint.action,
      ...window,
      error,
    });
    return refused(
      'unanswered',
      `ECS did not answer DescribeTasks for the ${hint.action} tasks created around the call, so nothing is watched; discovery (TASKHOOK_DISCOVER) finds the task`,
    );
  } finally {
    ecs.close?.();
  }
  const found = listed.filter((task) => task.action === hint.action).map((task): TaskKey => ({ regionId: hint.regionId, taskId: task.id }));
  const known = await deps.store.getTasks(found);
  const fresh = found.filter((key) => !known.has(taskKeyString(key)));
  const keys = fresh.slice(0, LOOKUP_MAX_WATCH);
  deps.logger.info('hint looked tasks up with DescribeTasks', {
    regionId: hint.regionId,
    action: hint.action,
    ...window,
    found: found.length,
    watching: keys.length,
    left: fresh.length - keys.length,
  });
  if (found.length === 0)
    return refused('not-found', `DescribeTasks shows no ${hint.action} task of the region created around the call, so nothing is watched`);
  const watchedAt = new Date(deps.now()).toISOString();
  for (const key of keys) await deps.store.watchTask(key, 'hint', watchedAt);
  const summary = keys.length > 0 ? await pollTasks(deps, keys, { budgetMs: HINT_BUDGET_MS }) : null;
  const ecsCalls = { ...lookupCalls };
  for (const [action, n] of Object.entries(summary?.ecsCalls ?? {})) ecsCalls[action] = (ecsCalls[action] ?? 0) + n;
  return accepted(
    deps,
    hint,
    keys,
    { polled: summary?.tasks.polled ?? 0, events: summary?.events ?? {}, ecsCalls },
    { found: found.length, watched: keys.length },
  );
}

/** The active ImportImage task of the region that works on the image, found in bounded pages and polled now. */
async function onImageState(deps: AppDeps, hint: Extract<Acted, { kind: 'image-state' }>): Promise<ApiResponse> {
  let found: TaskRecord | undefined;
  let cursor: string | undefined;
  for (let page = 0; page < SCAN_PAGES && !found; page++) {
    const items = await deps.store.listActiveTasks({ regionId: hint.regionId, limit: SCAN_PAGE, cursor });
    found = items.items.find((task) => importsImage(task, hint.imageId));
    cursor = items.cursor;
    if (!cursor) break;
  }
  if (!found) return refused('unmatched', 'no watched ImportImage task of the region works on the image');
  const key: TaskKey = { regionId: found.regionId, taskId: found.taskId };
  return accepted(deps, hint, [key], polledOf(await pollTasks(deps, [key], { budgetMs: HINT_BUDGET_MS })));
}

/** ECS answered for the task and nothing stands against it: no verdict waiting for a second answer, no refusal. */
const shownByEcs = (task: TaskRecord | undefined) => task !== undefined && task.lastPolledAt !== null && task.pendingVerdict === null && task.invalid === null;

type Polled = { polled: number; events: PollSummary['events']; ecsCalls: PollSummary['ecsCalls'] };
const polledOf = (summary: PollSummary): Polled => ({ polled: summary.tasks.polled, events: summary.events, ecsCalls: summary.ecsCalls });

function accepted(deps: AppDeps, hint: Acted, keys: TaskKey[], polled: Polled, lookup?: { found: number; watched: number }): ApiResponse {
  const answer = {
    accepted: true,
    kind: hint.kind,
    regionId: hint.regionId,
    taskIds: keys.map((k) => k.taskId),
    ...polled,
    ...(lookup && { lookup: { call: 'DescribeTasks', ...lookup } }),
  };
  deps.logger.info('hint polled', { kind: hint.kind, regionId: hint.regionId, taskIds: answer.taskIds, events: polled.events, ...(lookup && { lookup }) });
  return json(202, answer);
}

const ERRORS = {
  401: 'no hint token (TASKHOOK_HINT_TOKENS) in the path or the x-taskhook-hint-token header, and no bearer API token; or a wrong one',
  404: 'NotFound: hints are off (TASKHOOK_HINT_TOKENS is empty)',
};
const RESPONSES = { 202: { description: 'What the hint did (`accepted`), or why it did nothing (`reason`)', body: hintAnswer } };

/** Authentication runs before the body is read, so without the token no byte of it is parsed. */
function hintRoute<const S extends RouteSchema>(path: string, schema: S): ApiRoute {
  // EventBridge's HTTP push does not document its content type: any label is taken, the body must be JSON.
  const route = defineRoute({
    method: 'POST',
    path,
    schema: { ...schema, anyContentType: true },
    handler: async ({ input, deps }) => handle(deps, input.body),
  });
  return {
    ...route,
    handler: async (event, context) => {
      authorize(event);
      return route.handler(event, context);
    },
  };
}

export const hintRoutes: ApiRoute[] = [
  hintRoute('/v1/hints', {
    operationId: 'hint',
    summary: 'Take an Alibaba Cloud event as a hint',
    description: `For EventBridge HTTP targets (see docs/hints.md). The hint token goes in the \`${HINT_TOKEN_HEADER}\` header (or use \`POST /v1/hints/{token}\`); a bearer API token works too. An ActionTrail record (\`ecs:ActionTrail:ApiCall\` or \`actiontrail:ActionTrail:ApiCall\`) of ImportImage, ExportImage, ModifyDiskSpec, RedeployInstance or ModifySnapshotCategory with Category=Archive (task action ArchiveSnapshot) watches the task it started and polls it now; without a TaskId in the record, one DescribeTasks per region, task action and minute finds the tasks created around the call and watches those not watched yet. \`Image:StateChange\` polls the watched ImportImage task of the image. The body is read as JSON whatever its content type. At most ${HINT_POLLS_PER_SECOND} polls a second, the same task once in ${HINT_DEDUPE_MS / 1000} s.`,
    tag: 'Runs',
    body: hintBody,
    responses: RESPONSES,
    errors: ERRORS,
  }),
  hintRoute('/v1/hints/{token}', {
    operationId: 'hintWithToken',
    summary: 'Take an Alibaba Cloud event as a hint, the token in the path',
    description: 'The same as `POST /v1/hints`, for targets that can set only a URL: the hint token is the last path segment.',
    tag: 'Runs',
    params: hintPath,
    body: hintBody,
    responses: RESPONSES,
    errors: ERRORS,
  }),
];
