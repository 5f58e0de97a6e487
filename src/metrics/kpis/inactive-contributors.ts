import { z } from 'zod';
import {
  defineKpi,
  inActivityProjects,
  inOrganisation,
  inPopulation,
  type KpiContext,
  type Period,
  periodsRelation,
  pointsFrom,
  Query,
  toNumber,
} from '../kpi.ts';
import { inKinds, kindsParameter } from './contributions.ts';
import { explanation } from './explain-helpers.ts';

const parameters = z.strictObject({
  kinds: kindsParameter,
  /** How long without a contribution makes a contributor inactive, in whole months. */
  intervalMonths: z.number().int().min(1).max(60).default(6),
});
type Parameters = z.infer<typeof parameters>;

/**
 * Per period, with E its end, W = E − interval and SW = its start − interval (all month boundaries):
 * someone is inactive at E when their first contribution is before W and they made none in [W, E).
 * Counting them needs everyone's first contribution (one aggregate over kpi_activity_spans, bucketed by
 * month) and the months from the first SW to the last E, never the whole monthly history.
 * `per` holds the people active in some [SW, E); the ones who became inactive during the period are among
 * them: inactive at E, and not at its start (first contribution on or after SW, or active in [SW, start)).
 */
function inactivityCtes(q: Query, context: KpiContext<Parameters>, periods: readonly Period[]): string {
  const f = context.filters;
  const interval = `make_interval(months => ${q.param(context.parameters.intervalMonths, '::int')})`;
  const filters = (alias: string) =>
    `${inKinds(q, context.parameters.kinds, alias)} AND ${inActivityProjects(q, f, alias)} AND ${inPopulation(f, alias)} AND ${inOrganisation(q, f, alias)}`;
  return `firsts AS MATERIALIZED (
      SELECT s.canonical_id, min(s.first_at) AS first_at FROM ${context.relations.activitySpans} s WHERE ${filters('s')} GROUP BY s.canonical_id),
    periods AS MATERIALIZED (
      SELECT p.key, p.start_date, p.end_date, (p.end_date - ${interval})::date AS w, (p.start_date - ${interval})::date AS sw FROM ${periodsRelation(periods)} p),
    recent AS MATERIALIZED (
      SELECT am.canonical_id, am.month FROM ${context.relations.activityMonths} am
       WHERE am.month >= (SELECT min(sw) FROM periods) AND am.month < (SELECT max(end_date) FROM periods) AND ${filters('am')}
       GROUP BY am.canonical_id, am.month),
    per AS MATERIALIZED (
      SELECT p.key, r.canonical_id, bool_or(r.month >= p.w) AS active_w, bool_or(r.month < p.start_date) AS active_s
        FROM periods p JOIN recent r ON r.month >= p.sw AND r.month < p.end_date
       GROUP BY p.key, r.canonical_id)`;
}

/** Inactive contributors: people who contributed before but not during the interval (6 months) before the period's end. */
export const inactiveContributors = defineKpi<Parameters>({
  id: 'inactive-contributors',
  title: 'Inactive contributors',
  definition:
    "At the period's end, people who contributed before but made no contribution (of the chosen kinds, in the chosen projects) during the interval before it (6 months by default). values: 'became inactive' are those whose interval of silence completed within the period: the ones lost in the period.",
  source: {
    name: 'CHAOSS',
    url: 'https://chaoss.community/kb/metric-inactive-contributors/',
    choices:
      "The interval is whole calendar months ending at the period's end (parameter intervalMonths, default 6), so the grains are month, quarter and year. Every activity kind counts by default (parameter `kinds`). The value is the stock of inactive people at the period's end over all recorded history; 'became inactive' (in values) is the flow a team acts on. Population and organisation apply to the contributions: a community contributor who joined the team has stopped contributing as community. Activities outside any project count when no project was chosen explicitly.",
  },
  unit: 'people',
  grains: ['month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['community', 'team', 'all'],
  needs: ['activities'],
  parameters,
  higherIsBetter: false,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const before = (at: string, day: string) => `${at} < (${day}::timestamp AT TIME ZONE 'UTC')`;
    const rows = await context.session.query<{ key: string; ever: unknown; returned: unknown; became: unknown }>(
      `WITH ${inactivityCtes(q, context, f.periods)},
         first_months AS (SELECT date_trunc('month', first_at AT TIME ZONE 'UTC')::date AS month, count(*) AS people FROM firsts GROUP BY 1)
       SELECT p.key,
              (SELECT sum(fm.people) FROM first_months fm WHERE fm.month < p.w) AS ever,
              (SELECT count(*) FROM per JOIN firsts fi ON fi.canonical_id = per.canonical_id
                WHERE per.key = p.key AND per.active_w AND ${before('fi.first_at', 'p.w')}) AS returned,
              (SELECT count(*) FROM per JOIN firsts fi ON fi.canonical_id = per.canonical_id
                WHERE per.key = p.key AND NOT per.active_w AND ${before('fi.first_at', 'p.w')} AND (NOT ${before('fi.first_at', 'p.sw')} OR per.active_s)) AS became
         FROM periods p`,
      q.params,
    );
    // Everyone who had contributed before W, less those who contributed again within [W, E).
    return pointsFrom(f.periods, rows, (row) => ({
      value: toNumber(row?.ever) - toNumber(row?.returned),
      values: { 'became inactive': toNumber(row?.became) },
    }));
  },
  async explain(context, period: Period) {
    const q = new Query();
    const f = context.filters;
    const rows = await context.session.query<Record<string, unknown>>(
      `WITH ${inactivityCtes(q, context, [period])}
       SELECT person.key AS person, coalesce(person.name, person.key) AS name, fi.first_at AS first_contribution_at,
              (SELECT max(am.last_at) FROM ${context.relations.activityMonths} am
                WHERE am.canonical_id = fi.canonical_id AND am.month < p.w AND ${inKinds(q, context.parameters.kinds, 'am')} AND ${inActivityProjects(q, f, 'am')}
                  AND ${inPopulation(f, 'am')} AND ${inOrganisation(q, f, 'am')}) AS last_contribution_at,
              (fi.first_at >= (p.sw::timestamp AT TIME ZONE 'UTC') OR coalesce(per.active_s, false)) AS became_inactive_in_period
         FROM periods p
         JOIN firsts fi ON fi.first_at < (p.w::timestamp AT TIME ZONE 'UTC')
         LEFT JOIN per ON per.key = p.key AND per.canonical_id = fi.canonical_id
         JOIN people person ON person.id = fi.canonical_id
        WHERE NOT coalesce(per.active_w, false)
        ORDER BY 4 DESC, person.key`,
      q.params,
    );
    return explanation(`${rows.length} people had contributed but not in the ${context.parameters.intervalMonths} months before ${period.end}`, rows);
  },
});
