/** What FC says went wrong, as one safe line: for the shard invoker and the CLI's `invoke`. */
import { scrub } from '../scrub.js';

/** Scrubbed of secrets, on one line, and at most `maxChars` long. */
export function safeLine(text: string, maxChars: number): string {
  const line = scrub(text).replace(/\s+/g, ' ').trim();
  return line.length > maxChars ? `${line.slice(0, maxChars)}…` : line || '(no message)';
}

/** The `errorMessage` of FC's error body (`{"errorMessage","errorType","stackTrace"}`), or the body itself, as a safe line. */
export function functionErrorMessage(data: unknown, maxChars: number): string {
  let body = data;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // Not JSON: the text itself is the message.
    }
  }
  const message = (body as { errorMessage?: unknown } | null)?.errorMessage;
  return safeLine(typeof message === 'string' ? message : typeof body === 'string' ? body : JSON.stringify(body ?? ''), maxChars);
}
