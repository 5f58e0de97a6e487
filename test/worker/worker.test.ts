import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { Database } from '../../src/db/connection.ts';
import { createApp } from '../../src/server/app.ts';
import { createHistoryRepository } from '../../src/sources/git/testing/history.ts';
import { addSource } from '../../src/sources/registry.ts';
import { JOBS, type RunningWorker, startWorker } from '../../src/worker/index.ts';
import { engineName } from '../helpers/database.ts';
import { scratchDir } from '../helpers/git.ts';
import { startTestServer, type TestServer } from '../server/helpers.ts';

const silent = pino({ level: 'silent' });

/** pg-boss connects on its own on PostgreSQL: the test database's URL, from the server's and the database's name. */
async function databaseUrlOf(db: Database): Promise<string | undefined> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return undefined;
  const [row] = await db.query<{ name: string }>('SELECT current_database() AS name');
  const url = new URL(base);
  url.pathname = `/${row?.name}`;
  return url.toString();
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe(`background worker (${engineName})`, () => {
  let server: TestServer;
  let worker: RunningWorker;
  let app: ReturnType<typeof createApp>;
  let repository: string;
  let expectedMergeRequests: number;
  const request = async (method: string, path: string, as: 'manager' | 'viewer', body?: unknown) =>
    app.request(`http://tributary.test${path}`, {
      method,
      headers: { ...(await server.headersFor(as)), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  before(async () => {
    server = await startTestServer();
    repository = join(scratchDir(), 'repo');
    expectedMergeRequests = (await createHistoryRepository(repository, { seed: 'worker-test', commits: 60, merges: 12 })).mergeRequests.length;
    const context = { cacheDir: scratchDir('tributary-cache-'), warn: () => {} };
    await addSource(server.db, 'git', { location: repository, projectPath: 'acme/worker' }, context, 'good');
    const doomed = join(scratchDir(), 'doomed');
    await createHistoryRepository(doomed, { seed: 'worker-doomed', commits: 5, merges: 1 });
    await addSource(server.db, 'git', { location: doomed, projectPath: 'acme/doomed' }, context, 'doomed');
    // Gone after it was added: every sync of it fails.
    rmSync(doomed, { recursive: true, force: true });
    worker = await startWorker({
      db: server.db,
      databaseUrl: await databaseUrlOf(server.db),
      logger: silent,
      sourceContext: { cacheDir: context.cacheDir },
      pollSeconds: 0.5,
      syncCron: '*/10 * * * *',
      retryLimit: 1,
      retryDelaySeconds: 1,
    });
    app = createApp({ db: server.db, logger: silent, secureCookies: true, allowedOrigins: [], enqueue: worker.enqueue });
  });
  after(async () => {
    await worker?.stop();
    await server?.close();
  });

  test('every source gets its scheduled sync, on the configured cron', async () => {
    const schedules = await until('a schedule for each source', async () => {
      const rows = await server.db.query<{ key: string; cron: string; data: { source: string } }>(
        `SELECT sc.key, sc.cron, sc.data FROM pgboss.schedule sc WHERE sc.name = $1 ORDER BY sc.data->>'source'`,
        [JOBS.sync],
      );
      return rows.length === 2 ? rows : undefined;
    });
    const ids = new Map((await server.db.query<{ id: bigint; name: string }>('SELECT id, name FROM sources')).map((r) => [r.name, r.id]));
    assert.deepEqual(
      schedules.map((s) => [s.key, s.cron, s.data]),
      [
        [`source-${ids.get('doomed')}`, '*/10 * * * *', { source: 'doomed' }],
        [`source-${ids.get('good')}`, '*/10 * * * *', { source: 'good' }],
      ],
    );
  });

  test('a "sync now" request is picked up, the source synced and the request marked done', async () => {
    const mergeRequests = async () => (await server.db.query<{ n: bigint }>('SELECT count(*) AS n FROM merge_requests'))[0]?.n ?? 0n;
    const before = await mergeRequests();
    const asked = await request('POST', '/api/v1/sources/good/sync', 'manager');
    assert.equal(asked.status, 202, await asked.clone().text());
    const { id } = (await asked.json()) as { id: string };
    const done = await until('the request to finish', async () => {
      const [row] = await server.db.query<{ started_at: Date | null; finished_at: Date | null; error: string | null }>(
        'SELECT started_at, finished_at, error FROM sync_requests WHERE id = $1::int8',
        [id],
      );
      return row?.finished_at ? row : undefined;
    });
    assert.ok(done.started_at);
    assert.equal(done.error, null);
    assert.equal((await mergeRequests()) - before, BigInt(expectedMergeRequests));
    const sources = (await (await request('GET', '/api/v1/sources', 'viewer')).json()) as { items: { name: string; lastFinishedAt: string | null; lastError: string | null; pendingSync: unknown }[] };
    const good = sources.items.find((s) => s.name === 'good');
    assert.ok(good?.lastFinishedAt);
    assert.equal(good?.lastError, null);
    assert.equal(good?.pendingSync, null);
  });

  test('a failing source is retried, then its request is marked failed with the error, visible through the API', async () => {
    const asked = await request('POST', '/api/v1/sources/doomed/sync', 'manager');
    assert.equal(asked.status, 202);
    const { id } = (await asked.json()) as { id: string };
    // The request is stamped before the job's failure is recorded: wait for the job.
    const jobs = await until('the job to fail for good', async () => {
      const found = await worker.boss.findJobs<{ requestId?: string }>(JOBS.sync, { data: { requestId: id } });
      return found.some((job) => job.state === 'failed') ? found : undefined;
    });
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0]?.retryCount, 1, 'retried once (retryLimit 1) before failing');
    const [failed] = await server.db.query<{ finished_at: Date | null; error: string | null }>('SELECT finished_at, error FROM sync_requests WHERE id = $1::int8', [id]);
    assert.ok(failed?.finished_at, 'the request is finished');
    assert.match(failed?.error ?? '', /./, 'the request records the error');
    const sources = (await (await request('GET', '/api/v1/sources', 'viewer')).json()) as { items: { name: string; lastError: string | null }[] };
    assert.equal(sources.items.find((s) => s.name === 'doomed')?.lastError, failed?.error);
  });

  test('a people merge through the API enqueues a rollup refresh that changes uwcc', async () => {
    // Two community contributors with merged MRs in the same month: merged, the month counts one fewer.
    const [pair] = await server.db.query<{ month: string; a: bigint; b: bigint }>(
      `SELECT to_char(merged_at, 'YYYY-MM') AS month, min(canonical_id) AS a, max(canonical_id) AS b
         FROM kpi_merge_requests WHERE class = 'community' AND merged_at IS NOT NULL
        GROUP BY 1 HAVING count(DISTINCT canonical_id) >= 2 ORDER BY 1 DESC LIMIT 1`,
    );
    assert.ok(pair);
    const series = async () => {
      const response = await request('GET', `/api/v1/kpis/uwcc?from=${pair.month}&to=${pair.month}`, 'viewer');
      assert.equal(response.status, 200);
      return JSON.stringify(((await response.json()) as { points: unknown[] }).points);
    };
    const before = await series();
    const merged = await request('POST', '/api/v1/people/merges', 'manager', { from: String(pair.a), into: String(pair.b) });
    assert.equal(merged.status, 201, await merged.clone().text());
    const changed = await until('uwcc to change', async () => {
      const now = await series();
      return now !== before ? now : undefined;
    });
    assert.notEqual(changed, before);
  });

  test('the worker stops cleanly: running jobs finish, pg-boss closes, the database stays usable', async () => {
    await worker.stop(5_000);
    await worker.stop();
    const [row] = await server.db.query<{ one: number }>('SELECT 1 AS one');
    assert.equal(row?.one, 1);
  });
});
