import { inOrganisation, inPopulation, inProjects, type KpiContext, type Period, type Query } from '../kpi.ts';

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

/**
 * The candidates with the period ends they were open at, as ordinals: open at the end of period i (1-based,
 * calendar periods in order) ⇔ opened_before < i ≤ open_through, where opened_before counts the ends at or
 * before the opening and open_through the ends at or before open_until (width_bucket over the sorted ends).
 * Counting or listing per period end then reads each MR once, where a join with the periods met each MR
 * once per period (on 1M MRs, a million pairs for a year of months).
 */
export function openSpansSql(context: KpiContext<unknown>, q: Query): string {
  const ends = q.param(
    context.filters.periods.map((p) => `${p.end}T00:00:00Z`),
    '::timestamptz[]',
  );
  return `SELECT f.created_at, width_bucket(f.created_at, ${ends}) AS opened_before, width_bucket(f.open_until, ${ends}) AS open_through
     FROM (${openCandidatesSql(context, q)}) f`;
}

/** Per period (in order), how many MRs were open at its end, from the (opened_before, open_through, n) groups of openSpansSql. */
export function openCounts(periods: readonly Period[], groups: readonly { opened_before: number; open_through: number; n: number }[]): number[] {
  return periods.map((_, index) => {
    const ordinal = index + 1;
    let open = 0;
    for (const g of groups) if (g.opened_before < ordinal && ordinal <= g.open_through) open += g.n;
    return open;
  });
}
