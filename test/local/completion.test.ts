import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshDir, taskhook } from './cli-process.js';

const dir = freshDir('completion');
const has = (shell: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${shell}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

async function script(shell: 'bash' | 'zsh'): Promise<string> {
  const run = await taskhook(['completion', shell]);
  expect(run.code).toBe(0);
  expect(run.stderr).toBe('');
  const file = join(dir, `taskhook.${shell}`);
  writeFileSync(file, run.stdout);
  return file;
}

describe('taskhook completion', () => {
  it("bash: completes commands, subcommands, event types and each command's own options", async () => {
    const file = await script('bash');
    const complete = (words: string[]) =>
      execFileSync(
        'bash',
        [
          '-c',
          `source "$0"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _taskhook_completion; printf '%s\\n' "\${COMPREPLY[@]}"`,
          file,
        ],
        { encoding: 'utf8' },
      )
        .trim()
        .split('\n');
    expect(complete(['taskhook', ''])).toEqual([
      'start',
      'poll',
      'lookup',
      'watch',
      'webhooks',
      'listen',
      'trigger',
      'verify',
      'simulate',
      'tables',
      'doctor',
      'invoke',
      'completion',
    ]);
    expect(complete(['taskhook', 'we'])).toEqual(['webhooks']);
    expect(complete(['taskhook', 'webhooks', ''])).toEqual(['add', 'list', 'test', 'rotate', 'remove']);
    expect(complete(['taskhook', 'webhooks', 'add', '--'])).toEqual(['--url', '--events', '--description', '--api', '--json', '--help']);
    expect(complete(['taskhook', 'trigger', 'ecs.task.p'])).toEqual(['ecs.task.partially_failed', 'ecs.task.progress']);
    expect(complete(['taskhook', 'watch', 't-bp1abc', '--t'])).toEqual(['--timeout']);
    expect(complete(['taskhook', 'tables', ''])).toEqual(['init']);
  });

  it.runIf(has('zsh'))('zsh: the script loads under compinit and offers the same words', async () => {
    const file = await script('zsh');
    const offered = (words: string[]) =>
      execFileSync(
        'zsh',
        [
          '-c',
          `autoload -Uz compinit && compinit -u -d "$1/zcompdump"; source "$0"; _describe() { print -l -- "\${items[@]}" }; words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; _taskhook`,
          file,
          dir,
        ],
        { encoding: 'utf8' },
      )
        .trim()
        .split('\n')
        .map((item) => item.split(/(?<!\\):/)[0].replace(/\\:/g, ':'));
    expect(offered(['taskhook', ''])).toContain('listen');
    expect(offered(['taskhook', 'webhooks', ''])).toEqual(['add', 'list', 'test', 'rotate', 'remove']);
    expect(offered(['taskhook', 'listen', ''])).toEqual(['--forward-to', '--events', '--api', '--from', '--print-secret', '--json', '--help']);
  });
});
