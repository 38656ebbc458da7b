/** `taskhook simulate [--scenario file] [--port N]`: the ECS simulator alone, for testing receivers against realistic tasks. */
import { readFileSync } from 'node:fs';
import { runSimulator } from '../../ecs/simulator/index.js';
import { EXIT, type CliIo } from '../cli-context.js';

export async function simulateCommand(io: CliIo, argv: string[], untilStopped: () => Promise<void>): Promise<number> {
  const scenario = argv.indexOf('--scenario');
  if (scenario >= 0 && argv[scenario + 1]) readFileSync(argv[scenario + 1]); // a missing file fails here with its own clear message
  const sim = await runSimulator(argv, io.out);
  io.out('point taskhook at it with the line above, then: npm start (Ctrl-C stops the simulator)');
  await untilStopped();
  await sim.stop();
  return EXIT.ok;
}
