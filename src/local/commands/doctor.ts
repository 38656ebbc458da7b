/** `taskhook doctor`: the deployment's checks with the real SDKs, one line each with what to do; exit 1 when one fails. */
import { EcsError } from '../../errors.js';
import { runDoctor, type CheckResult, type CheckStatus, type DoctorReport } from '../../doctor/index.js';
import { tablestoreProbe } from '../../doctor/tablestore-probe.js';
import { createPopEcsApi } from '../../ecs/pop-client.js';
import { openStore } from '../../store/open.js';
import type { StateStore } from '../../store/port.js';
import { configOf, EXIT, instanceOf, type Io } from '../cli-context.js';
import { colorsFor, type Colors } from '../colors.js';
import { instanceApi } from '../instance-api.js';

/** Seconds, not the poller's 15 s of retries, before a check says what failed. */
const ECS_RETRY = { baseDelayMs: 200, maxDelayMs: 1_000, budgetMs: 5_000, maxAttempts: 3 };
const ECS_DEADLINE_MS = 20_000;
const ACCOUNT_ID = /^\d{1,20}$/;

/** Which setting the credentials in force came from, in words; null without any. */
function credentialsFrom(io: Io, hasCredentials: boolean): string | null {
  if (io.env.ALIBABA_CLOUD_ACCESS_KEY_ID?.trim())
    return `environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET${io.env.ALIBABA_CLOUD_SECURITY_TOKEN?.trim() ? ', ALIBABA_CLOUD_SECURITY_TOKEN' : ''})`;
  return hasCredentials ? 'the configuration' : null;
}

function accountIdOf(io: Io): { id: string; from: string } | null {
  for (const name of ['FC_ACCOUNT_ID', 'ALIBABA_CLOUD_ACCOUNT_ID']) {
    const value = io.env[name]?.trim();
    if (value && ACCOUNT_ID.test(value)) return { id: value, from: name };
  }
  return null;
}

const LABELS: Record<CheckStatus, (c: Colors) => string> = {
  pass: (c) => c.green('PASS'),
  warn: (c) => c.yellow('WARN'),
  fail: (c) => c.red('FAIL'),
  skip: (c) => c.dim('SKIP'),
};

/** One line per check: status, name, what was found and, unless it passed, what to do. */
export function checkLine(check: CheckResult, colors: Colors, nameWidth: number): string {
  const fix = check.fix && check.status !== 'pass' ? `  ${colors.bold('fix:')} ${check.fix}` : '';
  return `${LABELS[check.status](colors)}  ${check.name.padEnd(nameWidth)}  ${check.detail}${fix}`;
}

export function summaryLine(report: DoctorReport): string {
  const count = (status: CheckStatus) => report.checks.filter((c) => c.status === status).length;
  const parts = [`${count('fail')} failed`, `${count('warn')} warned`, `${count('pass')} passed`, `${count('skip')} skipped`];
  return `${report.ok ? 'doctor: no check failed' : 'doctor: some checks failed'} (${parts.join(', ')})`;
}

export async function doctorCommand(io: Io, options: { json?: boolean }): Promise<number> {
  const report = runsHere(io) ? await checkHere(io) : await checkInstance(io);
  if (options.json) io.out(JSON.stringify(report));
  else {
    const colors = colorsFor(io);
    const width = Math.max(...report.checks.map((c) => c.name.length));
    for (const check of report.checks) io.out(checkLine(check, colors, width));
    io.out(summaryLine(report));
  }
  return report.ok ? EXIT.ok : EXIT.failed;
}

/** With `npm start` running here and no ECS named in the environment, the instance is what to check: its settings, its store. */
function runsHere(io: Io): boolean {
  return !instanceOf(io).live || Boolean(io.env.ALIBABA_CLOUD_ACCESS_KEY_ID?.trim() || io.env.TASKHOOK_ECS_ENDPOINT?.trim());
}

async function checkInstance(io: Io): Promise<DoctorReport> {
  const api = instanceApi(instanceOf(io).live!);
  io.err(`checked by the running taskhook at ${api.info.apiUrl} (GET /v1/doctor), with its settings`);
  return api.call<DoctorReport>('GET', '/v1/doctor');
}

async function checkHere(io: Io): Promise<DoctorReport> {
  const config = configOf(io);
  const credentials = () => config.credentials;
  // A store that does not open is a failed check, not a stopped doctor: the other checks still run.
  const store: StateStore | Error = await openStore(config, credentials).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  const storeProbe = config.store.kind === 'tablestore' ? tablestoreProbe(config, credentials) : undefined;
  try {
    return await runDoctor({
      config,
      runtime: 'local',
      credentialsFrom: credentialsFrom(io, config.credentials !== null),
      credentials,
      accountId: accountIdOf(io),
      ecsFor: (onCall) =>
        createPopEcsApi({
          endpoint: config.ecsEndpoint,
          rate: config.ecsRate,
          retry: ECS_RETRY,
          deadlineMs: ECS_DEADLINE_MS,
          onCall,
          credentials: () => {
            const current = config.credentials;
            if (!current)
              throw new EcsError({ code: 'NoCredentials', message: 'no Alibaba Cloud credentials', requestId: null, httpStatus: null, retryable: false });
            return current;
          },
        }),
      store,
      storeProbe,
      webhookPolicy: { allowPrivate: config.allowPrivateWebhooks },
      shards: 'elsewhere',
      now: Date.now,
    });
  } finally {
    storeProbe?.close?.();
    if (!(store instanceof Error)) await store.close();
  }
}
