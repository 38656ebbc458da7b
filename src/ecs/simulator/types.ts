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
  status: string;
  progress?: number;
}

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
}

export type SimFault = {
  /** `signatureMismatch` answers SignatureDoesNotMatch quoting the string-to-sign (AccessKeyId, SecurityToken), as ECS does. */
  kind: 'throttle' | 'http500' | 'http503' | 'html503' | 'drop' | 'latency' | 'signatureMismatch';
  action?: string;
  regionId?: string;
  /** How many matching requests this fault answers; default 1, Infinity allowed. */
  times?: number;
  latencyMs?: number;
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
