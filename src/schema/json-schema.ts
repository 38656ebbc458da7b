/** zod → JSON Schema 2020-12, tidied for documents: the OpenAPI components, request bodies, parameters and the event schema file. */
import { z } from 'zod';

export type JsonSchema = { [key: string]: unknown };

/** A schema whose document form is written out by hand (a query string parsed into a number is documented as the number). */
const documented = new WeakMap<z.core.$ZodType, JsonSchema>();

export function documentedAs<T extends z.ZodType>(schema: T, json: JsonSchema): T {
  documented.set(schema, json);
  return schema;
}

/** zod writes the safe-integer range into every integer; a reader learns nothing from it. */
const SAFE_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

/** Drops what only a standalone schema needs ($schema, $id) and the safe-integer bounds, at every depth. */
export function tidy<T>(node: T, keepTop = false): T {
  if (Array.isArray(node)) return node.map((n: unknown) => tidy(n)) as T;
  if (!node || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (!keepTop && (key === '$schema' || key === '$id')) continue;
    if ((key === 'minimum' || key === 'maximum') && SAFE_BOUNDS.has(value as number)) continue;
    out[key] = key === 'examples' || key === 'example' || key === 'default' || key === 'const' || key === 'enum' ? value : tidy(value);
  }
  return out as T;
}

const override = ({ zodSchema, jsonSchema }: { zodSchema: z.core.$ZodType; jsonSchema: JsonSchema }) => {
  const own = documented.get(zodSchema);
  if (!own) return;
  for (const key of Object.keys(jsonSchema)) delete jsonSchema[key];
  Object.assign(jsonSchema, structuredClone(own));
};

/** One schema, inline: what a request sends (`input`) or what an answer holds (`output`). */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  return tidy(z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', override }) as JsonSchema);
}

/** Every schema registered with an `id` (`.meta({ id })`), each a component that refers to the others through `uri`. */
export function namedSchemas(uri: (id: string) => string): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any', override, uri });
  return tidy(schemas as Record<string, JsonSchema>);
}

/** A standalone document of one schema: its named parts in `$defs`, referred to as `#/$defs/<id>`. */
export function standaloneSchema(schema: z.ZodType, head: JsonSchema): JsonSchema {
  const body = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any', override }) as JsonSchema;
  const { $schema, ...rest } = body;
  return { $schema, ...head, ...tidy(rest) };
}
