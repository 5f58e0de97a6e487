import { z } from 'zod';
import type { Session } from '../db/connection.ts';
import { addMonths } from '../db/time.ts';
import type { Relations } from './rollups.ts';

// Counts come back as numbers from PGlite and as strings from pg: KPI files convert them with this.
export { toNumber } from '../db/connection.ts';

/**
 * What a KPI is. Each lives in a file of its own under src/metrics/kpis/: its definition in words, where
 * that definition comes from, its query, and how to explain a value (the rows behind it). The catalogue
 * (catalogue.ts) lists them; run.ts resolves filters and periods and runs them.
 */

export const GRAINS = ['day', 'week', 'month', 'quarter', 'year', 'release'] as const;
export type Grain = (typeof GRAINS)[number];

/** Whose contributions: the wider community, the team, or both. Bots count on neither side. */
export const POPULATIONS = ['community', 'team', 'all'] as const;
export type Population = (typeof POPULATIONS)[number];

/** What the data must hold for a value to mean something; where it does not, the KPI says so instead of printing 0. */
export type Need =
  | 'merge requests'
  | 'open dates'
  | 'responses'
  | 'review requests'
  | 'milestones'
  | 'arr'
  | 'coaches'
  | 'activities'
  | 'types';

export interface KpiSource {
  name: 'GitLab handbook' | 'CHAOSS' | 'Orbit model' | 'Tributary';
  url?: string;
  /** What the source leaves open and what this KPI chose. */
  choices?: string;
}

export interface Period {
  key: string;
  /** First day, inclusive (YYYY-MM-DD, UTC). */
  start: string;
  /** Day after the last, exclusive. */
  end: string;
  /** For the release grain: the milestones this period is (one release, possibly several scopes). */
  milestoneIds?: bigint[];
}

export interface ResolvedFilters {
  /** Project ids counted (the monitored projects unless chosen). */
  projectIds: bigint[];
  /** Whether the projects were chosen explicitly; when not, activities without a project (community channels) count too. */
  projectsChosen: boolean;
  /** The organisation and its descendants, or null for any. */
  organisationIds: bigint[] | null;
  population: Population;
  grain: Grain;
  periods: Period[];
  /** The whole range asked for: [from, to). */
  from: string;
  to: string;
}

export interface Point {
  period: string;
  start: string;
  end: string;
  /** null: nothing to measure in the period (e.g. a median of no MRs), which is not 0. */
  value: number | null;
  /** Breakdowns (returning vs new, experience levels…). */
  values?: Record<string, number | null>;
  /** How many rows the value rests on (MRs, people…), where that differs from the value. */
  basis?: number;
}

export interface Explanation {
  /** One line saying what the rows are and how they make the value. */
  summary: string;
  columns: string[];
  rows: Record<string, unknown>[];
}

export interface KpiContext<Parameters = Record<string, never>> {
  session: Session;
  relations: Relations;
  filters: ResolvedFilters;
  parameters: Parameters;
}

export interface Kpi<Parameters = Record<string, never>> {
  id: string;
  title: string;
  /** The definition in words, as a reader of the report needs it. */
  definition: string;
  source: KpiSource;
  unit: string;
  grains: readonly Grain[];
  defaultGrain: Grain;
  /** The populations the KPI can be asked for; the first is the default. */
  populations: readonly Population[];
  needs: readonly Need[];
  /** Parameters beyond the common filters, with defaults. */
  parameters?: z.ZodType<Parameters>;
  /** e.g. "> 150 per month": what teams aim for, for reports. */
  target?: string;
  higherIsBetter?: boolean;
  series(context: KpiContext<Parameters>): Promise<Point[]>;
  explain(context: KpiContext<Parameters>, period: Period): Promise<Explanation>;
}

// biome-ignore lint/suspicious/noExplicitAny: the catalogue holds KPIs of every parameter type.
export type AnyKpi = Kpi<any>;

/** By months where the KPI is measured by months, else its default grain: what a monthly report asks for. */
export function monthlyGrain(kpi: AnyKpi): Grain {
  return kpi.grains.includes('month') ? 'month' : kpi.defaultGrain;
}

/** Builds a query's parameter list as the text refers to them: `q.param(x)` → `$1`. */
export class Query {
  readonly params: unknown[] = [];

  param(value: unknown, cast = ''): string {
    this.params.push(value);
    return `$${this.params.length}${cast}`;
  }

  ids(values: readonly bigint[]): string {
    return this.param(
      values.map((v) => v.toString()),
      '::int8[]',
    );
  }
}

/**
 * The periods as a relation p(key, start_date, end_date, start_at, end_at, ordinal). Written as VALUES
 * with literals rather than an unnest of parameters: the planner then knows there are a dozen rows and
 * puts them on the outer side of a join, instead of re-running the list for every row of a rollup.
 */
export function periodsRelation(periods: readonly Period[]): string {
  if (periods.length === 0) {
    return `(SELECT NULL::text AS key, NULL::date AS start_date, NULL::date AS end_date, NULL::timestamptz AS start_at, NULL::timestamptz AS end_at, NULL::int8 AS ordinal WHERE false)`;
  }
  const day = (value: string) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new RangeError(`not a day: ${value}`);
    return `DATE '${value}'`;
  };
  const rows = periods.map(
    (p, index) => `(${textLiteral(p.key)}, ${day(p.start)}, ${day(p.end)}, ${day(p.start)}::timestamp AT TIME ZONE 'UTC', ${day(p.end)}::timestamp AT TIME ZONE 'UTC', ${index + 1}::int8)`,
  );
  return `(SELECT * FROM (VALUES ${rows.join(', ')}) AS period_values(key, start_date, end_date, start_at, end_at, ordinal))`;
}

function textLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** `alias.project_id` among the chosen projects. */
export function inProjects(q: Query, filters: ResolvedFilters, alias: string): string {
  return `${alias}.project_id = ANY(${q.ids(filters.projectIds)})`;
}

/**
 * `alias.project_id` among the chosen projects, for kpi_activity_months: activities without a project
 * (project_id 0: chat, forum, events) count when no project was chosen explicitly, and not when one was,
 * since a question about given projects is not answered by community-wide channels.
 */
export function inActivityProjects(q: Query, filters: ResolvedFilters, alias: string): string {
  // One list with 0 in it rather than "… OR project_id = 0": PostgreSQL 17 (PGlite) turned the OR into two
  // bitmap index scans, each over every candidate of a look-up (conversion rate: 0.6 s on 10M activities).
  return `${alias}.project_id = ANY(${q.ids(filters.projectsChosen ? filters.projectIds : [...filters.projectIds, 0n])})`;
}

/**
 * For kpi_person_months, whose rows list their projects: active in one of the chosen projects, or, when
 * none was chosen, also outside any project (0), as inActivityProjects.
 */
export function inActivityProjectSet(q: Query, filters: ResolvedFilters, alias: string): string {
  return `${alias}.project_ids && ${q.ids(filters.projectsChosen ? filters.projectIds : [...filters.projectIds, 0n])}`;
}

/** `alias.class` in the population; bots are in none. */
export function inPopulation(filters: ResolvedFilters, alias: string, population: Population = filters.population): string {
  if (population === 'all') return `${alias}.class IN ('team', 'community')`;
  return `${alias}.class = '${population}'`;
}

/** `alias.organisation_id` in the chosen organisation (with its descendants); true when none was chosen. 0 means unaffiliated in the month rollups. */
export function inOrganisation(q: Query, filters: ResolvedFilters, alias: string): string {
  if (!filters.organisationIds) return 'true';
  return `${alias}.organisation_id = ANY(${q.ids(filters.organisationIds)})`;
}

/** The instant `column` within period `p` (from periodsRelation). */
export function withinPeriod(column: string, p = 'p'): string {
  return `${column} >= ${p}.start_at AND ${column} < ${p}.end_at`;
}

/** Merges rows of (key, value, …) into points in period order, with null where a period had no row. */
export function pointsFrom<Row extends { key: string }>(
  periods: readonly Period[],
  rows: readonly Row[],
  toPoint: (row: Row | undefined) => Pick<Point, 'value' | 'values' | 'basis'>,
): Point[] {
  const byKey = new Map(rows.map((row) => [row.key, row]));
  return pointsEach(periods, (period) => toPoint(byKey.get(period.key)));
}

/** One point per period, in order, from what `toPoint` makes of the period and its index (its ordinal − 1). */
export function pointsEach(periods: readonly Period[], toPoint: (period: Period, index: number) => Pick<Point, 'value' | 'values' | 'basis'>): Point[] {
  return periods.map((period, index) => ({ period: period.key, start: period.start, end: period.end, ...toPoint(period, index) }));
}

export function numberOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

/** Rounds to `digits` decimals, so both engines print the same value for the same data. */
export function rounded(value: unknown, digits = 2): number | null {
  const n = numberOrNull(value);
  if (n === null) return null;
  const factor = 10 ** digits;
  return Math.round(n * factor) / factor;
}

export const noParameters = z.strictObject({});

/** Helper for KPI files: the definition object typed with its parameters. */
export function defineKpi<Parameters = Record<string, never>>(kpi: Kpi<Parameters>): Kpi<Parameters> {
  return kpi;
}


/**
 * `column` within the whole span of the periods: a month (date) column of a month rollup, or an instant.
 * Joining the periods alone leaves the planner no range to use an index with; adding this lets it read
 * only the months or rows in the span (measured: 0.7 s → a few ms on 1M MRs for UWCC).
 */
export function withinSpan(periods: readonly Period[], column: string, kind: 'month' | 'instant' = 'instant'): string {
  const first = periods[0]?.start;
  const last = periods.at(-1)?.end;
  if (!first || !last) return 'false';
  if (kind === 'month') return `${column} >= DATE '${first.slice(0, 7)}-01' AND ${column} < DATE '${last}'`;
  return `${column} >= (DATE '${first}'::timestamp AT TIME ZONE 'UTC') AND ${column} < (DATE '${last}'::timestamp AT TIME ZONE 'UTC')`;
}

const TRUNCATE_UNIT: Partial<Record<Grain, string>> = { day: 'day', week: 'week', month: 'month', quarter: 'quarter', year: 'year' };

/**
 * A month rollup's `month` column in period `p`: an equality on the period's first day (so the join is a
 * hash join, not a range test of every row against every period) plus the whole span (so an index can
 * narrow the rows first). Calendar grains only; other grains fall back to the range test.
 */
export function monthInPeriod(filters: Pick<ResolvedFilters, "grain"> & { periods: readonly Period[] }, column: string, p = "p"): string {
  const unit = TRUNCATE_UNIT[filters.grain];
  const span = withinSpan(filters.periods, column, 'month');
  if (!unit || unit === 'day' || unit === 'week') return `${column} >= ${p}.start_date AND ${column} < ${p}.end_date AND ${span}`;
  return `date_trunc('${unit}', ${column}::timestamp)::date = ${p}.start_date AND ${span}`;
}

/** An instant `column` in period `p`, the same way: equality on the period's first day (UTC), plus the span. */
export function instantInPeriod(filters: Pick<ResolvedFilters, "grain"> & { periods: readonly Period[] }, column: string, p = "p"): string {
  const unit = TRUNCATE_UNIT[filters.grain];
  const span = withinSpan(filters.periods, column);
  if (!unit) return `${withinPeriod(column, p)} AND ${span}`;
  return `date_trunc('${unit}', ${column} AT TIME ZONE 'UTC')::date = ${p}.start_date AND ${span}`;
}

/** Calendar periods follow each other (each starts where the one before ends): the ordinal helpers below need that. */
function assertContiguous(periods: readonly Period[]) {
  periods.forEach((period, index) => {
    const before = periods[index - 1];
    if (before && before.end !== period.start) throw new RangeError(`periods are not contiguous: ${before.key} ends ${before.end}, ${period.key} starts ${period.start}`);
  });
}

/**
 * For calendar periods: SQL giving the ordinal (1-based, as periodsRelation numbers them) of the period an
 * instant column falls in, or null outside the range. One width_bucket per row over the periods' starts,
 * where a join met every row with every period (a year of months: twelve range tests per row).
 */
export function periodOrdinal(q: Query, periods: readonly Period[]): (instant: string) => string {
  assertContiguous(periods);
  const starts = q.param(
    periods.map((p) => `${p.start}T00:00:00Z`),
    '::timestamptz[]',
  );
  const end = q.param(`${periods.at(-1)?.end ?? '1970-01-01'}T00:00:00Z`, '::timestamptz');
  return (instant) => `CASE WHEN ${instant} < ${end} THEN nullif(width_bucket(${instant}, ${starts}), 0) END`;
}

/**
 * For calendar periods and a look-back of `months` whole months ending at each period's end: SQL for the
 * first and last ordinals of the periods whose window holds a month (a month rollup's first day), so that
 * `generate_series(first, last)` lists them. A month m is in period i's window ⇔ end_i − months ≤ m < end_i;
 * both bounds grow with i, so the periods are those after the ends at or before m, up to the last whose
 * window starts at or before m. The range is empty (first > last) for a month in no window.
 */
export function windowOrdinals(q: Query, periods: readonly Period[], months: number): { first: (month: string) => string; last: (month: string) => string } {
  assertContiguous(periods);
  // Each list becomes a parameter when first used: a parameter no statement refers to has no type.
  let ends: string | undefined;
  let starts: string | undefined;
  const endsParameter = () => (ends ??= q.param(periods.map((p) => p.end), '::date[]'));
  const startsParameter = () => (starts ??= q.param(periods.map((p) => addMonths(p.end, -months)), '::date[]'));
  return {
    first: (month) => `(width_bucket(${month}, ${endsParameter()}) + 1)`,
    last: (month) => `width_bucket(${month}, ${startsParameter()})`,
  };
}
