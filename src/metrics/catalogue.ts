import type { AnyKpi } from './kpi.ts';
import { coaches } from './kpis/coaches.ts';
import { communityMergedMrs } from './kpis/community-merged-mrs.ts';
import { communityMergedMrsPerRelease } from './kpis/community-merged-mrs-per-release.ts';
import { communityMrBacklog } from './kpis/community-mr-backlog.ts';
import { communityMrPercentage } from './kpis/community-mr-percentage.ts';
import { featureCommunityMrs } from './kpis/feature-community-mrs.ts';
import { firstTimeContributors } from './kpis/first-time-contributors.ts';
import { leadingOrganisations } from './kpis/leading-organisations.ts';
import { mrarr } from './kpis/mrarr.ts';
import { ocma } from './kpis/ocma.ts';
import { returningContributors } from './kpis/returning-contributors.ts';
import { reviewResponseSlo } from './kpis/review-response-slo.ts';
import { timeToFirstReview } from './kpis/time-to-first-review.ts';
import { uwcc } from './kpis/uwcc.ts';

/** Every KPI, in the order reports list them. One file each under kpis/. */
export const KPIS: readonly AnyKpi[] = [
  // GitLab indicators (docs: ../shared/docs/kpis.md, the GitLab table)
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
];
