import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { newWebhookSecret, signedHeaders } from '../../src/webhooks/signing.js';
import { exampleEvent } from '../../src/local/example-events.js';
import { freshDir, inTerminal, taskhook } from './cli-process.js';

/** A delivery as taskhook sends it: the real event builder's body, the real signer's headers. */
function delivery(secret: string, at = Date.now()) {
  const event = exampleEvent('ecs.task.succeeded', { now: at });
  const body = JSON.stringify(event);
  const headers: Record<string, string> = { ...signedHeaders(event.id, body, { current: secret }, at), 'content-length': String(Buffer.byteLength(body)) };
  return { event, body, headers };
}

const dir = freshDir('verify');
let files = 0;
/** Headers captured to a file, as a user would pass them. */
function headersFile(headers: Record<string, string>): string {
  const file = join(dir, `headers-${files++}.json`);
  writeFileSync(file, JSON.stringify(headers));
  return file;
}

async function verify(secret: string, headers: Record<string, string> | string, body: string) {
  const run = await taskhook(['verify', '--secret', secret, '--headers', typeof headers === 'string' ? headers : headersFile(headers), '--json'], {
    stdin: body,
    cwd: dir,
  });
  return { ...run, verdict: run.stdout ? (JSON.parse(run.stdout) as { ok: boolean; problem: string | null; reason: string }) : null };
}

describe('taskhook verify tells the classic failures apart', () => {
  const secret = newWebhookSecret();

  it('verifies a genuine delivery (the standardwebhooks library agrees)', async () => {
    const { body, headers } = delivery(secret);
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
    const run = await verify(secret, headers, body);
    expect(run.code).toBe(0);
    expect(run.verdict).toMatchObject({ ok: true, problem: null, reason: expect.stringMatching(/^verified: /) });
  });

  it('1. wrong secret', async () => {
    const { body, headers } = delivery(secret);
    const run = await verify(newWebhookSecret(), headers, body);
    expect(run.code).toBe(1);
    expect(run.verdict).toMatchObject({ ok: false, problem: 'wrong-secret', reason: expect.stringContaining('wrong secret') });
  });

  it("2. body changed: an edited value, a cut body, another delivery's body, a newline added", async () => {
    const { event, body, headers } = delivery(secret);
    const edited = body.replace('"succeeded"', '"failed"');
    expect((await verify(secret, headers, edited)).verdict).toMatchObject({ problem: 'body-changed', reason: expect.stringContaining('content-length') });
    expect((await verify(secret, headers, body.slice(0, 100))).verdict).toMatchObject({ problem: 'body-changed' });
    const other = JSON.stringify({ ...event, id: 'evt_00000000000000000000000000' });
    const { 'content-length': _, ...withoutLength } = headers;
    expect((await verify(secret, withoutLength, other)).verdict).toMatchObject({
      problem: 'body-changed',
      reason: expect.stringContaining('different deliveries'),
    });
    const newline = await verify(secret, headers, body + '\n');
    expect(newline.code).toBe(1);
    expect(newline.verdict).toMatchObject({ problem: 'body-changed', reason: expect.stringContaining('newline') });
  });

  it('3. body re-serialised: pretty-printed, or its keys re-ordered (not reported as a wrong secret)', async () => {
    const { event, body, headers } = delivery(secret);
    const { 'content-length': _, ...captured } = headers;
    const pretty = await verify(secret, captured, JSON.stringify(event, null, 2));
    expect(pretty.verdict).toMatchObject({ problem: 'body-reserialised', reason: expect.stringContaining('pretty-printed') });
    // A framework that sorts keys, at every depth.
    const sorted = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(sorted)
        : value && typeof value === 'object'
          ? Object.fromEntries(
              Object.keys(value)
                .sort()
                .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
            )
          : value;
    const reordered = JSON.stringify(sorted(JSON.parse(body)));
    expect(reordered).not.toBe(body);
    expect(reordered.length).toBe(body.length);
    const run = await verify(secret, captured, reordered);
    expect(run.code).toBe(1);
    expect(run.verdict).toMatchObject({ problem: 'body-reserialised', reason: expect.stringContaining('keys re-ordered') });
  });

  it('4. timestamp too old, or in the future', async () => {
    const old = delivery(secret, Date.now() - 3_600_000);
    expect((await verify(secret, old.headers, old.body)).verdict).toMatchObject({
      problem: 'timestamp-too-old',
      reason: expect.stringMatching(/timestamp is 36\d\d s old/),
    });
    const future = delivery(secret, Date.now() + 600_000);
    expect((await verify(secret, future.headers, future.body)).verdict).toMatchObject({
      problem: 'timestamp-in-future',
      reason: expect.stringContaining('in the future'),
    });
  });

  it('5. missing or malformed header, and a missing --headers file named as such', async () => {
    const { body, headers } = delivery(secret);
    const { 'webhook-id': _, ...noId } = headers;
    expect((await verify(secret, noId, body)).verdict).toMatchObject({
      problem: 'header-missing',
      reason: expect.stringContaining('webhook-id header is missing'),
    });
    expect((await verify(secret, { ...headers, 'webhook-timestamp': 'yesterday' }, body)).verdict).toMatchObject({ problem: 'header-malformed' });
    expect((await verify(secret, { ...headers, 'webhook-signature': 'sha256=abc' }, body)).verdict).toMatchObject({ problem: 'header-malformed' });
    // Headers as `name: value` lines, inline, work like JSON.
    const lines = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n');
    expect((await verify(secret, lines, body)).verdict).toMatchObject({ ok: true });

    const missing = join(dir, 'no-such-headers.json');
    const run = await taskhook(['verify', '--secret', secret, '--headers', missing], { stdin: body, cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      `taskhook: the --headers file "${missing}" does not exist; give the file of captured headers (JSON or name: value lines), or the JSON itself`,
    );
  });

  it('6. no body on stdin: a terminal is refused at once with the usage; an empty pipe is named', async () => {
    const { headers } = delivery(secret);
    const file = headersFile(headers);
    // In a terminal with nothing piped in, it answers at once instead of waiting for input.
    const tty = await inTerminal(['verify', '--secret', secret, '--headers', file], 80, { cwd: dir });
    expect(tty.code).toBe(2);
    expect(tty.stdout).toContain('no body on stdin');
    expect(tty.stdout).toContain('usage: taskhook verify --secret whsec_… --headers');
    const empty = await taskhook(['verify', '--secret', secret, '--headers', file], { stdin: '', cwd: dir });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('the body on stdin is empty');
  });
});
