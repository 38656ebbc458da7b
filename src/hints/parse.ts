/**
 * An Alibaba Cloud event, as EventBridge (or CloudMonitor) posts it, turned into a hint: which task to watch and
 * poll now, or why the event says nothing about one. Pure, and total: any input gives an answer, none throws.
 *
 * The shapes come from Alibaba Cloud's documentation:
 * - the EventBridge envelope, CloudEvents 1.0 (`type`, `source`, `data`, `aliyunregionid`, `aliyunaccountid`):
 *   https://alibabacloud.com/help/en/doc-detail/181428.html
 * - event types of Alibaba Cloud services, `{service}:ActionTrail:ApiCall` among them (so `ecs:ActionTrail:ApiCall`):
 *   https://alibabacloud.com/help/en/eventbridge/user-guide/cloud-photos-events
 * - the ActionTrail record in `data` (`eventName`, `eventType`, `serviceName`, `acsRegion`, `requestId`):
 *   https://alibabacloud.com/help/en/eventbridge/user-guide/actiontrail-events and
 *   https://www.alibabacloud.com/help/doc-detail/28819.html (management event structure, `errorCode` for a failed call)
 * - `responseElements`, the API's answer inside an ActionTrail record: https://www.alibabacloud.com/help/doc-detail/28826.htm
 * - `requestParameters` keyed by the API's own parameter names, values as sent (the ECS StopInstance sample):
 *   https://www.alibabacloud.com/help/doc-detail/28821.htm
 * - archive tasks come from ModifySnapshotCategory with `Category=Archive` (its only valid value), answered with a
 *   `TaskId`: https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-modifysnapshotcategory
 * - the CloudMonitor `Image:StateChange` notification (`name`, `regionId`, `resourceId`, `content.imageId`,
 *   `content.currentState`): https://help.aliyun.com/zh/ecs/user-guide/image-event-notification
 * Both ECS ApiCall samples Alibaba Cloud publishes (DeleteDisk on the EventBridge page, StopInstance on the
 * ActionTrail page) have no `responseElements`, and the EventBridge `type` of ECS's events is shown both as
 * `ecs:ActionTrail:ApiCall` and `actiontrail:ActionTrail:ApiCall`, so the parser is tolerant: the envelope may be
 * missing (a bare record or notification), `responseElements` and `requestParameters` may arrive as JSON strings,
 * the region and account are taken from wherever they are, and a record without a `TaskId` becomes a hint to look
 * the task up by its action and the time of the call.
 */
import { z } from 'zod';
import { REGION_ID, TASK_ID } from '../config.js';

/** The task actions (DescribeTasks' `TaskAction`) of the tasks a hint can be about. */
export const HINTED_ACTIONS = ['ImportImage', 'ExportImage', 'ModifyDiskSpec', 'RedeployInstance', 'ArchiveSnapshot'] as const;
export type HintedAction = (typeof HINTED_ACTIONS)[number];

/** The ECS API calls (ActionTrail `eventName`) that start those tasks, and the task action each one starts. */
export const HINTED_CALLS = {
  ImportImage: 'ImportImage',
  ExportImage: 'ExportImage',
  ModifyDiskSpec: 'ModifyDiskSpec',
  RedeployInstance: 'RedeployInstance',
  // No API is called ArchiveSnapshot: that is the task action of ModifySnapshotCategory with Category=Archive.
  ModifySnapshotCategory: 'ArchiveSnapshot',
} as const satisfies Record<string, HintedAction>;
export type HintedCall = keyof typeof HINTED_CALLS;

/** Image states after which an import has nothing left to do: done, failed, or the image gone (a cancelled import). */
export const FINAL_IMAGE_STATES = ['Available', 'CreateFailed', 'Deleted'] as const;

export const IMAGE_ID = /^m-[A-Za-z0-9*]{4,64}$/;

/** ISO 8601 with a zone, as ActionTrail's `eventTime` and the CloudEvents `time` are written; Date.parse alone takes junk. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

export type Hint =
  /** An ActionTrail record of a call that started a task: watch it and poll it. */
  | { kind: 'api-call'; action: HintedAction; regionId: string; taskId: string; accountId: string | null }
  /** The same without a task id in the record: find the task with DescribeTasks by its action and `calledAt` (ISO 8601). */
  | { kind: 'api-call'; action: HintedAction; regionId: string; taskId: null; calledAt: string; accountId: string | null }
  /** An image reached a final state: poll the ImportImage task that works on it. */
  | { kind: 'image-state'; regionId: string; imageId: string; state: string; accountId: string | null }
  /** Nothing to do; `why` is one of the fixed sentences below, never a value from the event. */
  | { kind: 'ignored'; why: string };

const text = z.string().trim().min(1);
const record = z.record(z.string(), z.unknown());
/** A value taken only when it is a non-empty string (or a number, for account ids); anything else counts as absent. */
const optionalText = text.optional().catch(undefined);
const accountText = z.union([text, z.number().int().nonnegative()]).transform(String).optional().catch(undefined);

/** CloudEvents as EventBridge delivers them: only `type` and `data` are needed; the rest is read when present. */
const envelope = z.looseObject({
  type: text,
  data: z.unknown().optional(),
  time: optionalText,
  aliyunregionid: optionalText,
  aliyunaccountid: accountText,
});
type Envelope = z.output<typeof envelope>;

const actionTrailRecord = z.looseObject({
  eventName: optionalText,
  eventType: optionalText,
  serviceName: optionalText,
  acsRegion: optionalText,
  errorCode: optionalText,
  eventTime: optionalText,
  userIdentity: z.looseObject({ accountId: accountText }).optional().catch(undefined),
  requestParameters: z.unknown().optional(),
  responseElements: z.unknown().optional(),
});

const requestParameters = z.looseObject({ RegionId: optionalText });

const imageNotification = z.looseObject({
  name: optionalText,
  regionId: optionalText,
  userId: accountText,
  resourceId: optionalText,
  content: z.looseObject({ imageId: optionalText, currentState: optionalText }).optional().catch(undefined),
});

const answers = z.looseObject({ TaskId: optionalText, taskId: optionalText, RegionId: optionalText });

export const WHY = {
  notAnObject: 'the body is not a JSON object',
  unreadable: 'the body could not be read as an event',
  otherType: 'an event type taskhook does not use (it reads ActionTrail ApiCall records of ECS and Image:StateChange)',
  otherService: 'an ActionTrail record of another service than ECS',
  otherCall: 'an ActionTrail record of a call that starts no task taskhook polls',
  failedCall: 'the call failed, so it started no task',
  notArchive: 'a ModifySnapshotCategory call whose Category is not Archive starts no archive task',
  badTaskId: 'the task id in responseElements is not a task id',
  noTaskId: 'the record carries no task id in responseElements, and no time (eventTime) to look the task up by',
  noRegion: 'the event names no region',
  imageNotFinal: 'the image has not reached a final state (Available, CreateFailed or Deleted)',
  noImageId: 'the notification names no image',
} as const;

const ignored = (why: string): Hint => ({ kind: 'ignored', why });

export function parseHint(body: unknown): Hint {
  try {
    return classify(body);
  } catch {
    return ignored(WHY.unreadable);
  }
}

function classify(body: unknown): Hint {
  if (!record.safeParse(body).success) return ignored(WHY.notAnObject);
  const wrapped = envelope.safeParse(body);
  if (wrapped.success) {
    const { type } = wrapped.data;
    if (/(^|:)ActionTrail:ApiCall$/.test(type)) return apiCall(wrapped.data.data, wrapped.data);
    if (/(^|:)Image:StateChange$/.test(type)) return imageState(wrapped.data.data, wrapped.data);
    return ignored(WHY.otherType);
  }
  // No envelope: an HTTP target that posts only `$.data`, or a CloudMonitor push, sends the record itself.
  const bare = body as Record<string, unknown>;
  if (bare.eventType === 'ApiCall' && typeof bare.eventName === 'string') return apiCall(bare, null);
  if (bare.name === 'Image:StateChange') return imageState(bare, null);
  return ignored(WHY.otherType);
}

function apiCall(data: unknown, outer: Envelope | null): Hint {
  const parsed = actionTrailRecord.safeParse(data);
  if (!parsed.success) return ignored(WHY.notAnObject);
  const trail = parsed.data;
  if (trail.serviceName !== undefined && trail.serviceName.toLowerCase() !== 'ecs') return ignored(WHY.otherService);
  const call = (Object.keys(HINTED_CALLS) as HintedCall[]).find((c) => c === trail.eventName);
  if (!call) return ignored(WHY.otherCall);
  if (trail.errorCode !== undefined) return ignored(WHY.failedCall);
  const params = jsonObject(trail.requestParameters);
  if (call === 'ModifySnapshotCategory' && !archives(params)) return ignored(WHY.notArchive);
  const action = HINTED_CALLS[call];
  const asked = requestParameters.safeParse(params);
  const answer = answers.safeParse(jsonObject(trail.responseElements));
  const taskId = answer.success ? (answer.data.TaskId ?? answer.data.taskId) : undefined;
  if (taskId !== undefined && !TASK_ID.test(taskId)) return ignored(WHY.badTaskId);
  const regionId = firstRegion(
    trail.acsRegion,
    asked.success ? asked.data.RegionId : undefined,
    answer.success ? answer.data.RegionId : undefined,
    outer?.aliyunregionid,
  );
  if (!regionId) return ignored(WHY.noRegion);
  const accountId = outer?.aliyunaccountid ?? trail.userIdentity?.accountId ?? null;
  if (taskId !== undefined) return { kind: 'api-call', action, regionId, taskId, accountId };
  // The record's own time first: the envelope's is when EventBridge took the event, a little later.
  const calledAt = isoTime(trail.eventTime) ?? isoTime(outer?.time);
  if (!calledAt) return ignored(WHY.noTaskId);
  return { kind: 'api-call', action, regionId, taskId: null, calledAt, accountId };
}

/**
 * Whether a ModifySnapshotCategory call archives. ActionTrail records the parameters under the API's names
 * (`Category`), read here whatever their case; a record that shows no Category is taken as Archive, the only value
 * the API documents, so only a call that names another category is passed over.
 */
function archives(params: unknown): boolean {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return true;
  const entry = Object.entries(params).find(([key]) => key.toLowerCase() === 'category');
  if (!entry) return true;
  return typeof entry[1] === 'string' && entry[1].trim().toLowerCase() === 'archive';
}

/** A time the event gives (`2021-08-04T06:11:36Z`, or with an offset), as ISO 8601 UTC; anything else is absent. */
function isoTime(value: string | undefined): string | undefined {
  if (value === undefined || !ISO_TIME.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

function imageState(data: unknown, outer: Envelope | null): Hint {
  const parsed = imageNotification.safeParse(data);
  if (!parsed.success) return ignored(WHY.notAnObject);
  const note = parsed.data;
  if (note.name !== undefined && note.name !== 'Image:StateChange') return ignored(WHY.otherType);
  const state = note.content?.currentState;
  if (state === undefined || !FINAL_IMAGE_STATES.some((s) => s === state)) return ignored(WHY.imageNotFinal);
  // acs:ecs:<region>:<account>:image/<image id>
  const arn = /^acs:ecs:([^:]*):([^:]*):image\/(.+)$/.exec(note.resourceId ?? '');
  const imageId = note.content?.imageId ?? arn?.[3];
  if (imageId === undefined || !IMAGE_ID.test(imageId)) return ignored(WHY.noImageId);
  const regionId = firstRegion(note.regionId, arn?.[1], outer?.aliyunregionid);
  if (!regionId) return ignored(WHY.noRegion);
  return { kind: 'image-state', regionId, imageId, state, accountId: outer?.aliyunaccountid ?? note.userId ?? (arn?.[2] || null) };
}

/** An object, or a JSON string holding one (some deliveries flatten nested records into strings). */
function jsonObject(value: unknown): unknown {
  if (typeof value !== 'string' || value.length > 100_000) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

function firstRegion(...candidates: Array<string | undefined>): string | undefined {
  return candidates.find((c): c is string => c !== undefined && REGION_ID.test(c));
}
