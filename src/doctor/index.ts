/** `taskhook doctor` and `GET /v1/doctor` run this one table of checks, in order, since the clock check reads the ECS checks' calls. */
import { scrub } from '../scrub.js';
import {
  accountCheck,
  clockCheck,
  credentialsCheck,
  describeTaskAttributeCheck,
  describeTasksCheck,
  hintRuleCheck,
  hintTokensCheck,
  noRegion,
  noWebhook,
  regionsOf,
  shardsCheck,
  storeProbeCheck,
  storeTablesCheck,
  webhookCheck,
  webhooksOf,
} from './checks.js';
import type { CheckOutcome, CheckResult, CheckSubject, DoctorCheck, DoctorContext, DoctorDeps, DoctorReport } from './types.js';

export type { CheckOutcome, CheckResult, CheckStatus, DoctorDeps, DoctorReport, ShardHandOff, StoreProbe } from './types.js';
export { CHECK_STATUSES } from './types.js';

const regions = (ctx: DoctorContext) => regionsOf(ctx.config).map((regionId) => ({ label: regionId, value: regionId }));

/** The checks, in the order they run and are printed. */
export const DOCTOR_CHECKS: readonly DoctorCheck[] = [
  { name: 'credentials', run: credentialsCheck },
  { name: 'account-id', run: accountCheck },
  { name: 'ecs.describe-tasks', subjects: regions, none: noRegion, run: describeTasksCheck },
  { name: 'ecs.describe-task-attribute', subjects: regions, none: noRegion, run: describeTaskAttributeCheck },
  { name: 'ecs.clock', run: clockCheck },
  { name: 'store.tables', run: storeTablesCheck },
  { name: 'store.probe', run: storeProbeCheck },
  { name: 'webhook', subjects: webhooksOf, none: noWebhook, run: webhookCheck },
  { name: 'shards.invoke', run: shardsCheck },
  { name: 'hints.tokens', run: hintTokensCheck },
  { name: 'hints.rules', run: hintRuleCheck },
];

/** Longer than an ECS call's retries (15 s) and a store call's: a check that takes this long is reported, not waited for. */
export const CHECK_TIMEOUT_MS = 30_000;

/** A check that threw or hung is a failed check with its reason, never a failed doctor. */
async function bounded(run: () => Promise<CheckOutcome>, timeoutMs: number): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          status: 'fail',
          detail: `no answer within ${timeoutMs / 1000} s`,
          fix: 'check the network path to the service it names, then run the doctor again',
        }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([
      run().catch((error: unknown): CheckOutcome => ({
        status: 'fail',
        detail: `the check could not run: ${error instanceof Error ? error.message : String(error)}`,
        fix: 'run the doctor again; if it persists, report this line',
      })),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const clean = (name: string, outcome: CheckOutcome): CheckResult => ({
  name,
  status: outcome.status,
  detail: scrub(outcome.detail),
  fix: outcome.fix === null ? null : scrub(outcome.fix),
});

export async function runDoctor(deps: DoctorDeps, options: { checks?: readonly DoctorCheck[]; timeoutMs?: number } = {}): Promise<DoctorReport> {
  const checks = options.checks ?? DOCTOR_CHECKS;
  const timeoutMs = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  const calls: DoctorContext['calls'] = [];
  const ecs = deps.ecsFor((record) => calls.push(record));
  const ctx: DoctorContext = { ...deps, ecs, calls };
  const results: CheckResult[] = [];
  try {
    for (const check of checks) {
      let subjects: CheckSubject[] = [{ label: '', value: '' }];
      if (check.subjects) {
        try {
          subjects = await check.subjects(ctx);
        } catch (error) {
          results.push(
            clean(check.name, {
              status: 'fail',
              detail: `could not list what to check: ${(error as Error)?.message ?? String(error)}`,
              fix: 'see the store checks above',
            }),
          );
          continue;
        }
        if (subjects.length === 0) {
          if (check.none) results.push(clean(check.name, check.none(ctx)));
          continue;
        }
      }
      // The subjects of one check (the regions, the webhooks) are independent: asked at once.
      const outcomes = await Promise.all(subjects.map((subject) => bounded(() => check.run(ctx, subject.value), timeoutMs)));
      subjects.forEach((subject, i) => results.push(clean(subject.label ? `${check.name}:${subject.label}` : check.name, outcomes[i])));
    }
  } finally {
    ecs.close?.();
  }
  return { ok: results.every((r) => r.status !== 'fail'), checks: results };
}
