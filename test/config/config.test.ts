import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const secret = 'whsec_' + Buffer.alloc(32, 1).toString('base64');

describe('loadConfig', () => {
  it('reads a full configuration', () => {
    const config = loadConfig({
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIexample0001',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'secret',
      ALIBABA_CLOUD_SECURITY_TOKEN: 'token',
      TASKHOOK_ECS_ENDPOINT: 'http://127.0.0.1:8080/',
      TASKHOOK_STORE: 'tablestore',
      TASKHOOK_OTS_ENDPOINT: 'https://inst.cn-hangzhou.ots.aliyuncs.com',
      TASKHOOK_OTS_INSTANCE: 'inst',
      TASKHOOK_TASKS: 'cn-hangzhou/t-bp1abcdef, cn-beijing/t-2zeabcdef',
      TASKHOOK_DISCOVER: 'cn-hangzhou:ImportImage,ExportImage;cn-beijing:*',
      TASKHOOK_WEBHOOKS: JSON.stringify([{ url: 'https://example.com/hook', secret, events: ['ecs.task.failed'] }]),
      TASKHOOK_API_TOKENS: 'token-0123456789abcdef,token-fedcba9876543210',
      TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: '127.0.0.1/32,::1/128',
      TASKHOOK_PORT: '9100',
      TASKHOOK_POLL_INTERVAL: '30',
      TASKHOOK_POLL_BUDGET: '120',
      TASKHOOK_RETENTION_DAYS: '7',
      TASKHOOK_CONFIRM_SECONDS: '300',
      TASKHOOK_LEASE_SECONDS: '20',
      TASKHOOK_ECS_RATE: '45',
      TASKHOOK_SHARD_TASKS: '50000',
      TASKHOOK_LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      credentials: { accessKeyId: 'LTAIexample0001', accessKeySecret: 'secret', securityToken: 'token' },
      ecsEndpoint: 'http://127.0.0.1:8080',
      store: { kind: 'tablestore' },
      tasks: [
        { regionId: 'cn-hangzhou', taskId: 't-bp1abcdef' },
        { regionId: 'cn-beijing', taskId: 't-2zeabcdef' },
      ],
      discover: [
        { regionId: 'cn-hangzhou', actions: ['ImportImage', 'ExportImage'] },
        { regionId: 'cn-beijing', actions: [] },
      ],
      webhooks: [{ url: 'https://example.com/hook', secret, events: ['ecs.task.failed'] }],
      apiTokens: ['token-0123456789abcdef', 'token-fedcba9876543210'],
      allowPrivateWebhooks: ['127.0.0.1/32', '::1/128'],
      port: 9100,
      pollIntervalSeconds: 30,
      pollBudgetSeconds: 120,
      retentionDays: 7,
      confirmSeconds: 300,
      leaseSeconds: 20,
      ecsRate: 45,
      shardTasks: 50_000,
      logLevel: 'debug',
    });
  });

  it('defaults to SQLite locally and Tablestore on FC', () => {
    expect(loadConfig({}, 'local').store).toEqual({ kind: 'sqlite', path: '.taskhook/state.db' });
    expect(loadConfig({}, 'fc').store).toEqual({ kind: 'tablestore' });
    expect(loadConfig({ TASKHOOK_TASKS: '' }).tasks).toEqual([]);
  });

  it('paces ECS at 20 calls per second per API and region unless told, and refuses a rate it cannot use', () => {
    expect(loadConfig({})).toMatchObject({ ecsRate: 20, shardTasks: 100_000 });
    expect(() => loadConfig({ TASKHOOK_ECS_RATE: '0' })).toThrow(/TASKHOOK_ECS_RATE.*0 is outside 1–1000/);
    expect(() => loadConfig({ TASKHOOK_ECS_RATE: 'fast' })).toThrow(/TASKHOOK_ECS_RATE.*not a whole number/);
    expect(() => loadConfig({ TASKHOOK_SHARD_TASKS: '10' })).toThrow(/TASKHOOK_SHARD_TASKS/);
  });

  it('waits for each action’s resource its own bound, overridden per action or for all, 0 turning it off', () => {
    expect(loadConfig({}).readyWaitSeconds).toEqual({ ImportImage: 3600, ModifyDiskSpec: 1800, RedeployInstance: 900, ArchiveSnapshot: 3600 });
    expect(loadConfig({ TASKHOOK_READY_WAIT: 'ModifyDiskSpec:600, ImportImage:0' }).readyWaitSeconds).toMatchObject({
      ModifyDiskSpec: 600,
      ImportImage: 0,
      RedeployInstance: 900,
    });
    expect(Object.values(loadConfig({ TASKHOOK_READY_WAIT: '*:120' }).readyWaitSeconds)).toEqual([120, 120, 120, 120]);
    expect(() => loadConfig({ TASKHOOK_READY_WAIT: 'ExportImage:60' })).toThrow(
      /TASKHOOK_READY_WAIT: "ExportImage" has no resource taskhook can check; use one of ImportImage/,
    );
    expect(() => loadConfig({ TASKHOOK_READY_WAIT: 'ImportImage' })).toThrow(/TASKHOOK_READY_WAIT: "ImportImage" is not action:seconds/);
    expect(() => loadConfig({ TASKHOOK_READY_WAIT: 'ImportImage:soon' })).toThrow(/TASKHOOK_READY_WAIT: "soon" is not a whole number/);
    expect(loadConfig({}).stallFloorSeconds).toBe(900);
    expect(loadConfig({ TASKHOOK_STALL_FLOOR: '60' }).stallFloorSeconds).toBe(60);
    expect(() => loadConfig({ TASKHOOK_STALL_FLOOR: '0' })).toThrow(/TASKHOOK_STALL_FLOOR: 0 is outside/);
  });

  it('splits the deployment’s ECS budget by the function’s share and instances, never below 1 call/s', () => {
    expect(loadConfig({ TASKHOOK_ECS_RATE: '20' })).toMatchObject({ ecsRate: 20, ecsBudget: 20 });
    expect(loadConfig({ TASKHOOK_ECS_RATE: '20', TASKHOOK_ECS_SHARE: '75' })).toMatchObject({ ecsRate: 15, ecsBudget: 20 });
    expect(loadConfig({ TASKHOOK_ECS_RATE: '20', TASKHOOK_ECS_SHARE: '25', TASKHOOK_ECS_INSTANCES: '2' })).toMatchObject({ ecsRate: 2 });
    expect(loadConfig({ TASKHOOK_ECS_RATE: '2', TASKHOOK_ECS_SHARE: '25', TASKHOOK_ECS_INSTANCES: '4' })).toMatchObject({ ecsRate: 1 });
    expect(() => loadConfig({ TASKHOOK_ECS_SHARE: '0' })).toThrow(/TASKHOOK_ECS_SHARE/);
    expect(() => loadConfig({ TASKHOOK_ECS_INSTANCES: 'many' })).toThrow(/TASKHOOK_ECS_INSTANCES/);
  });

  it.each([
    [{ TASKHOOK_PORT: 'abc' }, 'TASKHOOK_PORT: "abc" is not a whole number (example: TASKHOOK_PORT=9000)'],
    [{ TASKHOOK_PORT: '70000' }, 'TASKHOOK_PORT: 70000 is outside 0–65535'],
    [{ TASKHOOK_STORE: 'postgres' }, 'TASKHOOK_STORE: "postgres" is not a store'],
    [{ TASKHOOK_TASKS: 'cn-hangzhou:t-abc' }, 'TASKHOOK_TASKS: "cn-hangzhou:t-abc" is not region/taskId'],
    [{ TASKHOOK_TASKS: 'cn-hangzhou/abc' }, 'TASKHOOK_TASKS: "abc" is not a task id'],
    [{ TASKHOOK_DISCOVER: 'Hangzhou:*' }, 'TASKHOOK_DISCOVER: "Hangzhou" is not a region id'],
    [{ TASKHOOK_WEBHOOKS: '{' }, 'TASKHOOK_WEBHOOKS: is not valid JSON'],
    [{ TASKHOOK_WEBHOOKS: '[{"url":"https://example.com"}]' }, 'TASKHOOK_WEBHOOKS: entry 0 needs a "secret"'],
    [{ TASKHOOK_WEBHOOKS: JSON.stringify([{ url: 'ftp://x', secret }]) }, 'TASKHOOK_WEBHOOKS: entry 0: The webhook URL uses ftp:'],
    [{ TASKHOOK_API_TOKENS: 'short' }, 'TASKHOOK_API_TOKENS: every token must be at least 16 characters long'],
    [{ TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: '10.0.0.0/33' }, "TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: '10.0.0.0/33' is not a CIDR"],
    [{ TASKHOOK_LOG_LEVEL: 'loud' }, 'TASKHOOK_LOG_LEVEL: "loud" is not one of debug, info, warn, error'],
    [{ TASKHOOK_ECS_ENDPOINT: 'ecs.example.com' }, 'TASKHOOK_ECS_ENDPOINT: "ecs.example.com" is not a URL'],
    [{ TASKHOOK_TABLE_PREFIX: 'task-hook' }, 'TASKHOOK_TABLE_PREFIX: "task-hook" may hold only letters, digits and _'],
    [{ TASKHOOK_RETENTION_DAYS: '0' }, 'TASKHOOK_RETENTION_DAYS: 0 is outside 1–3650'],
    [{ ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIx' }, 'ALIBABA_CLOUD_ACCESS_KEY_SECRET: is missing while its partner is set'],
  ])('stops on %j with one line naming the variable, the problem and an example', (env, message) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as Error).message;
    expect(text).toContain(message);
    expect(text).toMatch(/\(example: [A-Z_]+=.+\)$/);
    expect(text.split('\n')).toHaveLength(1);
  });

  it('never echoes a token or a webhook secret in its errors', () => {
    expect(() => loadConfig({ TASKHOOK_API_TOKENS: 'short-secret' })).toThrow(/^(?!.*short-secret)/);
    expect(() => loadConfig({ TASKHOOK_WEBHOOKS: JSON.stringify([{ url: 'ftp://x', secret }]) })).toThrow(/^(?!.*whsec_AQ)/);
  });
});
