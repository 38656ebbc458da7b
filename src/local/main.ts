/** The CLI entry point bundled as dist/cli/taskhook.cjs: stdout for output, stderr for logs and errors. */
import { setLogSink } from '../log.js';
import { scrub } from '../scrub.js';
import { runCli } from './cli.js';

// JSON log lines never mix into a command's output (poll --once prints its summary on stdout).
setLogSink((line) => process.stderr.write(line + '\n'));
// A reader that stops early (`taskhook … | head`) ends the command, not with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(line + '\n'),
  write: (text) => process.stdout.write(text),
  // Every line on stderr passes the scrubber: an unexpected error's message may quote what an SDK sent.
  err: (line) => process.stderr.write(scrub(line) + '\n'),
  tty: Boolean(process.stdout.isTTY),
  stdinTty: Boolean(process.stdin.isTTY),
  columns: () => (process.stdout.isTTY ? process.stdout.columns : undefined),
  env: process.env,
  cwd: process.cwd(),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
}).then(
  (code) => {
    process.exitCode = code;
    // Idle keep-alive sockets must not hold a finished command open.
    setTimeout(() => process.exit(code), 2_000).unref();
  },
  // runCli answers every error itself; this only guards against a bug in that answer.
  (error: unknown) => {
    process.stderr.write(scrub(`taskhook: unexpected error: ${(error as Error)?.message ?? String(error)}`) + '\n');
    process.exitCode = 2;
  },
);
