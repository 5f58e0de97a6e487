import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toNumber } from '../../../src/db/connection.ts';
import { ids } from '../../../src/interchange/records.ts';
import type { GitlabTestServer } from '../../../src/sources/gitlab/testing/server.ts';
import { INCREMENTAL_CHANGES, World } from '../../../src/sources/gitlab/testing/world.ts';
import { engineName, openTestDatabase, snapshot } from '../../helpers/database.ts';
import { addGitlab, startServer, sync, VOLATILE } from './helpers.ts';

const count = async (db: Awaited<ReturnType<typeof openTestDatabase>>, sql: string, params: unknown[] = []) =>
  toNumber((await db.query<{ n: unknown }>(sql, params))[0]?.n);

describe(`GitLab source: sync against the test server (${engineName})`, () => {
  let server: GitlabTestServer;
  before(async () => {
    server = await startServer({ seed: 'sync', projects: 4, mergeRequests: 150, issues: 40, users: 30 }, { maxPerPage: 25 });
  });
  after(async () => server.stop());

  it('mirrors MRs, notes, approvals, label events, issues, users, members and milestones', async () => {
    const db = await openTestDatabase();
    try {
      await addGitlab(db, server, { overlapSeconds: 0 });
      const result = await sync(db);
      const world = server.world;
      assert.equal(await count(db, `SELECT count(*) AS n FROM merge_requests WHERE origin = 'api'`), world.mergeRequests.length);
      assert.equal(await count(db, `SELECT count(*) AS n FROM issues`), world.issues.length);
      const notes = world.mergeRequests.reduce((sum, mr) => sum + mr.notes.length, 0) + world.issues.reduce((sum, i) => sum + i.notes.length, 0);
      assert.equal(await count(db, 'SELECT count(*) AS n FROM comments'), notes);
      assert.equal(await count(db, 'SELECT count(*) AS n FROM projects'), world.projects.length);
      assert.equal(await count(db, `SELECT count(*) AS n FROM group_memberships WHERE group_path = 'acme' AND valid_to IS NULL`), world.members.length);
      const approvals = world.mergeRequests.reduce((sum, mr) => sum + mr.notes.filter((n) => n.body === 'approved this merge request').length, 0);
      assert.equal(await count(db, `SELECT count(*) AS n FROM reviews WHERE kind = 'approved'`), approvals);
      const labelled = world.mergeRequests.filter((mr) => mr.labels.length > 0).reduce((sum, mr) => sum + mr.labelEvents.length, 0);
      assert.equal(await count(db, 'SELECT count(*) AS n FROM label_events'), labelled);

      // One MR in detail.
      const mr = world.mergeRequests.find((m) => m.state === 'merged' && m.reviewerIds.length > 0 && m.labels.includes('workflow::ready for review')) as World['mergeRequests'][number];
      const project = `gitlab:${world.projectPath(world.projects.find((p) => p.id === mr.projectId) as World['projects'][number])}`;
      const [row] = await db.query<Record<string, unknown>>('SELECT * FROM merge_requests WHERE id = $1::int8', [ids.mergeRequest(project, mr.iid)]);
      assert.ok(row);
      assert.equal(row.state, 'merged');
      assert.equal((row.merged_at as Date).getTime(), mr.mergedAt);
      assert.equal(row.origin, 'api');
      assert.deepEqual(row.labels, mr.labels);
      assert.equal((row.reviewer_ids as bigint[]).length, 1);
      const readyEvent = mr.labelEvents.find((e) => e.label === 'workflow::ready for review' && e.action === 'add');
      assert.equal((row.ready_for_review_at as Date).getTime(), readyEvent?.createdAt);
      assert.ok(row.first_review_at, 'a reviewer approved or commented');
      assert.match(String(row.type), /^(feature|bug|maintenance)$/);
      const bots = await count(db, 'SELECT count(*) AS n FROM people WHERE is_bot');
      assert.ok(bots > 0, 'bot: true in a profile marks the person a bot');
      assert.ok(Number(result?.stats.requests) > 0);

      // Nothing changed: one page per list, no per-MR calls.
      const before = server.countsByCategory();
      const again = await sync(db);
      const afterCounts = server.countsByCategory();
      assert.equal(again?.stats.mergeRequests ?? 0, 0);
      assert.equal(afterCounts.mr_notes, before.mr_notes);
      assert.equal(afterCounts.users, before.users);
    } finally {
      await db.close();
    }
  });

  it('after changes, an incremental sync gives the database a fresh full sync gives', async () => {
    const world = new World({ seed: 'incremental', projects: 3, mergeRequests: 120, issues: 30, users: 25 });
    const changing = await startServer(world, { maxPerPage: 20 });
    const incremental = await openTestDatabase();
    const fresh = await openTestDatabase();
    try {
      await addGitlab(incremental, changing);
      await sync(incremental);
      world.change(60, INCREMENTAL_CHANGES);
      changing.resetCounts();
      const result = await sync(incremental);
      const changedRequests = changing.count('mr_notes');
      assert.ok(Number(result?.stats.mergeRequests) > 0);
      // Notes are read only for the MRs that changed.
      assert.equal(changedRequests, Number(result?.stats.mergeRequests));

      await addGitlab(fresh, changing);
      await sync(fresh);
      assert.deepEqual(await snapshot(incremental, { exclude: VOLATILE }), await snapshot(fresh, { exclude: VOLATILE }));
    } finally {
      await incremental.close();
      await fresh.close();
      await changing.stop();
    }
  });

  it('syncs one project instead of a group', async () => {
    const db = await openTestDatabase();
    try {
      const world = server.world;
      const project = world.projects[1] as World['projects'][number];
      await addGitlab(db, server, { group: undefined, project: world.projectPath(project) }, 'one-project');
      await sync(db, 'one-project');
      assert.equal(await count(db, 'SELECT count(*) AS n FROM projects'), 1);
      assert.equal(await count(db, 'SELECT count(*) AS n FROM merge_requests'), world.mergeRequests.filter((m) => m.projectId === project.id).length);
      assert.equal(await count(db, 'SELECT count(*) AS n FROM issues'), world.issues.filter((i) => i.projectId === project.id).length);
    } finally {
      await db.close();
    }
  });

  it('a full sync notices MRs deleted in GitLab', async () => {
    const world = new World({ seed: 'deleted', projects: 2, mergeRequests: 40, issues: 5, users: 10 });
    const changing = await startServer(world);
    const db = await openTestDatabase();
    try {
      await addGitlab(db, changing);
      await sync(db);
      world.change(5, ['delete_mr']);
      await sync(db, 'acme', true);
      assert.equal(await count(db, `SELECT count(*) AS n FROM merge_requests`), world.mergeRequests.length);
      assert.equal(await count(db, `SELECT count(*) AS n FROM raw_records WHERE endpoint = 'merge_requests'`), world.mergeRequests.length);
    } finally {
      await db.close();
      await changing.stop();
    }
  });
});
