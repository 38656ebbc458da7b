/**
 * What the API answers when an input fails its schema: an error code and message attached to the schema that checks
 * the input, found again from the failing issue's path (src/http/validate.ts).
 */
import { z } from 'zod';

export interface InputRule {
  /** The error code, in the API's scheme (`InvalidTaskId.Malformed`, `InvalidEvents`). */
  code: string;
  /** Says what is wrong with the value the client sent; `field` is where it was (`filter.regions`). */
  message: (input: unknown, field: string) => string;
  /** Shown when the input is missing. */
  example?: string;
}

export const inputRules = z.registry<InputRule>();

/** Attaches the rule to this exact schema instance (so after `.meta()`, before `.optional()`). */
export function withRule<T extends z.ZodType>(schema: T, rule: InputRule): T {
  inputRules.add(schema, rule);
  return schema;
}

/** A custom issue that carries its own code; the message is the one the API answers with. */
export function issue(code: string, message: string) {
  return { code: 'custom' as const, message, params: { code } };
}

/** The text of a value for a message: strings quoted as sent, anything else as JSON. */
export function shown(input: unknown): string {
  if (typeof input === 'string') return `"${input.length > 80 ? input.slice(0, 80) + '…' : input}"`;
  const text = JSON.stringify(input) ?? String(input);
  return text.length > 80 ? text.slice(0, 80) + '…' : text;
}
