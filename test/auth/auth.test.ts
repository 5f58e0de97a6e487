import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { createApiToken, createSession, findApiToken, findSession, revokeApiToken } from '../../src/auth/credentials.ts';
import { hashPassword, verifyPassword } from '../../src/auth/passwords.ts';
import { runTributary } from '../helpers/cli.ts';
import { createTestDatabasePlace, engineName } from '../helpers/database.ts';
import { PASSWORD, startTestServer, type TestServer } from '../server/helpers.ts';

const bin = fileURLToPath(new URL('../../bin/tributary.js', import.meta.url));

function cookiesOf(response: Response): Map<string, string> {
  return new Map(response.headers.getSetCookie().map((line) => [line.split('=')[0] as string, line]));
}

describe(`auth: passwords, sessions, tokens, CSRF, rate limit (${engineName})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ seed: false });
  });
  after(() => server.close());

  test('passwords are scrypt hashes with a salt of their own', async () => {
    const [first, second] = [await hashPassword('a long enough secret'), await hashPassword('a long enough secret')];
    assert.notEqual(first, second);
    assert.match(first, /^scrypt\$\d+\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    assert.ok(await verifyPassword('a long enough secret', first));
    assert.ok(!(await verifyPassword('a long enough secreT', first)));
    const [stored] = await server.db.query<{ password_hash: string }>("SELECT password_hash FROM users WHERE email = 'viewer@tributary.test'");
    assert.ok(stored?.password_hash.startsWith('scrypt$') && !stored.password_hash.includes(PASSWORD));
  });

  test('sessions and tokens are stored as hashes only, and revocation works', async () => {
    const { token } = await createSession(server.db, server.users.viewer.id);
    const { token: apiToken, record } = await createApiToken(server.db, { userId: server.users.coach.id, name: 'ci', scopes: ['read'] });
    const dump = JSON.stringify(await server.db.query('SELECT token_hash FROM sessions UNION ALL SELECT secret_hash FROM api_tokens'));
    // The token's secret part whole (base64url may hold '_', so no split on it).
    const secretPart = /^trb_[A-Za-z0-9]{12}_([A-Za-z0-9_-]{43})$/.exec(apiToken)?.[1];
    assert.ok(secretPart, apiToken);
    assert.ok(!dump.includes(token) && !dump.includes(secretPart));
    assert.equal((await findSession(server.db, token))?.user.email, 'viewer@tributary.test');
    assert.equal((await findApiToken(server.db, apiToken))?.user.role, 'coach');
    assert.equal(await findApiToken(server.db, `${apiToken.slice(0, -1)}x`), undefined);
    await revokeApiToken(server.db, record.prefix);
    assert.equal(await findApiToken(server.db, apiToken), undefined);
    await server.db.query('UPDATE sessions SET expires_at = now() - interval \'1 second\'');
    assert.equal(await findSession(server.db, token), undefined);
  });

  test('login sets a Secure, HttpOnly, SameSite=Lax session cookie; the CSRF token guards unsafe requests', async () => {
    const login = await server.request('POST', '/api/v1/auth/login', { body: { email: 'Manager@Tributary.test', password: PASSWORD } });
    assert.equal(login.status, 200);
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const cookies = cookiesOf(login);
    const session = cookies.get('__Host-tributary_session') ?? '';
    assert.match(session, /; HttpOnly/);
    assert.match(session, /; Secure/);
    assert.match(session, /; SameSite=Lax/);
    assert.match(session, /; Path=\//);
    assert.doesNotMatch(cookies.get('__Host-tributary_csrf') ?? '', /HttpOnly/);
    const cookie = session.split(';')[0] as string;

    const me = await server.app.request('http://tributary.test/api/v1/auth/me', { headers: { cookie } });
    assert.equal(((await me.json()) as { user: { role: string } }).user.role, 'manager');

    const merge = (headers: Record<string, string>) =>
      server.app.request('http://tributary.test/api/v1/people/merges', {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ from: 'nobody', into: 'no-one' }),
      });
    assert.equal((await merge({})).status, 403, 'no CSRF token');
    assert.equal((await merge({ 'x-csrf-token': 'forged' })).status, 403, 'a wrong CSRF token');
    assert.equal((await merge({ 'x-csrf-token': csrfToken, origin: 'https://evil.example' })).status, 403, 'another origin');
    assert.equal((await merge({ 'x-csrf-token': csrfToken, origin: 'http://tributary.test' })).status, 404, 'our origin with the token passes');
    assert.equal((await merge({ 'x-csrf-token': csrfToken })).status, 404, 'no Origin (not a browser) with the token passes');
    const crossSiteLogin = await server.request('POST', '/api/v1/auth/login', {
      body: { email: 'manager@tributary.test', password: PASSWORD },
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(crossSiteLogin.status, 403, 'login CSRF');

    const logout = await server.app.request('http://tributary.test/api/v1/auth/logout', { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken } });
    assert.equal(logout.status, 204);
    const after = await server.app.request('http://tributary.test/api/v1/auth/me', { headers: { cookie } });
    assert.equal(((await after.json()) as { authenticated: boolean }).authenticated, false, 'the session is revoked');
  });

  test('wrong passwords and unknown accounts get the same answer; five failures → 429 with Retry-After', async () => {
    const wrong = await server.request('POST', '/api/v1/auth/login', { body: { email: 'coach@tributary.test', password: 'not the password' } });
    const unknown = await server.request('POST', '/api/v1/auth/login', { body: { email: 'ghost@tributary.test', password: 'not the password' } });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(((await wrong.json()) as { detail: string }).detail, ((await unknown.json()) as { detail: string }).detail);
    // The limit counts per address too; these requests all come from the same (unknown) address, so three more failures reach five.
    for (let attempt = 0; attempt < 3; attempt++) {
      assert.equal((await server.request('POST', '/api/v1/auth/login', { body: { email: 'coach@tributary.test', password: 'guess' } })).status, 401);
    }
    const limited = await server.request('POST', '/api/v1/auth/login', { body: { email: 'coach@tributary.test', password: PASSWORD } });
    assert.equal(limited.status, 429, 'even the right password waits');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal(limited.headers.get('content-type'), 'application/problem+json');
  });
});

describe(`tributary users, tokens and serve (${engineName})`, () => {
  let place: Awaited<ReturnType<typeof createTestDatabasePlace>>;
  before(async () => {
    place = await createTestDatabasePlace();
  });
  after(() => place.remove());

  test('create-admin prints a generated password once; tokens create, list, revoke; serve answers and stops on SIGTERM', async () => {
    const env = { ...place.env, TRIBUTARY_SCRYPT_COST: '1024' };
    const created = await runTributary(['users', 'create-admin', '--email', 'root@example.org', '--name', 'Root'], env);
    assert.equal(created.code, 0, created.stderr);
    const password = /Password \(shown once, keep it safe\): (\S+)/.exec(created.stdout)?.[1];
    assert.ok(password && password.length >= 20);
    const duplicate = await runTributary(['users', 'create-admin', '--email', 'ROOT@example.org', '--name', 'Root'], env);
    assert.equal(duplicate.code, 2);
    assert.match(duplicate.stderr, /--email: .*already exists/);
    const short = await runTributary(['users', 'create', '--email', 'v@example.org', '--name', 'V', '--role', 'viewer', '--password-stdin'], env, { stdin: 'short\n' });
    assert.equal(short.code, 2);
    assert.match(short.stderr, /--password: must be at least 12 characters/);
    const listed = await runTributary(['users', 'list', '--json'], env);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { email: string; role: string }[]).map((u) => [u.email, u.role]),
      [['root@example.org', 'admin']],
    );

    const token = await runTributary(['tokens', 'create', '--user', 'root@example.org', '--name', 'ci', '--scope', 'read'], env);
    assert.equal(token.code, 0, token.stderr);
    const secret = /^(trb_\S+)$/m.exec(token.stdout)?.[1] as string;
    assert.ok(secret);
    const tokens = JSON.parse((await runTributary(['tokens', 'list', '--json'], env)).stdout) as { prefix: string; scopes: string[] }[];
    assert.deepEqual(tokens[0]?.scopes, ['read']);
    // The secret part whole: it is base64url, so it may itself hold '_' (splitting on '_' once checked a
    // fragment of a few characters, which a listing could hold by chance).
    const secretPart = /^trb_[A-Za-z0-9]{12}_([A-Za-z0-9_-]{43})$/.exec(secret)?.[1];
    assert.ok(secretPart, secret);
    assert.ok(!JSON.stringify(tokens).includes(secretPart));

    // A real listening server: sign in over HTTP, use the token, then SIGTERM must close the database and exit.
    const { DATABASE_URL: _ignored, TRIBUTARY_DATA_DIR: _alsoIgnored, ...inherited } = process.env;
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--host', '127.0.0.1', '--insecure-cookies'], {
      env: { ...inherited, ...env, LOG_LEVEL: 'info' },
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${stdout}`)), 60_000);
      child.stdout.on('data', () => {
        const found = /serving on (http:\/\/\S+) /.exec(stdout)?.[1];
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
    });
    try {
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const login = await fetch(`${url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'root@example.org', password }),
      });
      assert.equal(login.status, 200);
      assert.doesNotMatch(login.headers.getSetCookie().join('\n'), /Secure/, '--insecure-cookies on loopback');
      const withToken = await fetch(`${url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${secret}` } });
      assert.equal(((await withToken.json()) as { via: string }).via, 'token');
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stdout);
    // Logs are JSON lines with no secrets.
    const logs = stdout.split('\n').filter((line) => line.startsWith('{'));
    assert.ok(logs.some((line) => JSON.parse(line).route === '/api/v1/auth/login'));
    assert.ok(!stdout.includes(password) && !stdout.includes(secret) && !/tributary_session=/.test(stdout));

    const insecure = await runTributary(['serve', '--host', '0.0.0.0', '--insecure-cookies'], env);
    assert.equal(insecure.code, 2);

    const revoked = await runTributary(['tokens', 'revoke', tokens[0]?.prefix as string], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal((await runTributary(['tokens', 'revoke', tokens[0]?.prefix as string], env)).code, 2);
  });
});

describe(`tributary start --serve, the README's first command (${engineName})`, () => {
  let place: Awaited<ReturnType<typeof createTestDatabasePlace>>;
  before(async () => {
    place = await createTestDatabasePlace();
  });
  after(() => place.remove());

  /** Runs `start --serve` until it serves, then returns its URL and output so far; `stop` sends SIGTERM and gives the exit code. */
  async function startServing(env: Record<string, string>) {
    const { DATABASE_URL: _ignored, TRIBUTARY_DATA_DIR: _alsoIgnored, ...inherited } = process.env;
    const child = spawn(process.execPath, [bin, 'start', '--serve', '--no-demo'], { env: { ...inherited, ...env, PORT: '0', LOG_LEVEL: 'warn' } });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stdout += chunk));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`start --serve did not serve: ${stdout}`)), 90_000);
      child.on('close', () => reject(new Error(`start --serve exited: ${stdout}`)));
      child.stdout.on('data', () => {
        const found = /serving on (http:\/\/\S+) /.exec(stdout)?.[1];
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
    });
    const stop = async () => {
      const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
      child.kill('SIGTERM');
      return closed;
    };
    // Colour codes (picocolors turns them on when CI is set) are not part of what a reader copies.
    return { url, output: () => stripVTControlCharacters(stdout), stop };
  }

  test('serves the app on loopback with an admin made for the occasion, once; a second start keeps the accounts', async () => {
    const env = { ...place.env, TRIBUTARY_SCRYPT_COST: '1024' };
    const first = await startServing(env);
    try {
      const password = /as admin@tributary\.test with the password (\S+) /.exec(first.output())?.[1];
      assert.ok(password, first.output());
      assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const login = await fetch(`${first.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'admin@tributary.test', password }),
      });
      assert.equal(login.status, 200);
      const page = await fetch(`${first.url}/`);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/, 'the web app (or the page saying how to build it)');
    } finally {
      assert.equal(await first.stop(), 0, first.output());
    }
    const second = await startServing(env);
    try {
      assert.doesNotMatch(second.output(), /with the password/, 'no second admin');
    } finally {
      assert.equal(await second.stop(), 0, second.output());
    }
  });
});
