/** The generated OpenAPI document: valid OpenAPI 3.1, every example fits its schema, tokens and ids where they belong. */
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { apiRoutes } from '../../src/http/app.js';
import { openApiDocument } from '../../src/http/openapi.js';
import { documentChecker } from '../support/openapi.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const doc: any = openApiDocument(apiRoutes);
const operations = Object.entries<any>(doc.paths).flatMap(([path, item]) => Object.entries<any>(item).map(([method, op]) => ({ path, method, op })));

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: '/', description: expect.any(String) }]);
  });

  it('names every operation, tags it, and asks a bearer token everywhere but the public routes', () => {
    expect(operations.length).toBeGreaterThanOrEqual(22);
    for (const { path, method, op } of operations) {
      expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
      expect(op.tags).toHaveLength(1);
      const isPublic = ['/healthz', '/openapi.json', '/schemas/ecs-task-event.json'].includes(path);
      expect(op.security, `${method} ${path}`).toEqual(isPublic ? [] : [{ bearer: [] }]);
      expect(Object.keys(op.responses).includes('401'), `${method} ${path} lists 401`).toBe(!isPublic);
      for (const status of ['400', '500']) expect(op.responses[status], `${method} ${path} ${status}`).toBeDefined();
      if (op.requestBody) expect(op.responses['413'], `${method} ${path} 413`).toBeDefined();
      // EventBridge's push is taken whatever its content type; every other body must be labelled JSON.
      if (op.requestBody) expect(op.responses['415'] !== undefined, `${method} ${path} 415`).toBe(!path.startsWith('/v1/hints'));
      for (const [status, response] of Object.entries<any>(op.responses)) {
        if (status === '204') expect(response.content).toBeUndefined();
        else expect(response.content['application/json'].schema.$ref, `${method} ${path} ${status}`).toMatch(/^#\/components\/schemas\/\w+$/);
      }
    }
  });

  it('lists the errors each route can give: ECS failures on the live lookup, conflicts on webhooks, the lease on polls', () => {
    const statuses = (path: string, method: string) => Object.keys(doc.paths[path][method].responses);
    expect(statuses('/v1/tasks/{taskId}', 'get')).toEqual(expect.arrayContaining(['200', '400', '401', '404', '429', '500', '502']));
    expect(doc.paths['/v1/tasks/{taskId}'].get.responses['429'].headers['retry-after']).toBeDefined();
    expect(statuses('/v1/webhooks/{webhookId}', 'patch')).toEqual(expect.arrayContaining(['200', '400', '401', '404', '409', '413', '415', '500']));
    expect(statuses('/v1/events/{eventId}/redeliver', 'post')).toEqual(expect.arrayContaining(['202', '404', '409']));
    expect(statuses('/v1/poll', 'post')).toEqual(expect.arrayContaining(['200', '409']));
    expect(doc.paths['/v1/poll'].post.responses['409'].content['application/json'].schema.$ref).toBe('#/components/schemas/PollBusy');
  });

  it('gives examples that fit their schemas: components, responses, request bodies, parameters', () => {
    const checker = documentChecker(doc);
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const inline = (schema: unknown, value: unknown) => {
      const validate = ajv.compile(schema as object);
      return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    };
    let checked = 0;
    for (const [name, schema] of Object.entries<any>(doc.components.schemas)) {
      for (const example of schema.examples ?? []) {
        expect(checker.errorsOf(`#/components/schemas/${name}`, example), name).toEqual([]);
        checked++;
      }
    }
    for (const { path, method, op } of operations) {
      for (const [status, response] of Object.entries<any>(op.responses)) {
        const media = response.content?.['application/json'];
        if (media?.example === undefined) continue;
        expect(checker.errorsOf(media.schema.$ref, media.example), `${method} ${path} ${status}`).toEqual([]);
        checked++;
      }
      const body = op.requestBody?.content['application/json'];
      for (const example of [body?.example, ...(body?.schema.examples ?? [])].filter((e) => e !== undefined)) {
        expect(inline(body.schema, example), `${method} ${path} request`).toEqual([]);
        checked++;
      }
      for (const parameter of op.parameters) for (const example of parameter.schema.examples ?? []) expect(inline(parameter.schema, example)).toEqual([]);
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('documents the request bodies as strict: an unknown field is refused', () => {
    const body = doc.paths['/v1/webhooks'].post.requestBody.content['application/json'].schema;
    expect(body.additionalProperties).toBe(false);
    expect(body.required).toEqual(['url']);
    expect(body.properties.events.items.enum).toContain('ecs.task.succeeded');
    expect(doc.paths['/v1/events/{eventId}/redeliver'].post.requestBody.required).toBe(false);
  });
});
