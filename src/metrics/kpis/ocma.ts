import { defineKpi, pointsEach, Query, rounded } from '../kpi.ts';
import { explanation, mergeRequestRows } from './explain-helpers.ts';
import { openAt, openSpansSql } from './open-merge-requests.ts';

/**
 * The median of `values` (reordered in place), interpolated as SQL's percentile_cont(0.5); null for none.
 * Quickselect: each period end's median costs one pass over its MRs, not a sort.
 */
function median(values: Float64Array): number | null {
  const n = values.length;
  if (n === 0) return null;
  const position = (n - 1) / 2;
  const low = Math.floor(position);
  const lower = select(values, low);
  if (low === position) return lower;
  // After select, everything past `low` is at least values[low]: the next order statistic is their minimum.
  let upper = Number.POSITIVE_INFINITY;
  for (let i = low + 1; i < n; i++) if ((values[i] as number) < upper) upper = values[i] as number;
  return lower + (upper - lower) * (position - low);
}

/** The k-th smallest of `a` (0-based), leaving smaller values before index k and larger ones after it. */
function select(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (left < right) {
    const pivot = a[(left + right) >> 1] as number;
    let i = left;
    let j = right;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k] as number;
  }
  return a[k] as number;
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
    // The candidates as pairs "opened (epoch seconds),open_through" in one text: each period end's median is
    // taken here in one pass over them, where SQL sorted the ages once per period (12 sorts of tens of
    // thousands of rows a year). A hundred thousand rows cost far more to send and decode, on PGlite above
    // all, and a text list splits faster than either driver parses an array.
    const [row] = await context.session.query<{ pairs: string | null }>(
      `SELECT string_agg(date_part('epoch', s.created_at)::text || ',' || s.open_through::text, ',') AS pairs
         FROM (${openSpansSql(context, q)}) s`,
      q.params,
    );
    const numbers = row?.pairs ? row.pairs.split(',').map(Number) : [];
    const count = numbers.length / 2;
    const ages = new Float64Array(count);
    return pointsEach(f.periods, (period, index) => {
      const ordinal = index + 1;
      const end = Date.parse(`${period.end}T00:00:00Z`) / 1000;
      // Open at the end: opened before it, and open through it.
      let open = 0;
      for (let i = 0; i < count; i++) {
        const created = numbers[2 * i] as number;
        if (created < end && (numbers[2 * i + 1] as number) >= ordinal) ages[open++] = (end - created) / 86400;
      }
      return { value: rounded(median(ages.subarray(0, open))), basis: open };
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
