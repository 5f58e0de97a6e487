import { z } from 'zod';
import { activityKind } from '../../contributions/schema.ts';
import type { Query } from '../kpi.ts';

/** The activity kinds a contributor KPI may count. */
export const ACTIVITY_KINDS = activityKind.enumValues;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

/**
 * CHAOSS's D1, taking part in the work: an issue, a comment, a review or an approval, an MR opened (a merged
 * MR is a higher stage). kpi_person_spans keeps the first of these per person, for the conversion rate.
 */
export const PARTICIPATION_KINDS: readonly ActivityKind[] = ['issue_opened', 'issue_commented', 'mr_commented', 'mr_reviewed', 'mr_approved', 'mr_opened'];

/** A `kinds` parameter: the activity kinds that count as a contribution; every kind when absent. */
export const kindsParameter = z.array(z.enum(ACTIVITY_KINDS)).min(1).optional();

/** `alias.kind` among `kinds` (every kind when none is given). */
export function inKinds(q: Query, kinds: readonly string[] | undefined, alias: string): string {
  return kinds?.length ? `${alias}.kind = ANY(${q.param([...kinds], '::text[]')})` : 'true';
}

/** The first day of `day`'s month (YYYY-MM-DD → YYYY-MM-01). */
export function monthOf(day: string): string {
  return `${day.slice(0, 7)}-01`;
}
