import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { acceptSuggestions, classifyMergedMergeRequests, detectBots, importGitlabTeam, resolveIdentities } from '../../src/people/index.ts';
import { engineName, openTestDatabase, sharedPath } from '../helpers/database.ts';
import { addAndSync, sharedHistory } from '../helpers/git.ts';

/**
 * The acceptance check of People on real data: the gitlab-shell and cli histories read by the git
 * source, GitLab's team roster of November 2022, identity resolution, and the one classification.
 */
const shell = sharedHistory('gitlab-shell');
const cli = sharedHistory('cli');
const roster = sharedPath('fixtures/roster/gitlab-team-2022-11.ndjson.gz');
const skip = shell.skip || cli.skip || roster.skip;

describe(`people on the shared histories with the shared roster (${engineName})`, { skip }, () => {
  test('team MRs without a team-domain author e-mail are counted, and no bot counts as community', async () => {
    const db = await openTestDatabase();
    try {
      await (await addAndSync(db, shell.dir as string, { projectPath: 'gitlab-org/gitlab-shell', githubPath: 'gitlabhq/gitlab-shell' })).sync();
      await (await addAndSync(db, cli.dir as string, { projectPath: 'gitlab-org/cli', githubPath: 'profclems/glab' })).sync();
      await importGitlabTeam(db, gunzipSync(readFileSync(roster.path as string)).toString('utf8'), { asOf: '2022-11-30' });
      const resolved = await resolveIdentities(db);
      // Roster names and usernames are probable links only: accepted here from 0.7 up, as a team would
      // after review (a name shared by two accounts links nobody).
      const accepted = await acceptSuggestions(db, { minScore: 0.7 });
      await detectBots(db);
      const counts = await classifyMergedMergeRequests(db, { teamDomains: ['gitlab.com'] });
      console.log(
        `merged MRs: ${counts.mergeRequests} (team ${counts.team}, community ${counts.community}, bot ${counts.bot}, ` +
          `no author ${counts.withoutAuthor}); team although no author e-mail is at gitlab.com: ${counts.teamWithoutTeamDomainEmail}; ` +
          `bots counted as community: ${counts.botsCountedAsCommunity}; ` +
          `authors team ${counts.authors.team}, community ${counts.authors.community}, bot ${counts.authors.bot}; ` +
          `resolution linked ${JSON.stringify(resolved.links)}, suggestions accepted ${accepted.accepted}`,
      );
      assert.equal(counts.mergeRequests, 1340 + 1647);
      assert.equal(counts.team + counts.community + counts.bot + counts.withoutAuthor, counts.mergeRequests);
      assert.ok(counts.teamWithoutTeamDomainEmail > 0, 'team members who commit with personal addresses are still team');
      assert.equal(counts.botsCountedAsCommunity, 0);
      assert.ok(counts.bot > 0, 'renovate and other bots author MRs in these projects');
      assert.ok(counts.community > 0);
    } finally {
      await db.close();
    }
  });
});
