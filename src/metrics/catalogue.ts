import type { AnyKpi } from './kpi.ts';
import { absenceFactor } from './kpis/absence-factor.ts';
import { closureRatio } from './kpis/closure-ratio.ts';
import { communityMergedMrs } from './kpis/community-merged-mrs.ts';
import { elephantFactor } from './kpis/elephant-factor.ts';
import { inactiveContributors } from './kpis/inactive-contributors.ts';
import { newContributors } from './kpis/new-contributors.ts';
import { ocma } from './kpis/ocma.ts';
import { organisationalDiversity } from './kpis/organisational-diversity.ts';
import { timeToFirstResponse } from './kpis/time-to-first-response.ts';
import { uwcc } from './kpis/uwcc.ts';

/** Every KPI, in the order reports list them. One file each under kpis/. */
export const KPIS: readonly AnyKpi[] = [
  // GitLab indicators (docs: ../shared/docs/kpis.md, the GitLab table)
  uwcc,
  communityMergedMrs,
  ocma,
  // CHAOSS (the CHAOSS table)
  newContributors,
  inactiveContributors,
  absenceFactor,
  organisationalDiversity,
  elephantFactor,
  closureRatio,
  timeToFirstResponse,
];
