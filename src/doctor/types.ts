/** What `taskhook doctor` and `GET /v1/doctor` check with, and what each check answers. */
import type { Config, Credentials } from '../config.js';
import type { EcsApi, EcsCallRecord } from '../ecs/api.js';
import type { AddressPolicy, Resolver } from '../net/address-policy.js';
import type { StateStore } from '../store/port.js';

export const CHECK_STATUSES = ['pass', 'warn', 'fail', 'skip'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** One check's verdict: `fix` says what to do, null when there is nothing to do. */
export interface CheckOutcome {
  status: CheckStatus;
  detail: string;
  fix: string | null;
}

export interface CheckResult extends CheckOutcome {
  name: string;
}

/** `ok` is false when any check failed; a warning still counts as passing. */
export interface DoctorReport {
  ok: boolean;
  checks: CheckResult[];
}

/** Where the poller hands extra shards when the watch list is split, as seen from where the doctor runs. */
export type ShardHandOff =
  /** `npm start`: a shard is a poll in the same process. */
  | 'in-process'
  /** taskhook-api on Function Compute: the poller invokes itself, with the role this function shares. */
  | 'function-compute'
  /** The CLI: the deployment's poller, if any, invokes itself with its role, not with these credentials. */
  | 'elsewhere';

/** The parts of a store the StateStore port does not offer, for the store checks; each absent where the backend has no such thing. */
export interface StoreProbe {
  /** Where the tables live, e.g. `instance my-instance`. */
  where: string;
  /** The tables the store uses, and which of them do not exist. */
  tables?(): Promise<{ expected: string[]; missing: string[] }>;
  close?(): void;
}

export interface DoctorDeps {
  config: Config;
  runtime: 'fc' | 'local';
  /** Words naming where the credentials in force came from; null when there are none. */
  credentialsFrom: string | null;
  credentials: () => Credentials | null;
  accountId: { id: string; from: string } | null;
  /** A fresh ECS client whose every call is reported to `onCall` (the clock check reads the skew from those reports). */
  ecsFor: (onCall: (record: EcsCallRecord) => void) => EcsApi & { close?: () => void };
  /** The store, or why it could not be opened. */
  store: StateStore | Error;
  storeProbe?: StoreProbe;
  webhookPolicy: AddressPolicy;
  /** DNS; default the system resolver (the webhook client resolves the same way). */
  resolve?: Resolver;
  shards: ShardHandOff;
  now: () => number;
}

/** What every check gets: the dependencies, the run's one ECS client and the calls it made so far. */
export interface DoctorContext extends DoctorDeps {
  ecs: EcsApi;
  calls: EcsCallRecord[];
}

/** What a check runs on: `label` goes into the result's name (`webhook:wh_…`), `value` to the check (the webhook's URL). */
export interface CheckSubject {
  label: string;
  value: string;
}

/** One named check: run once, or once per subject (a region, a webhook), with `none` answering when there is no subject. */
export interface DoctorCheck {
  name: string;
  subjects?: (ctx: DoctorContext) => CheckSubject[] | Promise<CheckSubject[]>;
  none?: (ctx: DoctorContext) => CheckOutcome;
  run: (ctx: DoctorContext, subject: string) => Promise<CheckOutcome>;
}
