/** The `taskhook` command line. Errors are one clear line; --json output is stable for scripts. */
import { parseArgs } from 'node:util';
import { ConfigError, DomainError, EcsError, StoreError } from '../errors.js';
import { EXIT, UsageError, type CliIo } from './cli-context.js';
import { invokeCommand } from './commands/invoke.js';
import { lookupCommand, watchCommand } from './commands/lookup.js';
import { pollCommand } from './commands/poll.js';
import { simulateCommand } from './commands/simulate.js';
import { tablesCommand } from './commands/tables.js';
import { verifyCommand } from './commands/verify.js';
import { webhooksCommand } from './commands/webhooks.js';
import { startLocal } from './start.js';

const USAGE = `taskhook — webhooks when Alibaba Cloud ECS asynchronous tasks finish

usage: taskhook <command> [options]

  start                                   run the API and the poll timer locally (demo mode without credentials)
  poll --once                             run one poll cycle and print its summary
  lookup <taskId> --region R [--json]     look a task up live (DescribeTaskAttribute)
  watch <taskId> --region R [--interval s]
                                          follow a task with a progress bar; exit 0 succeeded, 1 failed/cancelled/not found, 2 error
  webhooks add --url URL [--events a,b] [--description D]
  webhooks list | test <id> | rotate <id> manage webhooks in the configured store
  verify --secret whsec_… --headers H < body
                                          check a captured delivery, and say why it does not verify
  simulate [--scenario file] [--port N]   run the ECS simulator alone
  tables init                             create the Tablestore tables (idempotent)
  invoke [--function F] --region R --account-id ID [--async] [--payload JSON]
                                          invoke the deployed poller on Function Compute

configuration is read from the environment (TASKHOOK_*, ALIBABA_CLOUD_*); see the README.`;

const OPTIONS = {
  region: { type: 'string' },
  json: { type: 'boolean' },
  interval: { type: 'string' },
  once: { type: 'boolean' },
  url: { type: 'string' },
  events: { type: 'string' },
  description: { type: 'string' },
  secret: { type: 'string' },
  headers: { type: 'string' },
  function: { type: 'string' },
  'account-id': { type: 'string' },
  async: { type: 'boolean' },
  payload: { type: 'string' },
  endpoint: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const untilSignal = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    io.out(USAGE);
    return EXIT.ok;
  }
  try {
    if (command === 'simulate') return await simulateCommand(io, rest, untilSignal);
    const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
    if (values.help) {
      io.out(USAGE);
      return EXIT.ok;
    }
    switch (command) {
      case 'start': {
        const running = await startLocal({ env: io.env, print: io.out });
        await untilSignal();
        io.out('stopping: the poll in progress finishes, then the database is closed');
        await running.stop();
        return EXIT.ok;
      }
      case 'poll':
        return await pollCommand(io, values);
      case 'lookup':
        return await lookupCommand(io, positionals, values);
      case 'watch':
        return await watchCommand(io, positionals, values);
      case 'webhooks':
        return await webhooksCommand(io, positionals, values);
      case 'verify':
        return await verifyCommand(io, values);
      case 'tables':
        return await tablesCommand(io, positionals);
      case 'invoke':
        return await invokeCommand(io, values);
      default:
        throw new UsageError(`unknown command "${command}"; see taskhook --help`);
    }
  } catch (error) {
    const { exit, line } = failureOf(error);
    io.err(`taskhook: ${line}`);
    return exit;
  }
}

interface Failure {
  exit: number;
  line: string;
}

/** Node errors whose message is one clear line already: parseArgs' option errors, a file that is not there. */
const NODE_CODES = new Set(['ERR_PARSE_ARGS_UNKNOWN_OPTION', 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE', 'ENOENT']);

const isA =
  <E extends Error>(type: abstract new (...args: never[]) => E) =>
  (error: unknown): error is E =>
    error instanceof type;
const isNodeError = (error: unknown): error is NodeJS.ErrnoException => error instanceof Error && NODE_CODES.has((error as NodeJS.ErrnoException).code ?? '');

/** A table row: errors that `matches` exit with `exit`, and `line` says what went wrong. */
const on =
  <E extends Error>(matches: (error: unknown) => error is E, exit: number, line: (error: E) => string = (error) => error.message) =>
  (error: unknown): Failure | undefined =>
    matches(error) ? { exit, line: line(error) } : undefined;

/** Errors that carry safe messages (ours, and Node's above), with the exit code each means; the first match wins. */
const FAILURES = [
  on(isA(UsageError), EXIT.error),
  on(isA(DomainError), EXIT.error),
  on(isA(ConfigError), EXIT.error),
  on(isA(StoreError), EXIT.error),
  on(isA(EcsError), EXIT.error, (e) => `ECS ${e.code}: ${e.message}${e.requestId ? ` (request ${e.requestId})` : ''}`),
  on(isNodeError, EXIT.error),
];

/** Anything else is named, not dumped. */
function failureOf(error: unknown): Failure {
  for (const row of FAILURES) {
    const failure = row(error);
    if (failure) return failure;
  }
  return { exit: EXIT.error, line: `unexpected ${(error as Error)?.name ?? 'error'}: ${(error as Error)?.message ?? String(error)}` };
}
