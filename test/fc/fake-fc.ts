/** A stand-in for the FC 3.0 invoke API on 127.0.0.1: records each call, checks its FC signature, answers as a test says. */
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FcCall {
  method: string;
  /** The path without the query, e.g. /2023-03-30/functions/taskhook-poller/invocations. */
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** `FC <AccessKeyId>:<base64 of a 32-byte HMAC>`. */
  authorizationWellFormed: boolean;
  /** The signature is the HMAC-SHA256 of FC's string-to-sign with the secret of the key it names. */
  signatureOk: boolean;
  /** Content-MD5 is the base64 of the hex MD5 of the body, as fc2 computes it. */
  contentMd5Ok: boolean;
}

export type FcAnswer = { status: number; headers?: Record<string, string>; body?: string } | 'drop';

export interface FakeFc {
  endpoint: string;
  calls: FcCall[];
  /** How the next calls are answered; the default accepts an async invocation with 202 and an empty body. */
  answerWith(answer: (call: FcCall) => FcAnswer): void;
  close(): Promise<void>;
}

const ACCEPTED: FcAnswer = { status: 202, headers: { 'x-fc-request-id': 'fc-req-accepted' } };

export async function startFakeFc(keys: Array<{ accessKeyId: string; accessKeySecret: string }>): Promise<FakeFc> {
  const calls: FcCall[] = [];
  let answer: (call: FcCall) => FcAnswer = () => ACCEPTED;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://fc.test');
      const h = req.headers as Record<string, string>;
      const match = /^FC ([^:\s]+):([A-Za-z0-9+/]{43}=)$/.exec(h.authorization ?? '');
      const secret = keys.find((k) => k.accessKeyId === match?.[1])?.accessKeySecret;
      const fcHeaders = Object.keys(h)
        .filter((k) => k.startsWith('x-fc-'))
        .sort()
        .map((k) => `${k}:${h[k]}\n`)
        .join('');
      const toSign = `${req.method}\n${h['content-md5'] ?? ''}\n${h['content-type'] ?? ''}\n${h.date}\n${fcHeaders}${url.pathname}`;
      const call: FcCall = {
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: body.toString('utf8'),
        authorizationWellFormed: match !== null,
        signatureOk: secret !== undefined && match?.[2] === createHmac('sha256', secret).update(toSign).digest('base64'),
        contentMd5Ok: h['content-md5'] === Buffer.from(createHash('md5').update(body).digest('hex')).toString('base64'),
      };
      calls.push(call);
      const reply = answer(call);
      if (reply === 'drop') return req.socket.destroy();
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    answerWith: (next) => (answer = next),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
