import { z } from 'zod';
import { defineKpi, inOrganisation, inPopulation, inProjects, type KpiContext, type Period, periodsRelation, Query, toNumber, windowOrdinals } from '../kpi.ts';
import { explanation } from './explain-helpers.ts';
import { bucketPoints } from './segments.ts';

const SEGMENTS = ['new', 'reactivated', 'high-performing', 'active', 'inactive'] as const;

const parameters = z.strictObject({
  /** The look-back ending at the period's end, in whole months: "in 6 months". */
  windowMonths: z.number().int().min(1).max(24).default(6),
  /** High-performing: at least this many MRs merged in one milestone within the window… */
  perMilestone: z.number().int().min(1).default(10),
  /** …or merged MRs in at least this many milestones within the window. */
  milestones: z.number().int().min(1).default(3),
});
type Parameters = z.infer<typeof parameters>;

/**
 * The parts both the series and the explanation read, per period end E, with W = the window before E and
 * V = the window before W: each person's merged MRs per month in V ∪ W (history), first merged month ever (firsts),
 * and per (period, person) merged within V ∪ W (recent): how many within W, whether any within V, and
 * their merges by milestone within W (most in one milestone, how many milestones). Month rows are listed
 * under the periods whose window holds them (windowOrdinals), and both kinds of rows are summed in one
 * aggregation, so no join of the per-period rows is left to the planner's guesses.
 */
function segmentCtes(q: Query, context: KpiContext<Parameters>, periods: readonly Period[], segmentsOnly = false): string {
  const f = context.filters;
  const { windowMonths, perMilestone, milestones } = context.parameters;
  // For counting segments only: someone with fewer milestones than the test asks and fewer merges in each than
  // it asks, over the whole range, is high-performing in no window, so their milestone rows need no listing.
  const possiblyHighPerforming = segmentsOnly
    ? `WHERE mm.canonical_id IN (
         SELECT t.canonical_id FROM (SELECT canonical_id, milestone_id, sum(n) AS n FROM milestone_months GROUP BY 1, 2) t
          GROUP BY t.canonical_id HAVING count(*) >= ${q.param(milestones, '::int')} OR max(t.n) >= ${q.param(perMilestone, '::int')})`
    : '';
  const window = `make_interval(months => ${q.param(windowMonths, '::int')})`;
  const first = q.param(periods[0]?.end ?? f.to, '::date');
  const last = q.param(periods.at(-1)?.end ?? f.to, '::date');
  const w = `(p.end_date - ${window})::date`;
  const inWindow = windowOrdinals(q, periods, windowMonths);
  const inEither = windowOrdinals(q, periods, 2 * windowMonths);
  const mine = (alias: string) => `${inProjects(q, f, alias)} AND ${inPopulation(f, alias)} AND ${inOrganisation(q, f, alias)}`;
  return `-- Everyone's first merged month, from the author spans (a row per person and project, not per month).
    firsts AS MATERIALIZED (
      SELECT s.canonical_id, date_trunc('month', min(s.first_merged_at) AT TIME ZONE 'UTC')::date AS first_month
        FROM ${context.relations.authorSpans} s WHERE ${mine('s')}
       GROUP BY s.canonical_id HAVING min(s.first_merged_at) < (${last}::timestamp AT TIME ZONE 'UTC')),
    -- Merges per person and month in V ∪ W, with the person's first merged month (joined here, once per row,
    -- not after the rows are listed per period).
    history AS MATERIALIZED (
      SELECT h.canonical_id, h.month, h.merged, fi.first_month
        FROM (SELECT am.canonical_id, am.month, sum(am.merged)::int AS merged FROM ${context.relations.authorMonths} am
               WHERE am.merged > 0 AND am.month >= (${first}::date - 2 * ${window})::date AND am.month < ${last} AND ${mine('am')}
               GROUP BY am.canonical_id, am.month) h
        JOIN firsts fi ON fi.canonical_id = h.canonical_id),
    periods AS MATERIALIZED (SELECT p.key, p.ordinal, p.end_date, ${w} AS w_start FROM ${periodsRelation(periods)} p),
    milestone_months AS MATERIALIZED (
      SELECT f.canonical_id, f.milestone_id, date_trunc('month', f.merged_at AT TIME ZONE 'UTC')::date AS month, count(*)::int AS n
        FROM ${context.relations.mergeRequests} f
       WHERE f.milestone_id IS NOT NULL AND f.canonical_id IS NOT NULL AND ${mine('f')}
         AND f.merged_at >= ((${first}::date - ${window})::date::timestamp AT TIME ZONE 'UTC')
         AND f.merged_at < (${last}::date::timestamp AT TIME ZONE 'UTC')
       GROUP BY 1, 2, 3),
    recent AS MATERIALIZED (
      SELECT x.ordinal, x.canonical_id, sum(x.in_window)::int AS in_window, bool_or(x.in_previous) AS in_previous,
             max(x.most) AS most, sum(x.milestones)::int AS milestones, min(x.first_month) AS first_month
        FROM (SELECT o.ordinal, h.canonical_id, CASE WHEN o.ordinal <= ${inWindow.last('h.month')} THEN h.merged END AS in_window,
                     o.ordinal > ${inWindow.last('h.month')} AS in_previous, NULL::int AS most, 0 AS milestones, h.first_month
                FROM history h CROSS JOIN LATERAL generate_series(${inEither.first('h.month')}, ${inEither.last('h.month')}) AS o(ordinal)
              UNION ALL
              SELECT m.ordinal, m.canonical_id, NULL, NULL, m.n, 1, NULL
                FROM (SELECT o.ordinal, mm.canonical_id, mm.milestone_id, sum(mm.n)::int AS n
                        FROM milestone_months mm CROSS JOIN LATERAL generate_series(${inWindow.first('mm.month')}, ${inWindow.last('mm.month')}) AS o(ordinal)
                       ${possiblyHighPerforming}
                       GROUP BY o.ordinal, mm.canonical_id, mm.milestone_id) m) x
       GROUP BY x.ordinal, x.canonical_id)`;
}

/** The segment of a person at a period's end (periods p), from recent r and their first merged month. */
function segmentCase(q: Query, context: KpiContext<Parameters>, firstMonth = 'fi.first_month'): string {
  const { perMilestone, milestones } = context.parameters;
  return `CASE WHEN r.in_window IS NULL THEN 'inactive'
                WHEN ${firstMonth} >= p.w_start THEN 'new'
                WHEN NOT coalesce(r.in_previous, false) THEN 'reactivated'
                WHEN r.most >= ${q.param(perMilestone, '::int')} OR r.milestones >= ${q.param(milestones, '::int')} THEN 'high-performing'
                ELSE 'active' END`;
}

/** Per (period, person who ever had an MR merged before the period's end): the segment at the period's end. */
function segmentsSql(q: Query, context: KpiContext<Parameters>, periods: readonly Period[]): string {
  return `(WITH ${segmentCtes(q, context, periods)}
    SELECT p.key, fi.canonical_id, fi.first_month, coalesce(r.in_window, 0) AS in_window,
           coalesce(r.most, 0) AS most_in_milestone, coalesce(r.milestones, 0) AS milestones,
           ${segmentCase(q, context)} AS segment
      FROM periods p
      JOIN firsts fi ON fi.first_month < p.end_date
      LEFT JOIN recent r ON r.ordinal = p.ordinal AND r.canonical_id = fi.canonical_id
     WHERE r.in_window IS NOT NULL OR fi.first_month < p.w_start)`;
}

/**
 * The people per (period, segment) other than inactive, as segmentsSql would count them, and everyone's first
 * merged month by how many windows start at or before it (width_bucket): the inactive of period i are those
 * whose first merge is before its window (bucket < i), less the ones of them who merged in it. No one is
 * listed once per period.
 */
function segmentCountsSql(q: Query, context: KpiContext<Parameters>, periods: readonly Period[]): string {
  // The last period whose window starts at or before a month: how many windows start at or before it.
  const windowsBefore = windowOrdinals(q, periods, context.parameters.windowMonths).last;
  return `WITH ${segmentCtes(q, context, periods, true)}
    SELECT p.key, ${segmentCase(q, context, 'r.first_month')} AS bucket, count(*) AS people, NULL::int AS windows_before
      FROM recent r JOIN periods p ON p.ordinal = r.ordinal
     WHERE r.in_window IS NOT NULL
     GROUP BY 1, 2
    UNION ALL
    SELECT NULL, NULL, count(*), ${windowsBefore('fi.first_month')} FROM firsts fi GROUP BY 4`;
}

/** Lifecycle segments: where each person who ever had an MR merged stands at the period's end. */
export const lifecycleSegments = defineKpi<Parameters>({
  id: 'lifecycle-segments',
  title: 'Contributor lifecycle segments',
  definition:
    "Everyone with an MR merged before the period's end, in one segment each, judged on the 6 months before that end (the window): new (first merged MR ever within the window), reactivated (merged within the window after none in the 6 months before it, but some earlier), high-performing (merged within the window, at least 10 MRs in one milestone or MRs in 3 milestones there), active (any other merge within the window), inactive (merged before, none within the window). The value is all of them; values give each segment.",
  source: {
    name: 'GitLab handbook',
    url: 'https://handbook.gitlab.com/handbook/marketing/developer-relations/contributor-success/',
    choices:
      'The handbook lists the segments without a precedence; here they are exclusive, checked in this order: new, reactivated, high-performing, active, inactive. "New (1 merged)" is read as newcomers of the window: their first merged MR ever is within it, however many followed. "After > 6 months without" is judged on whole calendar months: nothing merged in the 6 months before the window. High-performing is judged within the window (10 in one milestone or merges in 3 milestones; parameters perMilestone, milestones); an MR without a milestone gets the one whose dates contain its merge, and without milestones no one is high-performing. All merged MRs are in the chosen projects; population and organisation apply to the MRs (those of the author when each was opened), so a community contributor who joined the team becomes an inactive community contributor.',
  },
  unit: 'people',
  grains: ['month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['community', 'team', 'all'],
  needs: ['merge requests'],
  parameters,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const rows = await context.session.query<{ key: string | null; bucket: string | null; people: unknown; windows_before: unknown }>(
      segmentCountsSql(q, context, f.periods),
      q.params,
    );
    const counted = rows.filter((row): row is { key: string; bucket: string; people: unknown; windows_before: unknown } => row.key !== null);
    const firsts = rows.filter((row) => row.key === null).map((row) => ({ windowsBefore: toNumber(row.windows_before), people: toNumber(row.people) }));
    const inactive = f.periods.map((period, index) => {
      const before = firsts.filter((first) => first.windowsBefore <= index).reduce((sum, first) => sum + first.people, 0);
      const merged = counted
        .filter((row) => row.key === period.key && row.bucket !== 'new')
        .reduce((sum, row) => sum + toNumber(row.people), 0);
      return { key: period.key, bucket: 'inactive', people: before - merged };
    });
    return bucketPoints(f.periods, [...counted, ...inactive], SEGMENTS);
  },
  async explain(context, period) {
    const q = new Query();
    const rows = await context.session.query<Record<string, unknown>>(
      `SELECT person.key AS person, coalesce(person.name, person.key) AS name, s.segment, s.first_month::text AS first_merged_month,
              s.in_window::int AS merged_in_window, s.most_in_milestone::int AS most_in_one_milestone, s.milestones::int AS milestones_in_window
         FROM ${segmentsSql(q, context, [period])} s JOIN people person ON person.id = s.canonical_id
        ORDER BY array_position(${q.param([...SEGMENTS], '::text[]')}, s.segment), s.in_window DESC, person.key`,
      q.params,
    );
    return explanation(`${rows.length} people had MRs merged before ${period.end}; segment is judged on the ${context.parameters.windowMonths} months before it`, rows);
  },
});
