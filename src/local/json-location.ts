/** JSON files with line numbers in their errors: a syntax error at its line, and a validation message's path (`tasks[0].timeline[2].status`) at the line that holds it. */
import { findNodeAtLocation, parse, parseTree, printParseErrorCode, type ParseError, type Segment } from 'jsonc-parser';
import { UsageError } from '../errors.js';

/** 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

const WORDS: Record<string, string> = {
  InvalidSymbol: 'an invalid symbol',
  InvalidNumberFormat: 'a malformed number',
  PropertyNameExpected: 'a property name expected (in double quotes)',
  ValueExpected: 'a value expected',
  ColonExpected: 'a colon expected',
  CommaExpected: 'a comma expected',
  CloseBraceExpected: 'a closing } expected',
  CloseBracketExpected: 'a closing ] expected',
  EndOfFileExpected: 'text after the end of the JSON',
  InvalidCommentToken: 'a comment (JSON has none)',
  UnexpectedEndOfComment: 'an unfinished comment',
  UnexpectedEndOfString: 'an unfinished string',
  UnexpectedEndOfNumber: 'an unfinished number',
  InvalidUnicode: 'an invalid \\u escape',
  InvalidEscapeCharacter: 'an invalid escape character',
  InvalidCharacter: 'an invalid character',
};

/** Strict JSON (no comments, no trailing commas); an error names `file:line: what`. */
export function parseJsonWithLines(text: string, file: string): unknown {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length) {
    const [first] = errors;
    const code = printParseErrorCode(first.error);
    throw new UsageError(`${file}:${lineAt(text, first.offset)}: not valid JSON: ${WORDS[code] ?? code}`);
  }
  return value;
}

/** The path a message starts with (`tasks[0].timeline[2].status …`) as segments; `scenario` names the root. */
export function pathOf(message: string): Segment[] | null {
  const match = /^(?:scenario|[A-Za-z_]\w*)((?:\[\d+\]|\.[A-Za-z_]\w*)*)/.exec(message);
  if (!match) return null;
  const head = /^[A-Za-z_]\w*/.exec(message)![0];
  const segments: Segment[] = head === 'scenario' ? [] : [head];
  for (const part of match[1].matchAll(/\[(\d+)\]|\.([A-Za-z_]\w*)/g)) segments.push(part[1] !== undefined ? Number(part[1]) : part[2]);
  return segments;
}

/** The line of the deepest part of the message's path that the text has (a missing field: its object's line). */
export function locateJsonPath(text: string, message: string): number | null {
  const path = pathOf(message);
  const tree = parseTree(text);
  if (!path || !tree) return null;
  for (let n = path.length; n >= 0; n--) {
    const node = findNodeAtLocation(tree, path.slice(0, n));
    if (node) return lineAt(text, node.parent?.type === 'property' ? node.parent.offset : node.offset);
  }
  return null;
}
