import type { Database } from '../../../src/db/connection.ts';
import { type GitlabServerOptions, GitlabTestServer } from '../../../src/sources/gitlab/testing/server.ts';
import { World, type WorldOptions } from '../../../src/sources/gitlab/testing/world.ts';
import { addSource, syncSources } from '../../../src/sources/registry.ts';

export const TOKEN = 'glpat-test-token-0123456789';
export const TOKEN_ENV = 'TRIBUTARY_TEST_GITLAB_TOKEN';
process.env[TOKEN_ENV] = TOKEN;

/** A seeded world served on loopback. */
export async function startServer(world: WorldOptions | World, options: GitlabServerOptions = {}): Promise<GitlabTestServer> {
  const server = new GitlabTestServer(world instanceof World ? world : new World(world), { token: TOKEN, ...options });
  await server.start();
  return server;
}

/** Quick politeness for tests: no long waits, the ceiling's window shortened to a second. */
export const FAST = { backoffMs: 5, ceilingWindowSeconds: 1, requestsPerMinute: 1000, concurrency: 4, timeoutMs: 5000 };

export async function addGitlab(db: Database, server: GitlabTestServer, config: Record<string, unknown> = {}, name = 'acme') {
  return addSource(db, 'gitlab', { url: server.url, group: 'acme', tokenEnv: TOKEN_ENV, ...FAST, ...config }, { cacheDir: '/nonexistent', warn: () => {} }, name);
}

export async function sync(db: Database, name = 'acme', full = false) {
  const [outcome] = await syncSources(db, name, { cacheDir: '/nonexistent', warn: () => {}, full });
  if (!outcome?.ok) throw new Error(`sync failed: ${outcome?.error}`);
  return outcome.result;
}

/**
 * Columns that say when something was done rather than what: left out when two databases are compared.
 * The source's own bookkeeping (statistics, timings) is left out too.
 */
export const VOLATILE: Record<string, string[]> = {
  raw_records: ['fetched_at'],
  sources: ['last_started_at', 'last_finished_at', 'last_stats', 'created_at'],
  identity_claims: ['seen_at', 'resolved_at'],
  person_merges: ['id', 'merged_at'],
  webhook_deliveries: ['received_at', 'applied_at'],
  // The KPI rollups' bookkeeping: when they were built and refreshed (their contents are compared).
  kpi_state: ['built_at', 'refreshed_at'],
};
