import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exportNdjson } from '../../../src/interchange/export.ts';
import { engineName, openTestDatabase } from '../../helpers/database.ts';
import { addAndSync, git, sharedHistory } from '../../helpers/git.ts';

/**
 * The real GitLab histories in ../shared. The expectations come from reading every merge message
 * here with plain regular expressions, independently of the source's parser.
 */
interface Expected {
  sha: string;
  project: string;
  number: number;
  title: string;
  merger: string;
  coAuthors: string[];
}

function mergesStatingMergeRequests(dir: string, project: string, githubProject: string): Expected[] {
  const log = git(dir, ['log', '--merges', '-z', '--format=%H%x1f%ae%x1f%ce%x1f%B', 'main']);
  const expected: Expected[] = [];
  for (const record of log.split('\0').filter(Boolean)) {
    const [sha, authorEmail, committerEmail, message] = record.split('\x1f') as [string, string, string, string];
    const lines = message.split('\n');
    const body = lines.slice(1).map((l) => l.trim());
    // A message with no body has only its subject to name the MR.
    const title = body.find((l) => l !== '') ?? (lines[0] as string).trim();
    const mergedBy = /^Merged-by: .*<(.+)>$/m.exec(message)?.[1];
    const merger = mergedBy ?? (/noreply@git(hub|lab)\.com/.test(committerEmail) ? authorEmail : committerEmail);
    const coAuthors = [...message.matchAll(/^Co-authored-by: .*<(.+)>$/gim)].map((m) => (m[1] as string).toLowerCase());
    let match = /^See merge request (?:https:\/\/gitlab\.com\/(.+)\/-\/merge_requests\/(\d+)|([\w./-]+)!(\d+)|!(\d+))$/m.exec(message);
    if (match) {
      const path = match[1] ?? match[3];
      const number = Number(match[2] ?? match[4] ?? match[5]);
      expected.push({ sha, project: path ? `gitlab:${path}` : project, number, title, merger, coAuthors });
      continue;
    }
    match = /^Merge pull request #(\d+) from /.exec(lines[0] ?? '');
    if (match) expected.push({ sha, project: githubProject, number: Number(match[1]), title, merger, coAuthors });
  }
  return expected;
}

for (const [name, path, githubPath, statedMerges] of [
  ['gitlab-shell', 'gitlab-org/gitlab-shell', 'gitlabhq/gitlab-shell', 1341],
  ['cli', 'gitlab-org/cli', 'profclems/glab', 1260 + 387],
] as const) {
  const history = sharedHistory(name);
  describe(`the shared ${name} history (${engineName})`, { skip: history.skip }, () => {
    test(`its ${statedMerges} merges that state an MR come out with numbers, titles, mergers and authors as stated`, async () => {
      const dir = history.dir as string;
      const db = await openTestDatabase();
      try {
        const source = await addAndSync(db, dir, { projectPath: path, githubPath });
        const outcome = await source.sync();
        const expected = mergesStatingMergeRequests(dir, `gitlab:${path}`, `github:${githubPath}`);
        assert.equal(expected.length, statedMerges, 'merges stating an MR, by the independent reading');

        let text = '';
        for await (const lines of exportNdjson(db, ['merge_request'])) text += lines;
        const exported = text
          .trim()
          .split('\n')
          // biome-ignore lint/suspicious/noExplicitAny: exported records are read field by field below.
          .map((line) => JSON.parse(line) as Record<string, any>);
        const bySha = new Map(exported.map((mr) => [mr.merge_commit_sha as string, mr]));
        let duplicates = 0;
        let renumbered = 0;
        let coAuthorsAgree = 0;
        let coAuthorsStated = 0;
        for (const merge of expected) {
          const mr = bySha.get(merge.sha);
          if (!mr) {
            // The same MR merged twice: the other merge of the same number and title stands for it.
            const same = exported.find((m) => m.project === merge.project && m.number === merge.number && m.title === merge.title);
            assert.ok(same, `merge ${merge.sha} (${merge.project}!${merge.number}) has no MR`);
            duplicates++;
            continue;
          }
          assert.equal(mr.number, merge.number, merge.sha);
          assert.equal(mr.title, merge.title, merge.sha);
          assert.equal(mr.merged_by.email.toLowerCase(), merge.merger.toLowerCase(), `merger of ${merge.sha}`);
          if (mr.project !== merge.project) {
            assert.match(mr.project, new RegExp(`^${merge.project.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}~\\d+$`), merge.sha);
            renumbered++;
          }
          assert.match(mr.merged_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000[+-]\d\d:\d\d$/);
          if (merge.coAuthors.length > 0) {
            coAuthorsStated++;
            const authors = new Set(((mr.authors ?? []) as { email: string }[]).map((a) => a.email.toLowerCase()));
            if (merge.coAuthors.every((email) => authors.has(email))) coAuthorsAgree++;
          }
        }
        console.log(
          `${name}: ${expected.length} merges stating an MR → ${outcome.result?.stats.mergeRequests} MRs ` +
            `(${duplicates} merged twice, ${renumbered} under an earlier numbering); ` +
            `Co-authored-by trailers agree with the commits' authors in ${coAuthorsAgree} of ${coAuthorsStated}`,
        );
        assert.equal(exported.length, expected.length - duplicates);
        assert.equal(coAuthorsAgree, coAuthorsStated, 'every Co-authored-by of a merge message is among its MR authors');

        // Exactness on the default branch: commit counts and authors equal git's own M^1..M^2 (one in ten checked).
        const mainline = exported.filter((mr) => mr.on_default_branch && mr.merge_commit_sha).filter((_, i) => i % 10 === 0);
        for (const mr of mainline) {
          const sha = mr.merge_commit_sha as string;
          const count = Number(git(dir, ['rev-list', '--count', `${sha}^1..${sha}^2`]).trim());
          assert.equal(mr.commit_count, count, `${mr.project}!${mr.number}`);
          // Merge commits inside the range record who merged, not who wrote: the authors are the others'.
          const emails = git(dir, ['log', '--no-merges', '--format=%ae', `${sha}^1..${sha}^2`]).split('\n').filter(Boolean);
          const authors = new Set(((mr.authors ?? []) as { email: string }[]).map((a) => a.email.toLowerCase()));
          for (const email of emails) assert.ok(authors.has(email.toLowerCase()), `${email} authored a commit of ${mr.project}!${mr.number}`);
        }
      } finally {
        await db.close();
      }
    });
  });
}
