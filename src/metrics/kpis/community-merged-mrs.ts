import { defineKpi, inOrganisation, inPopulation, inProjects, monthInPeriod, periodsRelation, pointsFrom, Query, toNumber, withinPeriod, withinSpan } from '../kpi.ts';
import { explanation, mergeRequestRows, } from './explain-helpers.ts';

/** Community merged MRs per month: how many community merge requests were merged in the period. */
export const communityMergedMrs = defineKpi({
  id: 'community-merged-mrs',
  title: 'Community merged MRs',
  definition: 'Community merge requests merged in the period: MRs whose author was wider community (neither team nor bot) when the MR was opened.',
  source: {
    name: 'GitLab handbook',
    url: 'https://handbook.gitlab.com/handbook/marketing/developer-relations/contributor-success/',
    choices: 'Computed from people data, not from the `Community contribution` label (the explanation shows whether the label was set).',
  },
  unit: 'merge requests',
  grains: ['month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['community', 'team', 'all'],
  needs: ['merge requests'],
  higherIsBetter: true,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const rows = await context.session.query<{ key: string; merged: unknown }>(
      `SELECT p.key, sum(am.merged) AS merged
         FROM ${periodsRelation(f.periods)} p
         JOIN ${context.relations.authorMonths} am ON ${monthInPeriod(f, 'am.month')}
        WHERE ${withinSpan(f.periods, 'am.month', 'month')} AND am.merged > 0 AND ${inProjects(q, f, 'am')} AND ${inPopulation(f, 'am')} AND ${inOrganisation(q, f, 'am')}
        GROUP BY p.key`,
      q.params,
    );
    return pointsFrom(f.periods, rows, (row) => ({ value: toNumber(row?.merged) }));
  },
  async explain(context, period) {
    const rows = await mergeRequestRows(context, period, () => withinPeriod('f.merged_at'), { labelled_community: 'f.labelled_community' });
    return explanation(`${rows.length} merge requests merged in ${period.key}`, rows);
  },
});
