import { defineKpi, Query, rounded } from '../kpi.ts';
import { explanation, mergeRequestRows } from './explain-helpers.ts';
import { openAt, openCandidatesSql } from './open-merge-requests.ts';

/** The median of values sorted from largest to smallest, interpolated as SQL's percentile_cont(0.5); null for none. */
function medianOfDescending(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const position = (values.length - 1) / 2;
  // Ascending position p is descending index n − 1 − p.
  const at = (ascending: number) => values[values.length - 1 - ascending] as number;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return at(low) + (at(high) - at(low)) * (position - low);
}

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
    // The candidates' instants, in seconds: the median of each period end's open MRs is taken here from one
    // sorted list, where SQL sorted the ages once per period (12 sorts of tens of thousands of rows a year).
    const rows = await context.session.query<{ created: number; until: number }>(
      `SELECT extract(epoch FROM f.created_at)::float8 AS created, extract(epoch FROM f.open_until)::float8 AS until FROM (${openCandidatesSql(context, q)}) f`,
      q.params,
    );
    const createdOf = rows.map((row) => Number(row.created));
    const sorted = createdOf.map((_, index) => index).sort((a, b) => (createdOf[a] as number) - (createdOf[b] as number));
    const created = Float64Array.from(sorted, (index) => createdOf[index] as number);
    const until = Float64Array.from(sorted, (index) => Number(rows[index]?.until));
    return f.periods.map((period) => {
      const end = Date.parse(`${period.end}T00:00:00Z`) / 1000;
      // Ages at the end, oldest first: created_at ascending among the MRs open then (created before, open until at or after).
      const ages: number[] = [];
      for (let i = 0; i < created.length && (created[i] as number) < end; i++) {
        if ((until[i] as number) >= end) ages.push((end - (created[i] as number)) / 86400);
      }
      return { period: period.key, start: period.start, end: period.end, value: rounded(medianOfDescending(ages)), basis: ages.length };
    });
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
