/** `taskhook poll --once`: one poll cycle with the configured store and ECS, then the summary. */
import { runPollCycle } from '../../poll-run.js';
import { UsageError, withDeps, type CliIo } from '../cli-context.js';

export async function pollCommand(io: CliIo, options: { once?: boolean }): Promise<number> {
  if (!options.once) throw new UsageError('use taskhook poll --once for one cycle (taskhook start polls on a timer)');
  return withDeps(io, async (deps) => {
    const budgetMs = (deps.config.pollBudgetSeconds ?? 55) * 1000;
    const summary = await runPollCycle(deps, { budgetMs });
    io.out(JSON.stringify(summary, null, 2));
    return summary.leased ? 0 : 1;
  });
}
