import { defineKpi, inOrganisation, inPopulation, inProjects, type KpiContext, monthInPeriod, type Period, periodsRelation, Query } from '../kpi.ts';
import { explanation } from './explain-helpers.ts';
import { bucketCase, bucketPoints } from './segments.ts';

const TIERS = [
  ['76+', 76],
  ['11-75', 11],
  ['5-10', 5],
] as const;
const BUCKETS = TIERS.map(([label]) => label).toReversed();

/** Per (year, person): merged MRs in the calendar year. */
function yearSql(q: Query, context: KpiContext, periods: readonly Period[]): string {
  const f = context.filters;
  return `(SELECT p.key, am.canonical_id, sum(am.merged) AS merged
      FROM ${periodsRelation(periods)} p
      JOIN ${context.relations.authorMonths} am ON ${monthInPeriod({ ...f, periods }, 'am.month')}
     WHERE am.merged > 0 AND ${inProjects(q, f, 'am')} AND ${inPopulation(f, 'am')} AND ${inOrganisation(q, f, 'am')}
     GROUP BY p.key, am.canonical_id)`;
}

/** Yearly tiers: contributors by merged MRs in the calendar year. */
export const yearlyTiers = defineKpi({
  id: 'yearly-tiers',
  title: 'Yearly contributor tiers',
  definition:
    'People by merged MRs in the calendar year: more than 75, 11-75, 5-10. The value is the people in a tier (5 or more); the basis is everyone with a merged MR in the year, the 1-4 included.',
  source: {
    name: 'GitLab handbook',
    url: 'https://handbook.gitlab.com/handbook/marketing/developer-relations/contributor-success/',
    choices:
      'Calendar years only; the year in progress counts what was merged so far. People with 1-4 merged MRs are in no tier (the handbook names none) and appear only in the basis. Population and organisation are those of each MR\'s author when it was opened.',
  },
  unit: 'people',
  grains: ['year'],
  defaultGrain: 'year',
  populations: ['community', 'team', 'all'],
  needs: ['merge requests'],
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const rows = await context.session.query<{ key: string; bucket: string | null; people: unknown }>(
      `SELECT y.key, ${bucketCase('y.merged', TIERS)} AS bucket, count(*) AS people FROM ${yearSql(q, context, f.periods)} y GROUP BY 1, 2`,
      q.params,
    );
    const tiered = rows.filter((row): row is { key: string; bucket: string; people: unknown } => row.bucket !== null);
    const points = bucketPoints(f.periods, tiered, BUCKETS);
    for (const point of points) {
      point.basis = rows.filter((row) => row.key === point.period).reduce((sum, row) => sum + Number(row.people), 0);
    }
    return points;
  },
  async explain(context, period) {
    const q = new Query();
    const rows = await context.session.query<Record<string, unknown>>(
      `SELECT person.key AS person, coalesce(person.name, person.key) AS name, y.merged::int AS merged_in_year, ${bucketCase('y.merged', TIERS)} AS tier
         FROM ${yearSql(q, context, [period])} y JOIN people person ON person.id = y.canonical_id
        ORDER BY y.merged DESC, person.key`,
      q.params,
    );
    return explanation(`${rows.length} people had MRs merged in ${period.key}; tier is empty below 5`, rows);
  },
});
