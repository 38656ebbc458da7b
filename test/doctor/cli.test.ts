/** `taskhook doctor` as a user runs it: the built CLI as a process against the ECS simulator, its lines, `--json` and exit codes. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROBE_MARK } from '../../src/doctor/checks.js';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { KEYS, startSimulator } from '../support/helpers.js';
import { background, freshDir, taskhook } from '../local/cli-process.js';

describe('taskhook doctor (CLI)', () => {
  let sim: EcsSimulator;
  const env = (more: Record<string, string> = {}) => ({
    ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret,
    TASKHOOK_ECS_ENDPOINT: sim.endpoint,
    TASKHOOK_DISCOVER: 'cn-hangzhou:ImportImage,ExportImage',
    TASKHOOK_HINT_TOKENS: '0123456789abcdef0123456789abcdef0123456789abcdef',
    ...more,
  });

  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterEach(() => sim.clearFaults());
  afterAll(async () => sim?.stop());

  it('prints one line per check and exits 0 when none fails; the SQLite probe mark is cleared again', async () => {
    const dir = freshDir('doctor');
    const run = await taskhook(['doctor'], { env: env(), cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^PASS {2}credentials +a long-term AccessKey from environment variables \(ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET\)/,
    );
    expect(lines).toContainEqual(expect.stringMatching(/^PASS {2}ecs\.describe-task-attribute:cn-hangzhou +allowed: ECS answered InvalidTaskId\.NotFound/));
    expect(lines).toContainEqual(expect.stringMatching(/^PASS {2}store\.probe +a probe mark was written to and read from marks, then cleared$/));
    expect(lines).toContainEqual(expect.stringMatching(/^WARN {2}webhook +no webhook is registered: .* {2}fix: add one: `taskhook webhooks add/));
    expect(lines).toContainEqual(expect.stringMatching(/^SKIP {2}hints\.rules +not checked .*"eventName":\["ImportImage"/));
    expect(lines.at(-1)).toBe('doctor: no check failed (0 failed, 1 warned, 7 passed, 3 skipped)');
    const db = new Database(path.join(dir, '.taskhook/state.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT value FROM marks WHERE name = ?').get(PROBE_MARK)).toEqual({ value: '' });
    } finally {
      db.close();
    }
    expect(run.stdout).not.toContain(KEYS.accessKeySecret);
    expect(run.stdout).not.toContain(KEYS.accessKeyId);
  });

  it('--json prints {"ok","checks":[{"name","status","detail","fix"}]} and exits 1 when a check fails', async () => {
    sim.injectFault({
      kind: 'error',
      code: 'Forbidden.RAM',
      httpStatus: 403,
      message: 'User not authorized.',
      action: 'DescribeTaskAttribute',
      times: Infinity,
    });
    const run = await taskhook(['doctor', '--json'], { env: env() });
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]) as { ok: boolean; checks: Array<Record<string, unknown>> };
    expect(Object.keys(report)).toEqual(['ok', 'checks']);
    expect(report.ok).toBe(false);
    for (const c of report.checks) {
      expect(Object.keys(c)).toEqual(['name', 'status', 'detail', 'fix']);
      expect(['pass', 'warn', 'fail', 'skip']).toContain(c.status);
      expect(typeof c.detail).toBe('string');
      expect(c.fix === null || typeof c.fix === 'string').toBe(true);
    }
    expect(report.checks.find((c) => c.name === 'ecs.describe-task-attribute:cn-hangzhou')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('ecs:DescribeTaskAttribute'),
    });
  });

  it('says what to do on the failing line, readable without --json', async () => {
    sim.injectFault({ kind: 'error', code: 'Forbidden.RAM', httpStatus: 403, message: 'User not authorized.', action: 'DescribeTasks', times: Infinity });
    const run = await taskhook(['doctor'], { env: env() });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^FAIL {2}ecs\.describe-tasks:cn-hangzhou +ECS denied DescribeTasks in cn-hangzhou \(Forbidden\.RAM\).* {2}fix: grant the role or user ecs:DescribeTasks/m,
    );
    expect(run.stdout.trim().split('\n').at(-1)).toMatch(/^doctor: some checks failed \(1 failed,/);
  });

  it('reports a store that cannot be opened as a failed check, and goes on with the others', async () => {
    const dir = freshDir('doctor-store');
    writeFileSync(path.join(dir, 'not-a-folder'), '');
    const run = await taskhook(['doctor'], { env: env({ TASKHOOK_STORE: `sqlite:${path.join(dir, 'not-a-folder', 'state.db')}` }), cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL {2}store\.tables +the SQLite file .*not-a-folder\/state\.db could not be opened: .* {2}fix: check that .* writable/m);
    expect(run.stdout).toMatch(/^PASS {2}ecs\.describe-tasks:cn-hangzhou/m);
  });

  it('exits 2 on a usage error, naming the command’s help', async () => {
    const run = await taskhook(['doctor', '--verbose'], { env: env() });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("taskhook: unknown option '--verbose' (see taskhook doctor --help)");
    expect(run.stdout).toBe('');
  });

  it('documents itself: options, exit codes and examples in --help', async () => {
    const run = await taskhook(['doctor', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--json');
    expect(run.stdout).toContain('Exit 0 when no check failed, 1 when one did, 2 on a usage error.');
    expect(run.stdout).toContain('$ taskhook doctor');
  });

  it('asks the running instance in a folder where `npm start` runs its demo, with the demo’s own settings', async () => {
    const dir = freshDir('doctor-demo');
    const demo = background(['start'], { cwd: dir, env: { TASKHOOK_PORT: '0', TASKHOOK_POLL_INTERVAL: '60' } });
    try {
      await demo.waitFor(/taskhook is running/, 30_000);
      const run = await taskhook(['doctor', '--json'], { cwd: dir });
      expect(run.stderr).toMatch(/^checked by the running taskhook at http:\/\/127\.0\.0\.1:\d+ \(GET \/v1\/doctor\), with its settings$/m);
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as { ok: boolean; checks: Array<{ name: string; status: string; detail: string }> };
      expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['ecs.describe-tasks:cn-beijing', 'ecs.describe-tasks:cn-hangzhou']));
      // The demo receiver listens on 127.0.0.1, which the demo allows.
      const hooks = report.checks.filter((c) => c.name.startsWith('webhook:'));
      expect(hooks.length).toBeGreaterThan(0);
      for (const c of hooks) expect(c).toMatchObject({ status: 'pass', detail: expect.stringMatching(/inside TASKHOOK_ALLOW_PRIVATE_WEBHOOKS/) });
      expect(report.checks.find((c) => c.name === 'shards.invoke')?.detail).toMatch(/runs as a poll inside this process/);
    } finally {
      await demo.stop();
    }
  }, 60_000);
});
