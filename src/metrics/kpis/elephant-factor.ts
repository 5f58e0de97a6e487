import { defineKpi } from '../kpi.ts';
import { CONTRIBUTION_CHOICES, type ContributionParameters, contributionParameters, factorSeries, unitShares } from './contribution-shares.ts';
import { explanation } from './explain-helpers.ts';

/** Elephant factor: the fewest organisations that make half of the period's contributions. */
export const elephantFactor = defineKpi<ContributionParameters>({
  id: 'elephant-factor',
  title: 'Elephant factor',
  definition:
    "The smallest number of organisations that together make at least 50 % of the period's contributions (merged MRs by default). An unaffiliated person counts as an organisation of their own. Low means the project depends on few companies.",
  source: {
    name: 'CHAOSS',
    url: 'https://chaoss.community/kb/metric-elephant-factor/',
    choices: `${CONTRIBUTION_CHOICES} Organisations are rolled up to the top of their tree (a subsidiary counts with its parent). An unaffiliated person is an organisation of one (as GitLab counts "organisation, or unaffiliated individual"): leaving them out would make a community of individuals look dependent on its one sponsor. Everyone counts by default (population all), the team with its employer.`,
  },
  unit: 'organisations',
  grains: ['month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['all', 'community', 'team'],
  needs: [],
  parameters: contributionParameters,
  higherIsBetter: true,
  series: (context) => factorSeries(context, 'organisation'),
  async explain(context, period) {
    const rows = await unitShares(context, period, 'organisation');
    const factor = rows.filter((r) => r.in_half).length;
    return explanation(
      `${factor} of ${rows.length} organisations (unaffiliated people each their own) made at least half of the contributions in ${period.key} (in_half)`,
      rows,
    );
  },
});
