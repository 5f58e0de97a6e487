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
  withinPeriod,
} from '../kpi.ts';
import { inKinds, kindsParameter } from './contributions.ts';
import { explanation } from './explain-helpers.ts';

const parameters = z.strictObject({ kinds: kindsParameter });
type Parameters = z.infer<typeof parameters>;

/**
 * Each person's first contribution of the chosen kinds, for the people whose first one falls in
 * [from, to): their earliest activity span starting in the range, kept only when no span of theirs
 * starts earlier. Reads kpi_activity_spans through its first_at and canonical_id indexes.
 */
function firstContributionsSql(q: Query, context: KpiContext<Parameters>, from: string, to: string, withKind = true): string {
  const f = context.filters;
  const kinds = context.parameters.kinds;
  // Without the first kind to show and with every kind counted, the spans without kinds hold the same firsts
  // (class and organisation depend on the person and the instant only) in a quarter of the rows.
  const byKind = withKind || Boolean(kinds?.length);
  const spans = byKind ? context.relations.activitySpans : context.relations.personSpans;
  const start = `(${q.param(from, '::date')}::timestamp AT TIME ZONE 'UTC')`;
  return `(SELECT r.* FROM (
      SELECT DISTINCT ON (s.canonical_id) s.canonical_id, s.first_at, ${byKind ? 's.kind' : 'NULL AS kind'}, s.project_id, s.class, s.organisation_id
        FROM ${spans} s
       WHERE s.first_at >= ${start} AND s.first_at < (${q.param(to, '::date')}::timestamp AT TIME ZONE 'UTC') AND s.class <> 'bot'
         AND ${inKinds(q, kinds, 's')} AND ${inActivityProjects(q, f, 's')}
       ORDER BY s.canonical_id, s.first_at, ${byKind ? 's.kind, ' : ''}s.project_id, s.class, s.organisation_id) r
     WHERE NOT EXISTS (
       SELECT 1 FROM ${spans} e
        WHERE e.canonical_id = r.canonical_id AND e.first_at < ${start} AND e.class <> 'bot'
          AND ${inKinds(q, kinds, 'e')} AND ${inActivityProjects(q, f, 'e')}))`;
}

/** New contributors: people whose first contribution ever (of the chosen kinds, in the chosen projects) falls in the period. */
export const newContributors = defineKpi<Parameters>({
  id: 'new-contributors',
  title: 'New contributors',
  definition:
    'People whose first contribution ever, of the chosen kinds (every activity kind by default: code, reviews, comments, issues, chat, forum, translation, talks) and in the chosen projects, falls in the period. A person counts once, under the population and organisation they had at that first contribution.',
  source: {
    name: 'CHAOSS',
    url: 'https://chaoss.community/kb/metric-new-contributors/',
    choices:
      'Every activity kind counts by default, since CHAOSS counts any contribution and a contributor-success team welcomes a first forum post as much as a first MR; parameter `kinds` narrows it (e.g. ["mr_opened"] for first code contributions). "Ever" is the whole recorded history of the chosen projects. Activities outside any project (chat, forum, events) count when no project was chosen explicitly, and not when one was. Population and organisation are those of the first contribution: someone who first contributed as a team member is never a new community contributor. Bots are never counted.',
  },
  unit: 'people',
  grains: ['week', 'month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['community', 'team', 'all'],
  needs: ['activities'],
  parameters,
  higherIsBetter: true,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const firsts = firstContributionsSql(q, context, f.periods[0]?.start ?? f.from, f.periods.at(-1)?.end ?? f.to, false);
    const rows = await context.session.query<{ key: string; people: unknown }>(
      `SELECT p.key, count(*) AS people
         FROM ${periodsRelation(f.periods)} p JOIN ${firsts} n ON ${withinPeriod('n.first_at')}
        WHERE ${inPopulation(f, 'n')} AND ${inOrganisation(q, f, 'n')}
        GROUP BY p.key`,
      q.params,
    );
    return pointsFrom(f.periods, rows, (row) => ({ value: toNumber(row?.people) }));
  },
  async explain(context, period: Period) {
    const q = new Query();
    const f = context.filters;
    const rows = await context.session.query<Record<string, unknown>>(
      `SELECT person.key AS person, coalesce(person.name, person.key) AS name, n.first_at, n.kind AS first_kind,
              pr.path AS project, n.class, o.name AS organisation
         FROM ${firstContributionsSql(q, context, period.start, period.end)} n
         JOIN people person ON person.id = n.canonical_id
         LEFT JOIN projects pr ON pr.id = n.project_id
         LEFT JOIN organisations o ON o.id = n.organisation_id
        WHERE n.first_at >= (${q.param(period.start)}::date::timestamp AT TIME ZONE 'UTC') AND n.first_at < (${q.param(period.end)}::date::timestamp AT TIME ZONE 'UTC')
          AND ${inPopulation(f, 'n')} AND ${inOrganisation(q, f, 'n')}
        ORDER BY n.first_at, person.key`,
      q.params,
    );
    return explanation(`${rows.length} people made their first contribution in ${period.key}`, rows);
  },
});
