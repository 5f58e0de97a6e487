import { defineKpi, pointsFrom, Query, rounded, toNumber } from '../kpi.ts';
import { CONTRIBUTION_CHOICES, type ContributionParameters, contributionParameters, perUnitSql, unitShares } from './contribution-shares.ts';
import { explanation } from './explain-helpers.ts';

const UNAFFILIATED = 'unaffiliated';

/** Organisational diversity: how many organisations contribute, and each one's share of the contributions. */
export const organisationalDiversity = defineKpi<ContributionParameters>({
  id: 'organisational-diversity',
  title: 'Organisational diversity',
  definition:
    "The number of organisations that contributed in the period (merged MRs by default); values give each organisation's share of all contributions in percent, with unaffiliated people together under \"unaffiliated\".",
  source: {
    name: 'CHAOSS',
    url: 'https://chaoss.community/kb/metric-organizational-diversity/',
    choices: `${CONTRIBUTION_CHOICES} Organisations are rolled up to the top of their tree (a subsidiary counts with its parent). Unaffiliated people are not an organisation: they are left out of the count and share one "unaffiliated" line in values, so the shares add up to 100 %. The elephant factor counts them one by one instead. Everyone counts by default (population all).`,
  },
  unit: 'organisations',
  grains: ['month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['all', 'community', 'team'],
  needs: [],
  parameters: contributionParameters,
  higherIsBetter: true,
  async series(context) {
    const q = new Query();
    const f = context.filters;
    const rows = await context.session.query<{ key: string; name: string | null; n: unknown }>(
      `SELECT c.key, o.name, sum(c.n) AS n
         FROM ${perUnitSql(q, context, f.periods, 'organisation')} c
         LEFT JOIN organisations o ON c.unit_kind = 'organisation' AND o.id = c.unit_id
        GROUP BY c.key, o.name
        ORDER BY c.key, o.name NULLS LAST`,
      q.params,
    );
    const byPeriod = new Map<string, { key: string; shares: [string, number][]; organisations: number }>();
    for (const row of rows) {
      const entry = byPeriod.get(row.key) ?? { key: row.key, shares: [], organisations: 0 };
      entry.shares.push([row.name ?? UNAFFILIATED, toNumber(row.n)]);
      if (row.name !== null) entry.organisations += 1;
      byPeriod.set(row.key, entry);
    }
    return pointsFrom(f.periods, [...byPeriod.values()], (entry) => {
      if (!entry) return { value: 0, values: {}, basis: 0 };
      const total = entry.shares.reduce((sum, [, n]) => sum + n, 0);
      const sorted = entry.shares.toSorted(([a, x], [b, y]) => y - x || a.localeCompare(b));
      return {
        value: entry.organisations,
        values: Object.fromEntries(sorted.map(([name, n]) => [name, rounded((100 * n) / total)])),
        basis: total,
      };
    });
  },
  async explain(context, period) {
    const units = await unitShares(context, period, 'organisation');
    const organisations = units.filter((u) => u.affiliated);
    const total = units.reduce((sum, u) => sum + u.contributions, 0);
    const unaffiliated = units.filter((u) => !u.affiliated).reduce((sum, u) => sum + u.contributions, 0);
    const rows: Record<string, unknown>[] = organisations.map((u) => ({ organisation: u.name, contributions: u.contributions, share_percent: u.share_percent }));
    if (unaffiliated > 0) rows.push({ organisation: `${UNAFFILIATED} (${units.length - organisations.length} people)`, contributions: unaffiliated, share_percent: rounded((100 * unaffiliated) / total) });
    return explanation(`${organisations.length} organisations contributed in ${period.key}; share_percent is each one's share of all ${total} contributions`, rows);
  },
});
