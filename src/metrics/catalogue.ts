import type { AnyKpi } from './kpi.ts';
import { absenceFactor } from './kpis/absence-factor.ts';
import { closureRatio } from './kpis/closure-ratio.ts';
import { coaches } from './kpis/coaches.ts';
import { communityMergedMrs } from './kpis/community-merged-mrs.ts';
import { communityMergedMrsPerRelease } from './kpis/community-merged-mrs-per-release.ts';
import { communityMrBacklog } from './kpis/community-mr-backlog.ts';
import { communityMrPercentage } from './kpis/community-mr-percentage.ts';
import { contributorStatus } from './kpis/contributor-status.ts';
import { conversionRate } from './kpis/conversion-rate.ts';
import { elephantFactor } from './kpis/elephant-factor.ts';
import { experienceLevels } from './kpis/experience-levels.ts';
import { featureCommunityMrs } from './kpis/feature-community-mrs.ts';
import { firstTimeContributors } from './kpis/first-time-contributors.ts';
import { inactiveContributors } from './kpis/inactive-contributors.ts';
import { leadingOrganisations } from './kpis/leading-organisations.ts';
import { lifecycleSegments } from './kpis/lifecycle-segments.ts';
import { mrarr } from './kpis/mrarr.ts';
import { newContributors } from './kpis/new-contributors.ts';
import { ocma } from './kpis/ocma.ts';
import { organisationalDiversity } from './kpis/organisational-diversity.ts';
import { returningContributors } from './kpis/returning-contributors.ts';
import { reviewResponseSlo } from './kpis/review-response-slo.ts';
import { timeToFirstResponse } from './kpis/time-to-first-response.ts';
import { timeToFirstReview } from './kpis/time-to-first-review.ts';
import { uwcc } from './kpis/uwcc.ts';
import { yearlyTiers } from './kpis/yearly-tiers.ts';

/** Every KPI, in the order reports list them (the order of ../shared/docs/kpis.md). One file each under kpis/. */
export const KPIS: readonly AnyKpi[] = [
  // GitLab indicators
  uwcc,
  communityMergedMrs,
  communityMergedMrsPerRelease,
  firstTimeContributors,
  returningContributors,
  ocma,
  mrarr,
  leadingOrganisations,
  reviewResponseSlo,
  coaches,
  featureCommunityMrs,
  communityMrPercentage,
  timeToFirstReview,
  communityMrBacklog,
  // Segmentations GitLab uses
  experienceLevels,
  contributorStatus,
  lifecycleSegments,
  yearlyTiers,
  // CHAOSS
  newContributors,
  inactiveContributors,
  conversionRate,
  absenceFactor,
  organisationalDiversity,
  elephantFactor,
  closureRatio,
  timeToFirstResponse,
];
