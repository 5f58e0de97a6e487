import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { refreshRollups } from '../../src/metrics/rollups.ts';
import { runKpi } from '../../src/metrics/run.ts';
import { acceptSuggestions, importGitlabTeam, resolveIdentities } from '../../src/people/index.ts';
import { engineName, openTestDatabase, sharedPath } from '../helpers/database.ts';
import { addAndSync, sharedHistory } from '../helpers/git.ts';

/**
 * The KPIs on a real history: the gitlab-shell history read by the git source, GitLab's roster of
 * November 2022, identity resolution with suggestions accepted from 0.7 (as test/people does).
 * The monthly values are printed so they can be compared with independent computations.
 */
const shell = sharedHistory('gitlab-shell');
const roster = sharedPath('fixtures/roster/gitlab-team-2022-11.ndjson.gz');

describe(`KPIs on the shared gitlab-shell history with the shared roster (${engineName})`, { skip: shell.skip || roster.skip }, () => {
  test('monthly UWCC, first-time contributors and community %, and their invariants', async () => {
    const db = await openTestDatabase();
    try {
      {
        await (await addAndSync(db, shell.dir as string, { projectPath: 'gitlab-org/gitlab-shell', githubPath: 'gitlabhq/gitlab-shell' })).sync();
        await importGitlabTeam(db, gunzipSync(readFileSync(roster.path as string)).toString('utf8'), { asOf: '2022-11-30' });
        await resolveIdentities(db);
        await acceptSuggestions(db, { minScore: 0.7 });
        await refreshRollups(db);
        const [span] = await db.query<{ first: string; last: string }>(
          `SELECT to_char(min(merged_at) AT TIME ZONE 'UTC', 'YYYY-MM') AS first, to_char(max(merged_at) AT TIME ZONE 'UTC', 'YYYY-MM') AS last FROM merge_requests`,
        );
        const range = { from: span?.first, to: span?.last };
        const uwcc = await runKpi(db, 'uwcc', range);
        const firstTime = await runKpi(db, 'first-time-contributors', range);
        const percentage = await runKpi(db, 'community-mr-percentage', range);
        const merged = await runKpi(db, 'community-merged-mrs', range);
        const all = await runKpi(db, 'community-merged-mrs', { ...range, population: 'all' });
        for (const result of [uwcc, firstTime, percentage, merged, all]) assert.ok(result.available, `${result.kpi}: ${result.reason}`);
        const lines = uwcc.points.map((point, index) => {
          const community = merged.points[index]?.value ?? 0;
          const total = all.points[index]?.value ?? 0;
          const first = firstTime.points[index]?.value ?? 0;
          const share = percentage.points[index]?.value;
          assert.ok((point.value ?? 0) <= community, `${point.period}: more contributors than MRs`);
          assert.ok(first <= (point.value ?? 0), `${point.period}: more first-time contributors than contributors`);
          assert.ok(community <= total);
          assert.equal(share, total === 0 ? null : Math.round((community / total) * 10000) / 100, `${point.period}: community %`);
          return `${point.period}  ${String(point.value).padStart(4)}  ${String(first).padStart(10)}  ${String(share ?? '–').padStart(11)}  ${String(community).padStart(13)}  ${String(total).padStart(7)}`;
        });
        console.log(
          `gitlab-shell (${uwcc.projects.join(', ')}), ${range.from} … ${range.to}\n` +
            `month    UWCC  first-time  community %  community MRs  all MRs\n${lines.join('\n')}`,
        );
        // Everyone who ever contributed as community is a first-time contributor exactly once.
        const [everyone] = await db.query<{ people: unknown }>(
          `SELECT count(DISTINCT canonical_id) AS people FROM kpi_merge_requests WHERE class = 'community' AND merged_at IS NOT NULL`,
        );
        const firstTimers = firstTime.points.reduce((sum, p) => sum + (p.value ?? 0), 0);
        assert.ok(firstTimers <= Number(everyone?.people), `${firstTimers} first-time contributors, ${everyone?.people} community authors`);
        const totalCommunity = merged.points.reduce((sum, p) => sum + (p.value ?? 0), 0);
        assert.ok(totalCommunity > 0 && totalCommunity < 1340, `community merged MRs in all: ${totalCommunity}`);
      }
    } finally {
      await db.close();
    }
  });
});
