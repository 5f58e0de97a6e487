import { z } from 'zod';
import { defineKpi, inOrganisation, inPopulation, inProjects, type KpiContext, type Period, periodsRelation, Query, windowOrdinals } from '../kpi.ts';
import { explanation } from './explain-helpers.ts';
import { bucketCase, bucketPoints } from './segments.ts';

const STATUSES = [
  ['leading', 20],
  ['regular', 10],
  ['casual', 1],
] as const;
const BUCKETS = STATUSES.map(([label]) => label).toReversed();

const parameters = z.strictObject({
  /** The look-back ending at the period's end, in whole months. */
  windowMonths: z.number().int().min(1).max(24).default(6),
});
type Parameters = z.infer<typeof parameters>;

/**
 * Per (period, person): merged MRs in the window of `windowMonths` months ending at the period's end. Each
 * month row is listed once per period whose window holds it (windowOrdinals), not tested against every period.
 */
function statusSql(q: Query, context: KpiContext<Parameters>, periods: readonly Period[]): string {
  const f = context.filters;
  const { windowMonths } = context.parameters;
  const windows = windowOrdinals(q, periods, windowMonths);
  const first = q.param(periods[0]?.end ?? f.to, '::date');
  const last = q.param(periods.at(-1)?.end ?? f.to, '::date');
  return `(SELECT p.key, am.canonical_id, sum(am.merged) AS merged
      FROM ${context.relations.authorMonths} am
      CROSS JOIN LATERAL generate_series(${windows.first('am.month')}, ${windows.last('am.month')}) AS o(ordinal)
      JOIN ${periodsRelation(periods)} p ON p.ordinal = o.ordinal
     WHERE am.merged > 0 AND am.month >= (${first} - make_interval(months => ${q.param(windowMonths, '::int')}))::date AND am.month < ${last}
       AND ${inProjects(q, f, 'am')} AND ${inPopulation(f, 'am')} AND ${inOrganisation(q, f, 'am')}
     GROUP BY p.key, am.canonical_id)`;
}

/** Contributor status: casual, regular and leading contributors by merged MRs in the last 6 months. */
export const contributorStatus = defineKpi<Parameters>({
  id: 'contributor-status',
  title: 'Contributor status',
  definition:
    "People with merged MRs in the 6 months ending at the period's end, by how many: casual 1-9, regular 10-19, leading 20 or more. The value is all of them; values give each status.",
  source: {
    name: 'GitLab handbook',
    url: 'https://handbook.gitlab.com/handbook/marketing/developer-relations/contributor-success/',
    choices:
      'The statuses are exclusive: "regular ≥ 10, leading ≥ 20" makes regular 10-19. Casual needs at least one merged MR in the window (people without one are not contributors by this measure; see experience-levels for them). The window is whole calendar months (parameter windowMonths, default 6). Core team members are elected, which no data records: that status is not computed. Population and organisation are those of each MR\'s author when it was opened.',
  },
  unit: 'people',
  grains: ['month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['community', 'team', 'all'],
  needs: ['merge requests'],
  parameters,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const rows = await context.session.query<{ key: string; bucket: string; people: unknown }>(
      `SELECT s.key, ${bucketCase('s.merged', STATUSES)} AS bucket, count(*) AS people FROM ${statusSql(q, context, f.periods)} s GROUP BY 1, 2`,
      q.params,
    );
    return bucketPoints(f.periods, rows, BUCKETS);
  },
  async explain(context, period) {
    const q = new Query();
    const rows = await context.session.query<Record<string, unknown>>(
      `SELECT person.key AS person, coalesce(person.name, person.key) AS name, s.merged::int AS merged_in_window, ${bucketCase('s.merged', STATUSES)} AS status
         FROM ${statusSql(q, context, [period])} s JOIN people person ON person.id = s.canonical_id
        ORDER BY s.merged DESC, person.key`,
      q.params,
    );
    return explanation(`${rows.length} people had MRs merged in the ${context.parameters.windowMonths} months before ${period.end}`, rows);
  },
});
