/** s.yaml and the FC bundles it deploys: props that match the code, and bundles that load and run as FC runs them. */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
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

/**
 * Loads `handler: <file>.<export>` from a code directory as FC's Node.js runtime does: <file>.js (CommonJS unless the
 * nearest package.json says "type": "module") or <file>.mjs. Both require() and import() are tried, since a runtime
 * may use either; then the handler is called with the event as a Buffer, as FC passes it.
 */
const RUNNER = `
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const [outFile, codeDir, spec, eventText, contextJson] = process.argv.slice(2);
const dot = spec.lastIndexOf('.');
const base = spec.slice(0, dot), name = spec.slice(dot + 1);
const describe = (e) => (e && (e.code || e.name)) + ': ' + String(e && e.message).split('\\n')[0];
(async () => {
  const out = { files: ['.js', '.mjs'].map((ext) => base + ext).filter((f) => fs.existsSync(path.join(codeDir, f))) };
  let handler;
  if (out.files.length === 1) {
    const file = path.join(codeDir, out.files[0]);
    try { const m = require(file); out.require = typeof m[name]; handler = handler || (typeof m[name] === 'function' && m[name]); } catch (e) { out.require = describe(e); }
    try {
      const m = await import(pathToFileURL(file).href);
      const fn = m[name] ?? (m.default && m.default[name]);
      out.import = typeof fn;
      handler = handler || (typeof fn === 'function' && fn);
    } catch (e) { out.import = describe(e); }
  }
  if (handler && eventText !== undefined) {
    try { out.result = await handler(Buffer.from(eventText), JSON.parse(contextJson)); } catch (e) { out.error = describe(e); }
  }
  fs.writeFileSync(outFile, JSON.stringify(out));
  process.exit(0);
})();
`;

interface RunnerOutput {
  files: string[];
  require?: string;
  import?: string;
  result?: unknown;
  error?: string;
  /** What the function wrote to stdout (its log lines). */
  logs: string;
}

let tmp = '';
let runs = 0;

function runLikeFc(codeDir: string, handler: string, env: Record<string, string> = {}, event?: unknown, context: unknown = {}): RunnerOutput {
  const outFile = path.join(tmp, `out-${++runs}.json`);
  const args = [path.join(tmp, 'runner.cjs'), outFile, codeDir, handler];
  if (event !== undefined) args.push(JSON.stringify(event), JSON.stringify(context));
  const child = spawnSync(process.execPath, args, { cwd: codeDir, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 8_000 });
  if (child.status !== 0 || !existsSync(outFile)) throw new Error(`runner exited ${child.status}: ${child.stderr}`);
  return { ...(JSON.parse(readFileSync(outFile, 'utf8')) as Omit<RunnerOutput, 'logs'>), logs: child.stdout };
}

/** A fresh copy of a code dir where nothing around it can help: no node_modules, no package.json above it. */
function isolatedCopy(codeDir: string, name: string): string {
  const copy = path.join(tmp, name);
  cpSync(path.join(root, codeDir), copy, { recursive: true });
  if (existsSync(path.join(copy, 'node_modules'))) throw new Error(`${codeDir} ships a node_modules`);
  for (let dir = path.dirname(copy); ; dir = path.dirname(dir)) {
    for (const helper of ['package.json', 'node_modules']) {
      if (existsSync(path.join(dir, helper))) throw new Error(`${path.join(dir, helper)} would take part in loading ${copy}`);
    }
    if (path.dirname(dir) === dir) break;
  }
  return copy;
}

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

beforeAll(() => {
  // test/global-setup.ts builds once per run; building again here would delete dist/ under suites running alongside.
  if (!existsSync(path.join(root, 'dist/bundle-sizes.json'))) execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: root, stdio: 'pipe' });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'taskhook-fc-'));
  writeFileSync(path.join(tmp, 'runner.cjs'), RUNNER);
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

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
      const m = marker('src/local/cli.ts', /(usage: taskhook <command>[^`\n]*)/);
      expect(cli()).toContain(m);
      for (const [name, text] of Object.entries(bundles())) expect(text.includes(m), `dist/${name}/index.js contains "${m}"`).toBe(false);
    });
  });

  it('records each bundle size in dist/bundle-sizes.json', () => {
    const sizes = JSON.parse(read('dist/bundle-sizes.json')) as Record<string, number>;
    expect(sizes).toEqual({
      api: statSync(path.join(root, 'dist/api/index.js')).size,
      poller: statSync(path.join(root, 'dist/poller/index.js')).size,
      cli: statSync(path.join(root, 'dist/cli/taskhook.cjs')).size,
    });
    console.log(
      `bundle sizes: ${Object.entries(sizes)
        .map(([k, v]) => `${k} ${(v / 1024).toFixed(0)} KiB`)
        .join(', ')}`,
    );
  });
});
