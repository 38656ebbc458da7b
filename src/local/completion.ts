/** `taskhook completion bash|zsh`: completion scripts generated from the commander tree, so they list exactly the commands and options that exist. */
import type { Command } from 'commander';

interface Node {
  /** Words after `taskhook`: [] for the root, ['webhooks', 'add'] for a subcommand. */
  path: string[];
  description: string;
  subcommands: Node[];
  options: { flag: string; description: string }[];
  /** Values the first argument may take (choices), when it has a fixed set. */
  values: string[];
}

function nodeOf(command: Command, path: string[]): Node {
  const first = command.registeredArguments[0] as { argChoices?: string[] } | undefined;
  return {
    path,
    description: command.description(),
    subcommands: command.commands.map((c) => nodeOf(c, [...path, c.name()])),
    options: [
      ...command.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)).map((flag) => ({ flag, description: o.description }))),
      { flag: '--help', description: 'show help' },
    ],
    values: first?.argChoices ?? [],
  };
}

function walk(node: Node): Node[] {
  return [node, ...node.subcommands.flatMap(walk)];
}

/** The words to offer after a command path: its subcommands, or its argument's values and its options. */
function words(node: Node): string[] {
  return node.subcommands.length ? node.subcommands.map((s) => s.path.at(-1)!) : [...node.values, ...node.options.map((o) => o.flag)];
}

function bash(root: Node): string {
  const cases = walk(root)
    .map((n) => `    '${n.path.join(' ')}') words='${words(n).join(' ')}' ;;`)
    .join('\n');
  const groups = walk(root)
    .filter((n) => n.subcommands.length)
    .map((n) => n.path.join(' '))
    .join('|');
  return `# taskhook completion for bash. Load it with: source <(taskhook completion bash)
_taskhook_completion() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmdpath="" word i groups="|${groups}|"
  # The command path so far: leading words under a command group (taskhook webhooks add …).
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && break
    if [[ "$groups" == *"|$cmdpath|"* ]]; then cmdpath="\${cmdpath:+$cmdpath }$word"; else break; fi
  done
  COMPREPLY=($(compgen -W "$(_taskhook_words "$cmdpath")" -- "$cur"))
}
_taskhook_words() {
  local words=""
  case "$1" in
${cases}
  esac
  printf '%s' "$words"
}
complete -o default -F _taskhook_completion taskhook
`;
}

const zshQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
const zshItem = (word: string, description: string) => zshQuote(`${word.replace(/:/g, '\\:')}:${description}`);

function zsh(root: Node): string {
  const cases = walk(root)
    .map((n) => {
      const items = n.subcommands.length
        ? n.subcommands.map((s) => zshItem(s.path.at(-1)!, s.description))
        : [...n.values.map((v) => zshItem(v, 'value')), ...n.options.map((o) => zshItem(o.flag, o.description))];
      return `    ${zshQuote(n.path.join(' '))}) items=(${items.join(' ')}) ;;`;
    })
    .join('\n');
  const commands = walk(root)
    .filter((n) => n.subcommands.length)
    .map((n) => zshQuote(n.path.join(' ')))
    .join(' ');
  return `#compdef taskhook
# taskhook completion for zsh. Load it with: source <(taskhook completion zsh)   (after compinit)
_taskhook() {
  local cmdpath="" word i
  local -a items groups
  groups=(${commands})
  # The command path so far: leading words that name a command group's subcommand.
  for ((i = 2; i < CURRENT; i++)); do
    word="\${words[i]}"
    [[ "$word" == -* ]] && break
    if (( \${groups[(Ie)$cmdpath]} )); then cmdpath="\${cmdpath:+$cmdpath }$word"; else break; fi
  done
  case "$cmdpath" in
${cases}
  esac
  _describe -t taskhook 'taskhook' items
}
compdef _taskhook taskhook
`;
}

export function completionScript(program: Command, shell: 'bash' | 'zsh'): string {
  const root = nodeOf(program, []);
  return shell === 'bash' ? bash(root) : zsh(root);
}
