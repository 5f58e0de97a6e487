import { defineKpi, inOrganisation, inPopulation, inProjects, instantInPeriod, periodsRelation, pointsFrom, Query, rounded, toNumber, withinPeriod } from '../kpi.ts';
import { explanation, mergeRequestRows, } from './explain-helpers.ts';

// Hours from opening to the first response; a response dated before the opening (clock skew, a source's
// review date) counts as immediate rather than negative. Null when there was no response (greatest() alone would say 0).
const responseHours = `CASE WHEN f.first_response_at IS NOT NULL THEN greatest(date_part('epoch', f.first_response_at - f.created_at) / 3600, 0) END`;

/** Time to first response: the median wait of MRs opened in the period for someone else to respond. */
export const timeToFirstResponse = defineKpi({
  id: 'time-to-first-response',
  title: 'Time to first response',
  definition:
    'Over the merge requests opened in the period that got a response, the median of (first response − opening) in hours. A response is a note (not a system note), a review or an approval by anyone but the author, bots excluded. MRs still without a response are counted apart (values: unanswered), not in the median.',
  source: {
    name: 'CHAOSS',
    url: 'https://chaoss.community/kb/metric-time-to-first-response/',
    choices:
      'Cohort by opening date: an MR opened in the period counts with its response even if that came later. Unanswered MRs are reported beside the median instead of being given an age. The author is recognised as a canonical person, so a reply from their other account is not a response. Population: that of the author when the MR was opened.',
  },
  unit: 'hours',
  grains: ['week', 'month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['community', 'team', 'all'],
  needs: ['merge requests', 'open dates', 'responses'],
  higherIsBetter: false,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const rows = await context.session.query<{ key: string; median: unknown; opened: unknown; answered: unknown }>(
      `SELECT p.key, percentile_cont(0.5) WITHIN GROUP (ORDER BY ${responseHours}) FILTER (WHERE f.first_response_at IS NOT NULL) AS median,
              count(*) AS opened, count(f.first_response_at) AS answered
         FROM ${periodsRelation(f.periods)} p
         JOIN ${context.relations.mergeRequests} f ON ${instantInPeriod(f, 'f.created_at')}
        WHERE ${inProjects(q, f, 'f')} AND ${inPopulation(f, 'f')} AND ${inOrganisation(q, f, 'f')}
          AND f.created_at >= (${q.param(f.periods[0]?.start ?? f.from)}::date::timestamp AT TIME ZONE 'UTC')
          AND f.created_at < (${q.param(f.periods.at(-1)?.end ?? f.to)}::date::timestamp AT TIME ZONE 'UTC')
        GROUP BY p.key`,
      q.params,
    );
    return pointsFrom(f.periods, rows, (row) => {
      const opened = toNumber(row?.opened);
      const answered = toNumber(row?.answered);
      return { value: rounded(row?.median), values: { opened, answered, unanswered: opened - answered }, basis: answered };
    });
  },
  async explain(context, period) {
    const rows = await mergeRequestRows(
      context,
      period,
      () => withinPeriod('f.created_at'),
      { first_response_at: 'f.first_response_at', response_hours: `round((${responseHours})::numeric, 2)` },
      { order: 'f.created_at, pr.path, m.number' },
    );
    const answered = rows.filter((r) => r.first_response_at !== null).length;
    return explanation(
      `${rows.length} merge requests opened in ${period.key}, ${answered} answered: the value is the median of response_hours over the answered ones`,
      rows,
    );
  },
});
