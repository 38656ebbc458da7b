/** The CLI entry point bundled as dist/cli/taskhook.cjs. */
import { runCli } from './cli.js';

runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(line.startsWith('\r') ? line : line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  tty: Boolean(process.stdout.isTTY),
  env: process.env,
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
}).then((code) => {
  process.exitCode = code;
});
