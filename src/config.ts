/** Environment → typed, validated Config. The only place that reads process.env; everything else is handed a Config. */
import { ConfigError } from './errors.js';
import type { LogLevel } from './log.js';
import { checkWebhookUrlOffline, describeUrlProblem, parseCidrList } from './net/address-policy.js';

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export type StoreConfig = { kind: 'sqlite'; path: string } | { kind: 'tablestore' } | { kind: 'memory' };

export interface WatchTarget {
  regionId: string;
  taskId: string;
}

export interface DiscoveryRule {
  regionId: string;
  /** Empty means every action. */
  actions: string[];
}

export interface StaticWebhook {
  url: string;
  secret: string;
  events?: string[];
  filter?: { regions?: string[]; actions?: string[]; taskIds?: string[] };
  description?: string;
}

export interface Config {
  credentials: Credentials | null;
  ecsEndpoint: string | null;
  store: StoreConfig;
  ots: { endpoint: string | null; instance: string | null };
  tablePrefix: string;
  tasks: WatchTarget[];
  discover: DiscoveryRule[];
  webhooks: StaticWebhook[];
  apiTokens: string[];
  /** Tokens that authenticate POST /v1/hints (Alibaba Cloud events from EventBridge); empty turns the route off. */
  hintTokens: string[];
  allowPrivateWebhooks: string[];
  port: number;
  pollIntervalSeconds: number;
  pollBudgetSeconds: number | null;
  /** Terminal tasks, events, finished deliveries and attempts older than this are purged. */
  retentionDays: number;
  /** A "not found" or "invalid region" verdict stands only when two answers this far apart agree. */
  confirmSeconds: number;
  /** How long a run's lease lasts unless renewed: the longest a crashed run can hold up the next one. */
  leaseSeconds: number;
  /**
   * ECS calls per second per API and region this process makes at most (the pacer's ceiling): its share of the
   * deployment's budget, `ecsBudget` × TASKHOOK_ECS_SHARE % ÷ TASKHOOK_ECS_INSTANCES (see ecsShareOf).
   */
  ecsRate: number;
  /** TASKHOOK_ECS_RATE: the whole deployment's ECS calls per second per (account, region, API), shared by its processes. */
  ecsBudget: number;
  /** The most active tasks one run sweeps; a longer list is split into shards run as invocations of their own. */
  shardTasks: number;
  /** Seconds between passes over the hot tasks after a run's sweep; 0 turns hot tasks off. */
  hotIntervalSeconds: number;
  /** Seconds from a run's start that its hot-task passes may go on for (below the timer's period). */
  hotBudgetSeconds: number;
  /** Percent of the ECS rate each hot pass may spend re-polling the whole active list besides the hot tasks; 0 polls only hot tasks. */
  hotCoverPercent: number;
  /**
   * Per task action, how long after a success taskhook waits for the resource to be usable before the completion
   * goes out anyway (`ready: false`); 0 sends it at the task's finish, unchecked.
   */
  readyWaitSeconds: Record<string, number>;
  /** A running task whose progress has not moved for less than this is never reported stalled, whatever its history. */
  stallFloorSeconds: number;
  logLevel: LogLevel;
}

export type Runtime = 'fc' | 'local';

/**
 * ECS calls per second per API and region. ECS quotas are per account and shared with the console, Terraform and
 * other tools, so the default stays well below them; TASKHOOK_ECS_RATE raises it.
 */
export const DEFAULT_ECS_RATE = 20;
/**
 * How long a finished task's resource is waited for, by action: an imported image can stay `Creating` for a long
 * while, a resized disk shows `Modifying` for minutes, a redeployed instance restarts, an archive's category flips
 * late. ExportImage is absent: its OSS object has no ECS describe call.
 */
export const DEFAULT_READY_WAIT_SECONDS: Readonly<Record<string, number>> = {
  ImportImage: 3_600,
  ModifyDiskSpec: 1_800,
  RedeployInstance: 900,
  ArchiveSnapshot: 3_600,
};
/** No task counts as stalled for less than this (15 min): ECS moves TaskProcess in coarse steps. */
export const DEFAULT_STALL_FLOOR_SECONDS = 900;
/** What one run sweeps comfortably within a minute's budget at the default rate (see the benchmarks). */
export const DEFAULT_SHARD_TASKS = 100_000;

export const REGION_ID = /^[a-z]{2,}(-[a-z0-9]+)+$/;
export const TASK_ID = /^t-[A-Za-z0-9*]{4,64}$/;
const LOG_LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env, runtime: Runtime = 'local'): Config {
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };

  const accessKeyId = read('ALIBABA_CLOUD_ACCESS_KEY_ID');
  const accessKeySecret = read('ALIBABA_CLOUD_ACCESS_KEY_SECRET');
  if (Boolean(accessKeyId) !== Boolean(accessKeySecret)) {
    const missing = accessKeyId ? 'ALIBABA_CLOUD_ACCESS_KEY_SECRET' : 'ALIBABA_CLOUD_ACCESS_KEY_ID';
    throw new ConfigError(missing, 'is missing while its partner is set; set both or neither', missing.endsWith('ID') ? 'LTAI5t…' : '<secret>');
  }
  const securityToken = read('ALIBABA_CLOUD_SECURITY_TOKEN');

  return {
    credentials: accessKeyId && accessKeySecret ? { accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}) } : null,
    ecsEndpoint: parseUrl('TASKHOOK_ECS_ENDPOINT', read('TASKHOOK_ECS_ENDPOINT'), 'https://ecs.cn-hangzhou.aliyuncs.com'),
    store: parseStore(read('TASKHOOK_STORE') ?? (runtime === 'fc' ? 'tablestore' : 'sqlite:.taskhook/state.db')),
    ots: {
      endpoint: parseUrl('TASKHOOK_OTS_ENDPOINT', read('TASKHOOK_OTS_ENDPOINT'), 'https://my-instance.cn-hangzhou.ots.aliyuncs.com'),
      instance: read('TASKHOOK_OTS_INSTANCE') ?? null,
    },
    tablePrefix: parseTablePrefix(read('TASKHOOK_TABLE_PREFIX') ?? 'taskhook_'),
    tasks: parseTasks(read('TASKHOOK_TASKS')),
    discover: parseDiscover(read('TASKHOOK_DISCOVER')),
    webhooks: parseWebhooks(read('TASKHOOK_WEBHOOKS'), parseCidrs(read('TASKHOOK_ALLOW_PRIVATE_WEBHOOKS'))),
    apiTokens: parseTokens(read('TASKHOOK_API_TOKENS')),
    hintTokens: parseTokens(read('TASKHOOK_HINT_TOKENS'), 'TASKHOOK_HINT_TOKENS'),
    allowPrivateWebhooks: parseCidrs(read('TASKHOOK_ALLOW_PRIVATE_WEBHOOKS')),
    port: parseInteger('TASKHOOK_PORT', read('TASKHOOK_PORT'), 9000, 0, 65535, '9000'),
    pollIntervalSeconds: parseInteger('TASKHOOK_POLL_INTERVAL', read('TASKHOOK_POLL_INTERVAL'), 60, 1, 86_400, '60'),
    pollBudgetSeconds:
      read('TASKHOOK_POLL_BUDGET') === undefined ? null : parseInteger('TASKHOOK_POLL_BUDGET', read('TASKHOOK_POLL_BUDGET'), 0, 1, 86_400, '240'),
    retentionDays: parseInteger('TASKHOOK_RETENTION_DAYS', read('TASKHOOK_RETENTION_DAYS'), 30, 1, 3650, '30'),
    leaseSeconds: parseInteger('TASKHOOK_LEASE_SECONDS', read('TASKHOOK_LEASE_SECONDS'), 10, 1, 600, '10'),
    confirmSeconds: parseInteger('TASKHOOK_CONFIRM_SECONDS', read('TASKHOOK_CONFIRM_SECONDS'), 120, 0, 86_400, '120'),
    ...ecsShareOf(
      parseInteger('TASKHOOK_ECS_RATE', read('TASKHOOK_ECS_RATE'), DEFAULT_ECS_RATE, 1, 1_000, '20'),
      parseInteger('TASKHOOK_ECS_SHARE', read('TASKHOOK_ECS_SHARE'), 100, 1, 100, '75'),
      parseInteger('TASKHOOK_ECS_INSTANCES', read('TASKHOOK_ECS_INSTANCES'), 1, 1, 1_000, '2'),
    ),
    hotIntervalSeconds: parseInteger('TASKHOOK_HOT_INTERVAL', read('TASKHOOK_HOT_INTERVAL'), 5, 0, 300, '5'),
    hotBudgetSeconds: parseInteger('TASKHOOK_HOT_BUDGET', read('TASKHOOK_HOT_BUDGET'), 57, 0, 3_600, '57'),
    hotCoverPercent: parseInteger('TASKHOOK_HOT_COVER', read('TASKHOOK_HOT_COVER'), 50, 0, 100, '50'),
    readyWaitSeconds: parseReadyWait(read('TASKHOOK_READY_WAIT')),
    stallFloorSeconds: parseInteger('TASKHOOK_STALL_FLOOR', read('TASKHOOK_STALL_FLOOR'), DEFAULT_STALL_FLOOR_SECONDS, 1, 7 * 86_400, '900'),
    shardTasks: parseInteger('TASKHOOK_SHARD_TASKS', read('TASKHOOK_SHARD_TASKS'), DEFAULT_SHARD_TASKS, 100, 10_000_000, '100000'),
    logLevel: parseLogLevel(read('TASKHOOK_LOG_LEVEL')),
  };
}

/**
 * ECS counts its quota per account, region and API, whichever process calls. A deployment splits its budget by
 * rule, not by coordination: each function takes a percentage (the poller 75, the API 25 in s.yaml) and divides it
 * by the most instances FC runs of it at once (its reserved concurrency); the poller's shards split the poller's
 * share again. One process (the local runtime) keeps the whole budget.
 */
export function ecsShareOf(budget: number, sharePercent: number, instances: number): { ecsRate: number; ecsBudget: number } {
  return { ecsBudget: budget, ecsRate: Math.max(1, Math.floor((budget * sharePercent) / 100 / instances)) };
}

/** The store settings the Tablestore adapter cannot work without, checked where the adapter is built. */
export function requireOts(config: Config): { endpoint: string; instance: string } {
  if (!config.ots.instance) throw new ConfigError('TASKHOOK_OTS_INSTANCE', 'is required when TASKHOOK_STORE=tablestore', 'my-instance');
  if (!config.ots.endpoint)
    throw new ConfigError('TASKHOOK_OTS_ENDPOINT', 'is required when TASKHOOK_STORE=tablestore', 'https://my-instance.cn-hangzhou.ots.aliyuncs.com');
  return { endpoint: config.ots.endpoint, instance: config.ots.instance };
}

function parseStore(value: string): StoreConfig {
  if (value === 'memory') return { kind: 'memory' };
  if (value === 'tablestore') return { kind: 'tablestore' };
  if (value.startsWith('sqlite:') && value.length > 'sqlite:'.length) return { kind: 'sqlite', path: value.slice('sqlite:'.length) };
  throw new ConfigError('TASKHOOK_STORE', `"${value}" is not a store; use sqlite:<path>, tablestore or memory`, 'sqlite:.taskhook/state.db');
}

function parseUrl(name: string, value: string | undefined, example: string): string | null {
  if (value === undefined) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `"${value}" is not a URL`, example);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(name, `"${value}" must start with http:// or https://`, example);
  if (url.username || url.password) throw new ConfigError(name, 'must not carry credentials in the URL', example);
  return value.replace(/\/+$/, '');
}

function parseTablePrefix(value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(value))
    throw new ConfigError('TASKHOOK_TABLE_PREFIX', `"${value}" may hold only letters, digits and _`, 'taskhook_');
  return value;
}

function parseTasks(value: string | undefined): WatchTarget[] {
  if (!value) return [];
  return splitList(value).map((entry) => {
    const [regionId, taskId, extra] = entry.split('/');
    if (extra !== undefined || !regionId || !taskId)
      throw new ConfigError('TASKHOOK_TASKS', `"${entry}" is not region/taskId`, 'cn-hangzhou/t-bp1abc,cn-beijing/t-2ze9xyz');
    checkRegion('TASKHOOK_TASKS', regionId, 'cn-hangzhou/t-bp1abc');
    if (!TASK_ID.test(taskId))
      throw new ConfigError('TASKHOOK_TASKS', `"${taskId}" is not a task id (t- followed by letters and digits)`, 'cn-hangzhou/t-bp1abc');
    return { regionId, taskId };
  });
}

function parseDiscover(value: string | undefined): DiscoveryRule[] {
  if (!value) return [];
  const example = 'cn-hangzhou:ImportImage,ExportImage;cn-beijing:*';
  return value
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [regionId, actions = '*'] = part.split(':').map((s) => s.trim());
      checkRegion('TASKHOOK_DISCOVER', regionId, example);
      const list = actions === '*' || actions === '' ? [] : splitList(actions);
      for (const action of list) {
        if (!/^[A-Za-z_]+$/.test(action)) throw new ConfigError('TASKHOOK_DISCOVER', `"${action}" is not a task action`, example);
      }
      return { regionId, actions: list };
    });
}

/** The registration check without its DNS part (syncStaticWebhooks runs that): a blocked entry stops start-up. */
function parseWebhooks(value: string | undefined, allowPrivate: string[]): StaticWebhook[] {
  if (!value) return [];
  const example = `'[{"url":"https://example.com/hook","secret":"whsec_…","events":["ecs.task.succeeded"]}]'`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError('TASKHOOK_WEBHOOKS', 'is not valid JSON', example);
  }
  if (!Array.isArray(parsed)) throw new ConfigError('TASKHOOK_WEBHOOKS', 'must be a JSON list of webhooks', example);
  return parsed.map((item, i) => {
    const hook = item as Partial<StaticWebhook>;
    if (!hook || typeof hook.url !== 'string') throw new ConfigError('TASKHOOK_WEBHOOKS', `entry ${i} has no "url"`, example);
    const url = checkWebhookUrlOffline(hook.url, { allowPrivate });
    if (!url.ok) throw new ConfigError('TASKHOOK_WEBHOOKS', `entry ${i}: ${describeUrlProblem(hook.url, url, { allowPrivate })}`, example);
    if (typeof hook.secret !== 'string' || !/^whsec_[A-Za-z0-9+/=]{32,}$/.test(hook.secret)) {
      throw new ConfigError('TASKHOOK_WEBHOOKS', `entry ${i} needs a "secret" of the form whsec_<base64 of 24–64 random bytes>`, example);
    }
    if (hook.events !== undefined && (!Array.isArray(hook.events) || hook.events.some((e) => typeof e !== 'string'))) {
      throw new ConfigError('TASKHOOK_WEBHOOKS', `entry ${i} "events" must be a list of event types`, example);
    }
    return { url: hook.url, secret: hook.secret, events: hook.events, filter: hook.filter, description: hook.description };
  });
}

/** `ImportImage:3600,ModifyDiskSpec:600` (or `*:600` for all) over the defaults; 0 turns the wait off for that action. */
function parseReadyWait(value: string | undefined): Record<string, number> {
  const waits = { ...DEFAULT_READY_WAIT_SECONDS };
  if (!value) return waits;
  const example = 'ImportImage:3600,ModifyDiskSpec:1800';
  for (const entry of splitList(value)) {
    const [action, seconds, extra] = entry.split(':').map((s) => s.trim());
    if (extra !== undefined || !action || seconds === undefined) throw new ConfigError('TASKHOOK_READY_WAIT', `"${entry}" is not action:seconds`, example);
    if (action !== '*' && !Object.hasOwn(DEFAULT_READY_WAIT_SECONDS, action)) {
      const known = Object.keys(DEFAULT_READY_WAIT_SECONDS).join(', ');
      throw new ConfigError('TASKHOOK_READY_WAIT', `"${action}" has no resource taskhook can check; use one of ${known} or *`, example);
    }
    const n = parseInteger('TASKHOOK_READY_WAIT', seconds, 0, 0, 7 * 86_400, example);
    for (const key of action === '*' ? Object.keys(waits) : [action]) waits[key] = n;
  }
  return waits;
}

function parseTokens(value: string | undefined, name = 'TASKHOOK_API_TOKENS'): string[] {
  if (!value) return [];
  const tokens = splitList(value);
  for (const token of tokens) {
    if (token.length < 16) throw new ConfigError(name, 'every token must be at least 16 characters long', 'tok_3f9a…,tok_77c1…');
  }
  return tokens;
}

function parseCidrs(value: string | undefined): string[] {
  if (!value) return [];
  try {
    return parseCidrList(value);
  } catch (error) {
    throw new ConfigError('TASKHOOK_ALLOW_PRIVATE_WEBHOOKS', (error as Error).message, '127.0.0.1/32,::1/128');
  }
}

function parseInteger(name: string, value: string | undefined, fallback: number, min: number, max: number, example: string): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(name, `"${value}" is not a whole number`, example);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(name, `${n} is outside ${min}–${max}`, example);
  return n;
}

function parseLogLevel(value: string | undefined): LogLevel {
  if (value === undefined) return 'info';
  if (!LOG_LEVELS.includes(value as LogLevel)) throw new ConfigError('TASKHOOK_LOG_LEVEL', `"${value}" is not one of ${LOG_LEVELS.join(', ')}`, 'info');
  return value as LogLevel;
}

function checkRegion(name: string, regionId: string | undefined, example: string): asserts regionId is string {
  if (!regionId || !REGION_ID.test(regionId)) throw new ConfigError(name, `"${regionId ?? ''}" is not a region id`, example);
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
