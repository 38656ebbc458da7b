/** Alibaba Cloud RPC signature version 1.0 (HMAC-SHA1), as the POP gateway checks it. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { errors } from './protocol';
import type { SimCredential } from './types';

/** RFC 3986 percent-encoding, which encodeURIComponent leaves incomplete. */
export function percentEncode(s: string): string {
  return encodeURIComponent(s).replace(/!/g, '%21').replace(/'/g, '%27').replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/\*/g, '%2A');
}

/** `POST&%2F&AccessKeyId%3D…%26SecurityToken%3D…`: what is signed, and what ECS quotes back on SignatureDoesNotMatch. */
export function rpcStringToSign(method: string, params: Record<string, string>): string {
  const canonical = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k])}`)
    .join('&');
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonical)}`;
}

export function signRpc(method: string, params: Record<string, string>, accessKeySecret: string): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(rpcStringToSign(method, params)).digest('base64');
}

const REQUIRED = ['AccessKeyId', 'Signature', 'SignatureMethod', 'SignatureVersion', 'SignatureNonce', 'Timestamp'];

/** The POP gateway accepts a request whose Timestamp lies within 15 minutes of its own clock (developer.aliyun.com/ask/9487). */
export const TIMESTAMP_TOLERANCE_MS = 15 * 60_000;

/** Throws the gateway's error for an unsigned, unknown, mis-signed or mis-timed request; `gatewayNow` is the gateway's wall clock. */
export function verifyRpcSignature(
  method: string,
  params: Record<string, string>,
  credentials: readonly SimCredential[],
  gatewayNow: number = Date.now(),
): SimCredential {
  if (REQUIRED.some((k) => !params[k]) || params.SignatureMethod !== 'HMAC-SHA1' || params.SignatureVersion !== '1.0') {
    throw errors.incompleteSignature();
  }
  const credential = credentials.find((c) => c.accessKeyId === params.AccessKeyId);
  if (!credential) throw errors.accessKeyNotFound();
  const expected = Buffer.from(signRpc(method, params, credential.accessKeySecret));
  const given = Buffer.from(params.Signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw errors.signatureDoesNotMatch();
  if ((credential.securityToken ?? '') !== (params.SecurityToken ?? '')) throw errors.securityTokenMismatch();
  const sentAt = Date.parse(params.Timestamp);
  if (!Number.isFinite(sentAt) || Math.abs(sentAt - gatewayNow) > TIMESTAMP_TOLERANCE_MS) throw errors.timestampExpired();
  return credential;
}
