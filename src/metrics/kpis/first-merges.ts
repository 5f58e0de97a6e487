import { inOrganisation, inPopulation, inProjects, type KpiContext, monthInPeriod, type Period, periodsRelation, type Query } from '../kpi.ts';

/**
 * For each period, the people of the population who had a merge request merged in it, with the instant of
 * their first-ever merged MR in the chosen projects: new when that instant falls in the period, returning
 * when it is before. "First-ever" looks at all history (not only the range asked for) and at MRs of any
 * class but bot, so a former team member who now contributes as wider community is returning, not new.
 *
 * Rows (key, canonical_id, merged, first_ever_at, new). The candidates are taken from the periods first,
 * and only their author spans are read (by canonical person), so the cost follows the range, not the table.
 */
export function firstMergesSql(context: KpiContext<unknown>, q: Query, periods: readonly Period[] = context.filters.periods): string {
  const f = context.filters;
  const am = context.relations.authorMonths;
  return `WITH active AS MATERIALIZED (
      SELECT p.key, min(p.start_at) AS start_at, am.canonical_id, sum(am.merged) AS merged
        FROM ${periodsRelation(periods)} p
        JOIN ${am} am ON ${monthInPeriod({ ...f, periods }, 'am.month')}
       WHERE am.merged > 0 AND ${inProjects(q, f, 'am')} AND ${inPopulation(f, 'am')} AND ${inOrganisation(q, f, 'am')}
       GROUP BY p.key, am.canonical_id),
    first_ever AS MATERIALIZED (
      SELECT h.canonical_id, min(h.first_merged_at) AS first_ever_at
        FROM ${context.relations.authorSpans} h
       WHERE h.canonical_id IN (SELECT canonical_id FROM active) AND h.class <> 'bot' AND ${inProjects(q, f, 'h')}
       GROUP BY h.canonical_id)
    SELECT a.key, a.canonical_id, a.merged, fe.first_ever_at, (fe.first_ever_at >= a.start_at) AS new
      FROM active a JOIN first_ever fe ON fe.canonical_id = a.canonical_id`;
}

/** The people behind one period's value: who, how many MRs merged in the period, and their first-ever merged MR. */
export async function firstMergeRows(context: KpiContext<unknown>, period: Period, q: Query, which: 'new' | 'all'): Promise<Record<string, unknown>[]> {
  const f = context.filters;
  return context.session.query(
    `WITH fm AS (${firstMergesSql(context, q, [period])})
     SELECT person.key AS person, coalesce(person.name, person.key) AS name, CASE WHEN fm.new THEN 'new' ELSE 'returning' END AS status,
            fm.merged::int AS merged_in_period, fm.first_ever_at, first_mr.merge_request AS first_merge_request
       FROM fm
       LEFT JOIN people person ON person.id = fm.canonical_id
       LEFT JOIN LATERAL (
         SELECT pr.path || '!' || m.number AS merge_request
           FROM ${context.relations.mergeRequests} x JOIN merge_requests m ON m.id = x.merge_request_id JOIN projects pr ON pr.id = x.project_id
          WHERE x.canonical_id = fm.canonical_id AND x.merged_at = fm.first_ever_at AND ${inProjects(q, f, 'x')}
          ORDER BY pr.path, m.number LIMIT 1) first_mr ON true
      WHERE ${which === 'new' ? 'fm.new' : 'true'}
      ORDER BY fm.new DESC, fm.first_ever_at, person.key`,
    q.params,
  );
}
