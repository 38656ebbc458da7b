/**
 * The receiver helper `taskhook/consumer`: verifyDelivery on deliveries signed by taskhook's own signer (HMAC, Ed25519,
 * after a rotation), its refusals, the built package reached through package.json `exports`, and its types.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { DeliveryVerificationError, verifyDelivery, type DeliveredEvent } from '../../src/consumer/index.js';
import { eventsForTransition } from '../../src/tasks/events.js';
import { operationalEvent } from '../../src/webhooks/operational.js';
import { publicKeyOf, newSecret, rotatedSecrets } from '../../src/webhooks/secrets.js';
import { signedHeaders } from '../../src/webhooks/signing.js';
import { snapshot } from '../store/contract.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const key = { regionId: 'cn-hangzhou', taskId: 't-consumer000001' };
const [event] = eventsForTransition({ previous: null, next: snapshot(key, 'Finished', { outcome: 'failed' }), sequence: 0 }).filter(
  (e) => e.type === 'ecs.task.failed',
);
const body = JSON.stringify(event);
const NOW = Date.parse(event.data.task.observedAt);
const at = { now: () => NOW + 1_000 };

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DeliveryVerificationError) return { reason: error.reason, message: error.message };
    throw error;
  }
  throw new Error('verifyDelivery accepted it');
};

describe('verifyDelivery', () => {
  it('answers the typed event of an HMAC-signed delivery, with headers as Node or fetch gives them', () => {
    const secret = newSecret('hmac');
    const headers = signedHeaders(event.id, body, { current: secret }, NOW);
    const verified: DeliveredEvent = verifyDelivery(headers, body, secret, at);
    expect(verified).toEqual(event);
    expect(verified.type === 'ecs.task.failed' && verified.data.task.outcome).toBe('failed');
    expect(verifyDelivery(new Headers(headers), Buffer.from(body), secret, at)).toEqual(event);
    const shouting = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyDelivery(shouting, body, secret, at).id).toBe(event.id);
  });

  it('verifies with either secret after a rotation, and with an Ed25519 public key', () => {
    const old = newSecret('hmac');
    const current = newSecret('hmac');
    const headers = signedHeaders(event.id, body, rotatedSecrets({ current: old }, current, NOW), NOW);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verifyDelivery(headers, body, old, at).id).toBe(event.id);
    expect(verifyDelivery(headers, body, current, at).id).toBe(event.id);

    const secretKey = newSecret('ed25519');
    const signed = signedHeaders(event.id, body, { current: secretKey }, NOW);
    expect(signed['webhook-signature']).toMatch(/^v1a,/);
    expect(verifyDelivery(signed, body, publicKeyOf(secretKey), at)).toEqual(event);
    expect(refusal(() => verifyDelivery(signed, body, publicKeyOf(newSecret('ed25519')), at)).reason).toBe('signature');
  });

  it('verifies operational events and the test ping too', () => {
    const secret = newSecret('hmac');
    const op = operationalEvent(
      'delivery.exhausted',
      { webhookId: 'wh_1', reason: 'HTTP 500', failingSince: null, eventId: event.id, deliveryId: 'dlv_1' },
      event.time,
    );
    const opBody = JSON.stringify(op);
    const verified = verifyDelivery(signedHeaders(op.id, opBody, { current: secret }, NOW), opBody, secret, at);
    expect(verified.type === 'delivery.exhausted' && verified.data.deliveryId).toBe('dlv_1');
  });

  it('refuses, saying why: a wrong secret, a changed body, a stale or future time, a missing header, a body that is not an event', () => {
    const secret = newSecret('hmac');
    const headers = signedHeaders(event.id, body, { current: secret }, NOW);
    expect(refusal(() => verifyDelivery(headers, body, newSecret('hmac'), at))).toMatchObject({
      reason: 'signature',
      message: expect.stringContaining('wrong secret'),
    });
    expect(refusal(() => verifyDelivery(headers, body.replace('failed', 'succeeded'), secret, at)).reason).toBe('signature');
    expect(refusal(() => verifyDelivery(headers, JSON.stringify(JSON.parse(body), null, 2), secret, at)).reason).toBe('signature');
    expect(refusal(() => verifyDelivery(headers, body, secret, { now: () => NOW + 600_000 }))).toMatchObject({
      reason: 'timestamp',
      message: expect.stringContaining('s old'),
    });
    expect(refusal(() => verifyDelivery(headers, body, secret, { now: () => NOW - 600_000 })).reason).toBe('timestamp');
    expect(verifyDelivery(headers, body, secret, { now: () => NOW + 600_000, toleranceSeconds: 900 }).id).toBe(event.id);
    const { 'webhook-signature': _, ...unsigned } = headers;
    expect(refusal(() => verifyDelivery(unsigned, body, secret, at))).toMatchObject({
      reason: 'headers',
      message: expect.stringContaining('webhook-signature'),
    });
    expect(refusal(() => verifyDelivery(headers, body, 'not-a-secret', at)).reason).toBe('signature');

    const notAnEvent = JSON.stringify({ ...event, data: { ...event.data, task: { ...event.data.task, outcome: 'done' } } });
    const signedOther = signedHeaders(event.id, notAnEvent, { current: secret }, NOW);
    expect(refusal(() => verifyDelivery(signedOther, notAnEvent, secret, at))).toMatchObject({
      reason: 'body',
      message: expect.stringContaining('data.task.outcome'),
    });
    const elsewhere = signedHeaders('evt_other', body, { current: secret }, NOW);
    expect(refusal(() => verifyDelivery(elsewhere, body, secret, at))).toMatchObject({ reason: 'body', message: expect.stringContaining('webhook-id') });
  });
});

describe('the package export taskhook/consumer', () => {
  beforeAll(() => {
    execFileSync(process.execPath, ['scripts/build-consumer.mjs', '--quiet'], { cwd: root, stdio: 'pipe' });
  }, 120_000);

  it('resolves through package.json exports to the built module, for import and require alike', () => {
    const require = createRequire(path.join(root, 'package.json'));
    expect(path.relative(root, require.resolve('taskhook/consumer'))).toBe(path.join('dist', 'consumer', 'index.cjs'));
    const secret = newSecret('hmac');
    const headers = JSON.stringify(signedHeaders(event.id, body, { current: secret }, Date.now()));
    const script = (load: string) =>
      `${load}.then((m) => { const e = m.verifyDelivery(JSON.parse(process.argv[1]), process.argv[2], process.argv[3]); process.stdout.write(e.type + ' ' + e.data.task.id); })`;
    for (const load of ["import('taskhook/consumer')", "Promise.resolve(require('taskhook/consumer'))"]) {
      const out = execFileSync(process.execPath, ['-e', script(load), headers, body, secret], { cwd: root, encoding: 'utf8' });
      expect(out).toBe(`ecs.task.failed ${key.taskId}`);
    }
  });

  it('types a delivery for a TypeScript receiver in a few lines, and refuses code that skips the narrowing', () => {
    const dir = path.join(root, 'dist', 'consumer-check');
    mkdirSync(dir, { recursive: true });
    const good = path.join(dir, 'receiver.ts');
    const bad = path.join(dir, 'careless.ts');
    // The README's receiver, in TypeScript: three lines verify and type the delivery.
    writeFileSync(
      good,
      [
        "import { verifyDelivery } from 'taskhook/consumer';",
        'export const failures = (headers: Record<string, string>, rawBody: string) => {',
        '  const event = verifyDelivery(headers, rawBody, process.env.TASKHOOK_WEBHOOK_SECRET!);',
        "  return event.type === 'ecs.task.failed' ? event.data.task.operations.map((op) => op.errorCode) : [];",
        '};',
      ].join('\n'),
    );
    writeFileSync(
      bad,
      "import { verifyDelivery } from 'taskhook/consumer';\nexport const id = (h: Headers, b: string) => verifyDelivery(h, b, 'whsec_x').data.task.id;\n",
    );
    const diagnostics = (file: string) => {
      const program = ts.createProgram([file], {
        strict: true,
        noEmit: true,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        types: ['node'],
        skipLibCheck: true,
      });
      return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    };
    expect(diagnostics(good)).toEqual([]);
    expect(diagnostics(bad).join('\n')).toMatch(/Property 'task' does not exist/);
  }, 60_000);
});
