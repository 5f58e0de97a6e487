import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../../src/db/connection.ts';
import { Random } from '../../../src/generator/random.ts';
import type { GitlabTestServer } from '../../../src/sources/gitlab/testing/server.ts';
import { INCREMENTAL_CHANGES } from '../../../src/sources/gitlab/testing/world.ts';
import { createTestDatabasePlace, engineName, snapshot } from '../../helpers/database.ts';
import { FAST, startServer, TOKEN, TOKEN_ENV, VOLATILE } from './helpers.ts';

const bin = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));
const KILLS = 20;
// Kill points are counted in requests the server has seen in a run; a run that needs fewer completes.

/** Runs the CLI; `killAt` (requests served by the GitLab server in this run) ends it with SIGKILL there, after `delayMs`. */
function run(args: string[], env: Record<string, string>, server: GitlabTestServer, killAt?: { requests: number; delayMs: number }): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const { DATABASE_URL: _a, TRIBUTARY_DATA_DIR: _b, ...inherited } = process.env;
  server.resetCounts();
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [bin, ...args], { env: { ...inherited, NO_COLOR: '1', [TOKEN_ENV]: TOKEN, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    server.options.onRequest = killAt
      ? (count) => {
          if (count !== killAt.requests) return;
          if (killAt.delayMs === 0) child.kill('SIGKILL');
          else setTimeout(() => child.kill('SIGKILL'), killAt.delayMs);
        }
      : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe(`GitLab source: SIGKILL at ${KILLS} points, then a re-run (${engineName})`, () => {
  let server: GitlabTestServer;
  before(async () => {
    // Small pages, so that a sync is many pages and a kill lands in the middle of one.
    server = await startServer({ seed: 'kill', projects: 3, mergeRequests: 30, issues: 10, users: 15 }, { maxPerPage: 5 });
  });
  after(async () => server.stop());

  it('ends in exactly the database an uninterrupted sync gives', async (t) => {
    const add = ['sources', 'add', 'gitlab', '--url', server.url, '--group', 'acme', '--token-env', TOKEN_ENV, '--backoff-ms', String(FAST.backoffMs), '--concurrency', '4'];
    const reference = await createTestDatabasePlace();
    const killed = await createTestDatabasePlace();
    try {
      assert.equal((await run(add, killed.env, server)).code, 0);
      const random = new Random('kill-points');
      const outcomes: string[] = [];
      let kills = 0;
      for (let i = 0; kills < KILLS; i++) {
        assert.ok(i < KILLS * 2, `only ${kills} of ${i} runs were killed: ${outcomes.join(' ')}`);
        // GitLab moves on between runs, so that later kills land in incremental syncs too.
        if (i > 0) server.world.change(6, INCREMENTAL_CHANGES);
        const killAt = { requests: random.int(1, 35), delayMs: random.chance(0.5) ? random.int(1, 40) : 0 };
        const outcome = await run(['sync', 'acme'], killed.env, server, killAt);
        if (outcome.signal === 'SIGKILL') kills++;
        outcomes.push(outcome.signal === 'SIGKILL' ? `killed@${killAt.requests}+${killAt.delayMs}ms` : `completed(${outcome.code})`);
        if (outcome.signal !== 'SIGKILL') assert.equal(outcome.code, 0, outcome.stderr);
      }
      t.diagnostic(outcomes.join(' '));
      const final = await run(['sync', 'acme'], killed.env, server);
      assert.equal(final.code, 0, final.stderr);

      // The same data, read by one sync that nothing interrupted.
      assert.equal((await run(add, reference.env, server)).code, 0);
      const uninterrupted = await run(['sync', 'acme'], reference.env, server);
      assert.equal(uninterrupted.code, 0, uninterrupted.stderr);

      const open = (env: Record<string, string>) => openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.TRIBUTARY_DATA_DIR });
      const a = await open(reference.env);
      const b = await open(killed.env);
      try {
        assert.deepEqual(await snapshot(b, { exclude: VOLATILE }), await snapshot(a, { exclude: VOLATILE }), outcomes.join(' '));
      } finally {
        await a.close();
        await b.close();
      }
    } finally {
      await reference.remove();
      await killed.remove();
    }
  });
});
