/** The doctor's checks, each a small function of the dependencies answering pass, warn, fail or skip with what to do. */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import { BLOCKING_CLASSES, classifyEcsError, describeSkew, explainBlocking } from '../ecs/error-class.js';
import { ConfigError, EcsError, StoreError } from '../errors.js';
import {
  addressesWithoutDns,
  checkResolvedAddresses,
  checkWebhookUrlOffline,
  defaultResolver,
  isAddressAllowed,
  parseHostAsIp,
  type UrlProblem,
} from '../net/address-policy.js';
import { ACTIVE_COUNT_MARK } from '../poll/shards.js';
import { scrub } from '../scrub.js';
import { staticWebhookId } from '../webhooks/registry.js';
import { ACTIONTRAIL_RULE, IMAGE_RULE } from './hint-rules.js';
import type { CheckOutcome, CheckSubject, DoctorContext } from './types.js';

const pass = (detail: string): CheckOutcome => ({ status: 'pass', detail, fix: null });
const warn = (detail: string, fix: string): CheckOutcome => ({ status: 'warn', detail, fix });
const fail = (detail: string, fix: string): CheckOutcome => ({ status: 'fail', detail, fix });
const skip = (detail: string, fix: string | null = null): CheckOutcome => ({ status: 'skip', detail, fix });

const messageOf = (error: unknown) => scrub(error instanceof Error ? error.message : String(error));
const iso = (ms: number) => new Date(ms).toISOString();

// ---- credentials and account --------------------------------------------------------------------------------

export async function credentialsCheck(ctx: DoctorContext): Promise<CheckOutcome> {
  const credentials = ctx.credentials();
  if (!credentials) {
    return fail(
      'no Alibaba Cloud credentials: ECS and Tablestore cannot be called',
      ctx.runtime === 'fc'
        ? 'give the functions a RAM role (s.yaml `role`, TASKHOOK_FC_ROLE at deploy): FC hands its credentials to every invocation'
        : 'set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (a RAM user allowed ecs:DescribeTasks and ecs:DescribeTaskAttribute), or run this in the folder where `npm start` runs its demo',
    );
  }
  const kind = credentials.securityToken ? 'STS credentials (with a security token)' : 'a long-term AccessKey';
  return pass(`${kind} from ${ctx.credentialsFrom ?? 'the configuration'}; the ECS and store checks below show whether they are accepted`);
}

export async function accountCheck(ctx: DoctorContext): Promise<CheckOutcome> {
  if (ctx.accountId) return pass(`account ${ctx.accountId.id} (from ${ctx.accountId.from})`);
  if (ctx.runtime === 'fc') {
    return warn(
      'no account id: FC_ACCOUNT_ID is not set and the invocation context does not carry one, so hints of other accounts are not told apart and shards have no target',
      'FC sets FC_ACCOUNT_ID in every function; if it is missing, redeploy with `s deploy` and check the function in the FC console',
    );
  }
  return skip(
    'no account id known (FC_ACCOUNT_ID, ALIBABA_CLOUD_ACCOUNT_ID); none is needed here: hints are not filtered by account and shards run in-process',
    'set ALIBABA_CLOUD_ACCOUNT_ID to your account id for `taskhook invoke`; on FC the functions read it from FC itself',
  );
}

// ---- ECS ----------------------------------------------------------------------------------------------------

/** A task id of ECS's form that no task has: InvalidTaskId.NotFound for it shows the call was authorised and reached the API. */
export const PROBE_TASK_ID = 't-taskhookdoctor000000';
/** DescribeTasks over the last minute only: the smallest question the adapter asks (it asks in pages of 100). */
export const DESCRIBE_TASKS_WINDOW_MS = 60_000;

/** Every region the configuration polls: the watched tasks' and the discovered ones, sorted. */
export function regionsOf(config: Config): string[] {
  return [...new Set([...config.tasks.map((t) => t.regionId), ...config.discover.map((d) => d.regionId)])].sort();
}

const ecsHost = (config: Config, regionId: string) => (config.ecsEndpoint ? new URL(config.ecsEndpoint).host : `ecs.${regionId}.aliyuncs.com`);

/** The skew the last answer of this call carried, for the clock line of a refused timestamp. */
const skewOf = (ctx: DoctorContext, action: string, regionId: string) =>
  [...ctx.calls].reverse().find((c) => c.action === action && c.regionId === regionId && c.skewMs !== undefined)?.skewMs ?? null;

/** A refused or failed ECS call as a check's verdict: the cause and fix of src/ecs/error-class.ts for everything that stops polling. */
export function ecsFailure(ctx: DoctorContext, error: unknown, action: string, regionId: string): CheckOutcome {
  if (!(error instanceof EcsError))
    return fail(`${action} in ${regionId} failed: ${messageOf(error)}`, 'run the doctor again; if it persists, report this line');
  const request = error.requestId ? ` (request ${error.requestId})` : '';
  const cls = classifyEcsError(error);
  if (BLOCKING_CLASSES.has(cls)) {
    const { cause, fix } = explainBlocking(error, cls, { action, regionId, skewMs: skewOf(ctx, action, regionId) });
    return fail(`${cause}${request}`, fix);
  }
  if (cls === 'region')
    return fail(
      `ECS does not know the region ${regionId} (${error.code})${request}`,
      `correct or remove ${regionId} in TASKHOOK_TASKS and TASKHOOK_DISCOVER (region ids look like cn-hangzhou)`,
    );
  if (error.throttled)
    return warn(
      `ECS throttled ${action} in ${regionId} (${error.code}), so whether it is allowed did not show`,
      'run the doctor again in a minute; if the poller is throttled too, lower TASKHOOK_ECS_RATE',
    );
  if (cls === 'transient')
    return fail(
      `${action} in ${regionId} got no usable answer from ${ecsHost(ctx.config, regionId)}: ${error.code}: ${scrub(error.message)}${request}`,
      'check that this host reaches the ECS endpoint (TASKHOOK_ECS_ENDPOINT, proxy, firewall), then run the doctor again',
    );
  return fail(
    `ECS answered ${action} in ${regionId} with ${error.code}: ${scrub(error.message)}${request}`,
    'an answer the doctor does not know: check TASKHOOK_ECS_ENDPOINT, and report it with the request id if it persists',
  );
}

export async function describeTasksCheck(ctx: DoctorContext, regionId: string): Promise<CheckOutcome> {
  const end = ctx.now();
  try {
    const tasks = await ctx.ecs.describeTasks(regionId, { startTime: iso(end - DESCRIBE_TASKS_WINDOW_MS), endTime: iso(end) });
    return pass(`allowed: ECS answered DescribeTasks in ${regionId} (${tasks.length} task${tasks.length === 1 ? '' : 's'} created in the last minute)`);
  } catch (error) {
    return ecsFailure(ctx, error, 'DescribeTasks', regionId);
  }
}

export async function describeTaskAttributeCheck(ctx: DoctorContext, regionId: string): Promise<CheckOutcome> {
  try {
    await ctx.ecs.describeTaskAttribute(regionId, PROBE_TASK_ID);
    return pass(`allowed: ECS answered DescribeTaskAttribute in ${regionId}`);
  } catch (error) {
    if (error instanceof EcsError && classifyEcsError(error) === 'task')
      return pass(`allowed: ECS answered ${error.code} for a made-up task id in ${regionId}, so the call was authorised and reached the API`);
    return ecsFailure(ctx, error, 'DescribeTaskAttribute', regionId);
  }
}

export const noRegion = (): CheckOutcome =>
  warn(
    'no region is polled (TASKHOOK_TASKS and TASKHOOK_DISCOVER are empty), so no ECS call was tried',
    "set TASKHOOK_DISCOVER (e.g. 'cn-hangzhou:ImportImage,ExportImage') or TASKHOOK_TASKS (e.g. cn-hangzhou/t-bp1abc), then run the doctor again",
  );

/** ECS refuses requests 15 minutes off its clock (src/ecs/simulator/signature.ts, TIMESTAMP_TOLERANCE_MS, cites the gateway). */
export const SKEW_FAIL_MS = 15 * 60_000;
/** Far enough from the limit to fix calmly, far above network delay. */
export const SKEW_WARN_MS = 2 * 60_000;
const SYNC_CLOCK = "sync this host's clock (e.g. enable NTP: timedatectl set-ntp true): ECS refuses requests 15 minutes off its own time";

export async function clockCheck(ctx: DoctorContext): Promise<CheckOutcome> {
  const skews = ctx.calls.flatMap((c) => (c.skewMs === undefined ? [] : [c.skewMs]));
  if (skews.length === 0)
    return skip(
      ctx.calls.length === 0
        ? 'no ECS call was made (no region is polled), so there was no ECS clock to compare with'
        : 'no ECS answer carried a Date header, so the clocks could not be compared',
    );
  const worst = skews.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a));
  const abs = Math.abs(worst);
  if (abs >= SKEW_FAIL_MS) return fail(`this host's clock is ${describeSkew(worst)}: ECS refuses every request`, SYNC_CLOCK);
  if (abs >= SKEW_WARN_MS) return warn(`this host's clock is ${describeSkew(worst)}; ECS refuses requests once it is 15 min off`, SYNC_CLOCK);
  return pass(`this host's clock is ${abs < 1_000 ? 'within a second of ECS' : describeSkew(worst)}`);
}

// ---- store --------------------------------------------------------------------------------------------------

/** One mark, written, read and removed by every doctor run: never more than one row of it exists. */
export const PROBE_MARK = 'doctor/probe';

const storeName = (config: Config) =>
  config.store.kind === 'sqlite' ? `the SQLite file ${config.store.path}` : config.store.kind === 'tablestore' ? 'the Tablestore store' : 'the memory store';

/** What to do about a store failure, by the store's own code; `action` is the Tablestore action a refusal is about. */
function storeFix(config: Config, error: unknown, action = 'ots:GetRow, ots:PutRow and ots:DeleteRow'): string {
  const code = error instanceof StoreError ? error.code : ((error as NodeJS.ErrnoException)?.code ?? '');
  if (config.store.kind === 'sqlite')
    return `check that ${config.store.path} and its folder exist and are writable by this user, or set TASKHOOK_STORE=sqlite:<a writable path>`;
  if (code === 'NetworkingError' || code === 'RequestTimeout')
    return 'check TASKHOOK_OTS_ENDPOINT and that this host reaches it (a VPC endpoint answers only inside its VPC)';
  if (code === 'OTSObjectNotExist')
    return 'create the tables: `taskhook tables init` as an administrator, with the deployment’s TASKHOOK_OTS_* and TASKHOOK_TABLE_PREFIX';
  if (code === 'MissingCredentials') return 'set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or give the function a role';
  if (/Auth|Permission|Denied|HTTP40[13]/i.test(code))
    return `check the credentials and TASKHOOK_OTS_INSTANCE, and allow the role or user ${action} on acs:ots:<region>:<account-id>:instance/${(config.ots.instance ?? '<instance>').toLowerCase()}/table/${config.tablePrefix}* (README, Deployment step 2)`;
  if (error instanceof ConfigError) return 'set the variable it names (README, Configuration)';
  return 'run the doctor again; if it persists, look the instance up in the Tablestore console';
}

export async function storeTablesCheck(ctx: DoctorContext): Promise<CheckOutcome> {
  const { config } = ctx;
  if (ctx.store instanceof Error) return fail(`${storeName(config)} could not be opened: ${messageOf(ctx.store)}`, storeFix(config, ctx.store));
  if (config.store.kind === 'memory')
    return warn(
      'TASKHOOK_STORE=memory: watched tasks, events and deliveries are lost when the process ends',
      'set TASKHOOK_STORE=sqlite:.taskhook/state.db (locally) or tablestore (on FC)',
    );
  const where = ctx.storeProbe?.where ?? storeName(config);
  if (!ctx.storeProbe?.tables) return pass(`${where} is open; it creates and migrates its tables when it opens`);
  try {
    const { expected, missing } = await ctx.storeProbe.tables();
    if (missing.length > 0)
      return fail(
        `${missing.length} of the ${expected.length} tables the store uses do not exist on ${where}: ${missing.join(', ')}`,
        `create them: \`taskhook tables init\` as an administrator, with TASKHOOK_OTS_ENDPOINT, TASKHOOK_OTS_INSTANCE and TASKHOOK_TABLE_PREFIX=${config.tablePrefix} as deployed (README, Deployment step 1)`,
      );
    return pass(`all ${expected.length} tables the store uses exist on ${where} (prefix ${config.tablePrefix})`);
  } catch (error) {
    return fail(`the tables of ${where} could not be read: ${messageOf(error)}`, storeFix(config, error, 'ots:GetRow'));
  }
}

const OTS_ACTION = { write: 'ots:PutRow', read: 'ots:GetRow' } as const;

export async function storeProbeCheck(ctx: DoctorContext): Promise<CheckOutcome> {
  const { config, store } = ctx;
  if (store instanceof Error) return skip('not tried: the store could not be opened (see store.tables)');
  const table = config.store.kind === 'tablestore' ? `${config.tablePrefix}marks` : 'marks';
  const value = `probe-${randomUUID()}`;
  let step: keyof typeof OTS_ACTION = 'write';
  try {
    await store.setMark(PROBE_MARK, value, iso(ctx.now()));
    step = 'read';
    const read = await store.getMark(PROBE_MARK);
    if (read !== value)
      return fail(
        `a probe mark written to ${table} read back as ${read === null ? 'nothing' : 'another value (or another doctor ran at the same moment)'}`,
        `run the doctor again; if it persists, ${storeFix(config, null)}`,
      );
    step = 'write';
    // An empty mark is a cleared one, as the poller clears its own: one row, reused by every doctor run.
    await store.setMark(PROBE_MARK, '', iso(ctx.now()));
    return pass(`a probe mark was written to and read from ${table}, then cleared`);
  } catch (error) {
    return fail(`the probe mark's ${step} in ${table} failed: ${messageOf(error)}`, storeFix(config, error, OTS_ACTION[step]));
  }
}

// ---- webhooks -----------------------------------------------------------------------------------------------

/** Every webhook the poller sends to: the registered ones and any in TASKHOOK_WEBHOOKS not synced into the store yet. */
export async function webhooksOf(ctx: DoctorContext): Promise<CheckSubject[]> {
  const stored = ctx.store instanceof Error ? [] : await ctx.store.listWebhooks();
  const seen = new Set(stored.map((w) => w.id));
  const configured = ctx.config.webhooks.filter((w) => !seen.has(staticWebhookId(w.url))).map((w) => ({ label: staticWebhookId(w.url), value: w.url }));
  return [...stored.map((w) => ({ label: w.id, value: w.url })), ...configured];
}

/** Scheme, host and port only: a path or query may carry a receiver's token. */
function shownUrl(url: string): string {
  try {
    const { protocol, host } = new URL(url);
    return `${protocol}//${host}/`;
  } catch {
    return 'a URL that does not parse';
  }
}

function webhookFix(problem: UrlProblem): string {
  switch (problem.code) {
    case 'InvalidWebhookUrl.BlockedAddress':
      return 'point the webhook at a publicly reachable https:// address, or, if the receiver is yours on a private network, add its address to TASKHOOK_ALLOW_PRIVATE_WEBHOOKS (e.g. 10.0.0.5/32)';
    case 'InvalidWebhookUrl.Unresolvable':
      return "check the host's DNS records from where the poller runs, or replace the webhook (taskhook webhooks remove / add)";
    case 'InvalidWebhookUrl.Scheme':
      return 'use an https:// URL (plain http only for addresses in TASKHOOK_ALLOW_PRIVATE_WEBHOOKS)';
    default:
      return 'replace the webhook with a full https:// URL without userinfo (taskhook webhooks remove / add)';
  }
}

/** The SSRF policy exactly as the webhook client applies it on connect: the host resolved, every address judged; nothing is sent. */
export async function webhookCheck(ctx: DoctorContext, url: string): Promise<CheckOutcome> {
  const policy = ctx.webhookPolicy;
  const shown = shownUrl(url);
  const offline = checkWebhookUrlOffline(url, policy);
  if (!offline.ok) return fail(`${shown}: ${offline.message}`, webhookFix(offline));
  const { hostname, protocol } = offline.url;
  let addresses = addressesWithoutDns(hostname);
  if (addresses === null) {
    try {
      addresses = await (ctx.resolve ?? defaultResolver)(hostname);
    } catch {
      addresses = [];
    }
  }
  const verdict = checkResolvedAddresses(hostname, addresses, protocol, policy);
  if (!verdict.ok) return fail(`${shown}: ${verdict.message}`, webhookFix(verdict));
  const privately = verdict.addresses.some((ip) => !isAddressAllowed(ip, { allowPrivate: [] }).allowed);
  const literal = parseHostAsIp(hostname) !== null;
  return pass(
    `${shown}${literal ? '' : ` resolves to ${verdict.addresses.join(', ')}`}: allowed${privately ? ' (inside TASKHOOK_ALLOW_PRIVATE_WEBHOOKS)' : ''}; nothing was sent`,
  );
}

export const noWebhook = (): CheckOutcome =>
  warn(
    'no webhook is registered: events are recorded but sent nowhere',
    'add one: `taskhook webhooks add --url https://…`, POST /v1/webhooks, or TASKHOOK_WEBHOOKS',
  );

// ---- shards -------------------------------------------------------------------------------------------------

const INVOKE_POLICY = (ctx: DoctorContext) =>
  `make sure the functions' role may fc:InvokeFunction on acs:fc:<region>:${ctx.accountId?.id ?? '<account-id>'}:functions/taskhook-poller, or on "*" (README, Deployment step 2); a refused hand-off is logged by the poller as AccessDenied … lacks fc:InvokeFunction and planned again by the next run`;

/** Whether the list is long enough to split now, from the count the last coordinating run left. */
async function shardNeed(ctx: DoctorContext): Promise<string> {
  if (ctx.store instanceof Error) return '';
  const last = Number(await ctx.store.getMark(ACTIVE_COUNT_MARK));
  const limit = ctx.config.shardTasks;
  if (!Number.isFinite(last) || last <= 0) return ` Shards start above ${limit} active tasks (TASKHOOK_SHARD_TASKS).`;
  return ` The last run counted ${last} active tasks; shards start above ${limit} (TASKHOOK_SHARD_TASKS).`;
}

/** The newest run in the log that split the list: its hand-offs are the evidence FC gave (it has no dry run). */
async function lastHandOff(ctx: DoctorContext): Promise<{ at: string; handed: number; failures: Array<{ shard: string; error: string }> } | null> {
  if (ctx.store instanceof Error) return null;
  const { items } = await ctx.store.listRuns({ limit: 50 });
  for (const run of items) {
    const summary = run.summary as { shards?: number; shardFailures?: Array<{ shard: string; error: string }> };
    if ((summary.shards ?? 0) > 0 || summary.shardFailures?.length)
      return { at: run.startedAt, handed: summary.shards ?? 0, failures: summary.shardFailures ?? [] };
  }
  return null;
}

/**
 * FC has no dry run, and an invoker's only call starts a poll run: what the last run that split the list was told
 * by FC is the evidence, read from the run log; without one, skipped with the policy to have.
 */
export async function shardsCheck(ctx: DoctorContext): Promise<CheckOutcome> {
  const need = await shardNeed(ctx);
  const last = ctx.shards === 'in-process' ? null : await lastHandOff(ctx);
  if (last?.failures.length)
    return fail(`the run of ${last.at} could not hand off ${last.failures.length} shard(s): ${last.failures[0].error}`, INVOKE_POLICY(ctx));
  if (last) return pass(`the run of ${last.at} handed ${last.handed} shard(s) to asynchronous invocations of the poller`);
  switch (ctx.shards) {
    case 'in-process':
      return skip(`nothing to allow: here a shard runs as a poll inside this process.${need}`);
    case 'function-compute':
      return skip(
        `not checkable from here: the poller hands each extra shard to an asynchronous invocation of itself with the functions' role, FC has no dry run, and taskhook-api invokes no function.${need}`,
        INVOKE_POLICY(ctx),
      );
    case 'elsewhere':
      return skip(
        `not checkable from here: on Function Compute the poller invokes itself with its role, not with these credentials, and FC has no dry run.${need}`,
        INVOKE_POLICY(ctx),
      );
  }
}

// ---- hints --------------------------------------------------------------------------------------------------

/** 24 random bytes in hex (docs/hints.md) are 48 characters; below 32 a token is more likely typed than generated. */
export const HINT_TOKEN_MIN_CHARS = 32;
const HINTS_ON = 'set TASKHOOK_HINT_TOKENS=$(openssl rand -hex 24) on taskhook-api and add the EventBridge rules (docs/hints.md)';

export async function hintTokensCheck(ctx: DoctorContext): Promise<CheckOutcome> {
  const { hintTokens, apiTokens } = ctx.config;
  if (hintTokens.length === 0)
    return skip(
      'hints are off: TASKHOOK_HINT_TOKENS is not set, so POST /v1/hints answers 404 and the sweep finds every completion',
      `optional, for completions seconds sooner: ${HINTS_ON}`,
    );
  const short = hintTokens.filter((t) => t.length < HINT_TOKEN_MIN_CHARS).length;
  if (short > 0)
    return warn(
      `${short} of ${hintTokens.length} hint token${hintTokens.length === 1 ? ' is' : 's are'} shorter than ${HINT_TOKEN_MIN_CHARS} characters; a token sits in EventBridge's target URL or header`,
      'replace it with `openssl rand -hex 24` (48 characters) in TASKHOOK_HINT_TOKENS and in the EventBridge target, then redeploy',
    );
  if (hintTokens.some((t) => apiTokens.includes(t)))
    return warn(
      'a hint token is also an API token: whoever reads the EventBridge target can then use the whole API',
      'give TASKHOOK_HINT_TOKENS and TASKHOOK_API_TOKENS different tokens',
    );
  return pass(`${hintTokens.length} hint token${hintTokens.length === 1 ? '' : 's'} set, ${HINT_TOKEN_MIN_CHARS}+ characters each`);
}

/** taskhook holds no EventBridge permission, so the rules are described, not read. */
export async function hintRuleCheck(ctx: DoctorContext): Promise<CheckOutcome> {
  if (ctx.config.hintTokens.length === 0) return skip('hints are off, so no EventBridge rule is needed');
  const regions = regionsOf(ctx.config);
  return skip(
    `not checked (the role may not read EventBridge rules). On the default bus of ${regions.length ? regions.join(', ') : 'each region you poll'}: ActionTrail rule pattern ${JSON.stringify(ACTIONTRAIL_RULE)}; image rule pattern ${JSON.stringify(IMAGE_RULE)}`,
    'create or compare both rules in the EventBridge console (Event Buses → default → Event Rules) with the target POST https://<taskhook-api trigger>/v1/hints and the header x-taskhook-hint-token (docs/hints.md, steps 2 and 3)',
  );
}
