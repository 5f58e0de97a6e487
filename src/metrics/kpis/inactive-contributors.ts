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
  toCount,
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
 * Each person's lapses: for every month m with a contribution, followed by the next such month (or none),
 * the person is inactive at a month boundary E when m + interval < E ≤ next, i.e. from lapse_start =
 * m + interval + 1 month to next_month inclusive. Lapses never overlap, so a person is in at most one at E.
 * Needs every month before the last period end: "contributed before" reaches back through all history.
 */
function lapsesSql(q: Query, context: KpiContext<Parameters>, until: string): string {
  const f = context.filters;
  const months = `SELECT am.canonical_id, am.month, max(am.last_at) AS last_at
      FROM ${context.relations.activityMonths} am
     WHERE am.month < ${q.param(until, '::date')} AND ${inKinds(q, context.parameters.kinds, 'am')} AND ${inActivityProjects(q, f, 'am')}
       AND ${inPopulation(f, 'am')} AND ${inOrganisation(q, f, 'am')}
     GROUP BY am.canonical_id, am.month`;
  return `(SELECT * FROM (
      SELECT m.canonical_id, m.month AS last_month, m.last_at,
             (m.month + make_interval(months => ${q.param(context.parameters.intervalMonths + 1, '::int')}))::date AS lapse_start,
             lead(m.month) OVER (PARTITION BY m.canonical_id ORDER BY m.month) AS next_month
        FROM (${months}) m) s
     WHERE s.next_month IS NULL OR s.next_month >= s.lapse_start)`;
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
      `SELECT p.key, count(*) AS inactive, count(*) FILTER (WHERE l.lapse_start > p.start_date) AS became
         FROM ${periodsRelation(q, f.periods)} p
         JOIN ${lapsesSql(q, context, f.periods.at(-1)?.end ?? f.to)} l ON l.lapse_start <= p.end_date AND (l.next_month IS NULL OR l.next_month >= p.end_date)
        GROUP BY p.key`,
      q.params,
    );
    return pointsFrom(f.periods, rows, (row) => ({ value: toCount(row?.inactive), values: { 'became inactive': toCount(row?.became) } }));
  },
  async explain(context, period: Period) {
    const q = new Query();
    const end = q.param(period.end, '::date');
    const rows = await context.session.query<Record<string, unknown>>(
      `SELECT person.key AS person, coalesce(person.name, person.key) AS name, l.last_at AS last_contribution_at,
              (l.lapse_start > ${q.param(period.start, '::date')}) AS became_inactive_in_period
         FROM ${lapsesSql(q, context, period.end)} l JOIN people person ON person.id = l.canonical_id
        WHERE l.lapse_start <= ${end} AND (l.next_month IS NULL OR l.next_month >= ${end})
        ORDER BY l.last_at DESC, person.key`,
      q.params,
    );
    return explanation(`${rows.length} people had contributed but not in the ${context.parameters.intervalMonths} months before ${period.end}`, rows);
  },
});
