import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { forwardedClient, parseTrustedProxies } from '../../src/auth/proxies.ts';
import { LOGIN_FAILURES_ALLOWED } from '../../src/auth/routes.ts';
import type { Database } from '../../src/db/connection.ts';
import { type RunningServer, startServer } from '../../src/server/serve.ts';
import { engineName, openTestDatabase } from '../helpers/database.ts';

describe('trusted proxies: the client address behind X-Forwarded-For', () => {
  const trusted = parseTrustedProxies('10.0.0.0/8, 192.0.2.7 fd00::/8');

  test('parses addresses and CIDR ranges, IPv4 and IPv6, and refuses anything else', () => {
    assert.deepEqual(trusted.entries, ['10.0.0.0/8', '192.0.2.7', 'fd00::/8']);
    assert.ok(trusted.has('10.1.2.3'));
    assert.ok(trusted.has('::ffff:10.1.2.3'), 'an IPv4 peer on a dual-stack socket');
    assert.ok(trusted.has('192.0.2.7'));
    assert.ok(!trusted.has('192.0.2.8'));
    assert.ok(trusted.has('fd12::1'));
    assert.ok(!trusted.has('2001:db8::1'));
    assert.ok(!trusted.has('not an address'));
    for (const bad of ['10.0.0.0/33', 'example.org', '10.0.0.1/8/1', 'fd00::/129', '10.0.0.0/x']) {
      assert.throws(() => parseTrustedProxies(bad), /trusted proxies/, bad);
    }
  });

  test('the header counts only when the peer is trusted; then the rightmost untrusted hop is the client', () => {
    // No trust configured, or an untrusted peer: the header is ignored whatever it says.
    assert.equal(forwardedClient('203.0.113.9', '198.51.100.1', undefined), '203.0.113.9');
    assert.equal(forwardedClient('10.0.0.1', '198.51.100.1', undefined), '10.0.0.1');
    assert.equal(forwardedClient('203.0.113.9', '198.51.100.1', trusted), '203.0.113.9');
    // A trusted peer: the hop it appended.
    assert.equal(forwardedClient('10.0.0.1', '198.51.100.1', trusted), '198.51.100.1');
    assert.equal(forwardedClient('::ffff:10.0.0.1', '198.51.100.1', trusted), '198.51.100.1');
    // What the client wrote itself (left of the hop the proxy appended) is not believed.
    assert.equal(forwardedClient('10.0.0.1', '1.1.1.1, 198.51.100.1', trusted), '198.51.100.1');
    // Through two trusted proxies: skip the inner one's hop.
    assert.equal(forwardedClient('10.0.0.1', '1.1.1.1, 198.51.100.1, 10.9.9.9', trusted), '198.51.100.1');
    assert.equal(forwardedClient('10.0.0.1', '1.1.1.1,198.51.100.1 , 192.0.2.7', trusted), '198.51.100.1');
    // A trusted peer without the header is the client as far as anyone can tell; a chain of trusted proxies gives its leftmost.
    assert.equal(forwardedClient('10.0.0.1', undefined, trusted), '10.0.0.1');
    assert.equal(forwardedClient('10.0.0.1', '10.2.2.2, 10.3.3.3', trusted), '10.2.2.2');
    // A hop that is no address ends the walk at the last trusted one.
    assert.equal(forwardedClient('10.0.0.1', 'garbage', trusted), '10.0.0.1');
    assert.equal(forwardedClient('10.0.0.1', 'garbage, 10.3.3.3', trusted), '10.3.3.3');
    assert.equal(forwardedClient('10.0.0.1', '2001:db8::7', trusted), '2001:db8::7');
  });
});

describe(`trusted proxies and the login rate limit over HTTP (${engineName})`, () => {
  let db: Database;
  let direct: RunningServer;
  let proxied: RunningServer;

  before(async () => {
    process.env.TRIBUTARY_SCRYPT_COST = '1024';
    db = await openTestDatabase();
    const common = { db, port: 0, host: '127.0.0.1', secureCookies: false, allowedOrigins: [], logger: pino({ level: 'silent' }) };
    direct = await startServer(common);
    proxied = await startServer({ ...common, trustedProxies: parseTrustedProxies('127.0.0.1') });
  });
  after(async () => {
    await direct.close(0);
    await proxied.close(0);
    await db.close();
  });

  // Each attempt names another account, so only the per-address counter can reach the limit.
  let n = 0;
  const failLogin = (server: RunningServer, forwardedFor: string) =>
    fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      body: JSON.stringify({ email: `nobody${++n}@example.org`, password: 'not the password' }),
    });

  test('behind a trusted proxy, each forwarded client has a limit of its own', async () => {
    for (let i = 0; i < LOGIN_FAILURES_ALLOWED; i++) assert.equal((await failLogin(proxied, '198.51.100.1')).status, 401);
    const limited = await failLogin(proxied, '198.51.100.1');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    // A spoofed hop left of the one the proxy appended changes nothing.
    assert.equal((await failLogin(proxied, '203.0.113.50, 198.51.100.1')).status, 429);
    // Another client behind the same proxy is not held back.
    assert.equal((await failLogin(proxied, '198.51.100.2')).status, 401);
  });

  test('without trusted proxies X-Forwarded-For is ignored: a client cannot dodge the limit by varying it', async () => {
    for (let i = 0; i < LOGIN_FAILURES_ALLOWED; i++) assert.equal((await failLogin(direct, `198.51.100.${10 + i}`)).status, 401);
    assert.equal((await failLogin(direct, '198.51.100.99')).status, 429);
  });
});
