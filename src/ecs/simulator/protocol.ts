/** The RPC wire format: request parameters in, ECS JSON bodies and error bodies out. */
import { randomUUID } from 'node:crypto';

export const API_VERSION = '2014-05-26';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const missing = (name: string) =>
  new ApiError(400, 'MissingParameter', `An input parameter "${name}" that is mandatory for processing the request is not supplied.`);
const invalid = (name: string) => new ApiError(400, 'InvalidParameter', `The specified parameter "${name}" is not valid.`);

export const errors = {
  missing,
  invalid,
  regionNotFound: () => new ApiError(400, 'InvalidRegionId.NotFound', 'The specified RegionId does not exist.'),
  taskNotFound: () => new ApiError(400, 'InvalidTaskId.NotFound', 'The specified "TaskId" is not found.'),
  tooManyTaskIds: () => new ApiError(400, 'InvalidParameter', 'The specified parameter TaskIds exceeds 100.'),
  cancelNotSupported: () => new ApiError(403, 'InvalidTaskId.TaskActionNotSupport', 'The specified task action not support.'),
  incorrectTaskStatus: () => new ApiError(403, 'InvalidTaskId.IncorrectTaskStatus', 'The specified task status is invalid.'),
  incompleteSignature: () => new ApiError(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.'),
  accessKeyNotFound: () => new ApiError(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.'),
  /** Real ECS appends the string-to-sign it computed, credentials and all; the `signatureMismatch` fault does too. */
  signatureDoesNotMatch: (stringToSign?: string) =>
    new ApiError(
      400,
      'SignatureDoesNotMatch',
      `Specified signature is not matched with our calculation.${stringToSign ? ` server string to sign is:${stringToSign}` : ''}`,
    ),
  securityTokenMismatch: () => new ApiError(400, 'InvalidSecurityToken.Mismatch', 'Specified SecurityToken mismatch with the AccessKey.'),
  actionNotFound: () => new ApiError(400, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.'),
  invalidVersion: () => new ApiError(400, 'InvalidVersion', 'Specified parameter Version is not valid.'),
  throttled: () => new ApiError(400, 'Throttling.User', 'Request was denied due to user flow control.'),
  /** The POP gateway's answer when the request's Timestamp is more than 15 minutes from its own time. */
  timestampExpired: () => new ApiError(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.'),
  internal: () => new ApiError(500, 'InternalError', 'The request processing has failed due to some unknown error.'),
  unavailable: () => new ApiError(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.'),
};

export function newRequestId(): string {
  return randomUUID().toUpperCase();
}

export function hostId(regionId: string | undefined, knownRegions: readonly string[]): string {
  return regionId && knownRegions.includes(regionId) ? `ecs.${regionId}.aliyuncs.com` : 'ecs.aliyuncs.com';
}

export function errorBody(err: ApiError, requestId: string, host: string): string {
  return JSON.stringify({ RequestId: requestId, HostId: host, Code: err.code, Message: err.message });
}

/** GET carries everything in the query string; POST in a form body (query parameters are merged in too). */
export function readParams(url: string | undefined, body: string, contentType: string | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  const query = (url ?? '/').split('?')[1] ?? '';
  for (const [k, v] of new URLSearchParams(query)) params[k] = v;
  if (body && (contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(body)) params[k] = v;
  }
  return params;
}

/** Values of a repeated parameter `Name.1`, `Name.2`, … in index order. */
export function repeatedParam(params: Record<string, string>, name: string): string[] {
  const pattern = new RegExp(`^${name}\\.(\\d+)$`);
  return Object.keys(params)
    .map((k) => [pattern.exec(k), k] as const)
    .filter(([m]) => m !== null)
    .sort(([a], [b]) => Number(a![1]) - Number(b![1]))
    .map(([, k]) => params[k]);
}

export const HTML_503 =
  '<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n';
