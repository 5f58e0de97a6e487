import { z } from 'zod';
import {
  defineKpi,
  inActivityProjects,
  inOrganisation,
  inPopulation,
  inProjects,
  type KpiContext,
  type Period,
  periodsRelation,
  pointsFrom,
  Query,
  rounded,
  toNumber,
} from '../kpi.ts';
import { monthOf } from './contributions.ts';
import { explanation } from './explain-helpers.ts';

const parameters = z.strictObject({
  /** How long after reaching a stage reaching the next one counts as converting, in days. */
  windowDays: z.number().int().min(1).max(730).default(90),
});
type Parameters = z.infer<typeof parameters>;

/**
 * Per person who may have first reached D0 or D1 in the range (a first activity, a first participation
 * (PARTICIPATION_KINDS, kept by kpi_person_spans) or a merge in it): when they first reached D0, D1 and D2
 * ever, each stage reached at the first event of that stage or a higher one. Firsts come from the
 * candidates' person and author spans: a row per person and project, not per kind or month.
 */
function reachedSql(q: Query, context: KpiContext<Parameters>, periods: readonly Period[]): string {
  const f = context.filters;
  const from = periods[0]?.start ?? f.from;
  const to = periods.at(-1)?.end ?? f.to;
  const instant = (day: string) => `(${q.param(day, '::date')}::timestamp AT TIME ZONE 'UTC')`;
  const activities = (alias: string) => `${inActivityProjects(q, f, alias)} AND ${inPopulation(f, alias)} AND ${inOrganisation(q, f, alias)}`;
  const merges = (alias: string) => `${inProjects(q, f, alias)} AND ${inPopulation(f, alias)} AND ${inOrganisation(q, f, alias)}`;
  return `(WITH candidates AS MATERIALIZED (
        SELECT s.canonical_id FROM ${context.relations.personSpans} s
         WHERE s.first_at >= ${instant(from)} AND s.first_at < ${instant(to)} AND ${activities('s')}
        UNION
        SELECT s.canonical_id FROM ${context.relations.personSpans} s
         WHERE s.first_participation_at >= ${instant(from)} AND s.first_participation_at < ${instant(to)} AND ${activities('s')}
        UNION
        SELECT am.canonical_id FROM ${context.relations.authorMonths} am
         WHERE am.month >= ${q.param(monthOf(from), '::date')} AND am.month < ${q.param(to, '::date')} AND am.merged > 0 AND ${merges('am')}),
      -- The candidates as one array: their rows are then looked up by canonical_id through the index, where a
      -- join, misjudging the candidates' number, hashed every span.
      chosen AS MATERIALIZED (SELECT array_agg(canonical_id) AS ids FROM candidates),
      acts AS (
        SELECT s.canonical_id, min(s.first_at) AS a0, min(s.first_participation_at) AS a1
          FROM ${context.relations.personSpans} s
         WHERE s.canonical_id = ANY((SELECT ids FROM chosen)::int8[]) AND ${activities('s')} GROUP BY s.canonical_id),
      merges AS (
        SELECT m.canonical_id, min(m.first_merged_at) AS a2
          FROM ${context.relations.authorSpans} m
         WHERE m.canonical_id = ANY((SELECT ids FROM chosen)::int8[]) AND ${merges('m')} GROUP BY m.canonical_id)
    SELECT c.canonical_id, least(a.a0, a.a1, m.a2) AS d0, least(a.a1, m.a2) AS d1, m.a2 AS d2
      FROM candidates c LEFT JOIN acts a ON a.canonical_id = c.canonical_id LEFT JOIN merges m ON m.canonical_id = c.canonical_id)`;
}

/** Per (period, person in a cohort): whether they are the period's D0 or D1 cohort, and whether they converted within the window. */
function cohortsSql(q: Query, context: KpiContext<Parameters>, periods: readonly Period[]): string {
  const window = `make_interval(days => ${q.param(context.parameters.windowDays, '::int')})`;
  const inP = (column: string) => `coalesce(${column} >= p.start_at AND ${column} < p.end_at, false)`;
  // Materialised: each candidate's firsts are looked up once, not once per period.
  return `(WITH r AS MATERIALIZED ${reachedSql(q, context, periods)}
    SELECT p.key, r.canonical_id, r.d0, r.d1, r.d2, ${inP('r.d0')} AS d0_cohort, ${inP('r.d1')} AS d1_cohort,
           coalesce(r.d1 <= r.d0 + ${window}, false) AS d0_to_d1,
           coalesce(r.d2 <= r.d1 + ${window}, false) AS d1_to_d2,
           coalesce(r.d2 <= r.d0 + ${window}, false) AS d0_to_d2
      FROM ${periodsRelation(periods)} p JOIN r ON ${inP('r.d0')} OR ${inP('r.d1')})`;
}

const percent = (part: number, whole: number) => (whole === 0 ? null : rounded((100 * part) / whole));

/** Conversion rate: of the people who first reached a stage in the period, the share who reached the next within the window. */
export const conversionRate = defineKpi<Parameters>({
  id: 'conversion-rate',
  title: 'Contributor conversion rate',
  definition:
    'A funnel of three stages: D0 any activity, D1 participation (an issue, a comment, a review or approval, an MR opened), D2 a merged MR. Of the people who first reached D0 in the period, the share who reached D2 within 90 days (the value); values give each step: of those who first reached D0 in the period, the share reaching D1 within 90 days, and of those who first reached D1 in it, the share reaching D2.',
  source: {
    name: 'CHAOSS',
    url: 'https://chaoss.community/kb/metric-conversion-rate/',
    choices:
      'No watcher or fork data is recorded, so D0 is any recorded activity (chat, forum, comment, issue, MR…). Stages are cumulative: reaching a higher stage reaches the lower ones at the same instant, so someone whose first act is a merged MR converts at once. Cohorts by the first time ever a stage was reached (in the chosen projects; activities outside any project count when no project was chosen explicitly); conversion within a window after that (parameter windowDays, default 90), counted on the data present, so the last window of a recent period may still be open and its rate rise. Population and organisation apply to the events (those at each event), so a former team member\'s first community act starts a community journey. A merged MR is credited to its author.',
  },
  unit: 'percent',
  grains: ['month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['community', 'team', 'all'],
  needs: ['activities'],
  parameters,
  higherIsBetter: true,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const rows = await context.session.query<Record<string, unknown> & { key: string }>(
      `SELECT c.key, count(*) FILTER (WHERE c.d0_cohort) AS d0, count(*) FILTER (WHERE c.d0_cohort AND c.d0_to_d1) AS d0_d1,
              count(*) FILTER (WHERE c.d0_cohort AND c.d0_to_d2) AS d0_d2,
              count(*) FILTER (WHERE c.d1_cohort) AS d1, count(*) FILTER (WHERE c.d1_cohort AND c.d1_to_d2) AS d1_d2
         FROM ${cohortsSql(q, context, f.periods)} c GROUP BY c.key`,
      q.params,
    );
    return pointsFrom(f.periods, rows, (row) => {
      const d0 = toNumber(row?.d0);
      const d1 = toNumber(row?.d1);
      return {
        value: percent(toNumber(row?.d0_d2), d0),
        values: {
          'D0 cohort': d0,
          'D0→D1 %': percent(toNumber(row?.d0_d1), d0),
          'D1 cohort': d1,
          'D1→D2 %': percent(toNumber(row?.d1_d2), d1),
          'D0→D2 %': percent(toNumber(row?.d0_d2), d0),
        },
        basis: d0,
      };
    });
  },
  async explain(context, period) {
    const q = new Query();
    const rows = await context.session.query<Record<string, unknown>>(
      `SELECT person.key AS person, coalesce(person.name, person.key) AS name, c.d0 AS first_d0, c.d1 AS first_d1, c.d2 AS first_d2,
              c.d0_cohort, c.d1_cohort, c.d0_to_d1, c.d1_to_d2, c.d0_to_d2
         FROM ${cohortsSql(q, context, [period])} c JOIN people person ON person.id = c.canonical_id
        ORDER BY coalesce(c.d0, c.d1), person.key`,
      q.params,
    );
    return explanation(
      `${rows.length} people first reached D0 (d0_cohort) or D1 (d1_cohort) in ${period.key}; conversions count within ${context.parameters.windowDays} days`,
      rows,
    );
  },
});
