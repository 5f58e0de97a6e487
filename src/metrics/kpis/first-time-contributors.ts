import { defineKpi, pointsFrom, Query, toNumber } from '../kpi.ts';
import { explanation } from './explain-helpers.ts';
import { firstMergeRows, firstMergesSql } from './first-merges.ts';

/** First-time contributors: people whose first-ever merged merge request falls in the period. */
export const firstTimeContributors = defineKpi({
  id: 'first-time-contributors',
  title: 'First-time contributors',
  definition:
    'Wider-community people who had a merge request merged in the period and whose first-ever merged MR in the chosen projects (over all history, not only the range shown) falls in the period. A person counts once however many identities they used.',
  source: {
    name: 'GitLab handbook',
    url: 'https://handbook.gitlab.com/handbook/marketing/developer-relations/contributor-success/',
    choices:
      'Computed from merge history, not from the `1st contribution` label. First-ever counts merged MRs of any class but bot, so a former team member contributing as wider community is not new. The organisation filter applies to the MRs merged in the period, not to the first one. Equals the "new" part of returning-contributors.',
  },
  unit: 'people',
  grains: ['month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['community', 'team', 'all'],
  needs: ['merge requests'],
  higherIsBetter: true,
  async series(context) {
    const q = new Query();
    const rows = await context.session.query<{ key: string; people: unknown }>(
      `SELECT fm.key, count(*) AS people FROM (${firstMergesSql(context, q)}) fm WHERE fm.new GROUP BY fm.key`,
      q.params,
    );
    return pointsFrom(context.filters.periods, rows, (row) => ({ value: toNumber(row?.people) }));
  },
  async explain(context, period) {
    const rows = await firstMergeRows(context, period, new Query(), 'new');
    return explanation(`${rows.length} people had their first-ever merged merge request in ${period.key}`, rows);
  },
});
