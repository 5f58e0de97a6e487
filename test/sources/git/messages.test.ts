import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isServiceAddress, loginFromNoreply, parseMessage, parseTrailers } from '../../../src/sources/git/messages.ts';

describe('merge messages', () => {
  test('GitLab, project-relative reference (before ~2017)', () => {
    const parsed = parseMessage("Merge branch 'fix-post-receive' into 'master'\n\nReturn true from hook\n\nCloses #69\n\nSee merge request !62", true, null);
    assert.deepEqual(parsed.reference, {
      platform: 'gitlab',
      projectPath: null,
      number: 62,
      form: 'gitlab-short',
      title: 'Return true from hook',
      sourceBranch: 'fix-post-receive',
      targetBranch: 'master',
      sourceOwner: null,
    });
  });

  test('GitLab, path reference, including another project (a security mirror)', () => {
    const own = parseMessage("Merge branch 'a' into 'main'\n\nTitle\n\nSee merge request gitlab-org/gitlab-shell!458\n", true, null);
    assert.equal(own.reference?.projectPath, 'gitlab-org/gitlab-shell');
    assert.equal(own.reference?.number, 458);
    assert.equal(own.reference?.form, 'gitlab-path');
    const security = parseMessage("Merge branch 'security-x' into 'main'\n\nFix\n\nSee merge request gitlab-org/security/gitlab-shell!7\n", true, null);
    assert.equal(security.reference?.projectPath, 'gitlab-org/security/gitlab-shell');
  });

  test('GitLab, URL reference, with and without /-/', () => {
    const url = parseMessage(
      "Merge branch 'x' into 'main'\n\nTitle\n\nSee merge request https://gitlab.com/gitlab-org/gitlab-runner/-/merge_requests/7150\n",
      true,
      null,
    );
    assert.equal(url.reference?.projectPath, 'gitlab-org/gitlab-runner');
    assert.equal(url.reference?.number, 7150);
    assert.equal(url.reference?.form, 'gitlab-url');
    const old = parseMessage("Merge branch 'x' into 'main'\n\nT\n\nSee merge request https://gitlab.example.com/a/b/merge_requests/12", true, null);
    assert.equal(old.reference?.projectPath, 'a/b');
    assert.equal(old.reference?.number, 12);
  });

  test('GitLab older subjects: no `into`, `of URL`, leading space, remote-tracking', () => {
    const noInto = parseMessage("Merge branch 'feature'\n\nT\n\nSee merge request !3", true, null);
    assert.equal(noInto.reference?.sourceBranch, 'feature');
    assert.equal(noInto.reference?.targetBranch, null);
    const ofUrl = parseMessage("Merge branch 'master' of github.com:gitlabhq/gitlab-shell into fix\n\nT\n\nSee merge request !4", true, null);
    assert.equal(ofUrl.reference?.sourceBranch, 'master');
    assert.equal(ofUrl.reference?.targetBranch, 'fix');
    const spaced = parseMessage(" Merge branch 'fix_changelog' into 'master'\n\nFix\n\nSee merge request !5", true, null);
    assert.equal(spaced.reference?.sourceBranch, 'fix_changelog');
    assert.equal(spaced.reference?.title, 'Fix');
  });

  test('a merge without `See merge request` is not an MR; nor is a non-merge commit that quotes one', () => {
    assert.equal(parseMessage("Merge branch 'main' into feature", true, null).reference, null);
    assert.equal(parseMessage('Revert\n\nSee merge request !9', false, null).reference, null);
  });

  test('a conventional-commit title is a title, not a trailer', () => {
    const parsed = parseMessage("Merge branch 'x' into 'main'\n\nlint: Gitaly version linter\n\nSee merge request !8", true, null);
    assert.equal(parsed.reference?.title, 'lint: Gitaly version linter');
  });

  test('the title falls back to the subject when the body has none', () => {
    const parsed = parseMessage("Merge branch 'x' into 'main'\n\nSee merge request !8", true, null);
    assert.equal(parsed.reference?.title, "Merge branch 'x' into 'main'");
  });

  test('trailers since ~2022: Merged-by, Approved-by, Reviewed-by, Co-authored-by (any case)', () => {
    const message = [
      "Merge branch 'x' into 'main'",
      '',
      'Title',
      '',
      'See merge request https://gitlab.com/g/p/-/merge_requests/1531',
      '',
      'Merged-by: Igor Drozdov <idrozdov@gitlab.com>',
      'Approved-by: James Liu <jliu@gitlab.com>',
      'Approved-by: Igor Drozdov <idrozdov@gitlab.com>',
      'Reviewed-by: GitLab Duo <gitlab-duo@gitlab.com>',
      'Co-Authored-By: Jason Plum <jplum@gitlab.com>',
      'Changelog: fixed',
    ].join('\n');
    const { trailers } = parseMessage(message, true, null);
    assert.deepEqual(trailers.mergedBy, [{ name: 'Igor Drozdov', email: 'idrozdov@gitlab.com' }]);
    assert.deepEqual(
      trailers.approvedBy.map((s) => s.email),
      ['jliu@gitlab.com', 'idrozdov@gitlab.com'],
    );
    assert.deepEqual(trailers.reviewedBy, [{ name: 'GitLab Duo', email: 'gitlab-duo@gitlab.com' }]);
    assert.deepEqual(trailers.coAuthoredBy, [{ name: 'Jason Plum', email: 'jplum@gitlab.com' }]);
  });

  test('trailer-like lines outside the last paragraph are not trailers', () => {
    const trailers = parseTrailers('Subject\n\nCo-authored-by: Someone <a@b.c>\n\nJust text at the end.');
    assert.deepEqual(trailers.coAuthoredBy, []);
  });

  test('GitHub merge commit: number, fork owner and branch, title from the body', () => {
    const parsed = parseMessage('Merge pull request #244 from glensc/patch-1\n\nUpdate README.md\n', true, null);
    assert.deepEqual(parsed.reference, {
      platform: 'github',
      projectPath: null,
      number: 244,
      form: 'github-merge',
      title: 'Update README.md',
      sourceBranch: 'patch-1',
      targetBranch: null,
      sourceOwner: 'glensc',
    });
  });

  test('GitHub squash merges end with (#N), on GitHub only (on GitLab that names an issue)', () => {
    const squash = parseMessage('Fix the thing (#123)\n\nCo-authored-by: A <a@example.com>', false, 'github');
    assert.equal(squash.reference?.number, 123);
    assert.equal(squash.reference?.title, 'Fix the thing');
    assert.equal(squash.reference?.form, 'github-squash');
    assert.equal(parseMessage('fix: ci trigger (#7462)', false, null).reference, null);
  });

  test('noreply addresses carry the login; service addresses are recognised', () => {
    assert.deepEqual(loginFromNoreply('14844365+zemzale@users.noreply.github.com'), { platform: 'github', login: 'zemzale', userId: '14844365' });
    assert.deepEqual(loginFromNoreply('octocat@users.noreply.github.com'), { platform: 'github', login: 'octocat', userId: null });
    assert.deepEqual(loginFromNoreply('49699333+dependabot[bot]@users.noreply.github.com'), {
      platform: 'github',
      login: 'dependabot[bot]',
      userId: '49699333',
    });
    assert.deepEqual(loginFromNoreply('1234-jdoe@users.noreply.gitlab.com'), { platform: 'gitlab', login: 'jdoe', userId: null });
    assert.equal(loginFromNoreply('jane@example.com'), null);
    assert.ok(isServiceAddress('noreply@github.com'));
    assert.ok(isServiceAddress('noreply@gitlab.com'));
    assert.ok(!isServiceAddress('someone@gitlab.com'));
  });
});
