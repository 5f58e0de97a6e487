import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runTributary } from '../../helpers/cli.ts';
import { createTestDatabasePlace, engineName } from '../../helpers/database.ts';
import { commit, emptyRepository, rawCommit, setBranch } from '../../helpers/git.ts';

describe(`tributary sources and sync (${engineName})`, () => {
  let place: Awaited<ReturnType<typeof createTestDatabasePlace>>;
  before(async () => {
    place = await createTestDatabasePlace();
  });
  after(async () => {
    await place.remove();
  });

  test('add a repository, sync it, sync again, export its merge requests', async () => {
    const dir = emptyRepository();
    let main = commit(dir, 'Initial', []);
    const work = commit(dir, 'Add the thing', [main], 'Jo Doe <jo@example.org>');
    // Since 2025 GitLab commits merges as a service address; the merger is the author and the trailer.
    main = rawCommit(dir, {
      parents: [main, work],
      author: 'Max Maintainer <max@acme.example> 1700000000 +0530',
      committer: 'GitLab <noreply@gitlab.com> 1700000000 +0530',
      message: "Merge branch 'thing' into 'main'\n\nAdd the thing\n\nSee merge request acme/widget!7\n\nMerged-by: Max Maintainer <max@acme.example>\n",
    });
    setBranch(dir, 'main', main);

    const added = await runTributary(['sources', 'add', 'git', dir, '--project-path', 'acme/widget', '--json'], place.env);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(JSON.parse(added.stdout).name, 'acme/widget');
    const again = await runTributary(['sources', 'add', 'git', dir, '--project-path', 'acme/widget'], place.env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
    const missing = await runTributary(['sources', 'add', 'git', `${dir}-nowhere`], place.env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /location: no such directory/);

    const synced = await runTributary(['sync'], place.env);
    assert.equal(synced.code, 0, synced.stderr);
    assert.match(synced.stdout, /acme\/widget: 3 commits, 1 merges, 1 merge requests, 3 new people in \d+\.\d s/);
    const upToDate = await runTributary(['sync', 'acme/widget'], place.env);
    assert.match(upToDate.stdout, /acme\/widget: up to date/);
    const unknown = await runTributary(['sync', 'nope'], place.env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no source named "nope"/);

    const listed = await runTributary(['sources', 'list', '--json'], place.env);
    assert.equal(JSON.parse(listed.stdout)[0].lastError, null);

    const exported = await runTributary(['export', '--type', 'merge_request'], place.env);
    assert.equal(exported.code, 0, exported.stderr);
    const [mr] = exported.stdout.trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(mr.project, 'gitlab:acme/widget');
    assert.equal(mr.number, 7);
    assert.equal(mr.title, 'Add the thing');
    assert.match(mr.merged_at, /\+05:30$/);
    assert.deepEqual(mr.merged_by, { key: 'git:email:max@acme.example', name: 'Max Maintainer', email: 'max@acme.example' });
    assert.deepEqual(mr.authors, [{ name: 'Jo Doe', email: 'jo@example.org' }]);
    assert.equal(mr.commit_count, 1);
    assert.equal(mr.on_default_branch, true);
    assert.equal(mr.source_branch, 'thing');
    assert.equal(mr.target_branch, 'main');
  });
});
