import { defineKpi, pointsEach, Query, toNumber } from '../kpi.ts';
import { explanation, mergeRequestRows } from './explain-helpers.ts';
import { openAt, openCounts, openSpansSql } from './open-merge-requests.ts';

/** Community MR backlog: how many community merge requests are open at the end of each period. */
export const communityMrBacklog = defineKpi({
  id: 'community-mr-backlog',
  title: 'Community MR backlog',
  definition: 'The number of community merge requests open at the end of the period (its last day, UTC): opened before then and not yet merged or closed.',
  source: {
    name: 'GitLab handbook',
    url: 'https://handbook.gitlab.com/handbook/engineering/quality/performance-indicators/',
    choices:
      'Measured at the end of each period, like OCMA, whose population it counts. Drafts count (they are open). An MR closed without a recorded date is left out, not counted as open forever.',
  },
  unit: 'merge requests',
  grains: ['day', 'week', 'month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['community', 'team', 'all'],
  needs: ['merge requests', 'open dates'],
  higherIsBetter: false,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const groups = await context.session.query<{ opened_before: unknown; open_through: unknown; n: unknown }>(
      `SELECT s.opened_before, s.open_through, count(*) AS n FROM (${openSpansSql(context, q)}) s GROUP BY 1, 2`,
      q.params,
    );
    const counts = openCounts(
      f.periods,
      groups.map((g) => ({ opened_before: toNumber(g.opened_before), open_through: toNumber(g.open_through), n: toNumber(g.n) })),
    );
    return pointsEach(f.periods, (_period, index) => ({ value: counts[index] ?? 0 }));
  },
  async explain(context, period) {
    const rows = await mergeRequestRows(
      context,
      period,
      () => openAt('p.end_at'),
      { age_days: `round((extract(epoch FROM p.end_at - f.created_at) / 86400)::numeric, 2)` },
      { order: 'f.created_at, pr.path, m.number' },
    );
    return explanation(`${rows.length} merge requests were open at the end of ${period.end} (exclusive end of ${period.key})`, rows);
  },
});
