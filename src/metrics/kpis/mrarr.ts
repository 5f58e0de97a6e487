import { z } from 'zod';
import { organisationRootSql } from '../../people/organisations.ts';
import { defineKpi, inOrganisation, inPopulation, inProjects, type KpiContext, monthInPeriod, periodsRelation, pointsFrom, Query, rounded, toNumber } from '../kpi.ts';
import { explanation } from './explain-helpers.ts';

const parameters = z.strictObject({
  /** Child organisations' MRs are weighted by their top-level parent's ARR (the account); off, by their own ARR. */
  rollUpToParent: z.boolean().default(true),
});
type Parameters = z.output<typeof parameters>;

/** The organisation whose ARR weighs the MRs of `am.organisation_id`, as a join bringing `arr_org`. */
function arrJoin(context: KpiContext<Parameters>): string {
  if (!context.parameters.rollUpToParent) return 'LEFT JOIN organisations arr_org ON arr_org.id = am.organisation_id';
  return `LEFT JOIN (${organisationRootSql}) root ON root.organisation_id = am.organisation_id
          LEFT JOIN organisations arr_org ON arr_org.id = root.root_id`;
}

/** MRARR: community merged MRs weighted by the annual recurring revenue of the author's organisation. */
export const mrarr = defineKpi<Parameters>({
  id: 'mrarr',
  title: 'MRARR',
  definition:
    "Σ over organisations of (community merge requests merged in the period × the organisation's annual recurring revenue). The organisation is the author's when the MR was opened; with rollUpToParent (the default) a child organisation's MRs count at its top-level parent's ARR.",
  source: {
    name: 'GitLab handbook',
    url: 'https://handbook.gitlab.com/handbook/marketing/developer-relations/contributor-success/',
    choices:
      "Every merged MR counts, at the ARR recorded now (no ARR history is kept). With rollUpToParent, only the top-level parent's ARR is used (a child's own ARR is ignored, so an account is not counted twice); without it, each organisation's own. MRs of unaffiliated authors and of organisations without ARR add 0; the breakdown counts them and the explanation lists them.",
  },
  unit: 'MR$',
  grains: ['month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['community'],
  needs: ['merge requests', 'arr'],
  parameters,
  higherIsBetter: true,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const rows = await context.session.query<{ key: string; mrarr: unknown; merged: unknown; weighted: unknown }>(
      `SELECT p.key, sum(am.merged * coalesce(arr_org.arr, 0)) AS mrarr, sum(am.merged) AS merged,
              coalesce(sum(am.merged) FILTER (WHERE arr_org.arr IS NOT NULL), 0) AS weighted
         FROM ${periodsRelation(f.periods)} p
         JOIN ${context.relations.authorMonths} am ON ${monthInPeriod(f, 'am.month')}
         ${arrJoin(context)}
        WHERE am.merged > 0 AND ${inProjects(q, f, 'am')} AND ${inPopulation(f, 'am')} AND ${inOrganisation(q, f, 'am')}
        GROUP BY p.key`,
      q.params,
    );
    return pointsFrom(f.periods, rows, (row) => {
      const merged = toNumber(row?.merged);
      const weighted = toNumber(row?.weighted);
      return { value: rounded(row?.mrarr ?? 0), values: { weightedMrs: weighted, unweightedMrs: merged - weighted }, basis: merged };
    });
  },
  async explain(context, period) {
    const q = new Query();
    const f = context.filters;
    // One row per organisation, and one per unaffiliated author (who adds 0).
    const rows = await context.session.query<Record<string, unknown>>(
      `SELECT o.name AS organisation, CASE WHEN am.organisation_id = 0 THEN person.key END AS person, arr_org.name AS arr_of,
              arr_org.arr::float8 AS arr, sum(am.merged)::int AS merged, (sum(am.merged) * coalesce(arr_org.arr, 0))::float8 AS mr_dollars
         FROM ${periodsRelation([period])} p
         JOIN ${context.relations.authorMonths} am ON ${monthInPeriod(f, 'am.month')}
         ${arrJoin(context)}
         LEFT JOIN organisations o ON o.id = am.organisation_id
         LEFT JOIN people person ON person.id = am.canonical_id
        WHERE am.merged > 0 AND ${inProjects(q, f, 'am')} AND ${inPopulation(f, 'am')} AND ${inOrganisation(q, f, 'am')}
        GROUP BY o.name, CASE WHEN am.organisation_id = 0 THEN person.key END, arr_org.name, arr_org.arr
        ORDER BY mr_dollars DESC, o.name NULLS LAST, person`,
      q.params,
    );
    const unweighted = rows.filter((r) => r.arr === null).reduce((n, r) => n + Number(r.merged), 0);
    return explanation(
      `MR$ in ${period.key} = Σ merged × arr; ${unweighted} merge requests add 0 (unaffiliated authors or organisations without ARR)`,
      rows,
    );
  },
});
