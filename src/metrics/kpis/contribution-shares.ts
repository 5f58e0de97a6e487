import { z } from 'zod';
import { organisationRootSql } from '../../people/organisations.ts';
import {
  inActivityProjects,
  inOrganisation,
  inPopulation,
  inProjects,
  type KpiContext,
  monthInPeriod,
  type Period,
  type Point,
  periodsRelation,
  pointsEach,
  Query,
  rounded,
  toNumber,
} from '../kpi.ts';
import { inKinds, kindsParameter } from './contributions.ts';

/**
 * Shared by the absence factor, the elephant factor and organisational diversity: contributions per
 * person or per organisation in each period, and the smallest number of them that make half.
 */

export const contributionParameters = z.strictObject({
  /** What a contribution is: a merged MR (by its author), or an activity of the chosen kinds. */
  contributions: z.enum(['merged-mrs', 'activities']).default('merged-mrs'),
  kinds: kindsParameter,
});
export type ContributionParameters = z.infer<typeof contributionParameters>;

export const CONTRIBUTION_CHOICES =
  'A contribution is a merged MR, credited to its author (parameter contributions: "merged-mrs", the default: code that landed, not inflated by chat volume), or an activity of the chosen kinds ("activities", with `kinds`; activities outside any project count when no project was chosen explicitly). Population and organisation are those at the time of each contribution.';

export type Unit = 'person' | 'organisation';

/**
 * Contributions per (period, unit) as rows (key, unit, n). A person is their canonical person. An
 * organisation is the root of its tree (a subsidiary counts with its parent); an unaffiliated person
 * counts as an organisation of their own, as GitLab counts unaffiliated individuals among leading organisations.
 */
export function perUnitSql(q: Query, context: KpiContext<ContributionParameters>, periods: readonly Period[], unit: Unit): string {
  const f = context.filters;
  const source =
    context.parameters.contributions === 'merged-mrs'
      ? `SELECT am.month, am.canonical_id, am.organisation_id, am.merged AS n FROM ${context.relations.authorMonths} am
          WHERE am.merged > 0 AND ${inProjects(q, f, 'am')} AND ${inPopulation(f, 'am')} AND ${inOrganisation(q, f, 'am')}`
      : `SELECT am.month, am.canonical_id, am.organisation_id, am.activities AS n FROM ${context.relations.activityMonths} am
          WHERE ${inKinds(q, context.parameters.kinds, 'am')} AND ${inActivityProjects(q, f, 'am')} AND ${inPopulation(f, 'am')} AND ${inOrganisation(q, f, 'am')}`;
  const first = q.param(periods[0]?.start ?? f.from, '::date');
  const last = q.param(periods.at(-1)?.end ?? f.to, '::date');
  const isPerson = unit === 'person' ? 'true' : 'x.organisation_id = 0';
  const unitKind = `CASE WHEN ${isPerson} THEN 'person' ELSE 'organisation' END`;
  const unitId = unit === 'person' ? 'x.canonical_id' : `CASE WHEN ${isPerson} THEN x.canonical_id ELSE coalesce(root.root_id, x.organisation_id) END`;
  const roots = unit === 'organisation' ? `LEFT JOIN (${organisationRootSql}) root ON root.organisation_id = x.organisation_id` : '';
  return `(SELECT p.key, p.ordinal, ${unitKind} AS unit_kind, ${unitId} AS unit_id, ${unitKind} || ':' || ${unitId} AS unit, sum(x.n) AS n
      FROM ${periodsRelation(periods)} p
      JOIN (${source} AND am.month >= ${first} AND am.month < ${last}) x ON ${monthInPeriod({ grain: f.grain, periods }, 'x.month')}
      ${roots}
     GROUP BY p.key, p.ordinal, ${unitKind}, ${unitId})`;
}

/**
 * Per period: the smallest number of units making at least half of all contributions (value), and how many
 * units contributed (basis). Unit i, ranked by contributions, is in that set exactly when the ones ranked
 * before it make less than half; how ties are ranked does not change the count. So the units are only
 * counted per (period, contributions) in SQL, a few hundred rows, and the set is walked here from the top.
 */
export async function factorSeries(context: KpiContext<ContributionParameters>, unit: Unit): Promise<Point[]> {
  const q = new Query();
  const f = context.filters;
  const rows = await context.session.query<{ key: string; n: unknown; units: unknown }>(
    `SELECT c.key, c.n, count(*) AS units FROM ${perUnitSql(q, context, f.periods, unit)} c GROUP BY c.key, c.n`,
    q.params,
  );
  const levels = new Map<string, { n: number; units: number }[]>();
  for (const row of rows) {
    const list = levels.get(row.key) ?? [];
    list.push({ n: toNumber(row.n), units: toNumber(row.units) });
    levels.set(row.key, list);
  }
  return pointsEach(f.periods, (period) => {
    const list = (levels.get(period.key) ?? []).sort((a, b) => b.n - a.n);
    if (list.length === 0) return { value: null, basis: 0 };
    const total = list.reduce((sum, level) => sum + level.n * level.units, 0);
    let before = 0;
    let factor = 0;
    for (const level of list) {
      // The units j = 1…units of this level count while 2 · (before + (j − 1) · n) < total.
      if (2 * before >= total) break;
      factor += Math.min(level.units, Math.ceil((total - 2 * before) / (2 * level.n)));
      before += level.n * level.units;
    }
    return { value: factor, basis: list.reduce((sum, level) => sum + level.units, 0) };
  });
}

export type UnitShare = {
  unit: string;
  name: string;
  /** Organisations only: false for an unaffiliated person counted as their own. */
  affiliated: boolean;
  contributions: number;
  share_percent: number | null;
  cumulative_percent: number | null;
  in_half: boolean;
};

/** The units of one period, largest first, with their share, the running share and whether they are among the smallest set making half. */
export async function unitShares(context: KpiContext<ContributionParameters>, period: Period, unit: Unit): Promise<UnitShare[]> {
  const q = new Query();
  const rows = await context.session.query<{ unit: string; n: unknown; name: string | null }>(
    `SELECT c.unit, c.n, coalesce(o.name, person.name, person.key) AS name
       FROM ${perUnitSql(q, context, [period], unit)} c
       LEFT JOIN organisations o ON c.unit_kind = 'organisation' AND o.id = c.unit_id
       LEFT JOIN people person ON c.unit_kind = 'person' AND person.id = c.unit_id
      ORDER BY c.n DESC, 3, c.unit`,
    q.params,
  );
  const total = rows.reduce((sum, row) => sum + toNumber(row.n), 0);
  let running = 0;
  return rows.map((row) => {
    const n = toNumber(row.n);
    const inHalf = running < total / 2;
    running += n;
    return {
      unit: row.unit,
      name: row.name ?? row.unit,
      affiliated: row.unit.startsWith('organisation:'),
      contributions: n,
      share_percent: rounded((100 * n) / total),
      cumulative_percent: rounded((100 * running) / total),
      in_half: inHalf,
    };
  });
}
