/** The public routes' answers: liveness, this API's OpenAPI document and the event's JSON Schema. */
import { z } from 'zod';

export const health = z.object({ ok: z.literal(true) }).meta({ id: 'Health', examples: [{ ok: true }] });
export const openApiDocument = z
  .record(z.string(), z.unknown())
  .meta({ id: 'OpenApiDocument', description: 'This document (OpenAPI 3.1), with `servers` set to the origin it was asked at.' });
export const jsonSchemaDocument = z.record(z.string(), z.unknown()).meta({ id: 'JsonSchemaDocument', description: 'A JSON Schema (draft 2020-12) document.' });
