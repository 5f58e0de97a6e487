import { z } from 'zod';
import { organisationRootSql } from '../../people/organisations.ts';
import { defineKpi, inOrganisation, inPopulation, inProjects, type KpiContext, type Period, periodsRelation, pointsFrom, Query, rounded, toNumber } from '../kpi.ts';
import { businessTimeSql, isHolidayRegion, weekdayHolidays } from './business-days.ts';
import { explanation } from './explain-helpers.ts';
import { leadingEntity, leadingParameters, leadingSql } from './leading-organisations.ts';

const parameters = leadingParameters.extend({
  /** Business days a reviewer has to respond on an MR from a leading organisation. */
  leadingSlo: z.number().positive().default(4),
  /** Business days a reviewer has to respond on a team member's MR. */
  teamSlo: z.number().positive().default(2),
  /** Public holidays that are not business days: a country or country-state code date-holidays knows ("US", "DE-BY"). Weekends only when absent. */
  holidays: z.string().refine(isHolidayRegion, 'is not a country or state code date-holidays knows (e.g. US, DE-BY)').optional(),
});
type Parameters = z.output<typeof parameters>;

/**
 * Every review request made in the periods, with its segment (leading, team or other), SLO, business
 * days elapsed and status: met (answered within the SLO), missed (answered late, or unanswered past it),
 * pending (unanswered, within it: still open, or the MR ended first), none (no SLO).
 */
function requestsSql(context: KpiContext<Parameters>, q: Query, periods: readonly Period[]): string {
  const f = context.filters;
  const parameters = context.parameters;
  const lastYear = Math.max(new Date().getUTCFullYear(), Number((periods.at(-1)?.end ?? f.to).slice(0, 4)));
  const holidayList = weekdayHolidays(parameters.holidays, Number((periods[0]?.start ?? f.from).slice(0, 4)), lastYear);
  const holidays = holidayList.length > 0 ? q.param(holidayList, '::date[]') : null;
  const organisation = parameters.rollUpToParent ? 'coalesce(root.root_id, rr.organisation_id)' : 'rr.organisation_id';
  // The leading status is the organisation's own, whatever organisation the report is filtered to.
  const everyOrganisation = { ...context, filters: { ...f, organisationIds: null } };
  // kpi_review_requests carries its MR's author and dates under the names the shared filters expect.
  const requests = `(SELECT rr.*, rr.author_class AS class, rr.author_canonical_id AS canonical_id FROM ${context.relations.reviewRequests} rr)`;
  return `WITH requests AS MATERIALIZED (
      SELECT p.key, rr.merge_request_id, rr.reviewer_canonical_id, rr.requested_at, rr.responded_at, rr.requested_business_days, rr.until_business_days,
             greatest(rr.requested_at, coalesce(rr.responded_at, rr.ended_at, now())) AS until_at,
             rr.class AS author_class, rr.canonical_id AS author_canonical_id,
             date_trunc('month', rr.opened_at AT TIME ZONE 'UTC')::date AS opened_month,
             ${leadingEntity('rr.organisation_id', organisation, 'rr.canonical_id')} AS entity
        FROM ${periodsRelation(periods)} p
        JOIN ${requests} rr ON rr.requested_at >= p.start_at AND rr.requested_at < p.end_at
        ${parameters.rollUpToParent ? `LEFT JOIN (${organisationRootSql}) root ON root.organisation_id = rr.organisation_id` : ''}
       WHERE rr.reviewer_class <> 'bot' AND rr.reviewer_canonical_id IS DISTINCT FROM rr.canonical_id
         AND ${inProjects(q, f, 'rr')} AND ${inPopulation(f, 'rr')} AND ${inOrganisation(q, f, 'rr')}),
    leaders AS MATERIALIZED (${leadingSql(everyOrganisation, q, 'SELECT DISTINCT opened_month AS month FROM requests WHERE opened_month IS NOT NULL', parameters)}),
    -- Streamed, not materialised (OFFSET 0 keeps each level from being folded into the next, so the segment
    -- and the business days are computed once per request): a materialised step per level wrote and re-read
    -- every request twice.
    segmented AS (
      SELECT r.*, CASE WHEN r.author_class = 'team' THEN 'team'
                       -- One uncorrelated key lookup (a hashed subplan), not a join that sorts every request.
                       WHEN r.opened_month::text || ' ' || r.entity IN (SELECT l.month::text || ' ' || l.entity FROM leaders l) THEN 'leading' ELSE 'other' END AS segment
        FROM requests r OFFSET 0),
    measured AS (
      SELECT s.*, CASE s.segment WHEN 'team' THEN ${q.param(parameters.teamSlo)}::float8 WHEN 'leading' THEN ${q.param(parameters.leadingSlo)}::float8 END AS slo,
             ${
               holidays === null
                 ? // Without holidays the rollup holds both ends, but for requests still waiting (measured to now).
                   `coalesce(s.until_business_days, ${businessTimeSql('s.until_at', null)}) - s.requested_business_days`
                 : `${businessTimeSql('s.until_at', holidays)} - ${businessTimeSql('s.requested_at', holidays)}`
             } AS business_days
        FROM segmented s OFFSET 0)
    SELECT m.*, CASE WHEN m.slo IS NULL THEN 'none' WHEN m.business_days >= m.slo THEN 'missed' WHEN m.responded_at IS NOT NULL THEN 'met' ELSE 'pending' END AS status
      FROM measured m`;
}

/** Review-response SLO: the share of review requests answered within their service level. */
export const reviewResponseSlo = defineKpi<Parameters>({
  id: 'review-response-slo',
  title: 'Review-response SLO',
  definition:
    "Of the review requests (a reviewer assigned) made in the period on MRs with a service level, the percentage the reviewer answered (first review, approval or note) within it: under 4 business days on MRs from leading organisations (opened while the organisation held the status), under 2 on team members' MRs; other MRs have none.",
  source: {
    name: 'GitLab handbook',
    url: 'https://handbook.gitlab.com/handbook/marketing/developer-relations/leading-organizations/',
    choices:
      "Requests are grouped by the day they were made. Business days are fractional and exclude Saturdays and Sundays (UTC days), and the public holidays of the `holidays` country when given (date-holidays). An unanswered request counts as missed once its SLO has passed (measured to now, or to the merge or close when the MR ended), and is left out while it still could be met. Requests to bots and to the MR's own author are left out. The leading status is that of the month the MR was opened (see leading-organisations, same parameters), whatever organisation the report is filtered to.",
  },
  unit: '%',
  grains: ['week', 'month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['all', 'community', 'team'],
  needs: ['merge requests', 'review requests'],
  parameters,
  higherIsBetter: true,
  async series(context) {
    const q = new Query();
    const rows = await context.session.query<Record<string, unknown> & { key: string }>(
      `SELECT r.key,
              count(*) FILTER (WHERE r.status = 'met') AS met, count(*) FILTER (WHERE r.status = 'missed') AS missed,
              count(*) FILTER (WHERE r.status = 'pending') AS pending,
              count(*) FILTER (WHERE r.segment = 'leading' AND r.status = 'met') AS leading_met,
              count(*) FILTER (WHERE r.segment = 'leading' AND r.status = 'missed') AS leading_missed,
              count(*) FILTER (WHERE r.segment = 'team' AND r.status = 'met') AS team_met,
              count(*) FILTER (WHERE r.segment = 'team' AND r.status = 'missed') AS team_missed
         FROM (${requestsSql(context, q, context.filters.periods)}) r
        GROUP BY r.key`,
      q.params,
    );
    const share = (met: number, missed: number) => (met + missed === 0 ? null : rounded((100 * met) / (met + missed)));
    return pointsFrom(context.filters.periods, rows, (row) => {
      const met = toNumber(row?.met);
      const missed = toNumber(row?.missed);
      return {
        value: share(met, missed),
        values: {
          leading: share(toNumber(row?.leading_met), toNumber(row?.leading_missed)),
          team: share(toNumber(row?.team_met), toNumber(row?.team_missed)),
          met,
          missed,
          pending: toNumber(row?.pending),
        },
        basis: met + missed,
      };
    });
  },
  async explain(context, period) {
    const q = new Query();
    const rows = await context.session.query(
      `SELECT pr.path || '!' || m.number AS merge_request, coalesce(author.name, author.key) AS author, r.segment,
              coalesce(reviewer.name, reviewer.key) AS reviewer, r.requested_at, r.responded_at,
              round(r.business_days::numeric, 2)::float8 AS business_days, r.slo, r.status AS status
         FROM (${requestsSql(context, q, [period])}) r
         JOIN merge_requests m ON m.id = r.merge_request_id JOIN projects pr ON pr.id = m.project_id
         LEFT JOIN people author ON author.id = r.author_canonical_id
         LEFT JOIN people reviewer ON reviewer.id = r.reviewer_canonical_id
        ORDER BY r.requested_at, pr.path, m.number, reviewer.key`,
      q.params,
    );
    const counted = rows.filter((r) => r.status === 'met' || r.status === 'missed');
    const met = counted.filter((r) => r.status === 'met').length;
    return explanation(`${met} of ${counted.length} review requests made in ${period.key} with an SLO were answered within it (pending and none are not counted)`, rows);
  },
});
