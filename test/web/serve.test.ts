import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { createApp } from '../../src/server/app.ts';
import { openTestDatabase } from '../helpers/database.ts';

describe('the server serves the web app', () => {
  let root: string;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  const appWith = (webRoot: string) => createApp({ db, logger: pino({ level: 'silent' }), secureCookies: true, allowedOrigins: [], webRoot });

  before(async () => {
    db = await openTestDatabase();
    root = await mkdtemp(join(tmpdir(), 'tributary-web-'));
    await mkdir(join(root, 'assets'));
    await writeFile(join(root, 'index.html'), '<!doctype html><title>app</title>');
    await writeFile(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
    await db.close();
  });

  test('hashed assets are cached for a year, index.html is revalidated', async () => {
    const app = appWith(root);
    const asset = await app.request('/assets/index-abc123.js');
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
    const index = await app.request('/');
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.match(await index.text(), /<title>app/);
  });

  test('app paths get index.html; API, health and metrics paths keep theirs', async () => {
    const app = appWith(root);
    const deep = await app.request('/contributors/42');
    assert.equal(deep.status, 200);
    assert.match(await deep.text(), /<title>app/);
    const missing = await app.request('/api/v1/nothing-here');
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /problem\+json/);
    assert.equal((await app.request('/healthz')).status, 200);
    assert.match(await (await app.request('/metrics')).text(), /http_requests_total/);
    assert.equal((await app.request('/api/openapi.json')).status, 200);
  });

  test('no way out of the build folder', async () => {
    const app = appWith(root);
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/assets/%2e%2e/%2e%2e/package.json']) {
      const response = await app.request(path);
      assert.doesNotMatch(await response.text(), /"name": "tributary"/, path);
    }
  });

  test('without a build the server says how to make one', async () => {
    const response = await appWith(join(root, 'missing')).request('/');
    assert.equal(response.status, 503);
    assert.match(await response.text(), /npm run build:web/);
  });
});
