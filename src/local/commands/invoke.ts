/** `taskhook invoke`: run the deployed poller now (sync, or async with --async), signed by @alicloud/fc2. */
import FCClient from '@alicloud/fc2';
import { invokeFunction, type InvokeAnswer } from '../../fc/fc-invoke.js';
import { fcErrorLine, functionErrorMessage, readFcError, safeLine, type FcCallSite } from '../../fc/function-error.js';
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

/** Enough of an error message to act on; a stack trace pasted into it is not. */
const MAX_ERROR_MESSAGE_CHARS = 500;
/** A poll summary is a few KB; a sync answer beyond this is cut rather than held in memory whole. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;
/** Above the poller's 300 s timeout, so a sync run's own answer arrives first. */
const TIMEOUT_MS = 310_000;

export async function invokeCommand(io: Io, options: InvokeOptions): Promise<number> {
  const config = configOf(io);
  if (!config.credentials)
    throw new UsageError('invoke needs ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (a RAM user allowed fc:InvokeFunction)');
  const functionName = options.function ?? 'taskhook-poller';
  const region = requireOption(options.region ?? io.env.ALIBABA_CLOUD_REGION, 'region', 'cn-hangzhou');
  const accountId = requireOption(options.accountId ?? io.env.ALIBABA_CLOUD_ACCOUNT_ID, 'account-id', '1234567890123456');
  const payload = options.payload ?? JSON.stringify({ triggerTime: new Date().toISOString(), triggerName: 'taskhook-invoke', payload: '' });
  const site: FcCallSite = {
    functionName,
    region,
    accountId,
    caller: 'the RAM user of ALIBABA_CLOUD_ACCESS_KEY_ID',
    targetFrom: `--function, --region and --account-id${options.endpoint ? ', and --endpoint' : ''}`,
    credentialsFrom: 'ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET and ALIBABA_CLOUD_SECURITY_TOKEN',
  };
  let answer: InvokeAnswer;
  try {
    answer = await invokeFunction(FCClient, {
      accountId,
      region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      credentials: config.credentials,
      functionName,
      invocationType: options.async ? 'Async' : 'Sync',
      body: payload,
      timeoutMs: TIMEOUT_MS,
      maxBodyBytes: MAX_ANSWER_BYTES,
    });
  } catch (error) {
    io.err(`invoke failed: ${noAnswer(error, options.endpoint ?? `https://${accountId}.${region}.fc.aliyuncs.com`)}`);
    return EXIT.failed;
  }
  if (answer.status < 200 || answer.status >= 300) {
    io.err(`invoke failed: ${fcErrorLine(readFcError(answer.status, answer.headers, answer.body, site, MAX_ERROR_MESSAGE_CHARS))}`);
    return EXIT.failed;
  }
  // FC answers a function that threw with 2xx, the error type in this header and the error JSON as the body.
  const functionError = answer.headers['x-fc-error-type'];
  if (functionError) {
    io.err(`invoke failed: ${safeLine(functionError, MAX_ERROR_MESSAGE_CHARS)}: ${functionErrorMessage(answer.body, MAX_ERROR_MESSAGE_CHARS)}`);
    return EXIT.failed;
  }
  const requestId = answer.headers['x-fc-request-id'] ?? null;
  if (options.async) {
    // The receipt is the status alone: its body may be empty, JSON or text, with or without a content type.
    io.out(options.json ? JSON.stringify({ queued: true, requestId }) : `queued: request id ${requestId ?? '-'}`);
    return EXIT.ok;
  }
  const result = jsonOf(answer);
  if (result === undefined) io.out(answer.body);
  else io.out(options.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
  if (answer.truncated) io.err(`note: the function's answer was longer than ${MAX_ANSWER_BYTES} bytes and was cut`);
  return EXIT.ok;
}

/** The answer as JSON when it says so and parses; otherwise undefined and it is printed as text. */
function jsonOf(answer: InvokeAnswer): unknown {
  if (!(answer.headers['content-type'] ?? '').startsWith('application/json') || answer.body.trim() === '') return undefined;
  try {
    return JSON.parse(answer.body) as unknown;
  } catch {
    return undefined;
  }
}

/** No answer came: what happened, as one scrubbed line, and what to check. */
function noAnswer(error: unknown, origin: string): string {
  const e = error as { code?: unknown; name?: unknown; message?: unknown };
  const message = safeLine(typeof e?.message === 'string' ? e.message : String(error), MAX_ERROR_MESSAGE_CHARS);
  if (typeof e?.name === 'string' && /Timeout/.test(e.name)) return `${message}; the function may still be running: read its logs (s logs --tail)`;
  if (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code))
    return `cannot reach FC at ${safeLine(origin, 200)}: ${message}; check --region, --account-id${origin.includes('fc.aliyuncs.com') ? '' : ' and --endpoint'}, and this machine's network`;
  return `${message}; check ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET and, for an STS key, ALIBABA_CLOUD_SECURITY_TOKEN`;
}
