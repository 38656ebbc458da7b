/** The EcsApi port: the ECS calls the core makes: the task calls, and the describe calls that check a finished task's resource. */
import type { CheckedType, ResourceState } from '../tasks/resource.js';
import type { TaskSnapshot } from '../tasks/snapshot.js';

export type { Credentials } from '../config.js';

/** DescribeTasks filters; any number of task ids (the adapter asks 100 at a time). */
export interface TaskQuery {
  taskIds?: string[];
  action?: string;
  /** Creation-time window, ISO 8601. */
  startTime?: string;
  endTime?: string;
}

export interface EcsApi {
  describeTaskAttribute(regionId: string, taskId: string): Promise<TaskSnapshot>;
  /** Every task matching the query, all pages followed. Unknown ids are simply absent. */
  describeTasks(regionId: string, query: TaskQuery): Promise<TaskSnapshot[]>;
  /**
   * The state of resources of one kind (DescribeImages, DescribeDisks, DescribeInstances, DescribeSnapshots), any
   * number of ids (the adapter asks 100 at a time). Unknown ids are simply absent.
   */
  describeResources(regionId: string, type: CheckedType, ids: string[]): Promise<ResourceState[]>;
}

/** What each ECS call did, for the poll summary and logs. */
export interface EcsCallRecord {
  action: string;
  regionId: string;
  ok: boolean;
  code?: string;
  throttled: boolean;
  durationMs: number;
  /** ECS's clock minus ours (ms), from the answer's `Date` header, when it had one. */
  skewMs?: number;
  /** The answer came back but was no readable task answer (code MalformedAnswer); it is retried like a 5xx. */
  malformed?: true;
  /** DescribeTasks entries left out because they name a task the call did not ask for. */
  dropped?: number;
  /** A bound of the adapter ended the call sequence (PageLimitExceeded, AnswerTooLarge, DeadlineExceeded). */
  limit?: true;
  /** False when no request went out: a bound ended the sequence before ECS was asked. */
  sent?: false;
  /** One line for the log: what was malformed, dropped or which limit was hit. Never carries a secret. */
  note?: string;
}
