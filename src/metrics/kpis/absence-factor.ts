import { defineKpi } from '../kpi.ts';
import { CONTRIBUTION_CHOICES, type ContributionParameters, contributionParameters, factorSeries, unitShares } from './contribution-shares.ts';
import { explanation } from './explain-helpers.ts';

/** Contributor absence factor (bus factor): the fewest people who make half of the period's contributions. */
export const absenceFactor = defineKpi<ContributionParameters>({
  id: 'absence-factor',
  title: 'Contributor absence factor',
  definition:
    "The smallest number of people who together make at least 50 % of the period's contributions (merged MRs by default). Low means a few people carry the project: losing them would stall it.",
  source: {
    name: 'CHAOSS',
    url: 'https://chaoss.community/kb/metric-contributor-absence-factor/',
    choices: `${CONTRIBUTION_CHOICES} Everyone counts by default (population all): the question is how many people the project rests on, team included. A person counts once however many identities they use; bots never count.`,
  },
  unit: 'people',
  grains: ['month', 'quarter', 'year'],
  defaultGrain: 'month',
  populations: ['all', 'community', 'team'],
  needs: [],
  parameters: contributionParameters,
  higherIsBetter: true,
  series: (context) => factorSeries(context, 'person'),
  async explain(context, period) {
    const rows = await unitShares(context, period, 'person');
    const factor = rows.filter((r) => r.in_half).length;
    return explanation(
      `${factor} of ${rows.length} people made at least half of the contributions in ${period.key} (in_half); people sorted by contributions`,
      rows.map(({ affiliated: _affiliated, ...row }) => row),
    );
  },
});
