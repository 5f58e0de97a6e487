import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../../../src/db/connection.ts';
import { toNumber } from '../../../src/db/connection.ts';
import { exportNdjson } from '../../../src/interchange/export.ts';
import { importNdjson } from '../../../src/interchange/import.ts';
import { rederiveGit } from '../../../src/sources/git/source.ts';
import { createHistoryRepository, type HistoryTruth } from '../../../src/sources/git/testing/history.ts';
import { addSource, listSources, syncSources } from '../../../src/sources/registry.ts';
import { engineName, openTestDatabase, snapshot } from '../../helpers/database.ts';
import { addAndSync, commit, emptyRepository, git, rawCommit, scratchDir, setBranch } from '../../helpers/git.ts';

async function exported(db: Database, type: string): Promise<Record<string, unknown>[]> {
  let text = '';
  for await (const lines of exportNdjson(db, [type])) text += lines;
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

// The generator's early MRs are GitHub PRs (`Merge pull request #N`), its later ones GitLab MRs; numbers never repeat.
const mergeRequestsOf = (rows: Record<string, unknown>[]) => new Map(rows.map((r) => [r.number as number, r]));

describe(`git source on a generated history (${engineName})`, () => {
  let db: Database;
  let dir: string;
  let truth: HistoryTruth;
  let source: Awaited<ReturnType<typeof addAndSync>>;
  let first: Awaited<ReturnType<Awaited<ReturnType<typeof addAndSync>>['sync']>>;

  before(async () => {
    dir = join(scratchDir(), 'repo');
    truth = await createHistoryRepository(dir, { seed: 'sync-test', commits: 3000, merges: 700 });
    db = await openTestDatabase();
    source = await addAndSync(db, dir);
    first = await source.sync();
  });
  after(async () => {
    await db.close();
  });

  test('every MR the generator merged comes out: number, title, merger, authors, commit count, branch', async () => {
    assert.equal(first.result?.stats.commits, truth.commits);
    const mrs = mergeRequestsOf(await exported(db, 'merge_request'));
    assert.equal(mrs.size, truth.mergeRequests.length);
    for (const expected of truth.mergeRequests) {
      const mr = mrs.get(expected.number);
      assert.ok(mr, `MR !${expected.number} is missing`);
      assert.equal(mr.title, expected.title);
      assert.equal((mr.merged_by as { email: string }).email, expected.merger, `merger of !${expected.number}`);
      assert.deepEqual(
        (mr.authors as { email: string }[]).map((a) => a.email).sort(),
        [...expected.authors].sort(),
        `authors of !${expected.number}`,
      );
      assert.equal(mr.commit_count, expected.commits, `commit count of !${expected.number}`);
      assert.equal(mr.on_default_branch, expected.onDefaultBranch, `!${expected.number} on the default branch`);
      assert.equal(mr.target_branch, expected.targetBranch);
      assert.equal(mr.merge_commit_sha, expected.mergeSha);
      assert.match(mr.merged_at as string, /[+-]\d\d:\d\d$/, 'merged_at with the offset git recorded');
    }
  });

  test('each default-branch MR has exactly the commits of M^1..M^2, as git itself counts them', async () => {
    const mrs = [...mergeRequestsOf(await exported(db, 'merge_request')).values()].filter((mr) => mr.on_default_branch);
    for (const mr of mrs.filter((_, index) => index % 25 === 0)) {
      const sha = mr.merge_commit_sha as string;
      const count = Number(git(dir, ['rev-list', '--count', `${sha}^1..${sha}^2`]).trim());
      assert.equal(mr.commit_count, count, `!${mr.number}`);
    }
  });

  test('activities for the unified stream: one mr_merged per MR, one commit_authored per non-MR-merge commit', async () => {
    const [counts] = await db.query<Record<string, unknown>>(
      `SELECT count(*) FILTER (WHERE kind = 'mr_merged') AS merged,
              count(*) FILTER (WHERE kind = 'commit_authored') AS authored,
              count(*) FILTER (WHERE kind = 'mr_approved') AS approved
         FROM activities`,
    );
    assert.equal(toNumber(counts?.merged), truth.mergeRequests.length);
    assert.equal(toNumber(counts?.authored), truth.commits - truth.mergeRequests.length);
    assert.ok(toNumber(counts?.approved) > 0, 'Approved-by trailers become approvals');
    const [commits] = await db.query<{ with_mr: unknown }>('SELECT count(*) AS with_mr FROM commits WHERE merge_request_number IS NOT NULL');
    assert.ok(toNumber(commits?.with_mr) > truth.commits / 2);
  });

  test('an export of what the source wrote imports elsewhere as the same rows (ids agree with the catalogue)', async () => {
    let text = '';
    for await (const lines of exportNdjson(db, [])) text += lines;
    const copy = await openTestDatabase();
    try {
      await importNdjson(copy, Readable.from([text]));
      const [mine, theirs] = [await snapshot(db), await snapshot(copy)];
      for (const table of ['merge_requests', 'commits', 'activities', 'reviews', 'identities', 'projects']) {
        assert.equal(theirs[table], mine[table], table);
      }
      // People as the interchange carries them (bot_detected is derived again by resolution, not carried).
      const people = 'SELECT id, key, name, is_bot, merged_into FROM people ORDER BY id';
      assert.deepEqual(await copy.query(people), await db.query(people));
    } finally {
      await copy.close();
    }
  });

  test('everything is derived again from the stored commits alone, identically', async () => {
    const before = await snapshot(db);
    rmSync(dir, { recursive: true, force: true });
    const [stored] = await listSources(db);
    await rederiveGit(db, { ...stored!, config: stored!.config as { location: string } });
    const afterwards = await snapshot(db);
    for (const table of ['merge_requests', 'commits', 'activities', 'reviews', 'people', 'identities']) {
      assert.equal(afterwards[table], before[table], table);
    }
  });
});

describe(`git source syncs incrementally (${engineName})`, () => {
  test('a second sync reads only new commits; a third finds nothing; a rewritten history is read again', async () => {
    const db = await openTestDatabase();
    try {
      const dir = emptyRepository();
      let main = commit(dir, 'Initial', []);
      const mergeRequest = (number: number, title: string, base: string) => {
        const a = commit(dir, `${title} part 1`, [base], 'Bo Chen <bo@users.example>');
        const b = commit(dir, `${title} part 2`, [a], 'Bo Chen <bo@users.example>');
        return commit(dir, `Merge branch 'b${number}' into 'main'\n\n${title}\n\nSee merge request acme/widget!${number}\n`, [base, b], 'Maintainer <m@acme.example>');
      };
      for (let n = 1; n <= 5; n++) main = mergeRequest(n, `Change ${n}`, main);
      setBranch(dir, 'main', main);
      const source = await addAndSync(db, dir);
      const first = await source.sync();
      assert.equal(first.result?.stats.commits, 16);
      const beforeRewrite = main;
      for (let n = 6; n <= 40; n++) main = mergeRequest(n, `Change ${n}`, main);
      setBranch(dir, 'main', main);
      const second = await source.sync();
      assert.equal(second.result?.stats.commits, 35 * 3, 'only the new commits are read');
      assert.equal(second.result?.stats.mergeRequests, 35);
      const third = await source.sync();
      assert.equal(third.result?.stats.upToDate, true);
      let [row] = await db.query<{ n: unknown }>('SELECT count(*) AS n FROM merge_requests');
      assert.equal(toNumber(row?.n), 40);

      // Force-push: the default branch goes back to MR 5 and takes a different MR 6.
      const warnings: string[] = [];
      const rewritten = mergeRequest(6, 'Another change 6', beforeRewrite);
      setBranch(dir, 'main', rewritten);
      git(dir, ['reflog', 'expire', '--expire=now', '--all']);
      git(dir, ['gc', '--prune=now', '--quiet']);
      const source2 = { sync: source.sync };
      const fourth = await source2.sync();
      assert.equal(fourth.result?.stats.rewalked, true);
      [row] = await db.query<{ n: unknown }>('SELECT count(*) AS n FROM merge_requests');
      assert.equal(toNumber(row?.n), 6, 'MRs of the discarded history are gone');
      const [title] = await db.query<{ title: string }>('SELECT title FROM merge_requests WHERE number = 6');
      assert.equal(title?.title, 'Another change 6');
      const [commits] = await db.query<{ n: unknown }>('SELECT count(*) AS n FROM commits');
      assert.equal(toNumber(commits?.n), 19);
      void warnings;
    } finally {
      await db.close();
    }
  });
});

describe(`git source beside a forge source (${engineName})`, () => {
  test('an MR the API already wrote stays as the API has it; the history adds its commits', async () => {
    const db = await openTestDatabase();
    try {
      const dir = emptyRepository();
      const base = commit(dir, 'Initial', []);
      const work = commit(dir, 'The work', [base], 'Bo Chen <bo@users.example>');
      const main = commit(dir, "Merge branch 'fix' into 'main'\n\nFix it\n\nSee merge request !7\n", [base, work], 'Maintainer <m@acme.example>');
      setBranch(dir, 'main', main);
      await importNdjson(
        db,
        Readable.from([
          `${JSON.stringify({ type: 'project', platform: 'gitlab', path: 'acme/widget' })}\n`,
          `${JSON.stringify({ type: 'merge_request', project: 'gitlab:acme/widget', number: 7, title: 'Fix it (from the API)', state: 'merged', created_at: '2024-01-01T00:00:00Z', merged_at: '2024-01-02T00:00:00Z', origin: 'api' })}\n`,
        ]),
      );
      const source = await addAndSync(db, dir);
      const first = await source.sync();
      assert.equal(first.result?.stats.fromForge, 1);
      const rows = await db.query<{ title: string; origin: string }>('SELECT title, origin::text AS origin FROM merge_requests');
      assert.deepEqual(rows, [{ title: 'Fix it (from the API)', origin: 'api' }]);
      // The work and the merge commit arrived with the MR.
      const [linked] = await db.query<{ n: unknown }>('SELECT count(*) AS n FROM commits WHERE merge_request_number = 7');
      assert.equal(toNumber(linked?.n), 2);
      const again = await source.sync(true);
      assert.equal(again.result?.stats.fromForge, 1);
    } finally {
      await db.close();
    }
  });
});

describe(`git source across syncs: the same MR again, and a number used again (${engineName})`, () => {
  test('a later merge of a stored MR is a duplicate; another MR under a stored number is kept apart', async () => {
    const db = await openTestDatabase();
    try {
      const dir = emptyRepository();
      let main = commit(dir, 'Initial', []);
      const merge = (branch: string, number: number, title: string) => {
        const work = commit(dir, `${title}, the work`, [main], 'Bo Chen <bo@users.example>');
        main = commit(dir, `Merge branch '${branch}' into 'main'\n\n${title}\n\nSee merge request !${number}\n`, [main, work], 'Maintainer <m@acme.example>');
      };
      merge('fix-a', 3, 'Fix A');
      merge('feature-b', 4, 'Feature B');
      setBranch(dir, 'main', main);
      const source = await addAndSync(db, dir);
      await source.sync();
      merge('fix-a', 3, 'Fix A');
      merge('feature-z', 4, 'Feature Z');
      setBranch(dir, 'main', main);
      const second = await source.sync();
      assert.equal(second.result?.stats.duplicateMerges, 1);
      assert.equal(second.result?.stats.renumbered, 1);
      const rows = await db.query<{ path: string; number: number; title: string }>(
        'SELECT p.path, m.number, m.title FROM merge_requests m JOIN projects p ON p.id = m.project_id ORDER BY p.path, m.number',
      );
      assert.deepEqual(
        rows.map((r) => `${r.path}!${r.number} ${r.title}`),
        ['acme/widget!3 Fix A', 'acme/widget!4 Feature B', 'acme/widget~1!4 Feature Z'],
      );
    } finally {
      await db.close();
    }
  });
});

describe(`git source on odd repositories (${engineName})`, () => {
  test('impossible zones, Latin-1 names and messages, and missing trees are read', async () => {
    const db = await openTestDatabase();
    try {
      const dir = emptyRepository();
      const base = rawCommit(dir, {
        author: 'Old Timer <old@example.com> 1200000000 +51800',
        committer: 'Old Timer <old@example.com> 1200000000 +51800',
        message: 'First\n',
      });
      const latin1 = rawCommit(dir, {
        parents: [base],
        author: `${Buffer.from('Jos\xe9 M\xfcller', 'latin1').toString('latin1')} <jose@example.com> 1200000100 +0100`,
        committer: 'Jos <jose@example.com> 1200000100 +0100',
        message: Buffer.from('Caf\xe9 au lait\n', 'latin1'),
        // A tree that is not in the repository: the source must never need it.
        tree: '4b825dc642cb6eb9a060e54bf8d69288fbee4904'.replace('4b8', 'ab8'),
      });
      const merge = rawCommit(dir, {
        parents: [base, latin1],
        author: 'Merger <merger@example.com> 1200000200 -0700',
        committer: 'Merger <merger@example.com> 1200000200 -0700',
        message: "Merge branch 'cafe' into 'main'\n\nCaf\u00e9 support\n\nSee merge request !1\n",
      });
      // The Latin-1 author line has to be written as bytes.
      setBranch(dir, 'main', merge);
      const warnings: string[] = [];
      const source = await addAndSync(db, dir, {}, warnings);
      const outcome = await source.sync();
      assert.equal(outcome.result?.stats.commits, 3);
      const [first] = await db.query<{ authored_at: Date; authored_zone: string }>(`SELECT authored_at, authored_zone FROM commits WHERE sha = $1`, [base]);
      assert.equal(first?.authored_at.getTime(), 1200000000 * 1000, 'an impossible zone keeps the instant');
      assert.equal(first?.authored_zone, '+51800', 'and the zone as written');
      const [cafe] = await db.query<{ message: string }>(`SELECT message FROM commits WHERE sha = $1`, [latin1]);
      assert.equal(cafe?.message.trim(), 'Café au lait');
      const [mr] = await exported(db, 'merge_request');
      assert.equal(mr?.title, 'Café support');
      assert.equal(mr?.merged_at, '2008-01-10T14:23:20.000-07:00');
      assert.equal(mr?.commit_count, 1);
    } finally {
      await db.close();
    }
  });

  test('an empty repository syncs to nothing; a shallow clone works with a warning', async () => {
    const db = await openTestDatabase();
    try {
      const empty = emptyRepository();
      const none = await addAndSync(db, empty, { projectPath: 'acme/empty' });
      const outcome = await none.sync();
      assert.equal(outcome.result?.stats.commits, 0);

      const origin = emptyRepository();
      let main = commit(origin, 'one', []);
      for (let i = 0; i < 5; i++) main = commit(origin, `change ${i}`, [main]);
      setBranch(origin, 'main', main);
      const shallow = join(scratchDir(), 'shallow');
      const cloned = spawnSync('git', ['clone', '-q', '--depth', '2', `file://${origin}`, shallow]);
      assert.equal(cloned.status, 0, String(cloned.stderr));
      const warnings: string[] = [];
      const source = await addAndSync(db, shallow, { projectPath: 'acme/shallow' }, warnings);
      const synced = await source.sync();
      assert.equal(synced.result?.stats.commits, 2);
      assert.ok(warnings.some((w) => w.includes('shallow')), warnings.join('\n'));
    } finally {
      await db.close();
    }
  });

  test('a clone says where it came from: a GitHub origin makes a GitHub project, squash merges included', async () => {
    const db = await openTestDatabase();
    try {
      const dir = emptyRepository();
      git(dir, ['remote', 'add', 'origin', 'git@github.com:octo/thing.git']);
      let main = commit(dir, 'Initial', []);
      main = commit(dir, 'Add the widget (#5)\n\nCo-authored-by: Pat <pat@example.org>\n', [main], 'Ana <ana@example.org>');
      setBranch(dir, 'main', main);
      const context = { cacheDir: scratchDir(), warn: () => {} };
      const row = await addSource(db, 'git', { location: dir }, context);
      assert.equal(row.name, 'octo/thing');
      assert.deepEqual(row.config, { location: dir, platform: 'github', projectPath: 'octo/thing' });
      const [outcome] = await syncSources(db, row.name, context);
      assert.equal(outcome?.result?.stats.mergeRequests, 1);
      const [pr] = await exported(db, 'merge_request');
      assert.equal(pr?.project, 'github:octo/thing');
      assert.equal(pr?.number, 5);
      assert.equal(pr?.title, 'Add the widget');
      assert.deepEqual(((pr?.authors ?? []) as { email: string }[]).map((a) => a.email), ['ana@example.org', 'pat@example.org']);
    } finally {
      await db.close();
    }
  });

  test('a URL is mirrored without trees or blobs and read like a local repository', async () => {
    const db = await openTestDatabase();
    try {
      const origin = emptyRepository();
      let main = commit(origin, 'one', []);
      const side = commit(origin, 'Fix (#12)', [main], 'Octo <583231+octocat@users.noreply.github.com>');
      main = commit(origin, 'Merge pull request #12 from octocat/fix\n\nFix the docs\n', [main, side], 'Hubot <hubot@example.com>');
      setBranch(origin, 'main', main);
      const source = await addAndSync(db, `file://${origin}`, { projectPath: 'octo/repo', platform: 'github' });
      const outcome = await source.sync();
      assert.equal(outcome.result?.stats.commits, 3);
      const mrs = await exported(db, 'merge_request');
      const pr = mrs.find((mr) => mr.number === 12);
      assert.equal(pr?.project, 'github:octo/repo');
      assert.equal(pr?.title, 'Fix the docs');
      assert.equal(pr?.source_branch, 'octocat:fix');
      assert.deepEqual((pr?.author as { key: string } | undefined)?.key, 'github:username:octocat', 'the noreply address resolves to the login');
      const [identity] = await db.query<{ value: string }>(`SELECT value FROM identities WHERE platform = 'github' AND kind = 'username'`);
      assert.equal(identity?.value, 'octocat');
    } finally {
      await db.close();
    }
  });
});
