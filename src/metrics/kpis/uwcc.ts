import { defineKpi, inOrganisation, inPopulation, inProjects, monthInPeriod, periodsRelation, pointsFrom, Query, toNumber, withinPeriod, withinSpan } from '../kpi.ts';
import { explanation, mergeRequestRows, } from './explain-helpers.ts';

/**
 * Unique wider-community contributors (UWCC): the people who authored at least one community merge
 * request merged in the period, each counted once however many MRs and identities they have.
 */
export const uwcc = defineKpi({
  id: 'uwcc',
  title: 'Unique wider-community contributors',
  definition:
    'Distinct authors of community merge requests merged in the period. A person counts once however many MRs they merged and however many identities they used; the author is community when not a team member (nor a bot) when the MR was opened.',
  source: {
    name: 'GitLab handbook',
    url: 'https://handbook.gitlab.com/handbook/marketing/developer-relations/contributor-success/',
    choices: 'Team status is taken when the MR was opened (merged_at for MRs read from git history alone).',
  },
  unit: 'people',
  grains: ['month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['community', 'team', 'all'],
  needs: ['merge requests'],
  target: '> 150 per month',
  higherIsBetter: true,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const rows = await context.session.query<{ key: string; people: unknown; merged: unknown }>(
      `SELECT p.key, count(DISTINCT am.canonical_id) AS people, sum(am.merged) AS merged
         FROM ${periodsRelation(f.periods)} p
         JOIN ${context.relations.authorMonths} am ON ${monthInPeriod(f, 'am.month')}
        WHERE ${withinSpan(f.periods, 'am.month', 'month')} AND am.merged > 0 AND ${inProjects(q, f, 'am')} AND ${inPopulation(f, 'am')} AND ${inOrganisation(q, f, 'am')}
        GROUP BY p.key`,
      q.params,
    );
    return pointsFrom(f.periods, rows, (row) => ({ value: toNumber(row?.people), basis: toNumber(row?.merged) }));
  },
  async explain(context, period) {
    const rows = await mergeRequestRows(context, period, () => withinPeriod('f.merged_at'));
    const people = new Set(rows.map((r) => r.person));
    return explanation(`${people.size} people authored these ${rows.length} merge requests merged in ${period.key}`, rows);
  },
});
