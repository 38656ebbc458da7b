/** `taskhook poll --once`: one poll cycle with the configured store and ECS, then the summary as JSON on stdout (logs go to stderr). */
import { runBudgetMs } from '../../budget.js';
import { pollOnce } from '../../poller.js';
import { EXIT, UsageError, withDeps, type Io } from '../cli-context.js';

export async function pollCommand(io: Io, options: { once?: boolean; json?: boolean }): Promise<number> {
  if (!options.once) throw new UsageError('use taskhook poll --once for one cycle (taskhook start polls on a timer)');
  // A run left waiting on something that can no longer happen would let the process end with 0 and say nothing.
  const unfinished = () => {
    io.err('taskhook: the poll run stopped without finishing or failing (nothing was left to wait for); run it again, and report it if it repeats');
    process.exitCode = EXIT.error;
  };
  process.once('beforeExit', unfinished);
  try {
    return await withDeps(io, async (deps) => {
      const summary = await pollOnce(deps, { budgetMs: runBudgetMs({ kind: 'cli' }, deps.config.pollBudgetSeconds) });
      io.out(JSON.stringify(summary, null, options.json ? undefined : 2));
      return summary.leased ? EXIT.ok : EXIT.failed;
    });
  } finally {
    process.off('beforeExit', unfinished);
  }
}
