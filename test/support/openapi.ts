/** Checks an answer against the OpenAPI document: the status is one the operation lists, and the body matches its schema (ajv, draft 2020-12). */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const DOC_ID = 'urn:taskhook:openapi';

export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

export interface DocumentChecker {
  /** Throws unless the operation lists the status and the body fits its schema (or it has none and the body is empty). */
  check(method: string, template: string, answer: Answer): void;
  /** Errors of `value` against the schema at `ref` (`#/components/schemas/…`), or [] when it fits. */
  errorsOf(ref: string, value: unknown): string[];
}

export function documentChecker(doc: any): DocumentChecker {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(structuredClone(doc), DOC_ID);
  const compiled = new Map<string, ValidateFunction>();
  const validator = (ref: string) => {
    const target = ref.startsWith('#') ? `${DOC_ID}${ref}` : ref;
    let fn = compiled.get(target);
    if (!fn) compiled.set(target, (fn = ajv.compile({ $ref: target })));
    return fn;
  };
  const errorsOf = (ref: string, value: unknown) => {
    const fn = validator(ref);
    return fn(value) ? [] : (fn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
  };
  return {
    errorsOf,
    check(method, template, answer) {
      const operation = doc.paths[template]?.[method.toLowerCase()];
      if (!operation) throw new Error(`${method} ${template} is not in the document`);
      const response = operation.responses[String(answer.status)];
      if (!response)
        throw new Error(`${method} ${template} answered ${answer.status}, which the document does not list (${Object.keys(operation.responses).join(', ')})`);
      const media = response.content?.['application/json'];
      if (!media) {
        if (answer.text !== '')
          throw new Error(`${method} ${template} ${answer.status} has a body the document does not describe: ${answer.text.slice(0, 200)}`);
        return;
      }
      const type = answer.headers.get('content-type') ?? '';
      if (!type.startsWith('application/json')) throw new Error(`${method} ${template} ${answer.status} answered ${type}, not application/json`);
      const errors = errorsOf(media.schema.$ref, answer.body);
      if (errors.length > 0)
        throw new Error(
          `${method} ${template} ${answer.status} does not match ${media.schema.$ref}:\n  ${errors.slice(0, 8).join('\n  ')}\n${answer.text.slice(0, 400)}`,
        );
    },
  };
}
