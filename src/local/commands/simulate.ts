/** `taskhook simulate [--scenario file] [--port N]`: the ECS simulator alone, with its task ids and the exact environment that points taskhook at it. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EcsSimulator, ScenarioError, demoTasks, loadScenario, type SimTask } from '../../ecs/simulator/index.js';
import { EXIT, UsageError, portOption, type Io } from '../cli-context.js';
import { locateJsonPath, parseJsonWithLines } from '../json-location.js';

export interface SimulateOptions {
  scenario?: string;
  port?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  json?: boolean;
}

/** A scenario file's tasks, or a one-line error naming the file, the line and what is wrong there. */
export function readScenario(file: string, now: number): SimTask[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read the scenario file ${file} (${code === 'ENOENT' ? 'no such file' : (code ?? (error as Error).message)})`);
  }
  const json = parseJsonWithLines(text, file);
  try {
    return loadScenario(json, now);
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    const line = locateJsonPath(text, error.message);
    throw new UsageError(`${file}${line ? `:${line}` : ''}: ${error.message}`);
  }
}

/** `--env`-style assignments, quoted only when the shell needs it. */
function assignments(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${/^[\w@%+=:,./-]*$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`}`)
    .join(' ');
}

export async function simulateCommand(io: Io, options: SimulateOptions, untilStopped: () => Promise<unknown>): Promise<number> {
  const port = portOption(options.port);
  const now = Date.now();
  const tasks = options.scenario ? readScenario(options.scenario, now) : demoTasks(now);
  const accessKeyId = options.accessKeyId ?? `LTAIsim${randomBytes(9).toString('hex')}`;
  const accessKeySecret = options.accessKeySecret ?? randomBytes(21).toString('base64url');
  const sim = new EcsSimulator({ credentials: [{ accessKeyId, accessKeySecret }], tasks, port });
  let endpoint: string;
  try {
    endpoint = await sim.start();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new UsageError(`port ${port} is already in use: stop what listens there, or choose another with --port (0 takes a free one)`);
    throw error;
  }
  const env = {
    ALIBABA_CLOUD_ACCESS_KEY_ID: accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: accessKeySecret,
    TASKHOOK_ECS_ENDPOINT: endpoint,
    TASKHOOK_TASKS: tasks.map((t) => `${t.regionId}/${t.taskId}`).join(','),
  };
  if (options.json) {
    io.out(JSON.stringify({ endpoint, tasks: tasks.map((t) => ({ regionId: t.regionId, taskId: t.taskId, action: t.action })), env }));
  } else {
    io.out(`ECS simulator listening on ${endpoint} with ${tasks.length} task${tasks.length === 1 ? '' : 's'}:`);
    for (const t of tasks) io.out(`  ${t.regionId.padEnd(14)} ${t.taskId.padEnd(24)} ${t.action}`);
    io.out('point taskhook at it (in another terminal) with exactly this environment:');
    io.out(`  ${assignments(env)} npm start`);
    io.out('add TASKHOOK_WEBHOOKS or `taskhook listen` to receive the events; Ctrl-C stops the simulator');
  }
  await untilStopped();
  await sim.stop();
  return EXIT.ok;
}
