import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../../../src/db/connection.ts';
import type { GitlabTestServer } from '../../../src/sources/gitlab/testing/server.ts';
import { syncSources } from '../../../src/sources/registry.ts';
import { engineName, openTestDatabase, snapshot } from '../../helpers/database.ts';
import { addGitlab, startServer, sync, VOLATILE } from './helpers.ts';

const WORLD = { seed: 'faults', projects: 3, mergeRequests: 80, issues: 20, users: 20 };

/** The tables that hold what was synced, without the bookkeeping of the source itself. */
const data = async (db: Database) => {
  const { sources: _ignored, ...rest } = await snapshot(db, { exclude: VOLATILE });
  return rest;
};

describe(`GitLab source: faults and rate limits (${engineName})`, () => {
  let reference: Record<string, string>;
  let db: Database;
  before(async () => {
    db = await openTestDatabase();
    const clean = await startServer(WORLD);
    try {
      await addGitlab(db, clean);
      await sync(db);
      reference = await data(db);
    } finally {
      await clean.stop();
    }
  });
  after(async () => db.close());

  // Each case syncs the same world into a database of its own and must end with the reference's data.
  const syncInto = async (server: GitlabTestServer, config: Record<string, unknown>) => {
    const fresh = await openTestDatabase();
    try {
      await addGitlab(fresh, server, config);
      // What `sources add` asked (the group, once) is not part of the sync.
      server.resetCounts();
      const result = await sync(fresh);
      assert.deepEqual(await data(fresh), reference);
      return result;
    } finally {
      await fresh.close();
    }
  };

  it('a storm of 30 % 429 and 5 % 5xx completes correctly, never over the request ceiling', async (t) => {
    const server = await startServer(WORLD, { faults: { rateLimited: 0.3, serverErrors: 0.05, retryAfterSeconds: 0 } });
    try {
      // 40 requests a second: the ceiling's window is shortened to a second so the test is quick.
      const result = await syncInto(server, { requestsPerMinute: 40, ceilingWindowSeconds: 1, maxRetries: 25 });
      const statuses = server.requests.map((r) => r.status);
      const limited = statuses.filter((s) => s === 429).length;
      const failed = statuses.filter((s) => s >= 500).length;
      t.diagnostic(`${server.count()} requests: ${limited} × 429, ${failed} × 5xx; ${result?.stats.retries} retries; peak ${server.peakInWindow(1000)} in any second`);
      assert.ok(limited > server.count() * 0.2 && failed > 0, 'the storm happened');
      assert.ok(server.peakInWindow(1000) <= 40, `peak ${server.peakInWindow(1000)} requests in a second`);
    } finally {
      await server.stop();
    }
  });

  it('dropped connections, truncated bodies and timeouts are retried', async (t) => {
    const server = await startServer(WORLD, { faults: { dropped: 0.05, truncated: 0.05, slow: { fraction: 0.02, ms: 600 } } });
    try {
      const result = await syncInto(server, { timeoutMs: 300, maxRetries: 25 });
      const dropped = server.requests.filter((r) => r.status === -1).length;
      const truncated = server.requests.filter((r) => r.status === -2).length;
      t.diagnostic(`${server.count()} requests: ${dropped} dropped, ${truncated} truncated; ${result?.stats.retries} retries`);
      assert.ok(dropped > 0 && truncated > 0, 'the faults happened');
    } finally {
      await server.stop();
    }
  });

  it('honours RateLimit-Remaining and RateLimit-Reset: waits for the quota instead of hammering', async (t) => {
    const server = await startServer(WORLD, { quota: { limit: 60, windowSeconds: 1 } });
    try {
      await syncInto(server, { requestsPerMinute: 10_000 });
      const limited = server.requests.filter((r) => r.status === 429).length;
      t.diagnostic(`${server.count()} requests, ${limited} answered 429`);
      // The client stops while the quota still has room for what it has in flight.
      assert.equal(limited, 0, `${limited} requests met a spent quota`);
    } finally {
      await server.stop();
    }
  });

  it('a bad token is a clear error, and the token appears in no message', async () => {
    const server = await startServer(WORLD, { token: 'another-token' });
    const fresh = await openTestDatabase();
    try {
      await assert.rejects(addGitlab(fresh, server), /401|token/);
      const [row] = await fresh.query('SELECT count(*)::int AS n FROM sources');
      assert.deepEqual(row, { n: 0 });
      // A token revoked after the source was added: the sync fails, says why, and keeps its cursor.
      server.options.token = undefined;
      await addGitlab(fresh, server);
      server.options.token = 'another-token';
      const [outcome] = await syncSources(fresh, 'acme', { cacheDir: '/nonexistent', warn: () => {} });
      assert.equal(outcome?.ok, false);
      assert.match(String(outcome?.error), /token was refused/);
      assert.ok(!String(outcome?.error).includes('glpat'), 'the token is never in a message');
    } finally {
      await fresh.close();
      await server.stop();
    }
  });
});
