import { defineKpi, inOrganisation, inPopulation, inProjects, instantInPeriod, periodsRelation, pointsFrom, Query, rounded, toNumber, withinPeriod } from '../kpi.ts';
import { explanation, mergeRequestRows, } from './explain-helpers.ts';

// Hours from ready to the first team response; a team note on the draft counts as an immediate review.
// (greatest() ignores nulls, so an unanswered MR is kept null explicitly.)
const waitHours = `CASE WHEN f.first_team_review_at IS NOT NULL THEN greatest(0, date_part('epoch', f.first_team_review_at - f.ready_at) / 3600) END`;

/** Time to first review: how long community MRs wait for a team member once ready for review. */
export const timeToFirstReview = defineKpi({
  id: 'time-to-first-review',
  title: 'Time to first review',
  definition:
    'Over the community merge requests that became ready for review in the period (opened as non-draft, or marked ready), the median of (first review, approval or note by a team member − ready for review), in hours.',
  source: {
    name: 'GitLab handbook',
    url: 'https://handbook.gitlab.com/handbook/engineering/quality/performance-indicators/',
    choices:
      'MRs are grouped by the day they became ready, so a period is judged on the MRs it received. MRs that got no team response (yet) are left out of the median but counted in the breakdown (unreviewed) and listed in the explanation. A team response before the MR was ready (a note on the draft) counts as 0 hours. Responses by the author (as a canonical person) and bots do not count.',
  },
  unit: 'hours',
  grains: ['week', 'month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['community', 'team', 'all'],
  needs: ['merge requests', 'responses'],
  higherIsBetter: false,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const rows = await context.session.query<{ key: string; median: unknown; reviewed: unknown; unreviewed: unknown }>(
      `SELECT p.key, percentile_cont(0.5) WITHIN GROUP (ORDER BY ${waitHours}) AS median,
              count(f.first_team_review_at) AS reviewed, count(*) FILTER (WHERE f.first_team_review_at IS NULL) AS unreviewed
         FROM ${periodsRelation(f.periods)} p
         JOIN ${context.relations.mergeRequests} f ON ${instantInPeriod(f, 'f.ready_at')}
        WHERE ${inProjects(q, f, 'f')} AND ${inPopulation(f, 'f')} AND ${inOrganisation(q, f, 'f')}
        GROUP BY p.key`,
      q.params,
    );
    return pointsFrom(f.periods, rows, (row) => {
      const reviewed = toNumber(row?.reviewed);
      return { value: rounded(row?.median), values: { reviewed, unreviewed: toNumber(row?.unreviewed) }, basis: reviewed };
    });
  },
  async explain(context, period) {
    const rows = await mergeRequestRows(
      context,
      period,
      () => withinPeriod('f.ready_at'),
      { ready_at: 'f.ready_at', first_team_review_at: 'f.first_team_review_at', hours: `round((${waitHours})::numeric, 2)` },
      { order: 'f.ready_at, pr.path, m.number' },
    );
    const reviewed = rows.filter((r) => r.first_team_review_at !== null).length;
    return explanation(
      `${rows.length} merge requests became ready for review in ${period.key}; the value is the median of hours over the ${reviewed} with a team response`,
      rows,
    );
  },
});
