import { defineKpi, pointsFrom, Query, toNumber } from '../kpi.ts';
import { explanation } from './explain-helpers.ts';
import { firstMergeRows, firstMergesSql } from './first-merges.ts';

/** Returning vs new contributors: of the people with a merge request merged in the period, who had merged before. */
export const returningContributors = defineKpi({
  id: 'returning-contributors',
  title: 'Returning vs new contributors',
  definition:
    'Of the wider-community people with a merge request merged in the period: new when their first-ever merged MR in the chosen projects falls in the period, returning when they had one merged before the period began. The value is the returning count; new + returning is the number of distinct contributors (UWCC).',
  source: {
    name: 'GitLab handbook',
    url: 'https://handbook.gitlab.com/handbook/marketing/developer-relations/contributor-success/',
    choices:
      '"Before" is over all history in the chosen projects and counts merged MRs of any class but bot (a former team member is returning). For quarters and years, returning means merged before the quarter or year began.',
  },
  unit: 'people',
  grains: ['month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['community', 'team', 'all'],
  needs: ['merge requests'],
  higherIsBetter: true,
  async series(context) {
    const q = new Query();
    const rows = await context.session.query<{ key: string; new: unknown; returning: unknown }>(
      `SELECT fm.key, count(*) FILTER (WHERE fm.new) AS new, count(*) FILTER (WHERE NOT fm.new) AS returning
         FROM (${firstMergesSql(context, q)}) fm GROUP BY fm.key`,
      q.params,
    );
    return pointsFrom(context.filters.periods, rows, (row) => {
      const values = { new: toNumber(row?.new), returning: toNumber(row?.returning) };
      return { value: values.returning, values, basis: values.new + values.returning };
    });
  },
  async explain(context, period) {
    const rows = await firstMergeRows(context, period, new Query(), 'all');
    const returning = rows.filter((r) => r.status === 'returning').length;
    return explanation(`${rows.length} people had merge requests merged in ${period.key}: ${returning} returning, ${rows.length - returning} new`, rows);
  },
});
