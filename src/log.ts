/** The one logger: structured JSON lines on stdout, one object per line, every string in it scrubbed of secrets. */
import { scrub } from './scrub.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export type LogSink = (line: string) => void;

let defaultSink: LogSink = (line) => process.stdout.write(line + '\n');

/** Tests capture every line here to prove no secret is ever logged. */
export function setLogSink(sink: LogSink): () => void {
  const previous = defaultSink;
  defaultSink = sink;
  return () => {
    defaultSink = previous;
  };
}

export function createLogger(level: LogLevel = 'info', base: LogFields = {}): Logger {
  const write = (lvl: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[lvl] < ORDER[level]) return;
    defaultSink(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...base, ...fields }, errorReplacer));
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger(level, { ...base, ...fields }),
  };
}

/**
 * Errors are logged by name, code and message only: never their stack or attached request objects.
 * JSON.stringify calls this for every value at every depth (the error summaries included), so each string passes scrub.
 */
function errorReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value instanceof Error) {
    const { code } = value as { code?: unknown };
    return { name: value.name, code, message: value.message };
  }
  return value;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
