/** One FC 3.0 InvokeFunction, signed by fc2 but sent here: fc2's request() throws on an empty JSON 202 and drops FC 3.0's `{Code, Message}` error body. */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type FCClient from '@alicloud/fc2';

/** The parts of fc2 used to build and sign the request, which its type declaration leaves out. */
interface Fc2Signer {
  version: string;
  endpoint: string;
  buildHeaders(): Record<string, string>;
}
interface Fc2Class {
  new (accountId: string, options: ConstructorParameters<typeof FCClient>[1]): Fc2Signer;
  getSignature(accessKeyId: string, accessKeySecret: string, method: string, path: string, headers: Record<string, unknown>, queries: null): string;
}

export interface InvokeRequest {
  accountId: string;
  region: string;
  /** An FC API origin; absent means fc2's `https://<account>.<region>.fc.aliyuncs.com`. */
  endpoint?: string;
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
  functionName: string;
  /** A version or alias; absent means LATEST. */
  qualifier?: string;
  invocationType: 'Sync' | 'Async';
  body: string;
  timeoutMs: number;
  /** The most of the answer's body kept; the rest is read and dropped. */
  maxBodyBytes: number;
}

export interface InvokeAnswer {
  status: number;
  /** Header names lower-cased, repeated values comma-joined. */
  headers: Record<string, string>;
  /** The body as UTF-8 text, whatever its content type (an async 202 may have none). */
  body: string;
  /** True when the body was longer than `maxBodyBytes`. */
  truncated: boolean;
}

/** FC 3.0 functions live outside services; their invoke path is under the 2023-03-30 API version. */
const FC3_API_VERSION = '2023-03-30';

/** FC's answer whatever its status; rejects only when none came (refused, dropped, timed out) or fc2 refuses the options. */
export async function invokeFunction(fc2: typeof FCClient, request: InvokeRequest): Promise<InvokeAnswer> {
  const Fc2 = fc2 as unknown as Fc2Class;
  // fc2 checks its options here: an STS key id without a security token throws a TypeError naming the option.
  const client = new Fc2(request.accountId, {
    accessKeyID: request.credentials.accessKeyId,
    accessKeySecret: request.credentials.accessKeySecret,
    securityToken: request.credentials.securityToken,
    region: request.region,
    secure: true,
    timeout: request.timeoutMs,
    ...(request.endpoint ? { endpoint: request.endpoint } : {}),
  });
  client.version = FC3_API_VERSION;
  const signedPath = `/${client.version}/functions/${encodeURIComponent(request.functionName)}/invocations`;
  const query = request.qualifier ? `?qualifier=${encodeURIComponent(request.qualifier)}` : '';
  const payload = Buffer.from(request.body, 'utf8');
  // The same headers, body digest and signature fc2's request() builds for a string body (lib/client.js).
  const headers: Record<string, string> = {
    ...client.buildHeaders(),
    'x-fc-invocation-type': request.invocationType,
    'content-type': 'application/octet-stream',
    'content-length': String(payload.length),
    'content-md5': Buffer.from(createHash('md5').update(payload).digest('hex'), 'utf8').toString('base64'),
  };
  headers.authorization = Fc2.getSignature(request.credentials.accessKeyId, request.credentials.accessKeySecret, 'POST', signedPath, headers, null);
  return send(new URL(`${client.endpoint}${signedPath}${query}`), headers, payload, request.timeoutMs, request.maxBodyBytes);
}

function send(url: URL, headers: Record<string, string>, payload: Buffer, timeoutMs: number, maxBodyBytes: number): Promise<InvokeAnswer> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<InvokeAnswer>((resolve, reject) => {
    const req = transport.request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      res.on('data', (chunk: Buffer) => {
        if (kept >= maxBodyBytes) return void (truncated = true);
        const part = chunk.subarray(0, maxBodyBytes - kept);
        truncated ||= part.length < chunk.length;
        chunks.push(part);
        kept += part.length;
      });
      res.on('end', () => {
        clearTimeout(timer);
        const flat: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
        resolve({ status: res.statusCode ?? 0, headers: flat, body: Buffer.concat(chunks).toString('utf8'), truncated });
      });
      res.on('error', fail);
    });
    // One deadline for the whole exchange; the name is what callers classify as a timeout.
    const timer = setTimeout(() => {
      const error = Object.assign(new Error(`no answer from FC within ${timeoutMs} ms`), { name: 'RequestTimeoutError' });
      req.destroy(error);
    }, timeoutMs);
    function fail(error: Error) {
      clearTimeout(timer);
      reject(error);
    }
    req.on('error', fail);
    req.end(payload);
  });
}
