import { inOrganisation, inPopulation, inProjects, type KpiContext, type Query } from '../kpi.ts';

/** Open at instant t: opened before t, and merged or closed at or after t, or still open (open_until is 'infinity'). */
export const openAt = (t: string) => `f.created_at < ${t} AND f.open_until >= ${t}`;

/**
 * The MRs of the population open at some period end of the range, read once through the open_until
 * index, before meeting each period's end (OCMA and the backlog).
 */
export function openCandidatesSql(context: KpiContext<unknown>, q: Query): string {
  const f = context.filters;
  const last = f.periods.at(-1)?.end ?? f.to;
  const first = f.periods[0]?.start ?? f.from;
  return `SELECT f.created_at, f.open_until FROM ${context.relations.mergeRequests} f
     WHERE f.open_until >= (${q.param(first)}::date::timestamp AT TIME ZONE 'UTC') + interval '1 day'
       AND f.created_at < (${q.param(last)}::date::timestamp AT TIME ZONE 'UTC')
       AND ${inProjects(q, f, 'f')} AND ${inPopulation(f, 'f')} AND ${inOrganisation(q, f, 'f')}`;
}
