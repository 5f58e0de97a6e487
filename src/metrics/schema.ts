import { bigint, boolean, date, doublePrecision, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

// The KPI rollups: everything a dashboard reads, derived from the raw tables by src/metrics/rollups.ts
// and kept current from the change queue (`kpi_changes`) that database triggers fill. Each table is the
// materialised form of one SELECT in rollups.ts; the same SELECTs, run over the raw tables, are the
// "unrolled" form the tests compare against.
const ref = (name: string) => bigint(name, { mode: 'bigint' });
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** One row per merge request: its author's canonical person, class and organisation at contribution time, and the instants KPIs measure. */
export const kpiMergeRequests = pgTable(
  'kpi_merge_requests',
  {
    mergeRequestId: ref('merge_request_id').primaryKey(),
    projectId: ref('project_id').notNull(),
    authorId: ref('author_id'),
    canonicalId: ref('canonical_id'),
    // 'team' | 'community' | 'bot'; null when the MR has no author.
    class: text('class'),
    organisationId: ref('organisation_id'),
    // The instant the author was classified at: created_at where known, merged_at otherwise (git history).
    contributedAt: at('contributed_at'),
    createdAt: at('created_at'),
    mergedAt: at('merged_at'),
    // Closed without being merged.
    closedAt: at('closed_at'),
    // The end of the span the MR was open: merged or closed, 'infinity' while open, null when it was
    // closed at an unknown time. Open at t ⇔ created_at < t ≤ open_until; indexed for OCMA and backlog.
    openUntil: at('open_until'),
    state: text('state').notNull(),
    milestoneId: ref('milestone_id'),
    // The milestone was not set on the MR but taken from the one whose dates contain merged_at.
    milestoneInferred: boolean('milestone_inferred').notNull().default(false),
    type: text('type'),
    labelledCommunity: boolean('labelled_community').notNull().default(false),
    readyAt: at('ready_at'),
    // First note or review by anyone but the author and bots; first by a team member.
    firstResponseAt: at('first_response_at'),
    firstTeamReviewAt: at('first_team_review_at'),
    origin: text('origin').notNull(),
  },
  (t) => [
    index('kpi_merge_requests_merged').on(t.mergedAt),
    // Covers a population's merges by milestone in a span (lifecycle's high-performing test), index-only.
    index('kpi_merge_requests_merged_milestones').on(t.class, t.mergedAt, t.milestoneId, t.canonicalId, t.projectId, t.organisationId),
    index('kpi_merge_requests_created').on(t.createdAt),
    // Covers the opened-in-a-period questions (closure ratio, time to first response) for a population, index-only.
    index('kpi_merge_requests_opened').on(t.class, t.createdAt, t.firstResponseAt, t.mergedAt, t.closedAt, t.projectId, t.organisationId),
    index('kpi_merge_requests_closed').on(t.closedAt),
    // Covers the open-at questions (OCMA, backlog) for a population: index-only, the class's rows side by side.
    index('kpi_merge_requests_open_until').on(t.class, t.openUntil, t.createdAt, t.projectId, t.organisationId),
    index('kpi_merge_requests_canonical').on(t.canonicalId),
    index('kpi_merge_requests_author').on(t.authorId),
    // Per-release counts start from a release's milestones; time to first review from a population's MRs
    // ready in a period, index-only.
    index('kpi_merge_requests_milestone').on(t.milestoneId),
    index('kpi_merge_requests_ready').on(t.class, t.readyAt, t.firstTeamReviewAt, t.projectId, t.organisationId),
  ],
);

/** Merged and opened MRs per (month, project, canonical author, class, organisation): distinct-people KPIs read this. */
export const kpiAuthorMonths = pgTable(
  'kpi_author_months',
  {
    month: date('month', { mode: 'string' }).notNull(),
    projectId: ref('project_id').notNull(),
    canonicalId: ref('canonical_id').notNull(),
    class: text('class').notNull(),
    // 0 when unaffiliated, so the row has a key.
    organisationId: ref('organisation_id').notNull(),
    merged: integer('merged').notNull(),
    mergedFeature: integer('merged_feature').notNull(),
    mergedTyped: integer('merged_typed').notNull(),
    opened: integer('opened').notNull(),
    firstMergedAt: at('first_merged_at'),
  },
  (t) => [
    uniqueIndex('kpi_author_months_key').on(t.month, t.projectId, t.canonicalId, t.class, t.organisationId),
    // Covers a person's merges by month (index-only look-ups for experience levels, first merges).
    index('kpi_author_months_canonical').on(t.canonicalId, t.month, t.class, t.projectId, t.merged, t.firstMergedAt),
  ],
);

/** Activities per (month, project, canonical person, kind, class, organisation): the CHAOSS contributor KPIs read this. */
export const kpiActivityMonths = pgTable(
  'kpi_activity_months',
  {
    month: date('month', { mode: 'string' }).notNull(),
    // 0 when the activity has no project (community channels).
    projectId: ref('project_id').notNull(),
    canonicalId: ref('canonical_id').notNull(),
    kind: text('kind').notNull(),
    class: text('class').notNull(),
    organisationId: ref('organisation_id').notNull(),
    activities: integer('activities').notNull(),
    firstAt: at('first_at').notNull(),
    lastAt: at('last_at').notNull(),
  },
  (t) => [
    uniqueIndex('kpi_activity_months_key').on(t.month, t.projectId, t.canonicalId, t.kind, t.class, t.organisationId),
    index('kpi_activity_months_canonical').on(t.canonicalId),
  ],
);

/**
 * kpi_activity_months without kind and project: one row per (month, canonical person, class, organisation)
 * with the projects they were active in (0 for none). "Who contributed in the month" questions over every
 * kind read a fifth of the rows here; a question about given kinds reads kpi_activity_months.
 */
export const kpiPersonMonths = pgTable(
  'kpi_person_months',
  {
    month: date('month', { mode: 'string' }).notNull(),
    canonicalId: ref('canonical_id').notNull(),
    class: text('class').notNull(),
    organisationId: ref('organisation_id').notNull(),
    projectIds: bigint('project_ids', { mode: 'bigint' }).array().notNull(),
    activities: integer('activities').notNull(),
    firstAt: at('first_at').notNull(),
    lastAt: at('last_at').notNull(),
  },
  (t) => [
    uniqueIndex('kpi_person_months_key').on(t.month, t.class, t.canonicalId, t.organisationId),
    index('kpi_person_months_canonical').on(t.canonicalId),
  ],
);

/**
 * kpi_activity_spans without kind: first and last instant per (canonical person, project, class,
 * organisation), and the first participation (CHAOSS D1: PARTICIPATION_KINDS), null when none.
 */
export const kpiPersonSpans = pgTable(
  'kpi_person_spans',
  {
    canonicalId: ref('canonical_id').notNull(),
    projectId: ref('project_id').notNull(),
    class: text('class').notNull(),
    organisationId: ref('organisation_id').notNull(),
    activities: integer('activities').notNull(),
    firstAt: at('first_at').notNull(),
    lastAt: at('last_at').notNull(),
    firstParticipationAt: at('first_participation_at'),
  },
  (t) => [
    uniqueIndex('kpi_person_spans_key').on(t.canonicalId, t.projectId, t.class, t.organisationId),
    index('kpi_person_spans_first').on(t.firstAt),
    index('kpi_person_spans_participation').on(t.firstParticipationAt),
  ],
);

/**
 * kpi_author_months over all time, for the months with a merge: merged MRs and the first merge per
 * (canonical author, project, class, organisation). "First merged MR ever" questions read a row per person
 * and project here instead of every month of their history.
 */
export const kpiAuthorSpans = pgTable(
  'kpi_author_spans',
  {
    canonicalId: ref('canonical_id').notNull(),
    projectId: ref('project_id').notNull(),
    class: text('class').notNull(),
    organisationId: ref('organisation_id').notNull(),
    merged: integer('merged').notNull(),
    firstMergedAt: at('first_merged_at').notNull(),
  },
  (t) => [uniqueIndex('kpi_author_spans_key').on(t.canonicalId, t.projectId, t.class, t.organisationId)],
);

/**
 * Activities per (canonical person, project, kind, class, organisation) over all time: first and last
 * instant. "First ever" and "contributed before" questions read this instead of every month of history.
 */
export const kpiActivitySpans = pgTable(
  'kpi_activity_spans',
  {
    canonicalId: ref('canonical_id').notNull(),
    // 0 when the activity has no project (community channels).
    projectId: ref('project_id').notNull(),
    kind: text('kind').notNull(),
    class: text('class').notNull(),
    organisationId: ref('organisation_id').notNull(),
    activities: integer('activities').notNull(),
    firstAt: at('first_at').notNull(),
    lastAt: at('last_at').notNull(),
  },
  (t) => [uniqueIndex('kpi_activity_spans_key').on(t.canonicalId, t.projectId, t.kind, t.class, t.organisationId), index('kpi_activity_spans_first').on(t.firstAt)],
);

/**
 * One row per review request (a reviewer assigned to an MR): the reviewer's canonical person and class at
 * the request, and their response, the first review, approval or note by the same canonical person at or
 * after the request. The review-response SLO reads this.
 */
export const kpiReviewRequests = pgTable(
  'kpi_review_requests',
  {
    mergeRequestId: ref('merge_request_id').notNull(),
    projectId: ref('project_id').notNull(),
    reviewerId: ref('reviewer_id').notNull(),
    reviewerCanonicalId: ref('reviewer_canonical_id').notNull(),
    // 'team' | 'community' | 'bot' at the request.
    reviewerClass: text('reviewer_class').notNull(),
    requestedAt: at('requested_at').notNull(),
    // Null while unanswered.
    respondedAt: at('responded_at'),
    // The MR's, from kpi_merge_requests, so that the SLO reads one table: its author (canonical person,
    // class and organisation when it was opened), when it was opened, and when it was merged or closed.
    authorCanonicalId: ref('author_canonical_id'),
    authorClass: text('author_class'),
    organisationId: ref('organisation_id'),
    openedAt: at('opened_at'),
    endedAt: at('ended_at'),
    // Business days (weekdays, no public holidays) from 1970 to the request, and to when it stopped
    // waiting (the response, else the MR's merge or close; null while neither happened): the SLO without a
    // holiday calendar subtracts the two instead of computing them for every request it reads.
    requestedBusinessDays: doublePrecision('requested_business_days').notNull(),
    untilBusinessDays: doublePrecision('until_business_days'),
  },
  (t) => [
    primaryKey({ columns: [t.mergeRequestId, t.reviewerId, t.requestedAt] }),
    index('kpi_review_requests_requested').on(t.requestedAt),
    index('kpi_review_requests_reviewer').on(t.reviewerId),
  ],
);

/** What changed since the rollups were last brought up to date: filled by triggers, emptied by a refresh. */
export const kpiChanges = pgTable(
  'kpi_changes',
  {
    // 'merge_request' | 'person' | 'everything'
    scope: text('scope').notNull(),
    id: ref('id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.id] })],
);

/** One row: the classification rules the rollups were built with, and when. */
export const kpiState = pgTable('kpi_state', {
  singleton: integer('singleton').primaryKey().default(1),
  rulesDigest: text('rules_digest').notNull(),
  builtAt: at('built_at').notNull(),
  refreshedAt: at('refreshed_at').notNull(),
});

/** The canonical person of every person as the rollups last saw it, so a refresh can find rows a merge or unmerge moved. */
export const kpiCanonical = pgTable('kpi_canonical', {
  personId: ref('person_id').primaryKey(),
  canonicalId: ref('canonical_id').notNull(),
});
