/** `taskhook poll --once`: one poll cycle with the configured store and ECS, then the summary. */
import { runBudgetMs } from '../../budget.js';
import { pollOnce } from '../../poller.js';
import { EXIT, UsageError, withDeps, type CliIo } from '../cli-context.js';

export async function pollCommand(io: CliIo, options: { once?: boolean }): Promise<number> {
  if (!options.once) throw new UsageError('use taskhook poll --once for one cycle (taskhook start polls on a timer)');
  return withDeps(io, async (deps) => {
    const summary = await pollOnce(deps, { budgetMs: runBudgetMs({ kind: 'cli' }, deps.config.pollBudgetSeconds) });
    io.out(JSON.stringify(summary, null, 2));
    return summary.leased ? EXIT.ok : EXIT.failed;
  });
}
