/** GET /v1/doctor over real HTTP: the same checks as the CLI, authenticated like every /v1 route, in the documented shape. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { runDoctor, type DoctorReport } from '../../src/doctor/index.js';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { createApiHandler } from '../../src/http/app.js';
import { openApiDocument } from '../../src/http/openapi.js';
import { apiRoutes } from '../../src/http/app.js';
import { doctorDepsOf } from '../../src/http/routes/doctor.js';
import { startLocalServer, type LocalServer } from '../../src/local/http-server.js';
import { buildDeps, closeDeps, type AppDeps } from '../../src/runtime.js';
import { KEYS, STS, startSimulator } from '../support/helpers.js';
import { documentChecker } from '../support/openapi.js';
import { putWebhook } from './harness.js';

const TOKEN = 'thk_doctor-route-test-token-0001';

describe('GET /v1/doctor', () => {
  let sim: EcsSimulator;
  let deps: AppDeps;
  let server: LocalServer;
  const checker = documentChecker(openApiDocument(apiRoutes));

  const get = async (token: string | null = TOKEN) => {
    const res = await fetch(`${server.url}/v1/doctor`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: (text ? JSON.parse(text) : null) as DoctorReport };
  };

  beforeAll(async () => {
    sim = await startSimulator();
    const config = loadConfig({
      ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret,
      TASKHOOK_ECS_ENDPOINT: sim.endpoint,
      TASKHOOK_DISCOVER: 'cn-hangzhou:*',
      TASKHOOK_TASKS: 'cn-beijing/t-2zeabcdefgh0001',
      TASKHOOK_API_TOKENS: TOKEN,
      TASKHOOK_STORE: 'memory',
      TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: '127.0.0.1/32',
      TASKHOOK_LOG_LEVEL: 'error',
    });
    deps = await buildDeps(config, () => config.credentials);
    await putWebhook(deps.store, 'wh_local00000000000000001', 'http://127.0.0.1:3000/hooks');
    server = await startLocalServer(createApiHandler(() => deps) as never, 0);
  });
  afterEach(() => sim.clearFaults());
  afterAll(async () => {
    await server?.close();
    if (deps) await closeDeps(deps);
    await sim?.stop();
  });

  it('answers every check in the documented shape, the same checks the doctor runs in-process', async () => {
    const answer = await get();
    expect(answer.status).toBe(200);
    checker.check('GET', '/v1/doctor', answer);
    expect(answer.body.ok).toBe(true);
    const direct = await runDoctor(doctorDepsOf(deps, undefined));
    expect(answer.body.checks.map((c) => [c.name, c.status])).toEqual(direct.checks.map((c) => [c.name, c.status]));
    expect(answer.body.checks.map((c) => c.name)).toEqual([
      'credentials',
      'account-id',
      'ecs.describe-tasks:cn-beijing',
      'ecs.describe-tasks:cn-hangzhou',
      'ecs.describe-task-attribute:cn-beijing',
      'ecs.describe-task-attribute:cn-hangzhou',
      'ecs.clock',
      'store.tables',
      'store.probe',
      'webhook:wh_local00000000000000001',
      'shards.invoke',
      'hints.tokens',
      'hints.rules',
    ]);
    expect(answer.body.checks.find((c) => c.name === 'shards.invoke')?.detail).toMatch(/^nothing to allow: here a shard runs as a poll inside this process/);
    expect(answer.text).not.toContain(KEYS.accessKeySecret);
    expect(answer.text).not.toContain(TOKEN);
  });

  it('reports a refused ECS call with its fix, still 200, ok false', async () => {
    sim.injectFault({
      kind: 'error',
      code: 'Forbidden.RAM',
      httpStatus: 403,
      message: 'User not authorized.',
      action: 'DescribeTaskAttribute',
      regionId: 'cn-beijing',
      times: Infinity,
    });
    const answer = await get();
    expect(answer.status).toBe(200);
    checker.check('GET', '/v1/doctor', answer);
    expect(answer.body.ok).toBe(false);
    expect(answer.body.checks.find((c) => c.name === 'ecs.describe-task-attribute:cn-beijing')).toMatchObject({
      status: 'fail',
      fix: 'grant the role or user ecs:DescribeTaskAttribute (Resource "*") in its RAM policy; the next run resumes by itself',
    });
  });

  it('needs a token like every /v1 route, and calls nothing without one', async () => {
    sim.resetCounters();
    const answer = await get(null);
    expect(answer.status).toBe(401);
    checker.check('GET', '/v1/doctor', answer);
    expect(sim.calls()).toEqual({});
  });

  it('on Function Compute checks with the role of the invocation and names its account', async () => {
    sim.resetCounters();
    const fc = doctorDepsOf(deps, { accountId: '1234567890123456', credentials: STS } as never);
    expect(fc).toMatchObject({ runtime: 'fc', shards: 'function-compute', accountId: { id: '1234567890123456' } });
    expect(fc.credentials()).toEqual(STS);
    const report = await runDoctor({ ...fc, ecsFor: (onCall) => deps.ecsFor(onCall) });
    expect(report.checks.find((c) => c.name === 'credentials')?.detail).toMatch(/^STS credentials \(with a security token\) from the function role/);
    expect(report.checks.find((c) => c.name === 'account-id')).toMatchObject({
      status: 'pass',
      detail: 'account 1234567890123456 (from the FC invocation context)',
    });
    expect(report.checks.find((c) => c.name === 'shards.invoke')).toMatchObject({ status: 'skip', fix: expect.stringContaining('fc:InvokeFunction') });
    expect(JSON.stringify(report)).not.toContain(STS.securityToken);
  });
});
