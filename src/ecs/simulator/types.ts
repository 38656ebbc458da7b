/** The shapes a simulated ECS account is described with. */

export interface SimOperation {
  status: string;
  errorCode?: string;
  errorMessage?: string;
  relatedItems?: { name: string; value: string }[];
}

/** From `afterMs` after creation on, the task reports `status` (and `progress`, 0–100, when given). */
export interface SimStep {
  afterMs: number;
  /** One of ECS_TASK_STATUSES; a scenario file may use another only with `"unknownStatus": true` on the step. */
  status: string;
  progress?: number;
}

/** The TaskStatus values ECS documents for DescribeTasks and DescribeTaskAttribute. */
export const ECS_TASK_STATUSES: readonly string[] = ['Waiting', 'Processing', 'Paused', 'Finished', 'Failed', 'Deleted'];

export interface SimTask {
  taskId: string;
  regionId: string;
  action: string;
  resourceId?: string;
  /** Epoch ms; the task does not exist before this instant. */
  createdAt: number;
  /** Defaults to true for ImportImage/ExportImage, false otherwise. */
  supportCancel?: boolean;
  timeline: SimStep[];
  /** Shown once the task is terminal (Finished, Failed or Deleted). */
  result?: { totalCount?: number; successCount?: number; failedCount?: number; operations?: SimOperation[] };
  /**
   * The task's resource (`resourceId`) as its describe call shows it, for ImportImage (an image), ModifyDiskSpec (a
   * disk), RedeployInstance (an instance) and ArchiveSnapshot (a snapshot). Without it the resource is usable the
   * moment the task finishes.
   */
  resource?: SimResource;
}

/** The gap between a task's finish and its resource being usable, as ECS shows it. */
export interface SimResource {
  /** How long after the task finished the resource becomes usable; default 0. */
  readyAfterMs?: number;
  /** Its status until then (while the task runs too): default image `Creating`, disk `Modifying`, instance `Starting`, snapshot `standard`. */
  pendingStatus?: string;
  /** Its status once usable: default image `Available`, disk `In_use`, instance `Running`, snapshot `archive`. */
  readyStatus?: string;
  /** A disk's `OperationLocks` reasons while it is not usable yet. */
  locks?: string[];
}

export interface SimCredential {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export interface SimulatorOptions {
  credentials: SimCredential[];
  tasks?: SimTask[];
  clock?: () => number;
  timePrecision?: 'minute' | 'second';
  host?: string;
  port?: number;
  /**
   * How far the simulated ECS's wall clock is from this machine's (ms, + when ECS is ahead): answers carry `clock`
   * plus it in their `Date` header, and a request whose Timestamp (signed with this machine's real time) is more than
   * 15 minutes off the real time plus it is refused. Default 0.
   */
  wallClockSkewMs?: number;
  /** Told of every call once its answer is decided (before any latency), with the simulated time it arrived at. */
  onCall?: (call: SimCall, arrivedAt: number) => void;
}

/**
 * Answers that arrive with HTTP 200 but are no readable task answer, or arrive cut off:
 * `html200` a gateway page, `emptyBody`, `truncatedJson` (the real answer cut in half), `notAnObject` (a JSON array),
 * `jsonNull`, `wrongTypes` (TaskStatus a number, counts and progress of the wrong type), `missingTaskId`,
 * `otherTask` (DescribeTaskAttribute: another task's answer; DescribeTasks: plus an entry not asked for),
 * `endlessPaging` (DescribeTasks: TotalCount huge, every page full), `hugeBody` (padded to `bytes`, default 5 MiB),
 * `resetMidBody` (headers and half the body, then the connection is reset).
 */
export const ODD_ANSWER_KINDS = [
  'html200',
  'emptyBody',
  'truncatedJson',
  'notAnObject',
  'jsonNull',
  'wrongTypes',
  'missingTaskId',
  'otherTask',
  'endlessPaging',
  'hugeBody',
  'resetMidBody',
] as const;
export type OddAnswerKind = (typeof ODD_ANSWER_KINDS)[number];

export type SimFault = {
  /**
   * `signatureMismatch` answers SignatureDoesNotMatch quoting the string-to-sign (AccessKeyId, SecurityToken), as ECS does.
   * `error` answers any ECS error: `code`, `httpStatus` (default 400) and `message`.
   */
  kind: 'throttle' | 'http500' | 'http503' | 'html503' | 'drop' | 'latency' | 'signatureMismatch' | 'error' | OddAnswerKind;
  code?: string;
  httpStatus?: number;
  message?: string;
  /** `throttle`: the `TimeLeft` (ms) the answer's `x-ratelimit-user-api` header carries. */
  timeLeftMs?: number;
  action?: string;
  regionId?: string;
  /** How many matching requests this fault answers; default 1, Infinity allowed. */
  times?: number;
  latencyMs?: number;
  /** Size of the `hugeBody` answer. */
  bytes?: number;
};

export interface SimCall {
  action: string;
  regionId?: string;
  taskIds?: string[];
  /** HTTP status answered; 0 when the connection was dropped without an answer. */
  status: number;
  code?: string;
  securityToken: boolean;
}

export const REGION_IDS: readonly string[] = [
  'cn-hangzhou',
  'cn-shanghai',
  'cn-beijing',
  'cn-shenzhen',
  'cn-qingdao',
  'cn-zhangjiakou',
  'cn-huhehaote',
  'cn-wulanchabu',
  'cn-chengdu',
  'cn-hongkong',
  'ap-southeast-1',
  'ap-southeast-3',
  'ap-southeast-5',
  'ap-northeast-1',
  'ap-south-1',
  'us-west-1',
  'us-east-1',
  'eu-central-1',
  'eu-west-1',
  'me-east-1',
];

export const CANCELLABLE_ACTIONS: readonly string[] = ['ImportImage', 'ExportImage'];
