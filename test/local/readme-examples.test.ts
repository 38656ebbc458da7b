import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { background, baseEnv, freshDir, type Background } from './cli-process.js';

/** A README block meant to be run: the ```sh fence right after an `<!-- example -->` (or `<!-- example: background -->`) line. */
interface Example {
  line: number;
  code: string;
  background: boolean;
}

export function markedExamples(markdown: string): Example[] {
  const lines = markdown.split('\n');
  const found: Example[] = [];
  for (let i = 0; i < lines.length - 1; i++) {
    const marker = /^<!-- example(: background)? -->$/.exec(lines[i].trim());
    if (!marker) continue;
    if (lines[i + 1].trim() !== '```sh') throw new Error(`README.md:${i + 1}: <!-- example --> must stand right before a \`\`\`sh block`);
    const end = lines.findIndex((l, j) => j > i + 1 && l.trim() === '```');
    found.push({ line: i + 2, code: lines.slice(i + 2, end).join('\n'), background: Boolean(marker[1]) });
  }
  return found;
}

const ROOT = process.cwd();
/** `npx taskhook` resolves to this checkout's bin, as it does when run inside the checkout. */
const PRELUDE = `npx() { if [ "$1" = taskhook ]; then shift; node ${JSON.stringify(join(ROOT, 'bin/taskhook.cjs'))} "$@"; else command npx "$@"; fi; }\n`;

let dir: string;
let instance: Background;
let app: http.Server;
const vars: Record<string, string> = {};
const secrets: string[] = [];
const verified: string[] = [];
const running: Background[] = [];

/** The user's app on port 3000: it verifies each delivery with the standardwebhooks library, as the README shows. */
function startApp(): Promise<http.Server | null> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const ok = secrets.some((secret) => {
        try {
          new Webhook(secret).verify(body, headers);
          return true;
        } catch {
          return false;
        }
      });
      if (ok) verified.push((JSON.parse(body) as { type: string }).type);
      res.writeHead(ok ? 204 : 400).end();
    });
  });
  return new Promise((resolve) => {
    server.once('error', () => resolve(null));
    server.listen(3000, '127.0.0.1', () => resolve(server));
  });
}

function runBlock(example: Example): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', PRELUDE + example.code], { cwd: dir, env: baseEnv(vars) });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

const examples = markedExamples(readFileSync(join(ROOT, 'README.md'), 'utf8'));

beforeAll(async () => {
  dir = freshDir('readme');
  instance = background(['start'], { cwd: dir, env: { TASKHOOK_PORT: '0', TASKHOOK_POLL_INTERVAL: '1' } });
  const [, taskId] = await instance.waitFor(/npx taskhook watch (t-\w+) --region cn-hangzhou/, 20_000);
  vars.TASKHOOK_DEMO_TASK = taskId;
  app = (await startApp())!;
}, 30_000);

afterAll(async () => {
  for (const b of running) await b.stop();
  await instance?.stop();
  app?.close();
});

describe('the README examples', () => {
  it('marks the tour and the CLI examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
    const text = examples.map((e) => e.code).join('\n');
    for (const command of ['npx taskhook watch', 'npx taskhook listen', 'npx taskhook trigger', 'npx taskhook webhooks list']) expect(text).toContain(command);
  });

  it('runs every marked example against a local instance, in order', async (ctx) => {
    if (!app) ctx.skip('port 3000 (the app the README forwards to) is taken on this machine');
    for (const example of examples) {
      if (example.background) {
        // A long-running example (listen): it starts, keeps running, and stops cleanly at the end.
        const script = example.code.trim();
        const args = script.replace(/^npx taskhook /, '').split(/\s+/);
        expect(script, `README.md:${example.line}`).toMatch(/^npx taskhook [^\n;&|]+$/);
        const b = background(args, { cwd: dir, env: vars });
        running.push(b);
        const [, secret] = await b.waitFor(/^ {2}(whsec_\S+)$/m, 15_000);
        secrets.push(secret);
        vars.TASKHOOK_WEBHOOK_SECRET = secret;
        continue;
      }
      const run = await runBlock(example);
      expect(run.code, `README.md:${example.line} exited ${run.code}:\n${example.code}\n${run.out}`).toBe(0);
    }
    for (const b of running.splice(0)) expect(await b.stop('SIGINT'), b.output()).toBe(0);
    // The app on :3000 verified what listen forwarded and what trigger sent it directly.
    expect(verified).toContain('ecs.task.failed');
    expect(verified).toContain('ecs.task.succeeded');
  }, 240_000);
});
