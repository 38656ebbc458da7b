/** `taskhook invoke`: run the deployed poller now, through @alicloud/fc2 (sync, or async with --async). */
import FCClient from '@alicloud/fc2';
import { functionErrorMessage, safeLine } from '../../fc/function-error.js';
import { configOf, EXIT, UsageError, requireOption, type Io } from '../cli-context.js';

export interface InvokeOptions {
  function?: string;
  region?: string;
  accountId?: string;
  async?: boolean;
  payload?: string;
  endpoint?: string;
  json?: boolean;
}

/** FC 3.0 functions live outside services; their invoke path is under the 2023-03-30 API version. */
const FC3_API_VERSION = '2023-03-30';
/** Enough of a function's error message to act on; a stack trace pasted into it is not. */
const MAX_ERROR_MESSAGE_CHARS = 500;

export async function invokeCommand(io: Io, options: InvokeOptions): Promise<number> {
  const config = configOf(io);
  if (!config.credentials)
    throw new UsageError('invoke needs ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (a RAM user allowed fc:InvokeFunction)');
  const functionName = options.function ?? 'taskhook-poller';
  const region = requireOption(options.region ?? io.env.ALIBABA_CLOUD_REGION, 'region', 'cn-hangzhou');
  const accountId = requireOption(options.accountId ?? io.env.ALIBABA_CLOUD_ACCOUNT_ID, 'account-id', '1234567890123456');
  const payload = options.payload ?? JSON.stringify({ triggerTime: new Date().toISOString(), triggerName: 'taskhook-invoke', payload: '' });
  const client = new FCClient(accountId, {
    accessKeyID: config.credentials.accessKeyId,
    accessKeySecret: config.credentials.accessKeySecret,
    securityToken: config.credentials.securityToken,
    region,
    secure: true,
    timeout: 300_000,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  }) as FCClient & {
    version: string;
    post(path: string, body: string, headers: Record<string, string>): Promise<{ headers: Record<string, string>; data: unknown }>;
  };
  client.version = FC3_API_VERSION;
  try {
    const res = await client.post(`/functions/${encodeURIComponent(functionName)}/invocations`, payload, {
      'x-fc-invocation-type': options.async ? 'Async' : 'Sync',
    });
    // FC answers a function that threw with 2xx, the error type in this header and the error JSON as the body.
    const functionError = res.headers['x-fc-error-type'];
    if (functionError) {
      io.err(`invoke failed: ${safeLine(functionError, MAX_ERROR_MESSAGE_CHARS)}: ${functionErrorMessage(res.data, MAX_ERROR_MESSAGE_CHARS)}`);
      return EXIT.failed;
    }
    if (options.async)
      io.out(
        options.json
          ? JSON.stringify({ queued: true, requestId: res.headers['x-fc-request-id'] ?? null })
          : `queued: request id ${res.headers['x-fc-request-id'] ?? '-'}`,
      );
    else if (options.json) io.out(typeof res.data === 'string' ? res.data : JSON.stringify(res.data));
    else io.out(typeof res.data === 'string' ? res.data : JSON.stringify(res.data, null, 2));
    return EXIT.ok;
  } catch (error) {
    // fc2's own message carries only the method, path, status, request id and FC's message: no credentials.
    const e = error as { code?: string; message?: string };
    io.err(`invoke failed: ${e.code ?? 'error'}: ${e.message ?? String(error)}`);
    return EXIT.failed;
  }
}
