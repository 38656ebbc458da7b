/** s.yaml and the FC bundles it deploys: props that match the code, and bundles that load and run as FC runs them. */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedCopy, root, runLikeFc, setUpRunner, tearDownRunner } from './fc-runner.js';

const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface Trigger {
  triggerName: string;
  triggerType: string;
  triggerConfig: Record<string, unknown>;
}
interface FcProps {
  functionName: string;
  runtime: string;
  code: string;
  handler: string;
  environmentVariables?: Record<string, string>;
  asyncInvokeConfig?: Record<string, unknown>;
  triggers?: Trigger[];
}
interface Resource {
  component: string;
  actions?: Record<string, { run?: string; path?: string }[]>;
  props: FcProps;
}

const sYaml = parse(read('s.yaml')) as { edition: string; resources: Record<string, Resource> };
const fcResources = Object.entries(sYaml.resources).filter(([, r]) => r.component === 'fc3');
const resource = (name: string) => {
  const found = sYaml.resources[name];
  if (!found) throw new Error(`s.yaml has no resource ${name}`);
  return found;
};

const httpEvent = (method: string, rawPath: string) => ({
  version: 'v1',
  rawPath,
  body: '',
  isBase64Encoded: false,
  headers: { 'User-Agent': 'deploy-test' },
  queryParameters: {},
  requestContext: {
    accountId: '1234567890',
    domainName: 'taskhook-api.cn-hangzhou.fcapp.run',
    domainPrefix: 'taskhook-api',
    requestId: 'r-http',
    time: new Date().toUTCString(),
    timeEpoch: String(Date.now()),
    http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'deploy-test' },
  },
});

const timerEvent = { triggerTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), triggerName: 'every-minute', payload: '' };
const timerContext = { requestId: 'r', function: { timeout: 60 }, credentials: { accessKeyId: 'a', accessKeySecret: 'b', securityToken: 'c' } };

beforeAll(setUpRunner);
afterAll(tearDownRunner);

describe('s.yaml', () => {
  it('deploys taskhook-poller and taskhook-api with the fc3 component on nodejs20', () => {
    expect(sYaml.edition).toBe('3.0.0');
    expect(fcResources.map(([name]) => name).sort()).toEqual(['taskhook-api', 'taskhook-poller']);
    for (const [, r] of fcResources) expect(r.props.runtime).toBe('nodejs20');
  });

  it('runs the build (npm run build → scripts/build.mjs) before deploying each resource', () => {
    expect((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.build).toMatch(/^node scripts\/build\.mjs\b/);
    for (const [, r] of fcResources) expect(r.actions?.['pre-deploy']?.map((step) => step.run)).toContain('npm run build');
  });

  it('names in every handler a file and an export that the build output of its code dir provides', () => {
    for (const [name, r] of fcResources) {
      const loaded = runLikeFc(path.join(root, r.props.code), r.props.handler);
      expect(loaded.files, `${name}: ${r.props.code} holds the file ${r.props.handler} names`).toHaveLength(1);
      expect(loaded, `${name}: ${r.props.handler}`).toMatchObject({ require: 'function', import: 'function' });
    }
  });

  it('starts the poller from an enabled one-minute timer trigger', () => {
    const timers = resource('taskhook-poller').props.triggers?.filter((t) => t.triggerType === 'timer') ?? [];
    expect(timers).toHaveLength(1);
    expect(timers[0]?.triggerConfig).toMatchObject({ cronExpression: '@every 1m', enable: true, payload: '' });
  });

  it("turns FC's async retries off on the poller and drops queued events after 5 minutes: the next run re-plans failed shards", () => {
    // The fc3 component's IAsyncInvokeConfig names; FC's defaults are 3 retries and 86400 s (docs/deploy.md).
    expect(resource('taskhook-poller').props.asyncInvokeConfig).toEqual({ maxAsyncRetryAttempts: 0, maxAsyncEventAgeInSeconds: 300 });
    // The API is only invoked synchronously by its HTTP trigger, where FC's async settings never apply.
    expect(resource('taskhook-api').props.asyncInvokeConfig).toBeUndefined();
  });

  it('serves the api from an anonymous HTTP trigger for GET, POST, PATCH and DELETE (bearer tokens are checked in the function)', () => {
    const http = resource('taskhook-api').props.triggers?.filter((t) => t.triggerType === 'http') ?? [];
    expect(http).toHaveLength(1);
    expect(http[0]?.triggerConfig.authType).toBe('anonymous');
    expect([...((http[0]?.triggerConfig.methods as string[]) ?? [])].sort()).toEqual(['DELETE', 'GET', 'PATCH', 'POST']);
  });

  it('sets only environment variables that src/config.ts reads, with the tablestore store', () => {
    const source = read('src/config.ts');
    const known = new Set([...source.matchAll(/['"`]((?:TASKHOOK|ALIBABA_CLOUD)_[A-Z_]+)['"`]/g)].map((m) => m[1]));
    expect(known).toContain('TASKHOOK_STORE');
    for (const [name, r] of fcResources) {
      const env = r.props.environmentVariables ?? {};
      expect(
        Object.keys(env).filter((key) => !known.has(key)),
        `${name}: names src/config.ts does not read`,
      ).toEqual([]);
      expect(env.TASKHOOK_STORE, name).toBe('tablestore');
    }
  });
});

describe('the FC bundles', () => {
  it('loads dist/api/index.js the way FC loads handler: index.handler and answers GET /healthz with 200', () => {
    const { code, handler } = resource('taskhook-api').props;
    const out = runLikeFc(isolatedCopy(code, 'api'), handler, { TASKHOOK_STORE: 'memory', FC_FUNCTION_NAME: 'taskhook-api' }, httpEvent('GET', '/healthz'), {
      requestId: 'r-http',
    });
    expect(out).toMatchObject({ files: ['index.js'], require: 'function', import: 'function' });
    expect(out.error, out.logs).toBeUndefined();
    const response = out.result as { statusCode: number; body: string };
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ ok: true });
  });

  it('loads dist/poller/index.js the way FC loads handler: index.handler and runs a poll cycle from a timer event', () => {
    const { code, handler } = resource('taskhook-poller').props;
    const env = { TASKHOOK_STORE: 'memory', TASKHOOK_ECS_ENDPOINT: 'http://127.0.0.1:9', FC_FUNCTION_NAME: 'taskhook-poller' };
    const out = runLikeFc(isolatedCopy(code, 'poller'), handler, env, timerEvent, timerContext);
    expect(out).toMatchObject({ files: ['index.js'], require: 'function', import: 'function' });
    expect(out.error, out.logs).toBeUndefined();
    expect(out.result).toMatchObject({ leased: true, tasks: { active: 0, polled: 0 } });
    expect((out.result as { ecsCalls: Record<string, number> }).ecsCalls).toEqual({});
  });

  it('would be read as ESM next to {"type":"module"}, which is why each code dir carries {"type":"commonjs"}', () => {
    for (const name of ['api', 'poller']) {
      expect(JSON.parse(read(`dist/${name}/package.json`))).toEqual({ type: 'commonjs' });
      const copy = isolatedCopy(`dist/${name}`, `${name}-as-module`);
      writeFileSync(path.join(copy, 'package.json'), JSON.stringify({ type: 'module' }));
      const out = runLikeFc(copy, 'index.handler');
      expect(out.require, name).not.toBe('function');
      expect(out.import, name).not.toBe('function');
      expect(`${out.require} ${out.import}`, name).toMatch(/ES module scope|ERR_REQUIRE_ESM/);
    }
  });

  describe('carry nothing that only the local runtime uses', () => {
    const bundles = () => ({ api: read('dist/api/index.js'), poller: read('dist/poller/index.js') });
    const cli = () => read('dist/cli/taskhook.cjs');
    const marker = (file: string, pattern: RegExp) => {
      const found = pattern.exec(read(file))?.[1];
      if (!found) throw new Error(`${file} no longer matches ${pattern}; pick another marker`);
      return found;
    };

    it('has no better-sqlite3 and no src/store/sqlite.ts, only the stub that says to use tablestore', () => {
      const markers = ['better-sqlite3', marker('src/store/sqlite.ts', /(CREATE TABLE \w+ \()/)];
      const stub = marker('src/store/unavailable.ts', /new Error\('([^']+)'\)/);
      for (const m of markers) expect(cli(), `the CLI bundle shows "${m}" can be found`).toContain(m);
      for (const [name, text] of Object.entries(bundles())) {
        for (const m of markers) expect(text.includes(m), `dist/${name}/index.js contains "${m}"`).toBe(false);
        expect(text, `dist/${name}/index.js`).toContain(stub);
      }
    });

    it('has no ECS simulator (src/ecs/simulator)', () => {
      // Minification renames the EcsSimulator class, so a string literal of the simulator is the marker.
      const m = marker('src/ecs/simulator/server.ts', /new Error\('(The ECS simulator [^']+)'\)/);
      expect(cli()).toContain(m);
      for (const [name, text] of Object.entries(bundles())) expect(text.includes(m), `dist/${name}/index.js contains "${m}"`).toBe(false);
    });

    it('has no CLI (src/local/cli.ts)', () => {
      const m = marker('src/local/cli.ts', /(usage: taskhook <command>[^'"`\n]*)/);
      expect(cli()).toContain(m);
      for (const [name, text] of Object.entries(bundles())) expect(text.includes(m), `dist/${name}/index.js contains "${m}"`).toBe(false);
    });
  });

  it('records each bundle size in dist/bundle-sizes.json', () => {
    const sizes = JSON.parse(read('dist/bundle-sizes.json')) as Record<string, number>;
    expect(sizes).toEqual({
      api: statSync(path.join(root, 'dist/api/index.js')).size,
      'api-redoc': statSync(path.join(root, 'dist/api/redoc-asset.js')).size,
      poller: statSync(path.join(root, 'dist/poller/index.js')).size,
      'poller-fc2': statSync(path.join(root, 'dist/poller/fc2.js')).size,
      tablestore: statSync(path.join(root, 'dist/poller/tablestore.js')).size,
      cli: statSync(path.join(root, 'dist/cli/taskhook.cjs')).size,
    });
    console.log(
      `bundle sizes: ${Object.entries(sizes)
        .map(([k, v]) => `${k} ${(v / 1024).toFixed(0)} KiB`)
        .join(', ')}`,
    );
  });
});
