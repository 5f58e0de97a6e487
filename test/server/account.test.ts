import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AuthError, updateUser } from '../../src/auth/users.ts';
import { engineName } from '../helpers/database.ts';
import { PASSWORD, startTestServer, type TestServer } from './helpers.ts';

/** Your own API tokens (any role) and the administration of users: PATCH /users/{id}. */
describe(`account tokens and user administration (${engineName})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ seed: false });
  });
  after(() => server.close());

  const json = async (response: Response) => JSON.parse(await response.text());

  test('any signed-in user makes, lists and revokes tokens of their own, and only theirs', async () => {
    const created = await server.request('POST', '/api/v1/account/tokens', { as: 'viewer', body: { name: 'dashboard', scopes: ['read'], expiresInDays: 30 } });
    assert.equal(created.status, 201);
    const { token, record } = await json(created);
    assert.match(token, /^trb_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    assert.equal(record.userId, server.users.viewer.id.toString());
    assert.deepEqual(record.scopes, ['read']);
    const days = (Date.parse(record.expiresAt) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `expires in 30 days, not ${days}`);

    // The token acts for the viewer.
    const me = await json(await server.request('GET', '/api/v1/auth/me', { headers: { authorization: `Bearer ${token}` } }));
    assert.equal(me.user.email, server.users.viewer.email);
    assert.equal(me.via, 'token');

    // The list holds the viewer's token only (the admin's test tokens are not theirs), never a secret.
    const listed = await server.request('GET', '/api/v1/account/tokens', { as: 'viewer' });
    const text = await listed.text();
    assert.equal(listed.status, 200);
    assert.deepEqual(
      JSON.parse(text).items.map((t: { id: string }) => t.id),
      [record.id],
    );
    assert.ok(!text.includes(token.slice('trb_'.length + 13)), 'the secret is never listed');

    // Someone else's token is not found; one's own is revoked and stops working at once.
    const [adminToken] = (await json(await server.request('GET', '/api/v1/tokens', { as: 'admin' }))).items as { id: string; userId: string }[];
    assert.ok(adminToken && adminToken.userId === server.users.admin.id.toString());
    assert.equal((await server.request('DELETE', `/api/v1/account/tokens/${adminToken.id}`, { as: 'viewer' })).status, 404);
    assert.equal((await json(await server.request('GET', '/api/v1/tokens', { as: 'admin' }))).items.find((t: { id: string }) => t.id === adminToken.id).revokedAt, null);
    const revoked = await server.request('DELETE', `/api/v1/account/tokens/${record.id}`, { as: 'viewer' });
    assert.equal(revoked.status, 200);
    assert.ok((await json(revoked)).revokedAt);
    assert.equal((await server.request('GET', '/api/v1/auth/me', { headers: { authorization: `Bearer ${token}` } })).status, 401);
    assert.equal((await server.request('DELETE', `/api/v1/account/tokens/${record.id}`, { as: 'viewer' })).status, 404, 'revoked already');
    const after = (await json(await server.request('GET', '/api/v1/account/tokens', { as: 'viewer' }))).items;
    assert.ok(after[0].revokedAt, 'a revoked token stays listed, as revoked');
  });

  test('the admin scope is for admins; bad input names the field', async () => {
    const refused = await server.request('POST', '/api/v1/account/tokens', { as: 'manager', body: { name: 'x', scopes: ['admin'] } });
    assert.equal(refused.status, 400);
    assert.ok((await json(refused)).errors.some((e: { field: string }) => e.field === 'scopes'));
    for (const [body, field] of [
      [{ name: '', scopes: ['read'] }, 'name'],
      [{ name: 'x', scopes: [] }, 'scopes'],
      [{ name: 'x', scopes: ['everything'] }, 'scopes'],
      [{ name: 'x', scopes: ['read'], expiresInDays: 0 }, 'expiresInDays'],
    ] as const) {
      const response = await server.request('POST', '/api/v1/account/tokens', { as: 'coach', body });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.ok((await json(response)).errors.some((e: { field: string }) => e.field.split('.')[0] === field), `${JSON.stringify(body)} names ${field}`);
    }
    const admin = await server.request('POST', '/api/v1/account/tokens', { as: 'admin', body: { name: 'ops', scopes: ['admin'] } });
    assert.equal(admin.status, 201);
  });

  test('an admin changes roles and names; the change applies to the next request of a live session', async () => {
    const coachHeaders = await server.headersFor('coach');
    const before = await json(await server.request('GET', '/api/v1/auth/me', { headers: coachHeaders }));
    assert.ok(!before.permissions.includes('people:write'));
    const changed = await server.request('PATCH', `/api/v1/users/${server.users.coach.id}`, { as: 'admin', body: { role: 'manager', name: 'Promoted' } });
    assert.equal(changed.status, 200);
    const user = await json(changed);
    assert.equal(user.role, 'manager');
    assert.equal(user.name, 'Promoted');
    const afterwards = await json(await server.request('GET', '/api/v1/auth/me', { headers: coachHeaders }));
    assert.ok(afterwards.permissions.includes('people:write'));
    await server.request('PATCH', `/api/v1/users/${server.users.coach.id}`, { as: 'admin', body: { role: 'coach', name: 'The coach' } });

    for (const body of [{}, { role: 'overlord' }, { disabled: 'yes' }, { name: ' ' }, { email: 'x@y.z' }]) {
      const response = await server.request('PATCH', `/api/v1/users/${server.users.coach.id}`, { as: 'admin', body });
      assert.equal(response.status, 400, JSON.stringify(body));
    }
  });

  test('disabling a user ends their sessions and tokens at once; enabling them lets them sign in again, with no old token', async () => {
    const sessionHeaders = await server.headersFor('viewer');
    const { token } = await json(await server.request('POST', '/api/v1/account/tokens', { as: 'viewer', body: { name: 'cron', scopes: ['read'] } }));
    const disabled = await server.request('PATCH', `/api/v1/users/${server.users.viewer.id}`, { as: 'admin', body: { disabled: true } });
    assert.equal(disabled.status, 200);
    assert.ok((await json(disabled)).disabledAt);
    const me = await json(await server.request('GET', '/api/v1/auth/me', { headers: sessionHeaders }));
    assert.equal(me.authenticated, false, 'the session is over');
    assert.equal((await server.request('GET', '/api/v1/auth/me', { headers: { authorization: `Bearer ${token}` } })).status, 401);
    const login = () => server.request('POST', '/api/v1/auth/login', { body: { email: server.users.viewer.email, password: PASSWORD } });
    assert.equal((await login()).status, 401);

    const enabled = await server.request('PATCH', `/api/v1/users/${server.users.viewer.id}`, { as: 'admin', body: { disabled: false } });
    assert.equal((await json(enabled)).disabledAt, null);
    assert.equal((await login()).status, 200);
    assert.equal((await server.request('GET', '/api/v1/auth/me', { headers: { authorization: `Bearer ${token}` } })).status, 401, 'old tokens stay revoked');
  });

  test('no admin locks the administration out: not yourself, not the last enabled admin', async () => {
    const self = `/api/v1/users/${server.users.admin.id}`;
    const disableSelf = await server.request('PATCH', self, { as: 'admin', body: { disabled: true } });
    assert.equal(disableSelf.status, 409);
    assert.ok((await json(disableSelf)).errors.some((e: { field: string }) => e.field === 'disabled'));
    assert.equal((await server.request('PATCH', self, { as: 'admin', body: { role: 'viewer' } })).status, 409);
    assert.equal((await server.request('PATCH', self, { as: 'token:admin', body: { role: 'viewer' } })).status, 409, 'an admin token of that admin is that admin');
    assert.equal((await server.request('PATCH', self, { as: 'admin', body: { name: 'Still me' } })).status, 200);
    // Without an actor (the CLI), the last enabled admin still cannot go.
    await assert.rejects(updateUser(server.db, server.users.admin.id, { role: 'viewer' }), (error: unknown) => error instanceof AuthError && error.code === 'conflict');
    await assert.rejects(updateUser(server.db, server.users.admin.id, { disabled: true }), (error: unknown) => error instanceof AuthError && error.code === 'conflict');
    // With a second admin, one may demote the other.
    const second = await json(
      await server.request('POST', '/api/v1/users', { as: 'admin', body: { email: 'second-admin@tributary.test', name: 'Second', role: 'admin', password: PASSWORD } }),
    );
    const demoted = await updateUser(server.db, BigInt(second.user.id), { role: 'viewer' }, server.users.admin.id);
    assert.equal(demoted.role, 'viewer');
    assert.equal((await server.request('PATCH', '/api/v1/users/999999', { as: 'admin', body: { role: 'viewer' } })).status, 404);
  });
});
