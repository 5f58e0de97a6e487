import { z } from 'zod';
import {
  defineKpi,
  inActivityProjectSet,
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

/** The relations (with their filters) the inactivity queries read: first contributions, and months with any. */
function sources(q: Query, context: KpiContext<Parameters>) {
  const f = context.filters;
  const people = (alias: string) => `${inPopulation(f, alias)} AND ${inOrganisation(q, f, alias)}`;
  // Every kind (the default) is read from the rollups without kinds, a fifth of the rows.
  const byKind = Boolean(context.parameters.kinds?.length);
  const spans = byKind
    ? `${context.relations.activitySpans} s WHERE ${inKinds(q, context.parameters.kinds, 's')} AND ${inActivityProjects(q, f, 's')} AND ${people('s')}`
    : `${context.relations.personSpans} s WHERE ${inActivityProjects(q, f, 's')} AND ${people('s')}`;
  const months = byKind
    ? `${context.relations.activityMonths} am WHERE ${inKinds(q, context.parameters.kinds, 'am')} AND ${inActivityProjects(q, f, 'am')} AND ${people('am')}`
    : `${context.relations.personMonths} am WHERE ${inActivityProjectSet(q, f, 'am')} AND ${people('am')}`;
  return { spans, months };
}

/** The periods with, from E their end and S their start, W = E − interval and SW = S − interval (month boundaries). */
function periodsCte(q: Query, context: KpiContext<Parameters>, periods: readonly Period[]): string {
  const interval = `make_interval(months => ${q.param(context.parameters.intervalMonths, '::int')})`;
  return `periods AS MATERIALIZED (
      SELECT p.key, p.start_date, p.end_date, (p.end_date - ${interval})::date AS w, (p.start_date - ${interval})::date AS sw FROM ${periodsRelation(periods)} p)`;
}

/**
 * For the series. Someone is inactive at T when their last month with a contribution before T is before
 * T − interval, so each person is inactive over intervals (a, b] between their months of contribution:
 * from a month m with one plus the interval up to the next month with one (or for ever). These come from
 * each person's months in reach of the range, in order (a window function), with a month at −infinity for
 * those who had contributed before it. Inactive at E: E is in one of their intervals; became inactive in
 * the period: that, and S in none of them. No (period, person) pair is listed.
 */
function gapsCtes(q: Query, context: KpiContext<Parameters>, periods: readonly Period[]): string {
  const { spans, months } = sources(q, context);
  const interval = `make_interval(months => ${q.param(context.parameters.intervalMonths, '::int')})`;
  return `${periodsCte(q, context, periods)},
    firsts AS MATERIALIZED (SELECT s.canonical_id, min(s.first_at) AS first_at FROM ${spans} GROUP BY s.canonical_id),
    months AS MATERIALIZED (
      SELECT x.canonical_id, x.month, lead(x.month) OVER (PARTITION BY x.canonical_id ORDER BY x.month) AS next_month
        FROM (SELECT am.canonical_id, am.month FROM ${months}
                 AND am.month >= (SELECT min(sw) FROM periods) AND am.month < (SELECT max(end_date) FROM periods)
              UNION ALL
              SELECT fi.canonical_id, '-infinity'::date FROM firsts fi
               WHERE fi.first_at < ((SELECT min(sw) FROM periods)::timestamp AT TIME ZONE 'UTC')) x),
    gaps AS MATERIALIZED (
      SELECT g.*, lag(g.a) OVER w AS previous_a, lag(g.b) OVER w AS previous_b
        FROM (SELECT m.canonical_id, (m.month + ${interval})::date AS a, coalesce(m.next_month, 'infinity'::date) AS b
                FROM months m WHERE m.next_month IS NULL OR m.next_month > (m.month + ${interval})::date) g
      WINDOW w AS (PARTITION BY g.canonical_id ORDER BY g.a)),
    -- The intervals are disjoint, so those holding E number #{a < E} − #{b < E}: counted from the bounds.
    bounds AS MATERIALIZED (
      SELECT day, sum(delta) AS delta FROM (SELECT a AS day, 1 AS delta FROM gaps UNION ALL SELECT b, -1 FROM gaps) d GROUP BY day),
    -- An interval starting in [S, E) and holding E; S can only be in the person's interval before it.
    starting AS MATERIALIZED (
      SELECT g.* FROM gaps g WHERE g.a >= (SELECT min(start_date) FROM periods) AND g.a < (SELECT max(end_date) FROM periods))`;
}

/**
 * For the explanation, per period: someone is inactive at E when their first contribution is before W and
 * they made none in [W, E). `per` holds the people active in some [SW, E), with whether they were in
 * [W, E) and in [SW, S): the ones who became inactive during the period are among them.
 */
function inactivityCtes(q: Query, context: KpiContext<Parameters>, periods: readonly Period[]): string {
  const { spans, months } = sources(q, context);
  return `firsts AS MATERIALIZED (
      SELECT s.canonical_id, min(s.first_at) AS first_at FROM ${spans} GROUP BY s.canonical_id),
    ${periodsCte(q, context, periods)},
    recent AS MATERIALIZED (
      SELECT am.canonical_id, am.month FROM ${months}
         AND am.month >= (SELECT min(sw) FROM periods) AND am.month < (SELECT max(end_date) FROM periods)
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
    const rows = await context.session.query<{ key: string; inactive: unknown; became: unknown }>(
      `WITH ${gapsCtes(q, context, f.periods)}
       SELECT p.key,
              (SELECT sum(b.delta) FROM bounds b WHERE b.day < p.end_date) AS inactive,
              (SELECT count(*) FROM starting g
                WHERE g.a >= p.start_date AND g.a < p.end_date AND g.b >= p.end_date
                  AND NOT coalesce(g.previous_a < p.start_date AND g.previous_b >= p.start_date, false)) AS became
         FROM periods p`,
      q.params,
    );
    return pointsFrom(f.periods, rows, (row) => ({
      value: toNumber(row?.inactive),
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
