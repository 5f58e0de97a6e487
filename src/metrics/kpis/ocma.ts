import { defineKpi, periodsRelation, pointsFrom, Query, rounded } from '../kpi.ts';
import { explanation, mergeRequestRows } from './explain-helpers.ts';
import { openAt, openCandidatesSql } from './open-merge-requests.ts';

/**
 * Open community MR age (OCMA): on a day, the median age of the community merge requests open then. A
 * daily series; for longer periods the value is the one at the period's end.
 */
export const ocma = defineKpi({
  id: 'ocma',
  title: 'Open community MR age',
  definition:
    "On a day d, the median of (d − opened) in days over the community merge requests open at the end of d. For a month, quarter or year, the value at the end of its last day. Median, not mean: a few ancient MRs must not hide a healthy queue.",
  source: {
    name: 'GitLab handbook',
    url: 'https://handbook.gitlab.com/handbook/engineering/quality/performance-indicators/',
    choices: 'Age is measured at the end of the day (UTC). An MR closed without a recorded date is left out, not counted as open forever.',
  },
  unit: 'days',
  grains: ['day', 'week', 'month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['community', 'team', 'all'],
  needs: ['merge requests', 'open dates'],
  target: '< 100 days (team goal < 30)',
  higherIsBetter: false,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const rows = await context.session.query<{ key: string; median: unknown; open: unknown }>(
      // One ordered aggregate per period (LATERAL): each sorts its own tens of thousands of ages in memory,
      // where grouping the joined (period, MR) pairs sorted all of them by period first, on disk.
      `WITH candidates AS MATERIALIZED (${openCandidatesSql(context, q)})
       SELECT p.key, o.median, o.open
         FROM ${periodsRelation(f.periods)} p
         CROSS JOIN LATERAL (
           SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM p.end_at - f.created_at) / 86400) AS median, count(*) AS open
             FROM candidates f WHERE ${openAt('p.end_at')}) o
        WHERE o.open > 0`,
      q.params,
    );
    return pointsFrom(f.periods, rows, (row) => ({ value: rounded(row?.median), basis: row ? Number(row.open) : 0 }));
  },
  async explain(context, period) {
    const rows = await mergeRequestRows(
      context,
      period,
      () => openAt('p.end_at'),
      { age_days: `round((extract(epoch FROM p.end_at - f.created_at) / 86400)::numeric, 2)` },
      { order: 'f.created_at, pr.path, m.number' },
    );
    return explanation(`${rows.length} community merge requests were open at the end of ${period.end} (exclusive end of ${period.key}); the value is the median of age_days`, rows);
  },
});
