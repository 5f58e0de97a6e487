import { defineKpi, inOrganisation, inPopulation, inProjects, pointsFrom, Query, toNumber } from '../kpi.ts';
import { explanation, mergeRequestRows } from './explain-helpers.ts';

/** Community merged MRs per release: community merge requests merged whose milestone is the release. */
export const communityMergedMrsPerRelease = defineKpi({
  id: 'community-merged-mrs-per-release',
  title: 'Community merged MRs per release',
  definition:
    "Community merge requests merged whose milestone is the release. A merged MR without a milestone gets the milestone (of its project or one of the project's groups) whose start and due dates contain the day it was merged.",
  source: {
    name: 'GitLab handbook',
    url: 'https://handbook.gitlab.com/handbook/marketing/developer-relations/contributor-success/',
    choices:
      'A release is every milestone of the chosen projects with that title (project and group milestones together), listed by due date. An MR counts for its milestone whenever it was merged, even after the due date. Where several milestones contain the merge day, the one due first is inferred. The explanation marks inferred milestones.',
  },
  unit: 'merge requests',
  grains: ['release'],
  defaultGrain: 'release',
  populations: ['community', 'team', 'all'],
  needs: ['merge requests', 'milestones'],
  higherIsBetter: true,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const releases = f.periods.flatMap((p) => (p.milestoneIds ?? []).map((id) => ({ key: p.key, id: id.toString() })));
    const rows = await context.session.query<{ key: string; merged: unknown; inferred: unknown }>(
      `SELECT r.key, count(*) AS merged, count(*) FILTER (WHERE f.milestone_inferred) AS inferred
         FROM unnest(${q.param(releases.map((r) => r.key))}::text[], ${q.param(releases.map((r) => r.id))}::int8[]) AS r(key, milestone_id)
         JOIN ${context.relations.mergeRequests} f ON f.milestone_id = r.milestone_id
        -- The milestones as an index condition too: joined alone, the planner reads every MR.
        WHERE f.milestone_id = ANY(${q.param(releases.map((r) => r.id))}::int8[]) AND f.merged_at IS NOT NULL AND ${inProjects(q, f, 'f')} AND ${inPopulation(f, 'f')} AND ${inOrganisation(q, f, 'f')}
        GROUP BY r.key`,
      q.params,
    );
    return pointsFrom(f.periods, rows, (row) => {
      const merged = toNumber(row?.merged);
      const inferred = toNumber(row?.inferred);
      return { value: merged, values: { milestoneSet: merged - inferred, milestoneInferred: inferred } };
    });
  },
  async explain(context, period) {
    const rows = await mergeRequestRows(
      context,
      period,
      (q) => `f.merged_at IS NOT NULL AND f.milestone_id = ANY(${q.ids(period.milestoneIds ?? [])})`,
      { milestone: '(SELECT ms.scope || \' \' || ms.title FROM milestones ms WHERE ms.id = f.milestone_id)', milestone_inferred: 'f.milestone_inferred' },
    );
    const inferred = rows.filter((r) => r.milestone_inferred === true).length;
    return explanation(`${rows.length} merge requests merged with milestone ${period.key} (${inferred} of them inferred from the merge day)`, rows);
  },
});
