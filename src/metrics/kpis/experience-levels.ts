import {
  defineKpi,
  inActivityProjectSet,
  inOrganisation,
  inPopulation,
  inProjects,
  type KpiContext,
  monthInPeriod,
  type Period,
  periodsRelation,
  Query,
} from '../kpi.ts';
import { explanation } from './explain-helpers.ts';
import { bucketCase, bucketPoints } from './segments.ts';

const LEVELS = [
  ['76+', 76],
  ['26-75', 26],
  ['4-25', 4],
  ['1-3', 1],
  ['0', 0],
] as const;
const BUCKETS = LEVELS.map(([label]) => label).toReversed();

/** The levels' lower bounds (merged MRs of all time), highest first: the contributor profile uses the same ones. */
export { LEVELS as EXPERIENCE_LEVELS };

/**
 * Per (period, person): the people who contributed in the period, with their merged MRs of all time up to
 * the period's end. Each person's merges are summed by how many period ends precede them (width_bucket:
 * everything before the range is 0), and a running sum over those few rows gives the total over each run of
 * periods (from, through); each contributor then finds the one run holding their period, by hash on the
 * person. No row is listed per (period, month).
 */
function experienceSql(q: Query, context: KpiContext, periods: readonly Period[]): string {
  const f = context.filters;
  const first = q.param(periods[0]?.start ?? f.from, '::date');
  const last = q.param(periods.at(-1)?.end ?? f.to, '::date');
  const ends = q.param(
    periods.map((p) => p.end),
    '::date[]',
  );
  const inPeriod = monthInPeriod({ grain: f.grain, periods }, 'x.month');
  return `(WITH contributors AS MATERIALIZED (
      SELECT DISTINCT p.ordinal, x.canonical_id
        FROM ${periodsRelation(periods)} p
        JOIN (SELECT pm.month, pm.canonical_id FROM ${context.relations.personMonths} pm
               WHERE pm.month >= ${first} AND pm.month < ${last} AND ${inActivityProjectSet(q, f, 'pm')} AND ${inPopulation(f, 'pm')} AND ${inOrganisation(q, f, 'pm')}
              UNION ALL
              SELECT am.month, am.canonical_id FROM ${context.relations.authorMonths} am
               WHERE am.month >= ${first} AND am.month < ${last} AND ${inProjects(q, f, 'am')} AND ${inPopulation(f, 'am')} AND ${inOrganisation(q, f, 'am')}) x
          ON ${inPeriod}),
    merges AS MATERIALIZED (
      SELECT m.canonical_id, width_bucket(m.month, ${ends}) AS ends_before, sum(m.merged)::int AS merged
        FROM ${context.relations.authorMonths} m
       WHERE m.canonical_id IN (SELECT canonical_id FROM contributors) AND m.month < ${last} AND m.merged > 0
         AND m.class <> 'bot' AND ${inProjects(q, f, 'm')}
       GROUP BY 1, 2),
    -- Merges counted in ends_before b count from period b + 1 on: each row's running total holds from b + 1
    -- through the period before the person's next row.
    runs AS MATERIALIZED (
      SELECT canonical_id, ends_before + 1 AS from_ordinal,
             coalesce(lead(ends_before) OVER w, 2147483647) AS through_ordinal,
             sum(merged) OVER (w ROWS UNBOUNDED PRECEDING) AS merged
        FROM merges WINDOW w AS (PARTITION BY canonical_id ORDER BY ends_before))
    SELECT c.ordinal, c.canonical_id, coalesce(r.merged, 0) AS merged
      FROM contributors c
      LEFT JOIN runs r ON r.canonical_id = c.canonical_id AND c.ordinal >= r.from_ordinal AND c.ordinal <= r.through_ordinal)`;
}

/** Experience levels: the period's contributors by their merged MRs of all time. */
export const experienceLevels = defineKpi({
  id: 'experience-levels',
  title: 'Contributor experience levels',
  definition:
    "The people who contributed in the period (any activity, MR opened or merged), by the MRs they had merged of all time at the period's end: 0, 1-3, 4-25, 26-75, 76+. The value is all of them; values give each level.",
  source: {
    name: 'GitLab handbook',
    url: 'https://handbook.gitlab.com/handbook/marketing/developer-relations/contributor-success/',
    choices:
      'The handbook\'s "26–75 / 75+" overlap at 75; 75 is in 26-75 and the last level is 76+. Level 0 holds the people who contributed in the period (comments, issues, reviews, chat…) without having any MR merged: the ones to convert. Merged MRs of all time are counted in the chosen projects, whatever the person\'s population when they merged them; the population and organisation filters choose whose contributions in the period count. Activities outside any project count when no project was chosen explicitly.',
  },
  unit: 'people',
  grains: ['month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['community', 'team', 'all'],
  needs: [],
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const rows = await context.session.query<{ key: string; bucket: string; people: unknown }>(
      // Counted per period ordinal, the period's key joined to the few counts after.
      `SELECT p.key, x.bucket, x.people
         FROM (SELECT e.ordinal, ${bucketCase('e.merged', LEVELS)} AS bucket, count(*) AS people FROM ${experienceSql(q, context, f.periods)} e GROUP BY 1, 2) x
         JOIN ${periodsRelation(f.periods)} p ON p.ordinal = x.ordinal`,
      q.params,
    );
    return bucketPoints(f.periods, rows, BUCKETS);
  },
  async explain(context, period) {
    const q = new Query();
    const rows = await context.session.query<Record<string, unknown>>(
      `SELECT person.key AS person, coalesce(person.name, person.key) AS name, e.merged::int AS merged_all_time, ${bucketCase('e.merged', LEVELS)} AS level
         FROM ${experienceSql(q, context, [period])} e JOIN people person ON person.id = e.canonical_id
        ORDER BY e.merged DESC, person.key`,
      q.params,
    );
    return explanation(`${rows.length} people contributed in ${period.key}; level is from their merged MRs of all time at ${period.end}`, rows);
  },
});
