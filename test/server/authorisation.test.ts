import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engineName } from '../helpers/database.ts';
import { PASSWORD, PRINCIPALS, type PrincipalName, startTestServer, type TestServer } from './helpers.ts';

/**
 * Every API route × every kind of caller → the expected outcome. A route missing from this table, or a
 * row for a route that no longer exists, fails the last test: a new route needs a decision here.
 */

const READERS: PrincipalName[] = ['viewer', 'coach', 'manager', 'admin', 'token:read', 'token:write', 'token:admin'];
const PEOPLE_WRITERS: PrincipalName[] = ['manager', 'admin', 'token:write', 'token:admin'];
const ADMINS: PrincipalName[] = ['admin', 'token:admin'];
// Your own tokens: every signed-in role, and among tokens only an admin-scoped one (a token mints no tokens).
const ACCOUNT_HOLDERS: PrincipalName[] = ['viewer', 'coach', 'manager', 'admin', 'token:admin'];

interface Row {
  /** Who gets `status`; everyone else is refused: 401 when anonymous, 403 otherwise. */
  allowed: 'everyone' | PrincipalName[];
  /** What an allowed caller gets for this request (a 404 for a made-up id still shows the permission check passed). */
  status: number;
  request: (server: TestServer, fixtures: Fixtures) => { path: string; body?: unknown };
  /** The answer is about the account that just signed in (its own e-mail), so it no longer goes to an anonymous caller. */
  signsIn?: true;
}

interface Fixtures {
  personId: string;
  organisationId: string;
  explainPeriod: string;
  counter: () => number;
}

const MATRIX: Record<string, Row> = {
  'GET /healthz': { allowed: 'everyone', status: 200, request: () => ({ path: '/healthz' }) },
  'GET /metrics': { allowed: 'everyone', status: 200, request: () => ({ path: '/metrics' }) },
  'POST /api/v1/auth/login': {
    allowed: 'everyone',
    status: 200,
    signsIn: true,
    request: () => ({ path: '/api/v1/auth/login', body: { email: 'viewer@tributary.test', password: PASSWORD } }),
  },
  'POST /api/v1/auth/logout': { allowed: 'everyone', status: 204, request: () => ({ path: '/api/v1/auth/logout' }) },
  // Without an OIDC provider configured these answer 404 to everyone; test/auth/oidc.test.ts signs in through one.
  'GET /api/v1/auth/oidc/login': { allowed: 'everyone', status: 404, request: () => ({ path: '/api/v1/auth/oidc/login' }) },
  'GET /api/v1/auth/oidc/callback': { allowed: 'everyone', status: 404, request: () => ({ path: '/api/v1/auth/oidc/callback?code=x&state=y' }) },
  // Likewise without GitHub sign-in configured; test/auth/github.test.ts signs in through a GitHub-compatible server.
  'GET /api/v1/auth/github/login': { allowed: 'everyone', status: 404, request: () => ({ path: '/api/v1/auth/github/login' }) },
  'GET /api/v1/auth/github/callback': { allowed: 'everyone', status: 404, request: () => ({ path: '/api/v1/auth/github/callback?code=x&state=y' }) },
  'GET /api/v1/auth/providers': { allowed: 'everyone', status: 200, request: () => ({ path: '/api/v1/auth/providers' }) },
  'GET /api/v1/auth/me': { allowed: 'everyone', status: 200, request: () => ({ path: '/api/v1/auth/me' }) },
  'GET /api/v1/users': { allowed: ADMINS, status: 200, request: () => ({ path: '/api/v1/users' }) },
  'POST /api/v1/users': {
    allowed: ADMINS,
    status: 201,
    request: (_server, f) => ({ path: '/api/v1/users', body: { email: `new${f.counter()}@tributary.test`, name: 'New', role: 'viewer' } }),
  },
  'PATCH /api/v1/users/{id}': { allowed: ADMINS, status: 404, request: () => ({ path: '/api/v1/users/999999', body: { role: 'viewer' } }) },
  'GET /api/v1/account/tokens': { allowed: ACCOUNT_HOLDERS, status: 200, request: () => ({ path: '/api/v1/account/tokens' }) },
  'POST /api/v1/account/tokens': {
    allowed: ACCOUNT_HOLDERS,
    status: 201,
    request: () => ({ path: '/api/v1/account/tokens', body: { name: 'matrix', scopes: ['read'], expiresInDays: 1 } }),
  },
  'DELETE /api/v1/account/tokens/{id}': { allowed: ACCOUNT_HOLDERS, status: 404, request: () => ({ path: '/api/v1/account/tokens/999999' }) },
  'GET /api/v1/tokens': { allowed: ADMINS, status: 200, request: () => ({ path: '/api/v1/tokens' }) },
  'POST /api/v1/tokens': { allowed: ADMINS, status: 201, request: () => ({ path: '/api/v1/tokens', body: { name: 'matrix', scopes: ['read'] } }) },
  'DELETE /api/v1/tokens/{id}': { allowed: ADMINS, status: 404, request: () => ({ path: '/api/v1/tokens/999999' }) },
  'GET /api/v1/kpis': { allowed: 'everyone', status: 200, request: () => ({ path: '/api/v1/kpis' }) },
  'GET /api/v1/kpis/{id}': { allowed: 'everyone', status: 200, request: () => ({ path: '/api/v1/kpis/uwcc?from=2024-01&to=2024-12' }) },
  'GET /api/v1/kpis/{id}/explain/{period}': {
    allowed: READERS,
    status: 200,
    request: (_server, f) => ({ path: `/api/v1/kpis/community-merged-mrs/explain/${f.explainPeriod}` }),
  },
  'GET /api/v1/contributors': { allowed: READERS, status: 200, request: () => ({ path: '/api/v1/contributors?limit=20' }) },
  'GET /api/v1/contributors/{id}': { allowed: READERS, status: 200, request: (_server, f) => ({ path: `/api/v1/contributors/${f.personId}` }) },
  'GET /api/v1/organisations': { allowed: READERS, status: 200, request: () => ({ path: '/api/v1/organisations' }) },
  'GET /api/v1/organisations/{id}': { allowed: READERS, status: 200, request: (_server, f) => ({ path: `/api/v1/organisations/${f.organisationId}` }) },
  'GET /api/v1/merge-requests': { allowed: READERS, status: 200, request: () => ({ path: '/api/v1/merge-requests?limit=20' }) },
  'GET /api/v1/sources': { allowed: READERS, status: 200, request: () => ({ path: '/api/v1/sources' }) },
  'POST /api/v1/sources/{name}/sync': { allowed: PEOPLE_WRITERS, status: 202, request: () => ({ path: '/api/v1/sources/demo/sync' }) },
  'GET /api/v1/people/roster': { allowed: READERS, status: 200, request: () => ({ path: '/api/v1/people/roster?limit=20' }) },
  'GET /api/v1/people/merge-suggestions': { allowed: PEOPLE_WRITERS, status: 200, request: () => ({ path: '/api/v1/people/merge-suggestions?limit=5' }) },
  'GET /api/v1/people/merges': { allowed: PEOPLE_WRITERS, status: 200, request: () => ({ path: '/api/v1/people/merges' }) },
  'POST /api/v1/people/merges': {
    allowed: PEOPLE_WRITERS,
    status: 404,
    request: () => ({ path: '/api/v1/people/merges', body: { from: 'nobody-at-all', into: 'no-one-either' } }),
  },
  'POST /api/v1/people/merges/{id}/undo': { allowed: PEOPLE_WRITERS, status: 404, request: () => ({ path: '/api/v1/people/merges/999999/undo' }) },
};

describe(`authorisation matrix (${engineName})`, () => {
  let server: TestServer;
  let fixtures: Fixtures;
  before(async () => {
    server = await startTestServer();
    const [person] = await server.db.query<{ id: bigint }>('SELECT canonical_id AS id FROM kpi_merge_requests WHERE canonical_id IS NOT NULL ORDER BY merge_request_id LIMIT 1');
    const [organisation] = await server.db.query<{ id: bigint }>('SELECT id FROM organisations ORDER BY name LIMIT 1');
    const [month] = await server.db.query<{ month: string }>(
      `SELECT to_char(merged_at, 'YYYY-MM') AS month FROM kpi_merge_requests WHERE class = 'community' AND merged_at IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`,
    );
    await server.db.query(`INSERT INTO sources (id, kind, name, config) VALUES (1, 'git', 'demo', '{"url": "https://example.invalid/demo.git"}')`);
    let n = 0;
    fixtures = { personId: String(person?.id), organisationId: String(organisation?.id), explainPeriod: String(month?.month), counter: () => ++n };
  });
  after(() => server.close());

  test('every route answers every caller as the matrix says; anonymous answers hold no "@"', async () => {
    const failures: string[] = [];
    for (const [operation, row] of Object.entries(MATRIX)) {
      const [method, template] = operation.split(' ') as [string, string];
      for (const principal of PRINCIPALS) {
        const { path, body } = row.request(server, fixtures);
        assert.ok(path.split('?')[0]?.match(new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`)), `${operation}: the request path ${path} does not fit the route`);
        const response = await server.request(method, path, { as: principal, body });
        const text = await response.text();
        const allowed = row.allowed === 'everyone' || row.allowed.includes(principal);
        const expected = allowed ? row.status : principal === 'anonymous' ? 401 : 403;
        if (response.status !== expected) failures.push(`${operation} as ${principal}: expected ${expected}, got ${response.status} ${text.slice(0, 200)}`);
        if (!allowed) assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/, `${operation} as ${principal}: refusals are problem+json`);
        if (principal === 'anonymous' && !row.signsIn && text.includes('@')) failures.push(`${operation} as anonymous: the answer holds an "@": ${text.slice(0, 300)}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test('the matrix lists exactly the operations of the OpenAPI document', async () => {
    const document = (await (await server.request('GET', '/api/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    assert.deepEqual([...documented].sort(), Object.keys(MATRIX).sort());
  });

  test('a revoked or unknown token is refused outright, not treated as anonymous', async () => {
    const response = await server.request('GET', '/api/v1/kpis', { headers: { authorization: 'Bearer trb_AAAAAAAAAAAA_not-a-real-secret-not-a-real-secret-not-a-real' } });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /invalid_token/);
  });
});
