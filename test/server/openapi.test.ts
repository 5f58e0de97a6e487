import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { DOCS_PATH, OPENAPI_PATH } from '../../src/server/app.ts';
import { engineName } from '../helpers/database.ts';
import { startTestServer, type TestServer } from './helpers.ts';

describe(`OpenAPI document (${engineName})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ seed: false });
  });
  after(() => server.close());

  test('is a valid OpenAPI 3.1 document', async () => {
    const document = (await (await server.request('GET', OPENAPI_PATH)).json()) as { openapi: string };
    assert.equal(document.openapi, '3.1.0');
    // validate() dereferences in place; give it a copy so the checks below see the document as served.
    await SwaggerParser.validate(structuredClone(document) as unknown as Parameters<typeof SwaggerParser.validate>[0]);
  });

  test('covers every route the app serves, each with a permission and an error schema', async () => {
    const document = (await (await server.request('GET', OPENAPI_PATH)).json()) as {
      paths: Record<string, Record<string, { 'x-permission'?: string; responses: Record<string, unknown> }>>;
    };
    const documented = new Set(Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)));
    // Hono's own table, middleware (method ALL) aside; the document and its page describe the rest.
    const served = new Set(
      server.app.routes
        .filter((route) => route.method !== 'ALL' && route.path !== OPENAPI_PATH && route.path !== DOCS_PATH)
        .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`),
    );
    assert.deepEqual([...served].sort(), [...documented].sort());
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        assert.ok(operation['x-permission'], `${method} ${path} names its permission`);
        assert.ok(operation.responses['400'] && operation.responses['403'], `${method} ${path} documents its errors`);
      }
    }
  });

  test('the docs page is served and points at the document', async () => {
    const response = await server.request('GET', DOCS_PATH);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    assert.ok((await response.text()).includes(OPENAPI_PATH));
  });
});
