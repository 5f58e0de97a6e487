import { defineKpi, inOrganisation, inPopulation, inProjects, monthInPeriod, periodsRelation, pointsFrom, Query, rounded, toNumber, withinPeriod } from '../kpi.ts';
import { explanation, mergeRequestRows, } from './explain-helpers.ts';

/** Feature community contribution MRs: the share of community merged MRs that are features. */
export const featureCommunityMrs = defineKpi({
  id: 'feature-community-mrs',
  title: 'Feature community contribution MRs',
  definition:
    'Community merge requests merged in the period typed feature ÷ all community merge requests merged in the period, as a percentage. The type comes from the MR (work type) or its type::feature / type::bug / type::maintenance label.',
  source: {
    name: 'GitLab handbook',
    url: 'https://handbook.gitlab.com/handbook/engineering/quality/performance-indicators/',
    choices:
      'The denominator is every community merged MR, typed or not, as the handbook writes it: untyped MRs lower the share, so labelling discipline shows. The breakdown gives the typed count and the share of typed MRs that are features for comparison. No merged MR in the period gives no value.',
  },
  unit: '%',
  grains: ['month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['community', 'team', 'all'],
  needs: ['merge requests', 'types'],
  target: '> 30 %',
  higherIsBetter: true,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const rows = await context.session.query<{ key: string; merged: unknown; feature: unknown; typed: unknown }>(
      `SELECT p.key, sum(am.merged) AS merged, sum(am.merged_feature) AS feature, sum(am.merged_typed) AS typed
         FROM ${periodsRelation(f.periods)} p
         JOIN ${context.relations.authorMonths} am ON ${monthInPeriod(f, 'am.month')}
        WHERE am.merged > 0 AND ${inProjects(q, f, 'am')} AND ${inPopulation(f, 'am')} AND ${inOrganisation(q, f, 'am')}
        GROUP BY p.key`,
      q.params,
    );
    return pointsFrom(f.periods, rows, (row) => {
      const merged = toNumber(row?.merged);
      const feature = toNumber(row?.feature);
      const typed = toNumber(row?.typed);
      return {
        value: merged === 0 ? null : rounded((100 * feature) / merged),
        values: { feature, typed, merged, featureShareOfTyped: typed === 0 ? null : rounded((100 * feature) / typed) },
        basis: merged,
      };
    });
  },
  async explain(context, period) {
    const rows = await mergeRequestRows(context, period, () => withinPeriod('f.merged_at'), { type: 'f.type' });
    const features = rows.filter((r) => r.type === 'feature').length;
    return explanation(`${features} of the ${rows.length} merge requests merged in ${period.key} are typed feature`, rows);
  },
});
