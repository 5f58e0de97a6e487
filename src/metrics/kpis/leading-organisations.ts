import { z } from 'zod';
import { organisationRootSql } from '../../people/organisations.ts';
import { defineKpi, inOrganisation, inPopulation, inProjects, type KpiContext, periodsRelation, pointsFrom, Query, toNumber } from '../kpi.ts';
import { explanation } from './explain-helpers.ts';

export const leadingParameters = z.strictObject({
  /** Merged MRs in the three complete months before the 1st that make an organisation (or individual) leading. */
  threshold: z.number().int().positive().default(20),
  /** Count a child organisation's MRs at its top-level parent (the account); off, each organisation on its own. */
  rollUpToParent: z.boolean().default(true),
});
export type LeadingParameters = z.output<typeof leadingParameters>;

/**
 * Who holds the leading status in each month: rows (month, entity, organisation_id, canonical_id, merged)
 * for the organisations (organisation_id set) and unaffiliated individuals (canonical_id set) with at least
 * `threshold` community MRs merged in the three calendar months before `month` (a first of the month,
 * yielded by `months` as its column `month`). The entity is a text key ('o…' or 'p…') that MRs can be
 * matched on with `leadingEntity`.
 */
export function leadingSql(context: KpiContext<unknown>, q: Query, months: string, parameters: LeadingParameters): string {
  const f = context.filters;
  const organisation = parameters.rollUpToParent ? 'coalesce(root.root_id, am.organisation_id)' : 'am.organisation_id';
  // Each month's merged MRs per entity once, over the months some evaluation needs (bounds the planner can use
  // on the month index), then summed over each evaluation's three months.
  return `WITH evaluated AS MATERIALIZED (${months}),
    monthly AS MATERIALIZED (
      SELECT am.month, ${leadingEntity('am.organisation_id', organisation, 'am.canonical_id')} AS entity,
             CASE WHEN am.organisation_id <> 0 THEN ${organisation} END AS organisation_id,
             CASE WHEN am.organisation_id = 0 THEN am.canonical_id END AS canonical_id, sum(am.merged) AS merged
        FROM ${context.relations.authorMonths} am
        ${parameters.rollUpToParent ? `LEFT JOIN (${organisationRootSql}) root ON root.organisation_id = am.organisation_id` : ''}
       WHERE am.month >= ((SELECT min(month) FROM evaluated) - interval '3 months')::date AND am.month < (SELECT max(month) FROM evaluated)
         AND am.merged > 0 AND ${inProjects(q, f, 'am')} AND ${inPopulation(f, 'am', 'community')} AND ${inOrganisation(q, f, 'am')}
       GROUP BY 1, 2, 3, 4)
    SELECT e.month, m.entity, m.organisation_id, m.canonical_id, sum(m.merged) AS merged
      FROM monthly m
      -- A month's merges count for the evaluations on the next three 1sts: listed, then kept where evaluated
      -- (a hash look-up), rather than every month tested against every evaluation.
      CROSS JOIN LATERAL (VALUES ((m.month + interval '1 month')::date), ((m.month + interval '2 months')::date), ((m.month + interval '3 months')::date)) AS e(month)
     WHERE e.month IN (SELECT month FROM evaluated)
     GROUP BY 1, 2, 3, 4
    HAVING sum(m.merged) >= ${q.param(parameters.threshold)}::int`;
}

/** The text key of the entity that can hold the leading status: an organisation, or an unaffiliated person. */
export function leadingEntity(organisationId: string, rolledUpOrganisation: string, canonicalId: string): string {
  return `CASE WHEN coalesce(${organisationId}, 0) = 0 THEN 'p' || ${canonicalId}::text ELSE 'o' || (${rolledUpOrganisation})::text END`;
}

/** Leading organisations: organisations and unaffiliated individuals with ≥ 20 merged MRs in the last 3 complete months. */
export const leadingOrganisations = defineKpi<LeadingParameters>({
  id: 'leading-organisations',
  title: 'Leading organisations',
  definition:
    'On the 1st of each month, the organisations, and the unaffiliated individuals, with at least 20 community merge requests merged in the three complete calendar months before. MRs opened while an organisation holds the status get the leading-organisation review SLO.',
  source: {
    name: 'GitLab handbook',
    url: 'https://handbook.gitlab.com/handbook/marketing/developer-relations/leading-organizations/',
    choices:
      "The month's value is the status on its 1st (from the three months before it). The organisation is the author's when each MR was opened; by default child organisations count at their top-level parent (rollUpToParent), and the threshold is a parameter. Team members' MRs do not count. The breakdown splits organisations from individuals.",
  },
  unit: 'organisations',
  grains: ['month'],
  defaultGrain: 'month',
  populations: ['community'],
  needs: ['merge requests'],
  parameters: leadingParameters,
  higherIsBetter: true,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const months = `SELECT key, start_date AS month FROM ${periodsRelation(f.periods)} p`;
    const rows = await context.session.query<{ key: string; organisations: unknown; individuals: unknown }>(
      `SELECT m.key, count(l.organisation_id) AS organisations, count(l.canonical_id) AS individuals
         FROM (${months}) m JOIN (${leadingSql(context, q, `SELECT DISTINCT month FROM (${months}) x`, context.parameters)}) l ON l.month = m.month
        GROUP BY m.key`,
      q.params,
    );
    return pointsFrom(f.periods, rows, (row) => {
      const values = { organisations: toNumber(row?.organisations), individuals: toNumber(row?.individuals) };
      return { value: values.organisations + values.individuals, values };
    });
  },
  async explain(context, period) {
    const q = new Query();
    const rows = await context.session.query<Record<string, unknown>>(
      `SELECT o.name AS organisation, person.key AS person, coalesce(person.name, person.key) AS name, l.merged::int AS merged
         FROM (${leadingSql(context, q, `SELECT ${q.param(period.start)}::date AS month`, context.parameters)}) l
         LEFT JOIN organisations o ON o.id = l.organisation_id
         LEFT JOIN people person ON person.id = l.canonical_id
        ORDER BY l.merged DESC, o.name NULLS LAST, person.key`,
      q.params,
    );
    return explanation(
      `${rows.length} organisations or unaffiliated individuals had at least ${context.parameters.threshold} community merge requests merged in the three months before ${period.start}`,
      rows,
    );
  },
});
