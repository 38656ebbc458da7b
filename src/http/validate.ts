/**
 * Request validation: a middy middleware that parses path, query and body with the route's schemas before its handler
 * runs. A wrong input is a 400 naming the field (`{"error":{"code","message","field","requestId"}}`): unknown fields,
 * wrong types, malformed ids, cursors this API did not hand out. The handler gets the parsed, typed input.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import { inputRules, shown, type InputRule } from '../schema/rules.js';
import { jsonBody } from './request.js';
import type { ApiContext, ApiEvent, ApiResponse, ApiRoute, RouteSchema, ValidEvent } from './route.js';

type Where = 'path' | 'query' | 'body';
type Def = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; in?: z.ZodType; element?: z.ZodType };
type Issue = z.core.$ZodIssue;

const defOf = (schema: z.ZodType) => schema._zod.def as unknown as Def;

/** Schemas that wrap one other without changing the path to it. */
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'nonoptional', 'catch']);

/** The schemas from the root down the issue's path, wrappers included, each with how deep into the path it sits. */
function schemasAlong(root: z.ZodType, path: PropertyKey[]): Array<{ schema: z.ZodType; depth: number }> {
  const chain: Array<{ schema: z.ZodType; depth: number }> = [];
  let node: z.ZodType | undefined = root;
  let depth = 0;
  while (node) {
    chain.push({ schema: node, depth });
    const def = defOf(node);
    if (WRAPPERS.has(def.type)) node = def.innerType;
    else if (def.type === 'pipe') node = def.in;
    else if (depth < path.length && def.type === 'object') node = def.shape?.[String(path[depth++])];
    else if (depth < path.length && def.type === 'array') {
      node = def.element;
      depth++;
    } else node = undefined;
  }
  return chain;
}

/** The closest name by edit distance, if it is close enough to be a typo. */
function nearest(name: string, known: string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let previous = row[0];
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const kept = row[j];
        row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
        previous = kept;
      }
    }
    return row[b.length];
  };
  const ranked = known.map((k) => ({ k, d: distance(name, k) })).sort((a, b) => a.d - b.d);
  return ranked[0] && ranked[0].d <= Math.max(1, Math.floor(ranked[0].k.length / 3)) ? ranked[0].k : undefined;
}

const label = (where: Where, field: string) =>
  where === 'query' ? `the ${field} query parameter` : where === 'path' ? `the ${field} in the path` : field ? `"${field}"` : 'the body';

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const key of path) value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

/** The 400 for one failed issue: the code and message of the innermost rule on its path, else the generic ones. */
export function inputError(root: z.ZodType, issue: Issue, input: unknown, where: Where): InvalidInputError {
  const chain = schemasAlong(root, issue.path);
  const ruled = [...chain].reverse().find((c) => inputRules.has(c.schema));
  const rule: InputRule | undefined = ruled && inputRules.get(ruled.schema);
  const field = issue.path.map(String).join('.');

  if (issue.code === 'unrecognized_keys') {
    const unknown = issue.keys[0];
    const at = [...issue.path.map(String), unknown].join('.');
    const object = [...chain].reverse().find((c) => defOf(c.schema).type === 'object');
    const known = Object.keys((object && defOf(object.schema).shape) ?? {});
    const close = nearest(unknown, known);
    const noun = where === 'query' ? 'query parameter' : 'field';
    const hint = close ? `; did you mean "${close}"?` : known.length > 0 ? `; the ${noun}s here are ${known.join(', ')}` : `; this route takes no ${noun}s`;
    return new InvalidInputError(rule?.code ?? 'InvalidParameter', `unknown ${noun} ${shown(at)}${hint}`, at.slice(0, 100));
  }
  if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) {
    const example = rule?.example;
    const eg = example ? (where === 'query' ? `, e.g. ?${field}=${example}` : `, e.g. ${JSON.stringify(example)}`) : '';
    return new InvalidInputError('MissingParameter', `${label(where, field)} is required${eg}`, field || undefined);
  }
  const own = issue.code === 'custom' ? (issue.params as { code?: unknown } | undefined)?.code : undefined;
  if (typeof own === 'string') return new InvalidInputError(own, issue.message, field || undefined);
  if (rule && ruled) {
    const at = issue.path.slice(0, ruled.depth).map(String).join('.');
    return new InvalidInputError(rule.code, rule.message(valueAt(input, issue.path.slice(0, ruled.depth)), at), at || undefined);
  }
  return new InvalidInputError(
    'InvalidParameter',
    `${label(where, field)}: ${issue.message.toLowerCase()}, got ${shown(valueAt(input, issue.path))}`,
    field || undefined,
  );
}

/** The parsed value, or the 400 of its most telling issue (an unknown field explains a "missing" one: a typo). */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, where: Where): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const first = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0];
  throw inputError(schema, first, input, where);
}

/** FC and the local server give absent and empty values alike; an empty one counts as absent. */
const present = (values: Record<string, string | undefined> | undefined) =>
  Object.fromEntries(Object.entries(values ?? {}).filter(([, value]) => value !== undefined && value !== ''));

/** Routes without a query schema take no query parameters. */
const emptyQuery = z.strictObject({});

export const validate = (schema: RouteSchema): MiddlewareObj<ApiEvent & { input?: unknown }, ApiResponse, Error, ApiContext> => ({
  before: (request) => {
    const event = request.event;
    const params = schema.params ? parseInput(schema.params, present(event.pathParameters), 'path') : {};
    const query = parseInput(schema.query ?? emptyQuery, present(event.queryStringParameters), 'query');
    let body: unknown = {};
    if (schema.body) {
      const raw = event.body || !schema.bodyOptional ? jsonBody(event, schema.anyContentType) : {};
      body = parseInput(schema.body, raw, 'body');
    }
    event.input = { params, query, body };
  },
});

/** A documented route whose handler runs only on input its schemas accepted, typed by them. */
export function defineRoute<const S extends RouteSchema>(route: {
  method: ApiRoute['method'];
  path: string;
  schema: S;
  handler: (event: ValidEvent<S>) => Promise<ApiResponse>;
}): ApiRoute {
  const validated = middy<ApiEvent, ApiResponse, Error, ApiContext>()
    .use(validate(route.schema) as MiddlewareObj<ApiEvent, ApiResponse, Error, ApiContext>)
    .handler((event) => route.handler(event as ValidEvent<S>));
  const handler = (event: ApiEvent, context = {} as ApiContext) =>
    (validated as unknown as (e: ApiEvent, c: ApiContext) => Promise<ApiResponse>)(event, context);
  return { method: route.method, path: route.path, schema: route.schema, handler };
}
