/**
 * The `taskhook` command line, on commander: one definition per command (its options, help and examples), each
 * command's module loaded only when it runs, and one table from errors to one line and an exit code.
 */
import { Argument as CommanderArgument, Command, CommanderError } from 'commander';
import { version } from '../../package.json';
import { ConfigError, DomainError, EcsError, StoreError } from '../errors.js';
import { TASK_EVENT_TYPES } from '../tasks/events.js';
import { EXIT, UsageError, completeIo, configOf, untilSignal, type CliIo, type Io } from './cli-context.js';
import { InstanceApiError } from './instance-api.js';

export const USAGE_LINE = `usage: taskhook <command> [options]`;

const EXIT_CODES = `Exit codes:
  0  done
  1  the awaited thing failed (a task, a delivery, a signature, a test ping, a doctor check)
  2  a usage or runtime error (bad option, bad input, nothing reachable)`;

const GLOBAL_NOTES = `
Configuration comes from the environment (TASKHOOK_*, ALIBABA_CLOUD_*; see the README).
Run in a folder where \`npm start\` runs, commands talk to that instance (.taskhook/instance.json):
lookup and watch see its demo simulator, webhooks/listen/trigger use its API and store.
webhooks and listen reach a deployed API instead with --api <url> or TASKHOOK_API_URL, the token in TASKHOOK_API_TOKEN.
Human output goes to stdout, logs and errors to stderr; --json prints data for scripts.

${EXIT_CODES}

Run \`taskhook <command> --help\` for a command's options and examples.`;

const API_OPTION = 'a deployed taskhook API instead of this folder (or TASKHOOK_API_URL; token in TASKHOOK_API_TOKEN)';

/** Help text after a command's options: examples, one per line. */
const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

type Run = (io: Io) => Promise<number>;

/** Every command of the tree: built per run, so `io` reaches each action. */
export function buildProgram(io: Io, done: (code: number) => void): Command {
  const program = new Command('taskhook');
  const act = async (run: Run) => done(await run(io));
  program
    .description('Signed webhooks when Alibaba Cloud ECS asynchronous tasks finish.')
    .usage('<command> [options]')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand(false)
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => io.write(s), writeErr: (s) => io.err(s.replace(/\n+$/, '')), outputError: () => undefined })
    .addHelpText('after', GLOBAL_NOTES);

  program
    .command('start')
    .description('run the API and the poll timer locally (demo mode with the ECS simulator when no credentials are set)')
    .addHelpText(
      'after',
      examples(
        'npm start',
        'TASKHOOK_PORT=9100 taskhook start',
        'TASKHOOK_TASKS=cn-hangzhou/t-bp1abc ALIBABA_CLOUD_ACCESS_KEY_ID=… ALIBABA_CLOUD_ACCESS_KEY_SECRET=… taskhook start',
        'taskhook start --move-aside-corrupt',
      ) +
        '\nWrites .taskhook/instance.json (API URL, token, the demo simulator) for the other commands; removed on exit.\n' +
        'A state file that is empty, not SQLite or damaged stops start-up (exit 2); --move-aside-corrupt renames it\n' +
        '(and its -wal, -shm) to <name>.corrupt-<time> and starts with a new, empty store.\n',
    )
    .option('--move-aside-corrupt', 'rename a damaged state file to <name>.corrupt-<time> and start with a new, empty store')
    .action((options: { moveAsideCorrupt?: boolean }) =>
      act(async (io) => {
        const stopping = untilSignal();
        const { startCommand } = await import('./commands/start.js');
        return startCommand(io, stopping, options);
      }),
    );

  program
    .command('poll')
    .description('run one poll cycle and print its summary as JSON')
    .option('--once', 'one cycle (required; `taskhook start` polls on a timer)')
    .option('--json', 'compact JSON on one line')
    .addHelpText('after', examples('taskhook poll --once', 'TASKHOOK_TASKS=cn-hangzhou/t-bp1abc taskhook poll --once --json | jq .events'))
    .action((options: { once?: boolean; json?: boolean }) => act(async (io) => (await import('./commands/poll.js')).pollCommand(io, options)));

  program
    .command('lookup')
    .description('look a task up live (DescribeTaskAttribute)')
    .argument('<taskId>', 'the task, e.g. t-bp1abcdefghij')
    .option('--region <region>', 'its region, e.g. cn-hangzhou (required)')
    .option('--json', 'the normalized task as JSON')
    .addHelpText(
      'after',
      examples('taskhook lookup t-bp1abcdefghij --region cn-hangzhou', 'taskhook lookup t-bp1abcdefghij --region cn-hangzhou --json | jq .outcome'),
    )
    .action((taskId: string, options: { region?: string; json?: boolean }) =>
      act(async (io) => (await import('./commands/lookup.js')).lookupCommand(io, taskId, options)),
    );

  program
    .command('watch')
    .description(
      'follow a task with a progress line until it ends and its resource is usable (exit 0 succeeded and usable, 1 failed, cancelled, not found, unusable or timed out)',
    )
    .argument('<taskId>', 'the task, e.g. t-bp1abcdefghij')
    .option('--region <region>', 'its region, e.g. cn-hangzhou (required)')
    .option('--interval <seconds>', 'seconds between lookups', '5')
    .option('--timeout <seconds>', 'give up (exit 1) after this many seconds')
    .option('--json', 'one JSON line per change')
    .option('--until <what>', 'ready: until the image, disk, instance or snapshot is usable; finished: the task alone', 'ready')
    .addHelpText(
      'after',
      examples(
        'taskhook watch t-bp1abcdefghij --region cn-hangzhou',
        'taskhook watch t-bp1abcdefghij --region cn-hangzhou --until finished',
        'taskhook watch t-bp1abcdefghij --region cn-hangzhou --timeout 600 && echo done',
        'taskhook watch t-bp1abcdefghij --region cn-hangzhou --json',
      ),
    )
    .action((taskId: string, options: { region?: string; interval?: string; timeout?: string; json?: boolean; until?: string }) =>
      act(async (io) => (await import('./commands/lookup.js')).watchCommand(io, taskId, options)),
    );

  const webhooks = program
    .command('webhooks')
    .description('manage webhooks: through the running instance, or in the configured store')
    .helpCommand(false)
    .addHelpText('after', '\nIn a folder where `npm start` runs these go through its API; elsewhere they change the configured store (TASKHOOK_STORE).\n');
  webhooks
    .command('add')
    .description('register a webhook; its secret is shown once')
    .option('--url <url>', 'where deliveries are POSTed, https://… (required; a private address only if TASKHOOK_ALLOW_PRIVATE_WEBHOOKS lists it)')
    .option('--events <types>', 'comma-separated event types, or * (default: the completion events)')
    .option('--description <text>', 'a note shown in listings')
    .option('--api <url>', API_OPTION)
    .option('--json', 'the webhook and its secret as JSON')
    .addHelpText(
      'after',
      examples(
        'taskhook webhooks add --url https://example.com/hooks/taskhook',
        'taskhook webhooks add --url https://example.com/hooks --events ecs.task.succeeded,ecs.task.failed --json',
      ),
    )
    .action((options: { url?: string; events?: string; description?: string; api?: string; json?: boolean }) =>
      act(async (io) => (await import('./commands/webhooks.js')).addCommand(io, options)),
    );
  webhooks
    .command('list')
    .description('list the webhooks (never their secrets)')
    .option('--api <url>', API_OPTION)
    .option('--json', 'as JSON')
    .addHelpText(
      'after',
      examples(
        'taskhook webhooks list',
        'taskhook webhooks list --json | jq -r ".[].id"',
        'TASKHOOK_API_TOKEN=… taskhook webhooks list --api https://taskhook.example.com',
      ),
    )
    .action((options: { json?: boolean; api?: string }) => act(async (io) => (await import('./commands/webhooks.js')).listCommand(io, options)));
  webhooks
    .command('test')
    .description('send a signed webhook.test ping now (exit 1 when it is not answered 2xx)')
    .argument('<id>', 'the webhook id (wh_…)')
    .option('--api <url>', API_OPTION)
    .option('--json', 'the attempt as JSON')
    .addHelpText('after', examples('taskhook webhooks test wh_0123456789abcdef01234567'))
    .action((id: string, options: { json?: boolean; api?: string }) =>
      act(async (io) => (await import('./commands/webhooks.js')).testCommand(io, id, options)),
    );
  webhooks
    .command('rotate')
    .description('make a new secret; the previous one keeps signing for 24 h')
    .argument('<id>', 'the webhook id (wh_…)')
    .option('--api <url>', API_OPTION)
    .option('--json', 'the new secret as JSON')
    .addHelpText('after', examples('taskhook webhooks rotate wh_0123456789abcdef01234567'))
    .action((id: string, options: { json?: boolean; api?: string }) =>
      act(async (io) => (await import('./commands/webhooks.js')).rotateCommand(io, id, options)),
    );
  webhooks
    .command('remove')
    .description('delete a webhook registered over the API or the CLI')
    .argument('<id>', 'the webhook id (wh_…)')
    .option('--api <url>', API_OPTION)
    .option('--json', 'confirm as JSON')
    .addHelpText('after', examples('taskhook webhooks remove wh_0123456789abcdef01234567'))
    .action((id: string, options: { json?: boolean; api?: string }) =>
      act(async (io) => (await import('./commands/webhooks.js')).removeCommand(io, id, options)),
    );

  program
    .command('listen')
    .description('forward the event feed of the running instance, or of a deployed API (--api), to a local URL, signed as deliveries are')
    .option('--forward-to <url>', 'your receiver, e.g. http://localhost:3000/hooks (required)')
    .option('--events <types>', 'comma-separated event types, or * (default: *)')
    .option('--api <url>', 'a deployed taskhook API instead of the one running in this folder (or TASKHOOK_API_URL; token in TASKHOOK_API_TOKEN)')
    .option('--from <where>', 'where a first listen in this folder starts: now or start (every event kept); later ones resume', 'now')
    .option('--print-secret', 'print the signing secret your receiver verifies with (kept in .taskhook/listen.json)')
    .option('--json', 'one JSON line per forward (the first line: where it reads from)')
    .addHelpText(
      'after',
      examples(
        'taskhook listen --forward-to http://localhost:3000/hooks --print-secret',
        'taskhook listen --forward-to http://localhost:3000/hooks --events ecs.task.succeeded,ecs.task.failed',
        'TASKHOOK_API_TOKEN=… taskhook listen --api https://taskhook.example.com --forward-to http://localhost:3000/hooks',
      ) +
        '\nNo webhook is registered: listen pulls GET /v1/events and forwards each event in order, trying one the app refuses\nagain until it takes it. The cursor and secret stay in .taskhook/listen.json: the next listen in this folder resumes.\n',
    )
    .action((options: { forwardTo?: string; events?: string; api?: string; from?: string; printSecret?: boolean; json?: boolean }) =>
      act(async (io) => {
        const stopping = untilSignal();
        return (await import('./commands/listen.js')).listenCommand(io, options, () => stopping);
      }),
    );

  program
    .command('trigger')
    .description('send one realistic signed event: to --url, or to every matching webhook of the running instance')
    .addArgument(new CommanderArgument('<event-type>', 'the event type').choices(TASK_EVENT_TYPES))
    .option('--url <url>', 'send here instead (with --secret)')
    .option('--secret <whsec>', 'the secret to sign with (with --url)')
    .option('--region <region>', "the task's region (default cn-hangzhou)")
    .option('--json', 'one JSON line per delivery')
    .addHelpText(
      'after',
      examples('taskhook trigger ecs.task.succeeded', 'taskhook trigger ecs.task.failed --url http://localhost:3000/hooks --secret whsec_…'),
    )
    .action((type: string, options: { url?: string; secret?: string; region?: string; json?: boolean }) =>
      act(async (io) => (await import('./commands/trigger.js')).triggerCommand(io, type, options)),
    );

  program
    .command('verify')
    .description('check a captured delivery, and say why it does not verify')
    .option('--secret <whsec>', "the webhook's secret (required)")
    .option('--headers <json|file>', 'the captured headers: a JSON object, "name: value" lines, or a file of either (required)')
    .option('--json', 'the verdict as JSON: {"ok","problem","reason"}')
    .addHelpText(
      'after',
      examples(
        'taskhook verify --secret whsec_… --headers captured-headers.json < captured-body.json',
        'taskhook verify --secret whsec_… --headers \'{"webhook-id":"evt_…",…}\' < body.json',
      ) +
        '\nTells apart: wrong secret, body changed, body re-serialised (pretty-printed, keys re-ordered), timestamp too old or in the future, missing or malformed header.\n',
    )
    .action((options: { secret?: string; headers?: string; json?: boolean }) =>
      act(async (io) => (await import('./commands/verify.js')).verifyCommand(io, options)),
    );

  program
    .command('simulate')
    .description('run the ECS simulator alone, and print its task ids and the environment to use')
    .option('--scenario <file>', 'tasks and timelines as JSON (default: the nine demo tasks)')
    .option('--port <port>', 'port to listen on (default: a free one)')
    .option('--access-key-id <id>', 'the access key id it accepts (default: a random one)')
    .option('--access-key-secret <secret>', 'its secret (default: a random one)')
    .option('--json', 'the endpoint, tasks and environment as one JSON line')
    .addHelpText('after', examples('taskhook simulate', 'taskhook simulate --scenario scenario.json --port 41233'))
    .action((options: { scenario?: string; port?: string; accessKeyId?: string; accessKeySecret?: string; json?: boolean }) =>
      act(async (io) => {
        const stopping = untilSignal();
        return (await import('./commands/simulate.js')).simulateCommand(io, options, () => stopping);
      }),
    );

  program
    .command('tables')
    .description('Tablestore tables')
    .helpCommand(false)
    .command('init')
    .description('create the Tablestore tables (idempotent) and wait until they accept reads and writes')
    .option('--json', 'the result on one JSON line')
    .addHelpText(
      'after',
      examples('TASKHOOK_OTS_ENDPOINT=https://my-instance.cn-hangzhou.ots.aliyuncs.com TASKHOOK_OTS_INSTANCE=my-instance taskhook tables init'),
    )
    .action((options: { json?: boolean }) => act(async (io) => (await import('./commands/tables.js')).tablesInitCommand(io, options)));

  program
    .command('doctor')
    .description('check credentials, ECS permissions, the clock, the store, webhooks and hints with the real SDKs (exit 1 when a check fails)')
    .option('--json', 'the checks as one JSON line: {"ok","checks":[{"name","status","detail","fix"}]}')
    .addHelpText(
      'after',
      examples(
        'taskhook doctor',
        "TASKHOOK_STORE=tablestore TASKHOOK_OTS_ENDPOINT=https://my-instance.cn-hangzhou.ots.aliyuncs.com TASKHOOK_OTS_INSTANCE=my-instance TASKHOOK_DISCOVER='cn-hangzhou:*' taskhook doctor",
        'taskhook doctor --json | jq \'.checks[] | select(.status == "fail")\'',
      ) +
        '\nRun it with the same settings as the deployment (or in the folder where `npm start` runs). One line per check:\n' +
        'PASS, WARN (still passing), FAIL with what to do, or SKIP (not checkable from here, or not needed).\n' +
        'It makes one DescribeTasks and one DescribeTaskAttribute call per polled region, writes and clears one probe mark in the\n' +
        'store, and resolves each webhook host without sending anything. GET /v1/doctor runs the same checks inside the API.\n' +
        'Exit 0 when no check failed, 1 when one did, 2 on a usage error.\n',
    )
    .action((options: { json?: boolean }) => act(async (io) => (await import('./commands/doctor.js')).doctorCommand(io, options)));

  program
    .command('invoke')
    .description('invoke the deployed poller on Function Compute now')
    .option('--function <name>', 'the function', 'taskhook-poller')
    .option('--region <region>', 'its region (default: ALIBABA_CLOUD_REGION)')
    .option('--account-id <id>', 'the account (default: ALIBABA_CLOUD_ACCOUNT_ID)')
    .option('--async', 'queue the invocation and return at once')
    .option('--payload <json>', 'the timer payload to send')
    .option('--endpoint <url>', "the FC endpoint (default: the region's)")
    .option('--json', "the function's answer as JSON")
    .addHelpText(
      'after',
      examples(
        'taskhook invoke --region cn-hangzhou --account-id 1234567890123456',
        'taskhook invoke --region cn-hangzhou --account-id 1234567890123456 --async',
      ),
    )
    .action((options: { function?: string; region?: string; accountId?: string; async?: boolean; payload?: string; endpoint?: string; json?: boolean }) =>
      act(async (io) => (await import('./commands/invoke.js')).invokeCommand(io, options)),
    );

  program
    .command('completion')
    .description('print a shell completion script')
    .addArgument(new CommanderArgument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .addHelpText(
      'after',
      examples('source <(taskhook completion bash)     # in ~/.bashrc', 'source <(taskhook completion zsh)      # in ~/.zshrc, after compinit'),
    )
    .action((shell: 'bash' | 'zsh') =>
      act(async (io) => {
        const { completionScript } = await import('./completion.js');
        io.write(completionScript(program, shell));
        return EXIT.ok;
      }),
    );

  return program;
}

export async function runCli(argv: string[], given: CliIo): Promise<number> {
  const io = completeIo(given);
  let code: number = EXIT.ok;
  const program = buildProgram(io, (result) => (code = result));
  if (argv.length === 0) {
    io.write(program.helpInformation());
    return EXIT.ok;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return commanderExit(io, error, argv, program);
    const { exit, line } = failureOf(error, io);
    io.err(`taskhook: ${line}`);
    return exit;
  }
}

/** Help and version exit 0; every parse error is one line naming the command's help, exit 2. */
function commanderExit(io: Io, error: CommanderError, argv: string[], program: Command): number {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
  const path = commandPath(program, argv);
  // A group without its subcommand (`taskhook webhooks`) has shown its help already.
  if (error.code === 'commander.help') return EXIT.error;
  if (error.code === 'commander.unknownCommand' && path.length === 0) {
    io.err(`taskhook: unknown command "${argv.find((a) => !a.startsWith('-'))}" (${USAGE_LINE}; see taskhook --help)`);
    return EXIT.error;
  }
  const message = error.message
    .replace(/^error: /, '')
    .replace(/\n+/g, ' ')
    .trim();
  io.err(`taskhook: ${message} (see taskhook ${[...path, '--help'].join(' ')})`);
  return EXIT.error;
}

/** The command names at the start of argv that exist in the tree: ['webhooks', 'add']. */
function commandPath(program: Command, argv: string[]): string[] {
  const path: string[] = [];
  let at: Command = program;
  for (const word of argv) {
    const next = at.commands.find((c) => c.name() === word);
    if (!next) break;
    path.push(word);
    at = next;
  }
  return path;
}

interface Failure {
  exit: number;
  line: string;
}

/** Node errors whose message is one clear line already. */
const NODE_CODES = new Set(['ENOENT', 'EACCES', 'EADDRINUSE']);

const isA =
  <E extends Error>(type: abstract new (...args: never[]) => E) =>
  (error: unknown): error is E =>
    error instanceof type;
const isNodeError = (error: unknown): error is NodeJS.ErrnoException => error instanceof Error && NODE_CODES.has((error as NodeJS.ErrnoException).code ?? '');

/** Where ECS calls went, by host only: never a key, never a signed URL. */
function ecsHost(io: Io): string {
  try {
    const endpoint = configOf(io).ecsEndpoint;
    return endpoint ? new URL(endpoint).host : 'ecs.<region>.aliyuncs.com';
  } catch {
    return 'ECS';
  }
}

/** What to do about an ECS error the user can fix. */
function ecsLine(e: EcsError, io: Io): string {
  const request = e.requestId ? ` (request ${e.requestId})` : '';
  if (e.code === 'NoCredentials')
    return 'ECS NoCredentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or run this in the folder where `npm start` runs its demo (the CLI then uses its simulator)';
  if (e.code === 'NetworkError' || e.code === 'Timeout' || e.code === 'RequestTimeout')
    return `ECS ${e.code}: ${e.message} at ${ecsHost(io)}${request}; check TASKHOOK_ECS_ENDPOINT and the network`;
  return `ECS ${e.code}: ${e.message}${request}`;
}

/** A row: errors that `matches` exit with `exit`, and `line` says what went wrong. */
const on =
  <E extends Error>(matches: (error: unknown) => error is E, exit: number, line: (error: E, io: Io) => string = (error) => error.message) =>
  (error: unknown, io: Io): Failure | undefined =>
    matches(error) ? { exit, line: line(error, io) } : undefined;

/** Errors that carry safe messages (ours, and Node's above), with the exit code each means; the first match wins. */
const FAILURES = [
  on(isA(UsageError), EXIT.error),
  on(isA(InstanceApiError), EXIT.error, (e) => `the running taskhook answered ${e.status} ${e.code}: ${e.message}`),
  on(isA(DomainError), EXIT.error),
  on(isA(ConfigError), EXIT.error),
  on(isA(StoreError), EXIT.error),
  on(isA(EcsError), EXIT.error, ecsLine),
  on(isNodeError, EXIT.error),
];

/** Anything else is named, not dumped. */
function failureOf(error: unknown, io: Io): Failure {
  for (const row of FAILURES) {
    const failure = row(error, io);
    if (failure) return failure;
  }
  return { exit: EXIT.error, line: `unexpected ${(error as Error)?.name ?? 'error'}: ${(error as Error)?.message ?? String(error)}` };
}
