import { defineKpi, inOrganisation, inPopulation, inProjects, periodOrdinal, pointsEach, Query, rounded, toNumber, withinPeriod } from '../kpi.ts';
import { explanation, mergeRequestRows } from './explain-helpers.ts';

/** The instant an MR stopped being open: merged, or closed without merging. */
const closedAt = 'coalesce(f.merged_at, f.closed_at)';

/** Change request closure ratio: MRs closed (merged or not) in the period ÷ MRs opened in it, in percent. */
export const closureRatio = defineKpi({
  id: 'closure-ratio',
  title: 'Change request closure ratio',
  definition:
    'Merge requests closed in the period (merged or closed without merging) ÷ merge requests opened in the period, in percent. Above 100 % the queue shrank, below it grew. The MRs closed need not be the ones opened: it compares two flows.',
  source: {
    name: 'CHAOSS',
    url: 'https://chaoss.community/kb/metric-change-request-closure-ratio/',
    choices:
      'Only MRs with a known opening date count, on both sides: an MR read from git history alone has a merge but no opening, and counting its merge would inflate the ratio. An MR closed without a recorded date is left out. The population is that of the author when the MR was opened.',
  },
  unit: 'percent',
  grains: ['week', 'month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['community', 'team', 'all'],
  needs: ['merge requests', 'open dates'],
  higherIsBetter: true,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const first = q.param(f.periods[0]?.start ?? f.from);
    const last = q.param(f.periods.at(-1)?.end ?? f.to);
    const inRange = (column: string) => `(${column} >= (${first}::date::timestamp AT TIME ZONE 'UTC') AND ${column} < (${last}::date::timestamp AT TIME ZONE 'UTC'))`;
    const ordinal = periodOrdinal(q, f.periods);
    // Each MR counted in the period it was opened in and the one it ended in, by ordinal: no MR × period join.
    const rows = await context.session.query<{ ordinal: unknown; opened: unknown; closed: unknown; merged: unknown }>(
      `WITH mrs AS MATERIALIZED (
         SELECT f.created_at, f.merged_at, ${closedAt} AS ended_at FROM ${context.relations.mergeRequests} f
          WHERE f.created_at IS NOT NULL AND ${inProjects(q, f, 'f')} AND ${inPopulation(f, 'f')} AND ${inOrganisation(q, f, 'f')}
            AND (${inRange('f.created_at')} OR ${inRange('f.merged_at')} OR ${inRange('f.closed_at')}))
       SELECT x.ordinal, sum(x.opened) AS opened, sum(x.closed) AS closed, sum(x.merged) AS merged
         FROM (SELECT ${ordinal('f.created_at')} AS ordinal, 1 AS opened, 0 AS closed, 0 AS merged FROM mrs f
               UNION ALL
               SELECT ${ordinal('f.ended_at')}, 0, 1, (f.merged_at IS NOT NULL)::int FROM mrs f) x
        WHERE x.ordinal IS NOT NULL
        GROUP BY x.ordinal`,
      q.params,
    );
    const byOrdinal = new Map(rows.map((row) => [toNumber(row.ordinal), row]));
    return pointsEach(f.periods, (_period, index) => {
      const row = byOrdinal.get(index + 1);
      const opened = toNumber(row?.opened);
      const closed = toNumber(row?.closed);
      const merged = toNumber(row?.merged);
      return {
        value: opened === 0 ? null : rounded((100 * closed) / opened),
        values: { opened, closed, merged, 'closed unmerged': closed - merged },
        basis: opened,
      };
    });
  },
  async explain(context, period) {
    const rows = await mergeRequestRows(
      context,
      period,
      () => `f.created_at IS NOT NULL AND ((${withinPeriod('f.created_at')}) OR (${withinPeriod(closedAt)}))`,
      { closed_at: 'f.closed_at', opened_in_period: `(${withinPeriod('f.created_at')})`, closed_in_period: `coalesce(${withinPeriod(closedAt)}, false)` },
      { order: 'f.created_at, pr.path, m.number' },
    );
    const opened = rows.filter((r) => r.opened_in_period).length;
    const closed = rows.filter((r) => r.closed_in_period).length;
    return explanation(`${closed} merge requests closed (merged or not) and ${opened} opened in ${period.key}: the ratio is closed ÷ opened`, rows);
  },
});
