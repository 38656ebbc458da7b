/** The doctor's checks through the real pop-core client against the ECS simulator: what passes, and how each refusal reads. */
import type { StateStore } from '../../src/store/port.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DOCTOR_CHECKS, runDoctor, type CheckResult, type DoctorReport } from '../../src/doctor/index.js';
import { PROBE_MARK, PROBE_TASK_ID } from '../../src/doctor/checks.js';
import { ACTIONTRAIL_RULE, IMAGE_RULE } from '../../src/doctor/hint-rules.js';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { createSqliteStore } from '../../src/store/sqlite.js';
import { KEYS, startSimulator } from '../support/helpers.js';
import { doctorDeps, putWebhook } from './harness.js';

const check = (report: DoctorReport, name: string): CheckResult => {
  const found = report.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check ${name} in ${report.checks.map((c) => c.name).join(', ')}`);
  return found;
};
const HINT_TOKEN = 'a'.repeat(8) + '0123456789abcdef0123456789abcdef0123456789';

describe('taskhook doctor, its checks', () => {
  let sim: EcsSimulator;
  let dir: string;

  beforeAll(async () => {
    sim = await startSimulator();
    dir = mkdtempSync(path.join(tmpdir(), 'taskhook-doctor-'));
  });
  afterEach(() => {
    sim.clearFaults();
    sim.setWallClockSkew(0);
    sim.resetCounters();
  });
  afterAll(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes everything on a healthy setup: each region asked once per API, the store round-trips, the webhook resolves to a public address', async () => {
    const store = createSqliteStore(path.join(dir, 'healthy.db'));
    await putWebhook(store, 'wh_public0000000000000001', 'https://hooks.example.com/taskhook?token=receiver-secret-0001');
    try {
      const report = await runDoctor(
        doctorDeps(sim, { TASKHOOK_STORE: `sqlite:${path.join(dir, 'healthy.db')}`, TASKHOOK_HINT_TOKENS: HINT_TOKEN }, { store }),
      );
      expect(report.ok).toBe(true);
      expect(report.checks.filter((c) => c.status === 'fail' || c.status === 'warn')).toEqual([]);
      expect(report.checks.map((c) => c.name)).toEqual([
        'credentials',
        'account-id',
        'ecs.describe-tasks:cn-beijing',
        'ecs.describe-tasks:cn-hangzhou',
        'ecs.describe-task-attribute:cn-beijing',
        'ecs.describe-task-attribute:cn-hangzhou',
        'ecs.clock',
        'store.tables',
        'store.probe',
        'webhook:wh_public0000000000000001',
        'shards.invoke',
        'hints.tokens',
        'hints.rules',
      ]);
      expect(check(report, 'ecs.describe-task-attribute:cn-hangzhou').detail).toMatch(/InvalidTaskId\.NotFound for a made-up task id/);
      expect(check(report, 'ecs.clock')).toMatchObject({ status: 'pass', detail: "this host's clock is within a second of ECS" });
      expect(check(report, 'store.probe')).toMatchObject({ status: 'pass', detail: 'a probe mark was written to and read from marks, then cleared' });
      expect(await store.getMark(PROBE_MARK)).toBe('');
      expect(check(report, 'webhook:wh_public0000000000000001')).toMatchObject({ status: 'pass' });
      // The receiver's token in the query never shows: scheme, host and port only.
      expect(check(report, 'webhook:wh_public0000000000000001').detail).toBe('https://hooks.example.com/ resolves to 93.184.216.34: allowed; nothing was sent');
      // One tiny call per API and region, the made-up id asked of DescribeTaskAttribute.
      expect(sim.calls()).toEqual({ DescribeTasks: 2, DescribeTaskAttribute: 2 });
      expect(
        sim
          .callLog()
          .filter((c) => c.action === 'DescribeTaskAttribute')
          .map((c) => c.taskIds),
      ).toEqual([[PROBE_TASK_ID], [PROBE_TASK_ID]]);
      expect(JSON.stringify(report)).not.toContain(KEYS.accessKeySecret);
      expect(JSON.stringify(report)).not.toContain(KEYS.accessKeyId);
      expect(JSON.stringify(report)).not.toContain('receiver-secret-0001');
      expect(JSON.stringify(report)).not.toContain(HINT_TOKEN);
    } finally {
      await store.close();
    }
  });

  it('fails every ECS check with the fix when ECS does not know the access key', async () => {
    const deps = doctorDeps(sim, { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIunknownkey0099', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'not-a-secret-the-simulator-knows' });
    const report = await runDoctor(deps);
    expect(report.ok).toBe(false);
    const ecs = report.checks.filter((c) => c.name.startsWith('ecs.describe'));
    expect(ecs).toHaveLength(4);
    for (const c of ecs) {
      expect(c.status, c.name).toBe('fail');
      expect(c.detail).toMatch(/^ECS does not accept the credentials \(InvalidAccessKeyId\.NotFound\)/);
      expect(c.fix).toMatch(/AccessKey is unknown, disabled or its STS token expired/);
    }
    expect(JSON.stringify(report)).not.toContain('LTAIunknownkey0099');
  });

  it('fails DescribeTaskAttribute on Forbidden.RAM naming the action to grant, and passes DescribeTasks', async () => {
    sim.injectFault({
      kind: 'error',
      code: 'Forbidden.RAM',
      httpStatus: 403,
      message: 'User not authorized to operate on the specified resource, or this API does not support RAM.',
      action: 'DescribeTaskAttribute',
      regionId: 'cn-hangzhou',
      times: Infinity,
    });
    const report = await runDoctor(doctorDeps(sim));
    expect(report.ok).toBe(false);
    expect(check(report, 'ecs.describe-task-attribute:cn-hangzhou')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^ECS denied DescribeTaskAttribute in cn-hangzhou \(Forbidden\.RAM\) \(request [0-9A-F-]+\)$/),
      fix: 'grant the role or user ecs:DescribeTaskAttribute (Resource "*") in its RAM policy; the next run resumes by itself',
    });
    expect(check(report, 'ecs.describe-task-attribute:cn-beijing').status).toBe('pass');
    expect(check(report, 'ecs.describe-tasks:cn-hangzhou').status).toBe('pass');
  });

  it('warns at a 5-minute clock skew and still passes', async () => {
    sim.setWallClockSkew(5 * 60_000);
    const report = await runDoctor(doctorDeps(sim));
    expect(check(report, 'ecs.clock')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^this host's clock is 5 min behind ECS/) });
    expect(check(report, 'ecs.clock').fix).toMatch(/timedatectl set-ntp true/);
    expect(check(report, 'ecs.describe-tasks:cn-hangzhou').status).toBe('pass');
    expect(report.ok).toBe(true);
  });

  it('fails at a 20-minute clock skew: ECS refuses the timestamp, and the clock line says how far off', async () => {
    sim.setWallClockSkew(-20 * 60_000);
    const report = await runDoctor(doctorDeps(sim));
    expect(report.ok).toBe(false);
    expect(check(report, 'ecs.clock')).toMatchObject({ status: 'fail', detail: "this host's clock is 20 min ahead of ECS: ECS refuses every request" });
    expect(check(report, 'ecs.describe-tasks:cn-hangzhou')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^ECS refused the request's timestamp \(InvalidTimeStamp\.Expired\): this machine's clock is 20 min ahead of ECS/),
      fix: expect.stringMatching(/^sync the clock/),
    });
  });

  it('fails a webhook whose host is private unless TASKHOOK_ALLOW_PRIVATE_WEBHOOKS covers it, resolving names without sending', async () => {
    const blocked = doctorDeps(sim);
    const store = blocked.store as Exclude<typeof blocked.store, Error>;
    await putWebhook(store, 'wh_literal00000000000001', 'https://10.0.0.5/hook');
    await putWebhook(store, 'wh_resolved0000000000001', 'https://hooks.internal.example/hook');
    let report = await runDoctor(blocked);
    expect(report.ok).toBe(false);
    for (const name of ['webhook:wh_literal00000000000001', 'webhook:wh_resolved0000000000001']) {
      expect(check(report, name)).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/is in a blocked range \(10\.0\.0\.0\/8, private network\)/),
        fix: expect.stringContaining('TASKHOOK_ALLOW_PRIVATE_WEBHOOKS'),
      });
    }
    report = await runDoctor(doctorDeps(sim, { TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: '10.0.0.0/8' }, { store }));
    expect(check(report, 'webhook:wh_literal00000000000001')).toMatchObject({
      status: 'pass',
      detail: 'https://10.0.0.5/: allowed (inside TASKHOOK_ALLOW_PRIVATE_WEBHOOKS); nothing was sent',
    });
    expect(check(report, 'webhook:wh_resolved0000000000001').detail).toMatch(/resolves to 10\.1\.2\.3: allowed/);
    // A name that does not resolve fails closed, as the webhook client would.
    await putWebhook(store, 'wh_nowhere00000000000001', 'https://nowhere.invalid/hook');
    report = await runDoctor(doctorDeps(sim, {}, { store }));
    expect(check(report, 'webhook:wh_nowhere00000000000001')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/DNS records/) });
  });

  it('says nothing is polled, and does not call ECS, when no region is configured', async () => {
    const report = await runDoctor(doctorDeps(sim, { TASKHOOK_DISCOVER: '' }));
    expect(check(report, 'ecs.describe-tasks')).toMatchObject({ status: 'warn', fix: expect.stringContaining('TASKHOOK_DISCOVER') });
    expect(check(report, 'ecs.clock').status).toBe('skip');
    expect(check(report, 'webhook')).toMatchObject({ status: 'warn', fix: expect.stringContaining('taskhook webhooks add') });
    expect(sim.calls()).toEqual({});
    expect(report.ok).toBe(true);
  });

  it('fails the store checks, and still runs the others, when the store could not be opened', async () => {
    const report = await runDoctor(
      doctorDeps(sim, { TASKHOOK_STORE: 'sqlite:/nonexistent/state.db' }, { store: new Error("unable to open database file '/nonexistent/state.db'") }),
    );
    expect(check(report, 'store.tables')).toMatchObject({
      status: 'fail',
      detail: "the SQLite file /nonexistent/state.db could not be opened: unable to open database file '/nonexistent/state.db'",
      fix: expect.stringContaining('writable'),
    });
    expect(check(report, 'store.probe').status).toBe('skip');
    expect(check(report, 'ecs.describe-tasks:cn-hangzhou').status).toBe('pass');
  });

  it('reports no credentials as a failure with where to set them', async () => {
    const report = await runDoctor(doctorDeps(sim, { ALIBABA_CLOUD_ACCESS_KEY_ID: '', ALIBABA_CLOUD_ACCESS_KEY_SECRET: '' }, { credentialsFrom: null }));
    expect(check(report, 'credentials')).toMatchObject({ status: 'fail', fix: expect.stringContaining('ALIBABA_CLOUD_ACCESS_KEY_ID') });
    expect(check(report, 'ecs.describe-tasks:cn-hangzhou')).toMatchObject({ status: 'fail', detail: expect.stringContaining('NoCredentials') });
  });

  it('names the account on FC, and warns there when none is known', async () => {
    let report = await runDoctor(
      doctorDeps(sim, {}, { runtime: 'fc', accountId: { id: '1234567890123456', from: 'FC_ACCOUNT_ID' }, shards: 'function-compute' }),
    );
    expect(check(report, 'account-id')).toMatchObject({ status: 'pass', detail: 'account 1234567890123456 (from FC_ACCOUNT_ID)' });
    expect(check(report, 'shards.invoke')).toMatchObject({
      status: 'skip',
      fix: expect.stringContaining('fc:InvokeFunction on acs:fc:<region>:1234567890123456:functions/taskhook-poller, or on "*"'),
    });
    report = await runDoctor(doctorDeps(sim, {}, { runtime: 'fc', shards: 'function-compute' }));
    expect(check(report, 'account-id').status).toBe('warn');
  });

  it('judges the invoke permission by what FC told the last run that split the list', async () => {
    const deps = doctorDeps(sim, {}, { runtime: 'fc', shards: 'function-compute' });
    const store = deps.store as StateStore;
    const summary = (over: object) => ({ leased: true, tasks: { active: 150_000, polled: 100_000 }, durationMs: 1, ...over });
    await store.recordRun({ id: 'run_ok', startedAt: '2026-11-27T10:00:00.000Z', finishedAt: '2026-11-27T10:01:00.000Z', summary: summary({ shards: 1 }) });
    expect(check(await runDoctor(deps), 'shards.invoke')).toMatchObject({ status: 'pass', detail: expect.stringContaining('handed 1 shard(s)') });
    const refusal = 'HTTP 403 AccessDenied: … the function’s role lacks fc:InvokeFunction on acs:fc:cn-hangzhou:123:functions/taskhook-poller';
    await store.recordRun({
      id: 'run_refused',
      startedAt: '2026-11-27T10:02:00.000Z',
      finishedAt: '2026-11-27T10:03:00.000Z',
      summary: summary({ shards: 0, shardFailures: [{ shard: 's1', error: refusal }] }),
    });
    expect(check(await runDoctor(deps), 'shards.invoke')).toMatchObject({ status: 'fail', detail: expect.stringContaining('lacks fc:InvokeFunction') });
  });

  it('checks hint tokens without naming them, and prints the EventBridge patterns docs/hints.md gives', async () => {
    let report = await runDoctor(doctorDeps(sim, { TASKHOOK_DISCOVER: '' }));
    expect(check(report, 'hints.tokens')).toMatchObject({ status: 'skip', fix: expect.stringContaining('openssl rand -hex 24') });
    const short = 'short-hint-token-0001';
    report = await runDoctor(doctorDeps(sim, { TASKHOOK_DISCOVER: '', TASKHOOK_HINT_TOKENS: short }));
    expect(check(report, 'hints.tokens')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/shorter than 32 characters/) });
    expect(JSON.stringify(report)).not.toContain(short);
    report = await runDoctor(doctorDeps(sim, { TASKHOOK_DISCOVER: '', TASKHOOK_HINT_TOKENS: HINT_TOKEN, TASKHOOK_API_TOKENS: HINT_TOKEN }));
    expect(check(report, 'hints.tokens')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/also an API token/) });
    const rules = check(report, 'hints.rules');
    expect(rules.detail).toContain(JSON.stringify(ACTIONTRAIL_RULE));
    expect(rules.detail).toContain(JSON.stringify(IMAGE_RULE));
    // The patterns are the ones the setup guide tells people to paste.
    const documented = [...readFileSync('docs/hints.md', 'utf8').matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]) as unknown);
    expect(documented).toContainEqual(ACTIONTRAIL_RULE);
    expect(documented).toContainEqual(IMAGE_RULE);
  });

  it('turns a check that hangs or throws into a failed line, and scrubs secrets from every line', async () => {
    const report = await runDoctor(doctorDeps(sim), {
      timeoutMs: 50,
      checks: [
        { name: 'hangs', run: () => new Promise(() => undefined) },
        {
          name: 'throws',
          run: async () => {
            throw new Error('boom with AccessKeyId=LTAIleakedkey00000001');
          },
        },
        { name: 'leaks', run: async () => ({ status: 'warn', detail: 'token CAIS' + 'x'.repeat(40), fix: 'use Bearer abcdefghijklmnop' }) },
      ],
    });
    expect(report.checks).toEqual([
      { name: 'hangs', status: 'fail', detail: 'no answer within 0.05 s', fix: expect.any(String) },
      { name: 'throws', status: 'fail', detail: 'the check could not run: boom with AccessKeyId=[redacted]', fix: expect.any(String) },
      { name: 'leaks', status: 'warn', detail: 'token [redacted]', fix: 'use Bearer [redacted]' },
    ]);
    expect(report.ok).toBe(false);
  });

  it('is a table of named checks, each with a run function', () => {
    expect(new Set(DOCTOR_CHECKS.map((c) => c.name)).size).toBe(DOCTOR_CHECKS.length);
    for (const c of DOCTOR_CHECKS) expect(typeof c.run, c.name).toBe('function');
  });
});
