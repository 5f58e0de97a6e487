import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { toNumber } from '../../src/db/connection.ts';
import { runKpi } from '../../src/metrics/run.ts';
import { engineName } from '../helpers/database.ts';
import { startTestServer, type TestServer } from './helpers.ts';

const EMAIL = /[^\s@"]+@[^\s@"]+\.[a-z]{2,}/i;

async function json(response: Response) {
  return JSON.parse(await response.text());
}

/** Follows nextCursor from the first page to the last, returning every item's id in order. */
async function walk(server: TestServer, path: string, as: 'viewer' | 'manager' = 'viewer'): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const separator = path.includes('?') ? '&' : '?';
    const response = await server.request('GET', `${path}${cursor ? `${separator}cursor=${encodeURIComponent(cursor)}` : ''}`, { as });
    assert.equal(response.status, 200, await response.clone().text());
    const body = (await response.json()) as { items: { id: string }[]; nextCursor: string | null };
    ids.push(...body.items.map((item) => item.id));
    cursor = body.nextCursor;
    if (cursor === null) return ids;
  }
  throw new Error('pagination did not end');
}

describe(`REST API (${engineName})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('bad input is problem+json naming the field', async () => {
    const cases: [string, string, unknown, string][] = [
      ['GET', '/api/v1/contributors?limit=0', undefined, 'limit'],
      ['GET', '/api/v1/merge-requests?state=sleeping', undefined, 'state'],
      ['GET', '/api/v1/kpis/uwcc?grain=fortnight', undefined, 'grain'],
      ['GET', '/api/v1/kpis/uwcc?from=2024-13', undefined, 'from'],
      ['GET', '/api/v1/kpis/uwcc?parameters=nope', undefined, 'parameters'],
      ['GET', '/api/v1/contributors?cursor=garbage', undefined, 'cursor'],
      ['POST', '/api/v1/people/merges', { from: 'a' }, 'into'],
      ['POST', '/api/v1/people/merges', { from: 'a', into: 'b', extra: 1 }, 'extra'],
      ['POST', '/api/v1/users', { email: 'not-an-address', name: 'X', role: 'viewer' }, 'email'],
      ['POST', '/api/v1/users', { email: 'x@tributary.test', name: 'X', role: 'overlord' }, 'role'],
    ];
    for (const [method, path, body, field] of cases) {
      const response = await server.request(method, path, { as: 'admin', body });
      assert.equal(response.status, 400, `${method} ${path}`);
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
      const problem = await json(response);
      assert.equal(problem.status, 400);
      assert.equal(problem.title, 'Bad Request');
      assert.ok(
        problem.errors?.some((e: { field: string }) => e.field === field),
        `${method} ${path}: errors name ${field}: ${JSON.stringify(problem)}`,
      );
    }
    const malformed = await server.request('POST', '/api/v1/people/merges', { as: 'admin', body: '{"from":', headers: { 'content-type': 'application/json' } });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.headers.get('content-type'), 'application/problem+json');
    const unknown = await server.request('GET', '/api/v1/nowhere', { as: 'admin' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get('content-type'), 'application/problem+json');
    const huge = await server.request('POST', '/api/v1/people/merges', { as: 'admin', body: { from: 'x'.repeat(2 * 1024 * 1024), into: 'y' } });
    assert.equal(huge.status, 413);
    assert.equal(huge.headers.get('content-type'), 'application/problem+json');
    assert.equal(unknown.headers.get('x-content-type-options'), 'nosniff');
    const unknownKpi = await server.request('GET', '/api/v1/kpis/no-such-kpi');
    assert.equal(unknownKpi.status, 404);
  });

  test('pagination walks every row exactly once', async () => {
    const [counts] = await server.db.query<Record<string, unknown>>(
      `SELECT (SELECT count(*) FROM people WHERE merged_into IS NULL) AS people,
              (SELECT count(*) FROM kpi_merge_requests) AS mrs,
              (SELECT count(*) FROM kpi_merge_requests WHERE class = 'community') AS community,
              (SELECT count(*) FROM kpi_merge_requests WHERE open_until = 'infinity') AS open,
              (SELECT count(*) FROM organisations) AS organisations`,
    );
    const expect = async (path: string, count: unknown) => {
      const ids = await walk(server, path);
      assert.equal(new Set(ids).size, ids.length, `${path}: no item twice`);
      assert.equal(ids.length, toNumber(count), `${path}: every item`);
    };
    await expect('/api/v1/contributors?limit=17', counts?.people);
    await expect('/api/v1/merge-requests?limit=23', counts?.mrs);
    await expect('/api/v1/merge-requests?limit=9&community=true', counts?.community);
    await expect('/api/v1/merge-requests?limit=50&state=open', counts?.open);
    await expect('/api/v1/organisations?limit=2', counts?.organisations);
    const [organisation] = await server.db.query<{ id: bigint; people: unknown }>(
      `SELECT a.organisation_id AS id, count(DISTINCT kc.canonical_id) AS people FROM affiliations a JOIN kpi_canonical kc ON kc.person_id = a.person_id
        GROUP BY 1 ORDER BY 2 DESC LIMIT 1`,
    );
    await expect(`/api/v1/contributors?limit=4&organisation=${organisation?.id}`, organisation?.people);
    const searched = await walk(server, '/api/v1/contributors?limit=3&q=a');
    assert.ok(searched.length > 0 && searched.length <= toNumber(counts?.people));
  });

  test('a KPI series is what runKpi says, with the CLI filters', async () => {
    const response = await server.request('GET', '/api/v1/kpis/community-merged-mrs?from=2023-01&to=2024-06&grain=quarter&project=acme/platform');
    assert.equal(response.status, 200);
    const body = await json(response);
    const direct = await runKpi(server.db, 'community-merged-mrs', { from: '2023-01', to: '2024-06', grain: 'quarter', projects: ['acme/platform'] });
    assert.deepEqual(body, JSON.parse(JSON.stringify(direct)));
    assert.equal(body.points.length, 6);
    const badProject = await server.request('GET', '/api/v1/kpis/uwcc?project=nowhere/at-all');
    assert.equal(badProject.status, 400);
    assert.equal((await json(badProject)).errors[0].field, 'projects');
  });

  test('an explanation lists the rows behind the value, e-mails only for those who may see them', async () => {
    const [month] = await server.db.query<{ month: string }>(
      `SELECT to_char(merged_at, 'YYYY-MM') AS month FROM kpi_merge_requests WHERE class = 'community' AND merged_at IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`,
    );
    const viewer = await json(await server.request('GET', `/api/v1/kpis/uwcc/explain/${month?.month}`, { as: 'viewer' }));
    assert.ok(viewer.rows.length > 0);
    assert.doesNotMatch(JSON.stringify(viewer), EMAIL);
    const coach = await json(await server.request('GET', `/api/v1/kpis/uwcc/explain/${month?.month}`, { as: 'coach' }));
    assert.equal(coach.rows.length, viewer.rows.length);
  });

  test('contributors: a viewer sees no e-mail anywhere, a coach does', async () => {
    const [person] = await server.db.query<{ id: bigint }>(
      `SELECT p.id FROM people p JOIN identities i ON i.person_id = p.id AND i.kind = 'email'
        JOIN kpi_merge_requests f ON f.canonical_id = p.id WHERE p.merged_into IS NULL LIMIT 1`,
    );
    assert.ok(person, 'the seed has a person with an e-mail identity and MRs');
    const viewer = await json(await server.request('GET', `/api/v1/contributors/${person.id}`, { as: 'viewer' }));
    assert.doesNotMatch(JSON.stringify(viewer), EMAIL);
    assert.equal(viewer.key, null);
    assert.ok(viewer.mergeRequests.length > 0);
    assert.ok(viewer.activityByMonth.length > 0);
    const coach = await json(await server.request('GET', `/api/v1/contributors/${person.id}`, { as: 'coach' }));
    assert.match(JSON.stringify(coach.identities), EMAIL);
    for (const path of ['/api/v1/contributors?limit=200', '/api/v1/merge-requests?limit=200', '/api/v1/organisations?limit=200']) {
      assert.doesNotMatch(await (await server.request('GET', path, { as: 'viewer' })).text(), EMAIL, path);
    }
    const missing = await server.request('GET', '/api/v1/contributors/12345', { as: 'viewer' });
    assert.equal(missing.status, 404);
  });

  test('merge requests filter: community, open, idle', async () => {
    const community = await json(await server.request('GET', '/api/v1/merge-requests?community=true&limit=200', { as: 'viewer' }));
    assert.ok(community.items.length > 0 && community.items.every((mr: { class: string }) => mr.class === 'community'));
    const idle = await json(await server.request('GET', '/api/v1/merge-requests?idle=true&idleDays=30&limit=200', { as: 'viewer' }));
    const cutoff = Date.now() - 30 * 86_400_000;
    for (const mr of idle.items as { state: string; updatedAt: string | null; createdAt: string | null; mergedAt: string | null; closedAt: string | null }[]) {
      assert.equal(mr.mergedAt, null);
      assert.equal(mr.closedAt, null);
      assert.ok(Date.parse(mr.updatedAt ?? mr.createdAt ?? '') < cutoff);
    }
  });

  test('merge and unmerge people through the API, audited with the actor', async () => {
    const [a, b] = await server.db.query<{ id: bigint }>('SELECT id FROM people WHERE merged_into IS NULL AND NOT is_bot ORDER BY id LIMIT 2');
    const merged = await server.request('POST', '/api/v1/people/merges', { as: 'manager', body: { from: String(a?.id), into: String(b?.id) } });
    assert.equal(merged.status, 201, await merged.clone().text());
    const merge = await json(merged);
    assert.equal(merge.actor, 'manager@tributary.test');
    const again = await server.request('POST', '/api/v1/people/merges', { as: 'manager', body: { from: String(a?.id), into: String(b?.id) } });
    assert.equal(again.status, 409);
    const undone = await server.request('POST', `/api/v1/people/merges/${merge.id}/undo`, { as: 'token:write', body: {} });
    assert.equal(undone.status, 200);
    assert.ok((await json(undone)).undoneAt);
    const twice = await server.request('POST', `/api/v1/people/merges/${merge.id}/undo`, { as: 'manager' });
    assert.equal(twice.status, 409);
    const [row] = await server.db.query<{ merged_into: bigint | null }>('SELECT merged_into FROM people WHERE id = $1', [String(a?.id)]);
    assert.equal(row?.merged_into, null);
  });

  test('sync now records one waiting request per source', async () => {
    await server.db.query(`INSERT INTO sources (id, kind, name, config) VALUES (7, 'git', 'upstream', '{}')`);
    const first = await json(await server.request('POST', '/api/v1/sources/upstream/sync', { as: 'manager' }));
    const second = await json(await server.request('POST', '/api/v1/sources/upstream/sync', { as: 'admin' }));
    assert.equal(first.id, second.id);
    const sources = await json(await server.request('GET', '/api/v1/sources', { as: 'viewer' }));
    assert.equal(sources.items[0].pendingSync.id, first.id);
    assert.equal((await server.request('POST', '/api/v1/sources/nowhere/sync', { as: 'manager' })).status, 404);
  });

  test('/healthz checks the database; /metrics counts requests by route and status', async () => {
    assert.deepEqual(await json(await server.request('GET', '/healthz')), { status: 'ok', database: 'ok' });
    await server.request('GET', '/api/v1/contributors/1', { as: 'viewer' });
    const metrics = await (await server.request('GET', '/metrics')).text();
    assert.match(metrics, /http_requests_total\{method="GET",route="\/api\/v1\/contributors\/:id",status="404"\} \d+/);
    assert.match(metrics, /http_request_duration_seconds_bucket\{le="0.05",method="GET",route="\/healthz",status="200"\} \d+/);
    assert.doesNotMatch(metrics, /route="\/api\/v1\/contributors\/1"/);
  });
});
