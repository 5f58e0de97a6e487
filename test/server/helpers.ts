import { Readable } from 'node:stream';
import pino from 'pino';
import { createApiToken, createSession, csrfTokenOf } from '../../src/auth/credentials.ts';
import { ROLES, type Role, SCOPES, type Scope } from '../../src/auth/roles.ts';
import { createUser } from '../../src/auth/users.ts';
import type { Database } from '../../src/db/connection.ts';
import { generateNdjsonLines } from '../../src/generator/community.ts';
import { importNdjson } from '../../src/interchange/import.ts';
import { refreshRollups } from '../../src/metrics/rollups.ts';
import { createApp } from '../../src/server/app.ts';
import { openTestDatabase } from '../helpers/database.ts';

// Cheap password hashing for tests; the stored hash records its cost, so verification is unchanged.
process.env.TRIBUTARY_SCRYPT_COST ??= '1024';

export const PASSWORD = 'correct horse battery staple';

/** A principal for requests: the headers it sends (cookie and CSRF token, or a Bearer token, or nothing). */
export type PrincipalName = 'anonymous' | Role | `token:${Scope}`;
export const PRINCIPALS: readonly PrincipalName[] = ['anonymous', ...ROLES, ...SCOPES.map((scope) => `token:${scope}` as const)];

export interface TestServer {
  db: Database;
  app: ReturnType<typeof createApp>;
  users: Record<Role, { id: bigint; email: string }>;
  /** Headers for a fresh session of the role, or a token with the scope (of an admin, so the scope is what limits it). */
  headersFor(principal: PrincipalName): Promise<Record<string, string>>;
  request(method: string, path: string, options?: { as?: PrincipalName; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestServer(options: { seed?: boolean } = {}): Promise<TestServer> {
  const db = await openTestDatabase();
  if (options.seed !== false) {
    await importNdjson(db, Readable.from(generateNdjsonLines({ seed: 'server', mergeRequests: 400, activities: 3000, people: 200 })));
    await refreshRollups(db);
  }
  const users = {} as TestServer['users'];
  for (const role of ROLES) {
    const user = await createUser(db, { email: `${role}@tributary.test`, name: `The ${role}`, role, password: PASSWORD });
    users[role] = { id: user.id, email: user.email };
  }
  const tokens = new Map<Scope, string>();
  for (const scope of SCOPES) tokens.set(scope, (await createApiToken(db, { userId: users.admin.id, name: `test ${scope}`, scopes: [scope] })).token);
  const app = createApp({ db, logger: pino({ level: 'silent' }), secureCookies: true, allowedOrigins: [] });

  const headersFor = async (principal: PrincipalName): Promise<Record<string, string>> => {
    if (principal === 'anonymous') return {};
    if (principal.startsWith('token:')) return { authorization: `Bearer ${tokens.get(principal.slice(6) as Scope)}` };
    const { token } = await createSession(db, users[principal as Role].id);
    return { cookie: `__Host-tributary_session=${token}`, 'x-csrf-token': csrfTokenOf(token) };
  };

  return {
    db,
    app,
    users,
    headersFor,
    async request(method, path, { as = 'anonymous', body, headers = {} } = {}) {
      const init: RequestInit = { method, headers: { ...(await headersFor(as)), ...headers } };
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      }
      return app.request(`http://tributary.test${path}`, init);
    },
    close: () => db.close(),
  };
}
