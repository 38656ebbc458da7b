/** Starts a simulator from command-line options and prints how to point taskhook at it. */
import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { demoTasks, loadScenario } from './scenarios';
import { EcsSimulator } from './server';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const OPTIONS = ['--port', '--scenario', '--access-key-id', '--access-key-secret'] as const;
type Option = (typeof OPTIONS)[number];

function randomText(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

/** Accepts `--name value` and `--name=value`. */
function parseArgs(argv: string[]): Partial<Record<Option, string>> {
  const parsed: Partial<Record<Option, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split(/=(.*)/s, 2) as [string, string | undefined];
    if (!(OPTIONS as readonly string[]).includes(name)) {
      throw new Error(`Unknown option ${argv[i]} (expected ${OPTIONS.join(', ')}).`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') throw new Error(`Option ${name} needs a value.`);
    parsed[name as Option] = value;
  }
  return parsed;
}

export async function runSimulator(argv: string[], out: (line: string) => void): Promise<EcsSimulator> {
  const args = parseArgs(argv);
  const port = args['--port'] === undefined ? 0 : Number(args['--port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, not ${args['--port']}.`);

  const now = Date.now();
  let tasks = demoTasks(now);
  if (args['--scenario']) {
    const file = args['--scenario'];
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new Error(`Cannot read scenario ${file}: ${(err as Error).message}`, { cause: err });
    }
    try {
      tasks = loadScenario(json, now);
    } catch (err) {
      throw new Error(`Invalid scenario ${file}: ${(err as Error).message}`, { cause: err });
    }
  }

  const accessKeyId = args['--access-key-id'] ?? `LTAIsim${randomText(17)}`;
  const accessKeySecret = args['--access-key-secret'] ?? randomText(30);
  const simulator = new EcsSimulator({ credentials: [{ accessKeyId, accessKeySecret }], tasks, port });
  const endpoint = await simulator.start();
  out(`ECS simulator listening on ${endpoint}`);
  out(`ALIBABA_CLOUD_ACCESS_KEY_ID=${accessKeyId} ALIBABA_CLOUD_ACCESS_KEY_SECRET=${accessKeySecret} TASKHOOK_ECS_ENDPOINT=${endpoint}`);
  return simulator;
}
