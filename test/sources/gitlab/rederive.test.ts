import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gitlabConfig, rederiveGitlab } from '../../../src/sources/gitlab/source.ts';
import { listSources } from '../../../src/sources/registry.ts';
import { engineName, openTestDatabase, snapshot } from '../../helpers/database.ts';
import { addGitlab, startServer, sync, VOLATILE } from './helpers.ts';

describe(`GitLab source: rows derived again from raw_records (${engineName})`, () => {
  it('gives back every row without a request', async () => {
    const server = await startServer({ seed: 'rederive', projects: 2, mergeRequests: 40, issues: 10, users: 12 });
    const db = await openTestDatabase();
    try {
      await addGitlab(db, server);
      await sync(db);
      const before = await snapshot(db, { exclude: VOLATILE });
      for (const table of ['merge_requests', 'issues', 'comments', 'reviews', 'label_events', 'activities']) await db.query(`DELETE FROM ${table}`);
      server.resetCounts();
      const [source] = await listSources(db);
      assert.ok(source);
      const result = await rederiveGitlab(db, { ...source, config: gitlabConfig.parse(source.config) });
      assert.equal(result.stats.mergeRequests, 40);
      assert.equal(server.count(), 0, 'no request');
      assert.deepEqual(await snapshot(db, { exclude: VOLATILE }), before);
    } finally {
      await db.close();
      await server.stop();
    }
  });
});
