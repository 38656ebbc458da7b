/** Raw HTTP/1.1 over net.connect: for requests fetch() refuses to send, and for seeing exactly what came back. */
import net from 'node:net';

/** Bytes to send, a pause, or the end of the connection: a half-close (FIN) or a reset (RST). */
export type Step = string | Buffer | { pauseMs: number } | { close: 'fin' | 'rst' };

export const FIN: Step = { close: 'fin' };
export const RST: Step = { close: 'rst' };

export interface Exchange {
  /** Null when the connection closed before a whole status line and headers arrived. */
  status: number | null;
  headers: Record<string, string>;
  body: string;
  /** Nothing at all came back. */
  silent: boolean;
  timedOut: boolean;
  /** Everything that came back, interim answers included. */
  raw: string;
}

const HEAD_END = '\r\n\r\n';

/** Where the body of a response with these headers ends in `rest`, or null while more is needed (or the close ends it). */
function bodyEnd(headers: Record<string, string>, rest: string): number | null {
  if (headers['content-length'] !== undefined) return rest.length >= Number(headers['content-length']) ? Number(headers['content-length']) : null;
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const end = rest.indexOf('0\r\n\r\n');
    return end >= 0 ? end + 5 : null;
  }
  return null;
}

function dechunk(raw: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol < 0) return out;
    const size = parseInt(raw.slice(at, eol), 16);
    if (!(size > 0)) return out;
    out += raw.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

/** Interim 1xx answers (100 Continue) precede the real one. */
const INTERIM = /^HTTP\/1\.[01] 1\d\d [^\r]*\r\n(?:[^\r]+\r\n)*\r\n/;

function parse(response: string): { status: number; headers: Record<string, string>; body: string; complete: boolean } | null {
  let raw = response;
  while (INTERIM.test(raw)) raw = raw.replace(INTERIM, '');
  const headEnd = raw.indexOf(HEAD_END);
  if (headEnd < 0) return null;
  const [statusLine, ...lines] = raw.slice(0, headEnd).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = raw.slice(headEnd + HEAD_END.length);
  const end = bodyEnd(headers, rest);
  const chunked = /chunked/i.test(headers['transfer-encoding'] ?? '');
  const body = end === null ? rest : rest.slice(0, end);
  return { status, headers, body: chunked ? dechunk(body) : body, complete: end !== null };
}

/** Sends `steps` on one connection and reads one response: until it is complete, the server closes, or `timeoutMs`. */
export function exchange(url: string, steps: Step[], timeoutMs = 5_000): Promise<Exchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let raw = '';
    let settled = false;
    const finish = (timedOut = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const parsed = parse(raw);
      resolve({ status: parsed?.status ?? null, headers: parsed?.headers ?? {}, body: parsed?.body ?? '', silent: raw.length === 0, timedOut, raw });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      raw += chunk.toString('latin1');
      if (parse(raw)?.complete) finish();
    });
    socket.on('error', () => {});
    socket.on('close', () => finish());
    socket.once('connect', async () => {
      for (const step of steps) {
        if (settled || socket.destroyed) return;
        if (typeof step === 'string' || Buffer.isBuffer(step)) socket.write(step);
        else if ('pauseMs' in step) await new Promise((r) => setTimeout(r, step.pauseMs));
        else if (step.close === 'fin') socket.end();
        else socket.resetAndDestroy();
      }
    });
  });
}
