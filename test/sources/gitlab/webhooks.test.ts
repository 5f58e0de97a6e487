import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type Database, toNumber } from '../../../src/db/connection.ts';
import { ids } from '../../../src/interchange/records.ts';
import { GitlabTestServer } from '../../../src/sources/gitlab/testing/server.ts';
import { GitlabWebhooks, listenForWebhooks, parseGitlabDate } from '../../../src/sources/gitlab/webhooks.ts';
import { engineName, openTestDatabase, sharedPath, snapshot } from '../../helpers/database.ts';
import { addGitlab, startServer, sync, VOLATILE } from './helpers.ts';

const SECRET = 'webhook-secret-for-tests';
const fixtures = sharedPath('fixtures/gitlab-api');
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(`${fixtures.path}/${name}`, 'utf8'));

/**
 * Every webhook example of GitLab's docs, and what Tributary does with it: `applied` (stored, then
 * written to the tables the API sync writes), `ignored` (stored, not used) or `rejected` (400, kept).
 */
const EXAMPLES: { file: string; event: string; outcome: 'applied' | 'ignored'; check?: (db: Database) => Promise<void> }[] = [
  {
    file: 'webhook_merge_request.json',
    event: 'Merge Request Hook',
    outcome: 'applied',
    check: async (db) => {
      const [mr] = await db.query<{ state: string; title: string; labels: string[]; origin: string }>('SELECT state, title, labels, origin FROM merge_requests WHERE id = $1::int8', [
        ids.mergeRequest('gitlab:gitlabhq/gitlab-test', 1),
      ]);
      assert.deepEqual(mr, { state: 'opened', title: 'MS-Viewport', labels: ['API'], origin: 'api' });
      const opened = await db.query(`SELECT 1 FROM activities WHERE kind = 'mr_opened' AND object_id = $1::int8`, [ids.mergeRequest('gitlab:gitlabhq/gitlab-test', 1)]);
      assert.equal(opened.length, 1);
    },
  },
  {
    file: 'webhook_note_on_mr.json',
    event: 'Note Hook',
    outcome: 'applied',
    check: async (db) => {
      const [comment] = await db.query<{ target_type: string; target_ref: string; body: string; created_at: Date }>(
        `SELECT target_type, target_ref, body, created_at FROM comments WHERE external_id = '1244'`,
      );
      assert.equal(comment?.target_type, 'merge_request');
      assert.equal(comment?.target_ref, '1');
      assert.equal(comment?.body, 'This MR needs work.');
      // "2015-05-17 18:21:36 UTC", the older of the docs' two date formats.
      assert.equal(comment?.created_at.toISOString(), '2015-05-17T18:21:36.000Z');
      assert.equal((await db.query(`SELECT 1 FROM activities WHERE kind = 'mr_commented'`)).length, 1);
    },
  },
  {
    file: 'webhook_note_on_issue.json',
    event: 'Note Hook',
    outcome: 'applied',
    check: async (db) => {
      const [comment] = await db.query<{ target_type: string; target_ref: string }>(`SELECT target_type, target_ref FROM comments WHERE external_id = '1241'`);
      assert.deepEqual(comment, { target_type: 'issue', target_ref: '17' });
      assert.equal((await db.query(`SELECT 1 FROM activities WHERE kind = 'issue_commented'`)).length, 1);
    },
  },
  {
    file: 'webhook_note_on_commit.json',
    event: 'Note Hook',
    outcome: 'applied',
    check: async (db) => {
      const [comment] = await db.query<{ target_type: string; target_ref: string }>(`SELECT target_type, target_ref FROM comments WHERE external_id = '1243'`);
      assert.deepEqual(comment, { target_type: 'commit', target_ref: 'cfe32cf61b73a0d5e9f13e774abde7ff789b1660' });
    },
  },
  {
    file: 'webhook_issue.json',
    event: 'Issue Hook',
    outcome: 'applied',
    check: async (db) => {
      const [issue] = await db.query<{ state: string; labels: string[]; created_at: Date }>('SELECT state, labels, created_at FROM issues WHERE id = $1::int8', [
        ids.issue('gitlab:gitlabhq/gitlab-test', 23),
      ]);
      assert.equal(issue?.state, 'opened');
      assert.deepEqual(issue?.labels, ['API']);
      assert.equal(issue?.created_at.toISOString(), '2013-12-03T17:15:43.000Z');
    },
  },
  {
    file: 'webhook_member.json',
    event: 'Member Hook',
    outcome: 'applied',
    check: async (db) => {
      const [row] = await db.query<{ access_level: number; valid_from: string; valid_to: string | null }>(
        `SELECT access_level, valid_from, valid_to FROM group_memberships WHERE group_path = 'webhook-test'`,
      );
      assert.deepEqual(row, { access_level: 10, valid_from: '2020-12-11', valid_to: null });
    },
  },
  {
    file: 'webhook_member_update.json',
    event: 'Member Hook',
    outcome: 'applied',
    check: async (db) => {
      const rows = await db.query<{ access_level: number; valid_to: string | null }>(`SELECT access_level, valid_to FROM group_memberships WHERE group_path = 'webhook-test'`);
      assert.equal(rows.length, 1, 'an update changes the open membership, it opens no other');
      assert.equal(rows[0]?.valid_to, null);
    },
  },
  {
    file: 'webhook_member_access_request.json',
    event: 'Member Hook',
    outcome: 'applied',
    check: async (db) => assert.equal((await db.query(`SELECT 1 FROM group_memberships WHERE group_path = 'webhook-test'`)).length, 1, 'a request is no membership'),
  },
  {
    file: 'webhook_member_access_request_denied.json',
    event: 'Member Hook',
    outcome: 'applied',
    check: async (db) => assert.equal((await db.query(`SELECT 1 FROM group_memberships WHERE group_path = 'webhook-test'`)).length, 1),
  },
  {
    file: 'webhook_member_remove.json',
    event: 'Member Hook',
    outcome: 'applied',
    check: async (db) => {
      const rows = await db.query<{ valid_to: string | null }>(`SELECT valid_to FROM group_memberships WHERE group_path = 'webhook-test'`);
      assert.ok(rows.length === 1 && rows[0]?.valid_to !== null, 'a removal ends the membership');
    },
  },
  { file: 'webhook_push.json', event: 'Push Hook', outcome: 'ignored' },
  { file: 'webhook_tag_push.json', event: 'Tag Push Hook', outcome: 'ignored' },
  { file: 'webhook_pipeline.json', event: 'Pipeline Hook', outcome: 'ignored' },
  { file: 'webhook_wiki_page.json', event: 'Wiki Page Hook', outcome: 'ignored' },
  { file: 'webhook_feature_flag.json', event: 'Feature Flag Hook', outcome: 'ignored' },
  { file: 'webhook_release.json', event: 'Release Hook', outcome: 'ignored' },
  { file: 'webhook_milestone.json', event: 'Milestone Hook', outcome: 'ignored' },
  { file: 'webhook_project_create.json', event: 'Project Hook', outcome: 'ignored' },
  { file: 'webhook_project_destroy.json', event: 'Project Hook', outcome: 'ignored' },
  { file: 'webhook_subgroup_create.json', event: 'Subgroup Hook', outcome: 'ignored' },
  { file: 'webhook_subgroup_destroy.json', event: 'Subgroup Hook', outcome: 'ignored' },
];

describe(`GitLab webhooks (${engineName})`, () => {
  let db: Database;
  let webhooks: GitlabWebhooks;
  let server: Server;
  let url: string;
  before(async () => {
    db = await openTestDatabase();
    webhooks = new GitlabWebhooks(db, SECRET);
    await webhooks.recover();
    ({ server, url } = await listenForWebhooks(webhooks, 0));
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await db.close();
  });

  const answerTimes: number[] = [];
  const statusOf = async (key: string) =>
    (await db.query<{ status: string; error: string | null }>('SELECT status, error FROM webhook_deliveries WHERE delivery_key = $1', [key]))[0];

  it('parses both date formats of the docs', () => {
    assert.equal(parseGitlabDate('2015-05-17 18:21:36 UTC'), '2015-05-17T18:21:36.000Z');
    assert.equal(parseGitlabDate('2013-12-03T17:23:34Z'), '2013-12-03T17:23:34.000Z');
    assert.equal(parseGitlabDate('2019-06-05T14:32:20.211Z'), '2019-06-05T14:32:20.211Z');
    assert.equal(parseGitlabDate('2012-01-03T23:36:29+02:00'), '2012-01-03T21:36:29.000Z');
    assert.equal(parseGitlabDate('yesterday'), null);
  });

  for (const example of EXAMPLES) {
    it(`${example.file}: ${example.outcome}`, { skip: fixtures.skip }, async () => {
      const uuid = crypto.randomUUID();
      const answer = await GitlabTestServer.deliver(url, { event: example.event, body: fixture(example.file), token: SECRET, uuid });
      assert.equal(answer.status, 202, answer.body);
      // The handler's own time: in this process the test's client shares the event loop with PGlite.
      answerTimes.push(webhooks.lastAnswerMs);
      await webhooks.idle();
      const stored = await statusOf(uuid);
      assert.equal(stored?.status, example.outcome, stored?.error ?? '');
      await example.check?.(db);
    });
  }

  it('answers in under 100 ms', { skip: fixtures.skip }, (t) => {
    const sorted = [...answerTimes].sort((a, b) => a - b);
    t.diagnostic(`${sorted.length} answers: median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms, slowest ${sorted.at(-1)?.toFixed(1)} ms`);
    // All but the odd one: a test machine busy with other work can stall any one answer.
    assert.ok(sorted.filter((ms) => ms < 100).length >= sorted.length - 1, sorted.map((ms) => ms.toFixed(0)).join(' '));
  });

  it('a duplicate delivery changes nothing', { skip: fixtures.skip }, async () => {
    const body = fixture('webhook_merge_request.json');
    (body.object_attributes as Record<string, unknown>).iid = 2;
    const key = crypto.randomUUID();
    const first = await GitlabTestServer.deliver(url, { event: 'Merge Request Hook', body, token: SECRET, idempotencyKey: key });
    assert.equal(first.status, 202);
    await webhooks.idle();
    const before = await snapshot(db, { exclude: VOLATILE });
    // A retry of the same delivery (same Idempotency-Key, a new event UUID), and a redelivery of all examples.
    const again = await GitlabTestServer.deliver(url, { event: 'Merge Request Hook', body, token: SECRET, idempotencyKey: key });
    assert.equal(again.status, 200);
    assert.match(again.body, /duplicate/);
    await webhooks.idle();
    assert.deepEqual(await snapshot(db, { exclude: VOLATILE }), before);
  });

  it('applying the same event again under a new delivery leaves the data as it was', { skip: fixtures.skip }, async () => {
    const tables = ['merge_requests', 'comments', 'activities', 'issues', 'group_memberships', 'reviews'];
    const pick = (s: Record<string, string>) => Object.fromEntries(tables.map((t) => [t, s[t]]));
    const before = pick(await snapshot(db, { exclude: VOLATILE }));
    for (const example of EXAMPLES.filter((e) => e.outcome === 'applied' && !e.file.startsWith('webhook_member'))) {
      const answer = await GitlabTestServer.deliver(url, { event: example.event, body: fixture(example.file), token: SECRET });
      assert.equal(answer.status, 202);
    }
    await webhooks.idle();
    assert.deepEqual(pick(await snapshot(db, { exclude: VOLATILE })), before);
  });

  it('rejects a malformed payload with 400 and keeps it for inspection', async () => {
    for (const [body, field] of [
      ['{"object_kind": "merge_request", "object_attributes": ', 'not JSON'],
      [JSON.stringify({ object_kind: 'merge_request', user: { id: 1 }, project: { id: 1, path_with_namespace: 'a/b' }, object_attributes: { id: 1 } }), 'object_attributes.iid'],
      [JSON.stringify({ ...(fixtures.path ? fixture('webhook_issue.json') : {}), object_kind: 'issue', object_attributes: { id: 1, iid: 2, project_id: 1, title: 't', state: 'opened', author_id: 1, created_at: 'last tuesday', updated_at: '2020-01-01T00:00:00Z' }, user: { id: 1 }, project: { id: 1, path_with_namespace: 'a/b' } }), 'object_attributes.created_at'],
      ['[1, 2]', 'JSON object'],
      [JSON.stringify({ hello: 'world' }), 'object_kind'],
    ] as const) {
      const uuid = crypto.randomUUID();
      const answer = await GitlabTestServer.deliver(url, { event: 'Merge Request Hook', body, token: SECRET, uuid });
      assert.equal(answer.status, 400, body);
      assert.ok(answer.body.includes(field), `${answer.body} names ${field}`);
      const stored = await db.query<{ status: string; body: string }>('SELECT status, body FROM webhook_deliveries WHERE delivery_key = $1', [uuid]);
      assert.deepEqual(stored, [{ status: 'rejected', body }]);
    }
  });

  it('refuses a wrong or missing token, and stores nothing', async () => {
    const before = toNumber((await db.query<{ n: unknown }>('SELECT count(*) AS n FROM webhook_deliveries'))[0]?.n);
    for (const token of ['wrong', undefined]) {
      const answer = await GitlabTestServer.deliver(url, { event: 'Push Hook', body: { object_kind: 'push' }, token });
      assert.equal(answer.status, 401);
    }
    assert.equal(toNumber((await db.query<{ n: unknown }>('SELECT count(*) AS n FROM webhook_deliveries'))[0]?.n), before);
  });
});

describe(`GitLab webhooks and the API sync write the same rows (${engineName})`, () => {
  it('an MR closed and commented on: webhooks apply it, and the next API sync ends where a fresh sync does', async () => {
    const gitlab = await startServer({ seed: 'hooks', projects: 2, mergeRequests: 40, issues: 5, users: 12 });
    const db = await openTestDatabase();
    const fresh = await openTestDatabase();
    const webhooks = new GitlabWebhooks(db, SECRET);
    const { server, url } = await listenForWebhooks(webhooks, 0);
    try {
      await addGitlab(db, gitlab);
      await sync(db);
      const world = gitlab.world;
      const mr = world.mergeRequests.find((m) => m.state === 'opened') as (typeof world.mergeRequests)[number];
      const note = world.comment(mr, 3, 'Thanks, but this is done elsewhere.');
      world.close(mr, 3);
      for (const [event, body] of [
        ['Note Hook', gitlab.noteHook(mr, note)],
        ['Merge Request Hook', gitlab.mergeRequestHook(mr, 'close', 3)],
      ] as const) {
        assert.equal((await GitlabTestServer.deliver(url, { event, body, token: SECRET })).status, 202);
      }
      await webhooks.idle();
      assert.deepEqual(await db.query(`SELECT status, error FROM webhook_deliveries ORDER BY received_at`), [
        { status: 'applied', error: null },
        { status: 'applied', error: null },
      ]);
      const project = `gitlab:${world.projectPath(world.projects.find((p) => p.id === mr.projectId) as (typeof world.projects)[number])}`;
      const [row] = await db.query<{ state: string; closed_at: Date }>('SELECT state, closed_at FROM merge_requests WHERE id = $1::int8', [ids.mergeRequest(project, mr.iid)]);
      assert.equal(row?.state, 'closed');
      assert.equal(row?.closed_at.getTime(), Math.floor((mr.closedAt as number) / 1000) * 1000, 'to the second, as the hook says');
      assert.equal((await db.query(`SELECT 1 FROM comments WHERE external_id = $1`, [String(note.id)])).length, 1);
      assert.equal((await db.query(`SELECT 1 FROM activities WHERE kind = 'mr_closed' AND object_id = $1::int8`, [ids.mergeRequest(project, mr.iid)])).length, 1);

      await sync(db);
      await addGitlab(fresh, gitlab);
      await sync(fresh);
      const { webhook_deliveries: _ignored, ...synced } = await snapshot(db, { exclude: VOLATILE });
      const { webhook_deliveries: _none, ...expected } = await snapshot(fresh, { exclude: VOLATILE });
      assert.deepEqual(synced, expected);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await db.close();
      await fresh.close();
      await gitlab.stop();
    }
  });
});
