/** FC 3.0's invoke API on 127.0.0.1: checks each call's signature and function, refusing with `{Code, Message, RequestId}` (help.aliyun.com/zh/functioncompute/fc/developer-reference/api-fc-2023-03-30-struct-error). */
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

/** FC 3.0's body (the default), `{errorCode, errorMessage}` of alibabacloud.com/help/en/functioncompute/error-codes, or FC 2.0's `{ErrorCode, ErrorMessage}`. */
export type ErrorShape = 'fc3' | 'lowercase' | 'fc2';

/** Every form an async invocation's 202 could take: the receipt's content type and body are not documented. */
export type AcceptedForm = 'no-content-type' | 'json-empty' | 'json-body' | 'text-body';

export interface FakeFc {
  endpoint: string;
  calls: FcCall[];
  /** How the next well-signed calls to a known function are answered; the default accepts with a 202 and no body. */
  answerWith(answer: (call: FcCall) => FcAnswer): void;
  close(): Promise<void>;
}

let requestSeq = 0;

/** An FC error answer in the given shape, with FC's request id in both the header and (FC 3.0) the body. */
export function fcError(status: number, code: string, message: string, shape: ErrorShape = 'fc3'): FcAnswer {
  const requestId = `fc-err-${++requestSeq}`;
  const body =
    shape === 'fc3'
      ? { Code: code, Message: message, RequestId: requestId }
      : shape === 'lowercase'
        ? { errorCode: code, errorMessage: message }
        : { ErrorCode: code, ErrorMessage: message };
  return { status, headers: { 'content-type': 'application/json', 'x-fc-request-id': requestId }, body: JSON.stringify(body) };
}

/** An async invocation accepted with a 202, in one of the forms of AcceptedForm. */
export function accepted(form: AcceptedForm, requestId = 'fc-req-accepted'): FcAnswer {
  const headers = { 'x-fc-request-id': requestId };
  switch (form) {
    case 'no-content-type':
      return { status: 202, headers };
    case 'json-empty':
      return { status: 202, headers: { ...headers, 'content-type': 'application/json; charset=utf-8' } };
    case 'json-body':
      return { status: 202, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ RequestId: requestId }) };
    case 'text-body':
      return { status: 202, headers: { ...headers, 'content-type': 'text/plain' }, body: 'Accepted' };
  }
}

const INVOKE_PATH = /^\/2023-03-30\/functions\/([^/]+)\/invocations$/;

export async function startFakeFc(keys: Array<{ accessKeyId: string; accessKeySecret: string }>, options: { functions?: string[] } = {}): Promise<FakeFc> {
  const functions = new Set(options.functions ?? ['taskhook-poller']);
  const calls: FcCall[] = [];
  let answer: (call: FcCall) => FcAnswer = () => accepted('no-content-type');
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
      const invoked = INVOKE_PATH.exec(url.pathname);
      // FC checks the caller before the resource: an unknown key, then a bad signature, then the path and the function.
      const reply: FcAnswer =
        match && secret === undefined
          ? fcError(403, 'InvalidAccessKeyID', `invalid access key ID '${match[1]}'`)
          : !call.signatureOk
            ? fcError(403, 'SignatureNotMatch', 'The request signature we calculated does not match the signature you provided.')
            : !invoked || call.method !== 'POST'
              ? fcError(400, 'PathNotSupported', `'${call.method}' against '${url.pathname}' is not supported`)
              : !functions.has(decodeURIComponent(invoked[1]))
                ? fcError(404, 'FunctionNotFound', `function '${decodeURIComponent(invoked[1])}' does not exist.`)
                : answer(call);
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
