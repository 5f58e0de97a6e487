import { z } from 'zod';
import { defineKpi, inOrganisation, inPopulation, inProjects, monthInPeriod, periodsRelation, pointsFrom, Query, rounded, toNumber, withinPeriod } from '../kpi.ts';
import { explanation, mergeRequestRows, } from './explain-helpers.ts';

const parameters = z.strictObject({
  /** Count bots' merged MRs in the denominator (GitLab's "all merged MRs"); off, the share is of human work. */
  includeBots: z.boolean().default(false),
});

/** Community MR percentage: community merged MRs as a share of all merged MRs in the chosen projects. */
export const communityMrPercentage = defineKpi<z.output<typeof parameters>>({
  id: 'community-mr-percentage',
  title: 'Community MR percentage',
  definition:
    'Community merge requests merged in the period ÷ all merge requests merged in the period in the chosen projects (team and wider community; bots only with includeBots), as a percentage.',
  source: {
    name: 'GitLab handbook',
    url: 'https://handbook.gitlab.com/handbook/engineering/quality/performance-indicators/',
    choices:
      'Bots are left out of the denominator by default (dependency-update bots would otherwise swing the share); the parameter includeBots puts them back. MRs with no known author count in neither. The organisation filter narrows the numerator only: the share of all merged MRs that the organisation contributed. No merged MR in the period gives no value (not 0 %).',
  },
  unit: '%',
  grains: ['month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['community', 'team'],
  needs: ['merge requests'],
  parameters,
  target: '> 8 %',
  higherIsBetter: true,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const everyone = context.parameters.includeBots ? `am.class IN ('team', 'community', 'bot')` : inPopulation(f, 'am', 'all');
    const rows = await context.session.query<{ key: string; counted: unknown; all: unknown }>(
      `SELECT p.key, sum(am.merged) FILTER (WHERE ${inPopulation(f, 'am')} AND ${inOrganisation(q, f, 'am')}) AS counted, sum(am.merged) AS all
         FROM ${periodsRelation(f.periods)} p
         JOIN ${context.relations.authorMonths} am ON ${monthInPeriod(f, 'am.month')}
        WHERE am.merged > 0 AND ${inProjects(q, f, 'am')} AND ${everyone}
        GROUP BY p.key`,
      q.params,
    );
    return pointsFrom(f.periods, rows, (row) => {
      const counted = toNumber(row?.counted);
      const all = toNumber(row?.all);
      return { value: all === 0 ? null : rounded((100 * counted) / all), values: { [f.population]: counted, all }, basis: all };
    });
  },
  async explain(context, period) {
    const f = context.filters;
    const classes = context.parameters.includeBots ? `f.class IN ('team', 'community', 'bot')` : `f.class IN ('team', 'community')`;
    // Every merged MR of the denominator, marked whether it is in the numerator.
    const all = await mergeRequestRows(context, period, () => `${withinPeriod('f.merged_at')} AND ${classes}`, {}, { population: false, organisation: false });
    const counted = await mergeRequestRows(context, period, () => withinPeriod('f.merged_at'));
    const inNumerator = new Set(counted.map((r) => r.merge_request));
    const rows = all.map((r) => ({ ...r, counted: inNumerator.has(r.merge_request) }));
    return explanation(`${inNumerator.size} of ${rows.length} merge requests merged in ${period.key} are ${f.population} merge requests (counted = true)`, rows);
  },
});
