/** The `taskhook` command line. Errors are one clear line; --json output is stable for scripts. */
import { parseArgs } from 'node:util';
import { ConfigError, EcsError, StoreError } from '../errors.js';
import { UsageError, type CliIo } from './cli-context.js';
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
    return 0;
  }
  try {
    if (command === 'simulate') return await simulateCommand(io, rest, untilSignal);
    const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    switch (command) {
      case 'start': {
        const running = await startLocal({ env: io.env, print: io.out });
        await untilSignal();
        io.out('stopping: the poll in progress finishes, then the database is closed');
        await running.stop();
        return 0;
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
    io.err(`taskhook: ${oneLine(error)}`);
    return 2;
  }
}

/** Our own errors carry safe messages; anything else is named, not dumped. */
function oneLine(error: unknown): string {
  if (error instanceof UsageError || error instanceof ConfigError || error instanceof StoreError) return error.message;
  if (error instanceof EcsError) return `ECS ${error.code}: ${error.message}${error.requestId ? ` (request ${error.requestId})` : ''}`;
  if ((error as { code?: string })?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (error as { code?: string })?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return (error as Error).message;
  if ((error as { code?: string })?.code === 'ENOENT') return (error as Error).message;
  if ((error as Error)?.name === 'ScenarioError') return (error as Error).message;
  return `unexpected ${(error as Error)?.name ?? 'error'}: ${(error as Error)?.message ?? String(error)}`;
}
