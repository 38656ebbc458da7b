/** The CLI entry point bundled as dist/cli/taskhook.cjs. */
import { scrub } from '../scrub.js';
import { runCli } from './cli.js';

runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(line.startsWith('\r') ? line : line + '\n'),
  // Every line on stderr passes the scrubber: an unexpected error's message may quote what an SDK sent.
  err: (line) => process.stderr.write(scrub(line) + '\n'),
  tty: Boolean(process.stdout.isTTY),
  env: process.env,
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
}).then(
  (code) => {
    process.exitCode = code;
  },
  // runCli answers every error itself; this only guards against a bug in that answer.
  (error: unknown) => {
    process.stderr.write(`unexpected error: ${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = 2;
  },
);
