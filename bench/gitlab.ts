/**
 * Benchmark: the GitLab source's request budget and wall time. A 50,000-MR group on our GitLab
 * test server (loopback, in this process), synced in full, then changed and synced incrementally.
 * Targets: MR list data ≤ 2 requests per 100 MRs; notes/approvals ≤ 1 request per changed MR.
 *
 *   npm run bench -- gitlab [--merge-requests N] [--changes N] [--engine pglite|postgres|both]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { type Database, openDatabase } from '../src/db/connection.ts';
import { GitlabTestServer } from '../src/sources/gitlab/testing/server.ts';
import { INCREMENTAL_CHANGES, World } from '../src/sources/gitlab/testing/world.ts';
import { addSource, syncSources } from '../src/sources/registry.ts';

const { values } = parseArgs({
  options: {
    'merge-requests': { type: 'string', default: '50000' },
    changes: { type: 'string', default: '1000' },
    engine: { type: 'string', default: 'both' },
    'database-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
  strict: false,
});
const mergeRequests = Number(values['merge-requests']);
const changes = Number(values.changes);
const engines = values.engine === 'both' ? ['pglite', 'postgres'] : [String(values.engine)];
process.env.TRIBUTARY_BENCH_GITLAB_TOKEN = 'bench-token';

async function postgresDatabase(): Promise<{ db: Database; drop(): Promise<void> }> {
  const url = String(values['database-url']);
  const name = `tributary_bench_gitlab_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: target.toString() });
  return {
    db,
    async drop() {
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

const per100 = (requests: number, items: number) => (items === 0 ? 0 : (requests * 100) / items);
const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 2 });

for (const engine of engines) {
  const generated = performance.now();
  const world = new World({ seed: 'bench', projects: 20, mergeRequests, issues: Math.round(mergeRequests / 10), users: Math.max(200, Math.round(mergeRequests / 25)) });
  const server = new GitlabTestServer(world, { token: 'bench-token' });
  await server.start();
  console.log(`\n[${engine}] world: ${fmt(world.mergeRequests.length)} MRs in ${world.projects.length} projects, ${fmt(world.issues.length)} issues, ${fmt(world.users.length)} users (generated in ${((performance.now() - generated) / 1000).toFixed(1)} s, not timed)`);
  const place = engine === 'postgres' ? await postgresDatabase() : { db: await openDatabase({ dataDir: 'memory://' }), drop: async () => {} };
  const { db } = place;
  try {
    // Our own server: no ceiling worth the name; a real instance gets the default (600 a minute).
    await addSource(db, 'gitlab', { url: server.url, group: 'acme', tokenEnv: 'TRIBUTARY_BENCH_GITLAB_TOKEN', requestsPerMinute: 1_000_000, concurrency: 8 }, { cacheDir: '', warn: () => {} }, 'acme');
    for (const phase of ['full', 'incremental'] as const) {
      if (phase === 'incremental') world.change(changes, INCREMENTAL_CHANGES);
      server.resetCounts();
      const started = performance.now();
      const [outcome] = await syncSources(db, 'acme', { cacheDir: '', warn: () => {} });
      const seconds = (performance.now() - started) / 1000;
      if (!outcome?.ok) throw new Error(outcome?.error);
      const stats = outcome.result?.stats ?? {};
      const counts = server.countsByCategory();
      const listed = Number(stats.mergeRequests ?? 0) + Number(stats.unchangedMergeRequests ?? 0);
      const changed = Number(stats.mergeRequests ?? 0);
      const listRequests = counts.merge_requests ?? 0;
      const notes = counts.mr_notes ?? 0;
      const approvals = counts.mr_approvals ?? 0;
      const labelEvents = counts.mr_label_events ?? 0;
      console.log(`[${engine}] ${phase} sync: ${seconds.toFixed(1)} s wall, ${fmt(server.count())} requests`);
      console.log(`  MR list:       ${fmt(listRequests)} requests for ${fmt(listed)} MRs listed = ${fmt(per100(listRequests, listed))} per 100 MRs (target ≤ 2)`);
      console.log(`  notes:         ${fmt(notes)} requests for ${fmt(changed)} changed MRs = ${fmt(changed ? notes / changed : 0)} per changed MR`);
      console.log(`  approvals:     ${fmt(approvals)} requests (read from system notes) → notes + approvals = ${fmt(changed ? (notes + approvals) / changed : 0)} per changed MR (target ≤ 1)`);
      console.log(`  label events:  ${fmt(labelEvents)} requests = ${fmt(changed ? labelEvents / changed : 0)} per changed MR (only MRs carrying labels)`);
      console.log(`  issues:        ${fmt(counts.issues ?? 0)} list + ${fmt(counts.issue_notes ?? 0)} notes requests for ${fmt(Number(stats.issues ?? 0))} changed issues`);
      console.log(`  users:         ${fmt(counts.users ?? 0)} profile requests (each user once)`);
      const other = Object.entries(counts).filter(([k]) => !['merge_requests', 'mr_notes', 'mr_approvals', 'mr_label_events', 'issues', 'issue_notes', 'users'].includes(k));
      console.log(`  the rest:      ${other.map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
  } finally {
    await place.drop();
    if (engine === 'pglite') await db.close();
    await server.stop();
  }
}
