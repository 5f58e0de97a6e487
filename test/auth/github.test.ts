import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { type GithubOptions, githubEndpoints, githubOptionsFromEnv } from '../../src/auth/github.ts';
import { createUser } from '../../src/auth/users.ts';
import type { Database } from '../../src/db/connection.ts';
import { type RunningServer, startServer } from '../../src/server/serve.ts';
import { Browser } from '../helpers/browser.ts';
import { engineName, openTestDatabase } from '../helpers/database.ts';
import { type FakeGithub, startFakeGithub } from '../helpers/github-server.ts';

/**
 * Sign-in with GitHub against a GitHub-compatible OAuth + REST server on loopback (test/helpers/github-server.ts):
 * the browser is fetch with a cookie jar per site; its GitHub session is the fake's github_user cookie.
 */

describe('GitHub sign-in settings', () => {
  test('from the environment: off without a client id, complete or refused with it', () => {
    assert.equal(githubOptionsFromEnv({}), undefined);
    assert.throws(() => githubOptionsFromEnv({ TRIBUTARY_GITHUB_CLIENT_ID: 'x' }), /TRIBUTARY_GITHUB_CLIENT_SECRET and TRIBUTARY_GITHUB_REDIRECT_URI/);
    const complete = { TRIBUTARY_GITHUB_CLIENT_ID: 'id', TRIBUTARY_GITHUB_CLIENT_SECRET: 's', TRIBUTARY_GITHUB_REDIRECT_URI: 'https://t.example/api/v1/auth/github/callback' };
    assert.deepEqual(githubOptionsFromEnv(complete), { clientId: 'id', clientSecret: 's', redirectUri: complete.TRIBUTARY_GITHUB_REDIRECT_URI, baseUrl: undefined, autoProvisionRole: undefined });
    assert.equal(githubOptionsFromEnv({ ...complete, TRIBUTARY_GITHUB_AUTO_PROVISION: 'viewer' })?.autoProvisionRole, 'viewer');
    assert.throws(() => githubOptionsFromEnv({ ...complete, TRIBUTARY_GITHUB_AUTO_PROVISION: 'root' }), /must be a role/);
    assert.throws(() => githubOptionsFromEnv({ ...complete, TRIBUTARY_GITHUB_URL: 'http://github.example.com' }), /must be https/);
    assert.throws(() => githubOptionsFromEnv({ ...complete, TRIBUTARY_GITHUB_URL: 'not a url' }), /must be a URL/);
  });

  test('github.com uses api.github.com; GitHub Enterprise Server its /api/v3', () => {
    assert.deepEqual(githubEndpoints({}), {
      issuer: 'https://github.com',
      authorize: 'https://github.com/login/oauth/authorize',
      token: 'https://github.com/login/oauth/access_token',
      user: 'https://api.github.com/user',
      emails: 'https://api.github.com/user/emails',
    });
    const ghes = githubEndpoints({ baseUrl: 'https://github.example.com/' });
    assert.equal(ghes.issuer, 'https://github.example.com');
    assert.equal(ghes.authorize, 'https://github.example.com/login/oauth/authorize');
    assert.equal(ghes.emails, 'https://github.example.com/api/v3/user/emails');
  });
});

describe(`GitHub sign-in against a GitHub-compatible server on loopback (${engineName})`, () => {
  let db: Database;
  let github: FakeGithub;
  let tributary: RunningServer;
  const settings: GithubOptions = { clientId: 'Iv1.tributary', clientSecret: 'a client secret for tests', redirectUri: '', baseUrl: '', autoProvisionRole: undefined };

  const browserAt = (login: string) => {
    const browser = new Browser();
    browser.jars.set(new URL(github.url).host, new Map([['github_user', login]]));
    return browser;
  };
  const signIn = (browser: Browser, returnTo = '/dashboard') => browser.follow(`${tributary.url}/api/v1/auth/github/login?returnTo=${encodeURIComponent(returnTo)}`);
  const me = async (browser: Browser) =>
    (await (await browser.go(`${tributary.url}/api/v1/auth/me`)).json()) as { authenticated: boolean; via: string; user: { email: string; role: string; name: string } | null };

  before(async () => {
    process.env.TRIBUTARY_SCRYPT_COST = '1024';
    db = await openTestDatabase();
    await createUser(db, { email: 'Alice@Example.org', name: 'Alice', role: 'coach', password: 'a long enough password' });
    await createUser(db, { email: 'admin@tributary.test', name: 'Admin', role: 'admin', password: 'a long enough password' });
    await createUser(db, { email: 'carol@example.org', name: 'Carol', role: 'viewer', password: 'a long enough password' });
    github = await startFakeGithub();
    settings.baseUrl = github.url;
    tributary = await startServer({ db, port: 0, host: '127.0.0.1', secureCookies: false, allowedOrigins: [], github: settings, logger: pino({ level: 'silent' }) });
    settings.redirectUri = `${tributary.url}/api/v1/auth/github/callback`;
    github.clients.set(settings.clientId, { clientId: settings.clientId, clientSecret: settings.clientSecret, redirectUri: settings.redirectUri });
    const account = (id: number, login: string, name: string | null, emails: { email: string; primary: boolean; verified: boolean }[]) =>
      github.accounts.set(login, { id, login, name, emails });
    account(1001, 'alice', 'Alice on GitHub', [
      { email: 'alice@users.noreply.github.com', primary: false, verified: true },
      { email: 'alice@example.org', primary: true, verified: true },
    ]);
    account(1002, 'bob', null, [{ email: 'bob@example.org', primary: true, verified: true }]);
    // Claims the admin's e-mail without having verified it; a verified secondary does not count either.
    account(1003, 'mallory', 'Mallory', [
      { email: 'admin@tributary.test', primary: true, verified: false },
      { email: 'mallory@example.org', primary: false, verified: true },
    ]);
    account(1004, 'carol', 'Carol', [{ email: 'carol@example.org', primary: true, verified: true }]);
  });
  after(async () => {
    await tributary.close(0);
    await github.close();
    await db.close();
  });

  test('a known verified primary e-mail signs in with code + state + PKCE; the session works; the account is linked to the GitHub id', async () => {
    const browser = browserAt('alice');
    const page = await signIn(browser);
    assert.equal(page.url, `${tributary.url}/dashboard`, page.trail.join('\n'));
    const authorize = github.authorizeRequests.at(-1) as URLSearchParams;
    assert.equal(authorize.get('client_id'), settings.clientId);
    assert.equal(authorize.get('redirect_uri'), settings.redirectUri);
    assert.equal(authorize.get('scope'), 'user:email');
    assert.equal(authorize.get('code_challenge_method'), 'S256');
    assert.match(authorize.get('code_challenge') ?? '', /^[\w-]{43}$/);
    assert.ok((authorize.get('state') ?? '').length >= 32);
    // The flow cookie is gone; the session and CSRF cookies are set.
    const jar = browser.jars.get(new URL(tributary.url).host) as Map<string, string>;
    assert.deepEqual([...jar.keys()].sort(), ['tributary_csrf', 'tributary_session']);
    const who = await me(browser);
    assert.equal(who.via, 'session');
    assert.deepEqual([who.user?.email, who.user?.role], ['Alice@Example.org', 'coach']);
    const [linked] = await db.query<{ oidc_issuer: string; oidc_subject: string }>(`SELECT oidc_issuer, oidc_subject FROM users WHERE email = 'Alice@Example.org'`);
    assert.deepEqual(linked, { oidc_issuer: github.url, oidc_subject: '1001' });
    // A session like any other: a CSRF-checked write works, and signing out ends it.
    const logout = await fetch(`${tributary.url}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { cookie: `tributary_session=${jar.get('tributary_session')}`, 'x-csrf-token': jar.get('tributary_csrf') as string },
    });
    assert.equal(logout.status, 204);
    assert.equal((await me(browser)).authenticated, false, 'the browser still sends its cookie, but the session is revoked');
  });

  test('once linked, the GitHub id finds the account even after the e-mail on GitHub changed', async () => {
    const alice = github.accounts.get('alice');
    assert.ok(alice);
    const before = alice.emails;
    alice.emails = [{ email: 'alice@new-employer.example', primary: true, verified: true }];
    try {
      const browser = browserAt('alice');
      const page = await signIn(browser, '/');
      assert.equal(page.url, `${tributary.url}/`);
      assert.equal((await me(browser)).user?.email, 'Alice@Example.org');
    } finally {
      alice.emails = before;
    }
  });

  test('someone unknown is refused without auto-provisioning; an unverified primary e-mail never matches', async () => {
    const unknown = await signIn(browserAt('bob'));
    assert.equal(unknown.response.status, 403);
    assert.match(await unknown.response.text(), /bob@example\.org has no Tributary account/);
    const unverified = await signIn(browserAt('mallory'));
    assert.equal(unverified.response.status, 403, 'an unverified e-mail does not take over the admin account');
    assert.match(await unverified.response.text(), /no verified e-mail/);
    const [admin] = await db.query<{ oidc_subject: string | null }>(`SELECT oidc_subject FROM users WHERE email = 'admin@tributary.test'`);
    assert.equal(admin?.oidc_subject, null);
  });

  test('with auto-provisioning, someone new becomes a user with the configured role; still no account from an unverified e-mail', async () => {
    settings.autoProvisionRole = 'viewer';
    try {
      const browser = browserAt('bob');
      const page = await signIn(browser);
      assert.equal(page.url, `${tributary.url}/dashboard`);
      const who = await me(browser);
      assert.deepEqual([who.user?.email, who.user?.role, who.user?.name], ['bob@example.org', 'viewer', 'bob'], 'no name on GitHub: the login');
      const [bob] = await db.query<{ oidc_issuer: string; oidc_subject: string }>(`SELECT oidc_issuer, oidc_subject FROM users WHERE email = 'bob@example.org'`);
      assert.deepEqual(bob, { oidc_issuer: github.url, oidc_subject: '1002' });
      const unverified = await signIn(browserAt('mallory'));
      assert.equal(unverified.response.status, 403);
      assert.equal((await db.query(`SELECT 1 FROM users WHERE email IN ('mallory@example.org', 'admin@tributary.test') AND oidc_subject IS NOT NULL`)).length, 0);
    } finally {
      settings.autoProvisionRole = undefined;
    }
  });

  test('an account already linked to another provider account is refused, not relinked', async () => {
    await db.query(`UPDATE users SET oidc_issuer = 'https://gitlab.example.com', oidc_subject = '77' WHERE email = 'carol@example.org'`);
    const page = await signIn(browserAt('carol'));
    assert.equal(page.response.status, 403);
    assert.match(await page.response.text(), /linked to another sign-in provider account/);
    const [carol] = await db.query<{ oidc_issuer: string }>(`SELECT oidc_issuer FROM users WHERE email = 'carol@example.org'`);
    assert.equal(carol?.oidc_issuer, 'https://gitlab.example.com');
  });

  test('a callback with a forged state, without the flow cookie, or a second time is refused', async () => {
    const browser = browserAt('alice');
    const start = await browser.go(`${tributary.url}/api/v1/auth/github/login`);
    assert.equal(start.status, 302);
    // GitHub's real answer, but the state is swapped: a login CSRF attempt.
    const authorized = await browser.go(start.headers.get('location') as string);
    const back = new URL(authorized.headers.get('location') as string);
    back.searchParams.set('state', 'forged');
    const forged = await browser.go(back.href);
    assert.equal(forged.status, 400);
    assert.match(await forged.text(), /state does not match/);
    assert.equal((await me(browser)).authenticated, false);

    const noCookie = await new Browser().go(`${tributary.url}/api/v1/auth/github/callback?code=abc&state=x`);
    assert.equal(noCookie.status, 400);
    assert.match(await noCookie.text(), /no sign-in is under way/);
    // A browser (asking for HTML) gets a page saying why, with the way back, not the problem document.
    const page = await fetch(`${tributary.url}/api/v1/auth/github/callback?code=abc&state=x`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    assert.equal(page.status, 400);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    assert.match(html, /<h1>Sign-in failed<\/h1>/);
    assert.match(html, /No sign-in is under way/);
    assert.match(html, /<a href="\/">Back to sign in<\/a>/);

    // A callback URL replayed in the same browser: the flow cookie was spent by the first.
    const again = browserAt('alice');
    const first = await signIn(again);
    assert.equal(first.url, `${tributary.url}/dashboard`);
    const callbackUrl = first.trail.find((url) => url.includes('/auth/github/callback')) as string;
    assert.equal((await again.go(callbackUrl)).status, 400);
  });

  test('GitHub saying no (the user denied access) and a refused code exchange are refused', async () => {
    const browser = browserAt('alice');
    const start = await browser.go(`${tributary.url}/api/v1/auth/github/login`);
    const state = new URL(start.headers.get('location') as string).searchParams.get('state') as string;
    const denied = await browser.go(`${tributary.url}/api/v1/auth/github/callback?error=access_denied&error_description=The+user+has+denied+your+application+access.&state=${state}`);
    assert.equal(denied.status, 403);

    const secret = settings.clientSecret;
    settings.clientSecret = 'not the secret';
    try {
      const page = await signIn(browserAt('alice'));
      assert.equal(page.response.status, 400);
      assert.match(await page.response.text(), /incorrect_client_credentials/);
    } finally {
      settings.clientSecret = secret;
    }
  });

  test('the test server is a strict peer: it checks redirect_uri and the PKCE verifier', async () => {
    const verifier = 'a-verifier-that-is-long-enough-for-pkce-0123456789';
    const authorize = async (redirectUri = settings.redirectUri) => {
      const url = new URL(`${github.url}/login/oauth/authorize`);
      url.search = new URLSearchParams({
        client_id: settings.clientId,
        redirect_uri: redirectUri,
        scope: 'user:email',
        state: 's',
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();
      const response = await fetch(url, { headers: { cookie: 'github_user=alice' }, redirect: 'manual' });
      return { response, code: new URL(response.headers.get('location') ?? 'http://x/').searchParams.get('code') ?? '' };
    };
    const exchange = async (body: Record<string, string>) =>
      (await (
        await fetch(`${github.url}/login/oauth/access_token`, { method: 'POST', headers: { accept: 'application/json' }, body: new URLSearchParams(body) })
      ).json()) as { error?: string; access_token?: string };
    const base = { client_id: settings.clientId, client_secret: settings.clientSecret, redirect_uri: settings.redirectUri };
    assert.equal((await authorize('http://127.0.0.1:1/elsewhere')).response.status, 400);
    assert.equal((await exchange({ ...base, code: (await authorize()).code, code_verifier: 'wrong' })).error, 'bad_verification_code');
    assert.equal((await exchange({ ...base, code: (await authorize()).code, code_verifier: verifier, redirect_uri: `${settings.redirectUri}x` })).error, 'redirect_uri_mismatch');
    const { code } = await authorize();
    assert.ok((await exchange({ ...base, code, code_verifier: verifier })).access_token);
    assert.equal((await exchange({ ...base, code, code_verifier: verifier })).error, 'bad_verification_code', 'a code is good once');
  });

  test('the sign-in page learns that GitHub sign-in is on', async () => {
    const response = await fetch(`${tributary.url}/api/v1/auth/providers`);
    assert.deepEqual(await response.json(), { password: true, providers: [{ id: 'github', label: 'GitHub', loginPath: '/api/v1/auth/github/login' }] });
  });
});
