import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Provider from 'oidc-provider';
import pino from 'pino';
import type { OidcOptions } from '../../src/auth/oidc.ts';
import { createUser } from '../../src/auth/users.ts';
import type { Database } from '../../src/db/connection.ts';
import { type RunningServer, startServer } from '../../src/server/serve.ts';
import { Browser } from '../helpers/browser.ts';
import { engineName, openTestDatabase } from '../helpers/database.ts';

/**
 * Sign-in through a real OpenID Connect provider (oidc-provider, in this process, on loopback): the
 * browser's part is played by fetch with a cookie jar per site, following redirects by hand and
 * submitting the provider's development login and consent forms.
 */

async function signIn(browser: Browser, tributary: string, accountId: string) {
  let page = await browser.follow(`${tributary}/api/v1/auth/oidc/login?returnTo=/dashboard`);
  const trail = [...page.trail];
  // The provider's login, then its consent form; each posts back to the provider and redirects on.
  for (const prompt of ['login', 'consent']) {
    if (page.url.startsWith(tributary)) break;
    const html = await page.response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    assert.ok(action, `a ${prompt} form: ${html.slice(0, 300)}`);
    page = await browser.follow(new URL(action.replaceAll('&amp;', '&'), page.url).href, {
      method: 'POST',
      form: prompt === 'login' ? { prompt: 'login', login: accountId, password: 'anything' } : { prompt: 'consent' },
    });
    trail.push(...page.trail);
  }
  return { ...page, trail };
}

describe(`OIDC sign-in against oidc-provider on loopback (${engineName})`, () => {
  let db: Database;
  let provider: Server;
  let tributary: RunningServer;
  let issuer: string;
  const oidc: OidcOptions = { issuer: '', clientId: 'tributary', clientSecret: 'a client secret for tests', redirectUri: '', autoProvisionRole: undefined };
  const accounts: Record<string, { email: string; email_verified: boolean; name: string }> = {
    alice: { email: 'alice@example.org', email_verified: true, name: 'Alice Known' },
    bob: { email: 'bob@example.org', email_verified: true, name: 'Bob Unknown' },
    mallory: { email: 'admin@tributary.test', email_verified: false, name: 'Not Verified' },
  };

  before(async () => {
    process.env.TRIBUTARY_SCRYPT_COST = '1024';
    db = await openTestDatabase();
    await createUser(db, { email: 'Alice@Example.org', name: 'Alice', role: 'coach', password: 'a long enough password' });
    await createUser(db, { email: 'admin@tributary.test', name: 'Admin', role: 'admin', password: 'a long enough password' });
    // Tributary first, on a free port, so the provider knows the redirect URI; the OIDC settings are read at the first sign-in.
    tributary = await startServer({ db, port: 0, host: '127.0.0.1', secureCookies: false, allowedOrigins: [], oidc, logger: pino({ level: 'silent' }) });
    oidc.redirectUri = `${tributary.url}/api/v1/auth/oidc/callback`;
    // The issuer must be the URL the provider is reached at, so the server listens first and the provider is made for its port.
    let handle: RequestListener = (_req, res) => res.end();
    provider = createServer((req, res) => handle(req, res));
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    oidc.issuer = issuer;
    const real = new Provider(issuer, {
      clients: [
        {
          client_id: 'tributary',
          client_secret: 'a client secret for tests',
          redirect_uris: [oidc.redirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      pkce: { required: () => true },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      // The ID token carries the claims, so Tributary needs no userinfo call.
      conformIdTokenClaims: false,
      findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub, ...accounts[sub] }) }),
    });
    handle = real.callback();
  });
  after(async () => {
    await tributary.close(0);
    await new Promise((resolve) => provider.close(resolve));
    await db.close();
  });

  test('a known e-mail signs in with code + PKCE and gets a session; the account is linked to the subject', async () => {
    const browser = new Browser();
    const page = await signIn(browser, tributary.url, 'alice');
    assert.equal(page.url, `${tributary.url}/dashboard`, page.trail.join('\n'));
    const authorize = page.trail.find((url) => url.startsWith(`${issuer}/auth?`));
    assert.ok(authorize);
    assert.equal(new URL(authorize).searchParams.get('code_challenge_method'), 'S256');
    const me = (await (await browser.go(`${tributary.url}/api/v1/auth/me`)).json()) as { user: { email: string; role: string } };
    assert.deepEqual([me.user.email, me.user.role], ['Alice@Example.org', 'coach']);
    const [linked] = await db.query<{ oidc_subject: string; oidc_issuer: string }>(`SELECT oidc_issuer, oidc_subject FROM users WHERE email = 'Alice@Example.org'`);
    assert.deepEqual(linked, { oidc_issuer: issuer, oidc_subject: 'alice' });
  });

  test('someone unknown is refused without auto-provisioning; an unverified e-mail never matches', async () => {
    const unknown = await signIn(new Browser(), tributary.url, 'bob');
    assert.equal(unknown.response.status, 403);
    assert.match(await unknown.response.text(), /no Tributary account/);
    const unverified = await signIn(new Browser(), tributary.url, 'mallory');
    assert.equal(unverified.response.status, 403, 'an unverified e-mail does not take over the admin account');
  });

  test('with auto-provisioning, someone new becomes a user with the configured role', async () => {
    oidc.autoProvisionRole = 'viewer';
    try {
      const browser = new Browser();
      const page = await signIn(browser, tributary.url, 'bob');
      assert.equal(page.url, `${tributary.url}/dashboard`);
      const me = (await (await browser.go(`${tributary.url}/api/v1/auth/me`)).json()) as { user: { email: string; role: string; name: string } };
      assert.deepEqual([me.user.email, me.user.role, me.user.name], ['bob@example.org', 'viewer', 'Bob Unknown']);
      const unverified = await signIn(new Browser(), tributary.url, 'mallory');
      assert.equal(unverified.response.status, 403, 'no account from an unverified e-mail either');
    } finally {
      oidc.autoProvisionRole = undefined;
    }
  });

  test('a callback without the flow cookie, or with a forged state, is refused', async () => {
    const browser = new Browser();
    const start = await browser.go(`${tributary.url}/api/v1/auth/oidc/login`);
    assert.equal(start.status, 302);
    const forged = await browser.go(`${tributary.url}/api/v1/auth/oidc/callback?code=abc&state=forged&iss=${encodeURIComponent(issuer)}`);
    assert.equal(forged.status, 400);
    const noCookie = await new Browser().go(`${tributary.url}/api/v1/auth/oidc/callback?code=abc&state=x`);
    assert.equal(noCookie.status, 400);
  });
});
