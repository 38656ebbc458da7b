/** GET /v1/doctor: the checks of `taskhook doctor`, run by this function with its own credentials, store and clock. */
import type { z } from 'zod';
import { runDoctor, type DoctorDeps, type DoctorReport, type ShardHandOff, type StoreProbe } from '../../doctor/index.js';
import { tablestoreProbe } from '../../doctor/tablestore-probe.js';
import type { Credentials } from '../../config.js';
import type { AppDeps } from '../../runtime.js';
import { doctorReport } from '../../schema/api/doctor.js';
import { json } from '../request.js';
import type { ApiContext, ApiEvent, ApiRoute } from '../route.js';
import { defineRoute } from '../validate.js';

/** What FC's invocation context carries beside Lambda's fields; the local server passes none of it. */
interface FcContextParts {
  accountId?: string;
  credentials?: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string };
}

/** The role's credentials when FC handed a complete set with this invocation. */
function roleOf(context: FcContextParts | undefined): Credentials | null {
  const c = context?.credentials;
  if (!c?.accessKeyId || !c.accessKeySecret) return null;
  return { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, ...(c.securityToken ? { securityToken: c.securityToken } : {}) };
}

/** The doctor's view of this function: on FC the role and account of the invocation, locally the configuration. */
export function doctorDepsOf(deps: AppDeps, context: ApiContext | undefined): DoctorDeps {
  const fc = context as FcContextParts | undefined;
  const role = roleOf(fc);
  const onFc = role !== null || Boolean(fc?.accountId) || Boolean(deps.accountId);
  const { config } = deps;
  const credentials = () => role ?? config.credentials;
  const accountId = deps.accountId ?? fc?.accountId;
  const storeProbe: StoreProbe | undefined = config.store.kind === 'tablestore' ? tablestoreProbe(config, credentials) : undefined;
  const shards: ShardHandOff = onFc ? 'function-compute' : 'in-process';
  return {
    config,
    runtime: onFc ? 'fc' : 'local',
    credentialsFrom: role
      ? 'the function role (FC invocation context)'
      : config.credentials
        ? `this process's configuration (ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or the demo's own key)${config.ecsEndpoint ? `, ECS at ${new URL(config.ecsEndpoint).host}` : ''}`
        : null,
    credentials,
    accountId: accountId ? { id: accountId, from: 'the FC invocation context' } : null,
    ecsFor: (onCall) => deps.ecsFor(onCall),
    store: deps.store,
    storeProbe,
    webhookPolicy: deps.webhookPolicy,
    shards,
    now: deps.now,
  };
}

/** defineRoute hands its handler the event only; the FC context reaches it through this. */
const contexts = new WeakMap<ApiEvent, ApiContext>();

const route = defineRoute({
  method: 'GET',
  path: '/v1/doctor',
  schema: {
    operationId: 'doctor',
    summary: 'Check the deployment',
    description:
      'What `taskhook doctor` checks, as this function sees it: credentials and account, DescribeTasks and DescribeTaskAttribute in every polled region (one tiny call each), the clock against ECS, the store’s tables and a probe mark, each webhook’s address against the SSRF policy (resolved, not called), the shard invocation permission and the hint settings. Always 200; `ok` is false when a check failed. Each call makes a few ECS and store calls: run it after a deploy or a change, not on a timer.',
    tag: 'System',
    responses: { 200: { description: 'Every check, in order', body: doctorReport } },
  },
  handler: async (event) => {
    const { deps } = event;
    const doctor = doctorDepsOf(deps, contexts.get(event));
    try {
      return json(200, await runDoctor(doctor));
    } finally {
      doctor.storeProbe?.close?.();
    }
  },
});

export const doctorRoutes: ApiRoute[] = [
  {
    ...route,
    handler: async (event, context) => {
      if (context) contexts.set(event, context);
      return route.handler(event, context);
    },
  },
];

/** Every report the doctor makes fits the schema the API documents it with. */
type Assert<T extends true> = T;
type _ReportFits = Assert<DoctorReport extends z.output<typeof doctorReport> ? true : false>;
