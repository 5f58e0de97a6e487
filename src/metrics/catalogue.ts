import type { AnyKpi } from './kpi.ts';
import { absenceFactor } from './kpis/absence-factor.ts';
import { closureRatio } from './kpis/closure-ratio.ts';
import { communityMergedMrs } from './kpis/community-merged-mrs.ts';
import { contributorStatus } from './kpis/contributor-status.ts';
import { conversionRate } from './kpis/conversion-rate.ts';
import { elephantFactor } from './kpis/elephant-factor.ts';
import { experienceLevels } from './kpis/experience-levels.ts';
import { inactiveContributors } from './kpis/inactive-contributors.ts';
import { lifecycleSegments } from './kpis/lifecycle-segments.ts';
import { newContributors } from './kpis/new-contributors.ts';
import { ocma } from './kpis/ocma.ts';
import { organisationalDiversity } from './kpis/organisational-diversity.ts';
import { timeToFirstResponse } from './kpis/time-to-first-response.ts';
import { uwcc } from './kpis/uwcc.ts';
import { yearlyTiers } from './kpis/yearly-tiers.ts';

/** Every KPI, in the order reports list them. One file each under kpis/. */
export const KPIS: readonly AnyKpi[] = [
  // GitLab indicators (docs: ../shared/docs/kpis.md, the GitLab table)
  uwcc,
  communityMergedMrs,
  ocma,
  // Segmentations GitLab uses
  experienceLevels,
  contributorStatus,
  lifecycleSegments,
  yearlyTiers,
  // CHAOSS (the CHAOSS table)
  newContributors,
  inactiveContributors,
  conversionRate,
  absenceFactor,
  organisationalDiversity,
  elephantFactor,
  closureRatio,
  timeToFirstResponse,
];
