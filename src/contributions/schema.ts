import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  date,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { platform } from '../people/schema.ts';

// Platform-neutral model: GitLab merge requests and GitHub pull requests meet in the same tables.
// Ids are deterministic hashes of natural keys (src/db/ids.ts). References between the large tables
// carry no foreign-key constraints: the importer checks them (see src/interchange/import.ts), and bulk
// loads stay fast.
const id = () => bigint('id', { mode: 'bigint' }).primaryKey();
const ref = (name: string) => bigint(name, { mode: 'bigint' });
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const textList = (name: string) => text(name).array().notNull().default(sql`'{}'::text[]`);
const idList = (name: string) =>
  bigint(name, { mode: 'bigint' })
    .array()
    .notNull()
    .default(sql`'{}'::bigint[]`);

export type Signature = { name: string; email: string };

export const mergeRequestState = pgEnum('merge_request_state', ['opened', 'merged', 'closed', 'locked']);
export const issueState = pgEnum('issue_state', ['opened', 'closed']);
export const recordOrigin = pgEnum('record_origin', ['api', 'git', 'import']);
export const targetType = pgEnum('target_type', ['merge_request', 'issue', 'commit']);
export const reviewKind = pgEnum('review_kind', ['review_requested', 'reviewed', 'approved', 'unapproved']);
export const labelAction = pgEnum('label_action', ['add', 'remove']);
export const activityKind = pgEnum('activity_kind', [
  'mr_opened',
  'mr_merged',
  'mr_closed',
  'mr_reviewed',
  'mr_approved',
  'mr_commented',
  'issue_opened',
  'issue_closed',
  'issue_commented',
  'commit_authored',
  'commit_co_authored',
  'chat_message',
  'chat_reply',
  'forum_post',
  'forum_reply',
  'translation',
  'event_talk',
]);
export const objectType = pgEnum('object_type', [
  'merge_request',
  'issue',
  'comment',
  'review',
  'commit',
  'message',
  'other',
]);

export const projects = pgTable(
  'projects',
  {
    id: id(),
    platform: platform('platform').notNull(),
    // The forge's own id where it has one; the path otherwise (plain git).
    externalId: text('external_id'),
    path: text('path').notNull(),
    name: text('name'),
    webUrl: text('web_url'),
    defaultBranch: text('default_branch'),
    monitored: boolean('monitored').notNull().default(true),
  },
  (t) => [uniqueIndex('projects_natural').on(t.platform, t.path)],
);

/** Releases are milestones with a release date; an MR belongs to one through `milestone_id`. */
export const milestones = pgTable(
  'milestones',
  {
    id: id(),
    // A project path or a group path: GitLab milestones live on either.
    scope: text('scope').notNull(),
    title: text('title').notNull(),
    startDate: date('start_date', { mode: 'string' }),
    dueDate: date('due_date', { mode: 'string' }),
    releasedAt: at('released_at'),
    state: text('state'),
    externalId: text('external_id'),
  },
  (t) => [uniqueIndex('milestones_natural').on(t.scope, t.title)],
);

export const mergeRequests = pgTable(
  'merge_requests',
  {
    id: id(),
    projectId: ref('project_id').notNull(),
    number: integer('number').notNull(),
    externalId: text('external_id'),
    title: text('title').notNull(),
    state: mergeRequestState('state').notNull(),
    authorId: ref('author_id'),
    createdAt: at('created_at'),
    updatedAt: at('updated_at'),
    mergedAt: at('merged_at'),
    closedAt: at('closed_at'),
    mergedById: ref('merged_by_id'),
    labels: textList('labels'),
    milestoneId: ref('milestone_id'),
    // From `type::feature|bug|maintenance` labels or the forge's own field.
    type: text('type'),
    draft: boolean('draft').notNull().default(false),
    readyForReviewAt: at('ready_for_review_at'),
    firstReviewAt: at('first_review_at'),
    reviewerIds: idList('reviewer_ids'),
    assigneeIds: idList('assignee_ids'),
    linkedIssues: integer('linked_issues').array().notNull().default(sql`'{}'::integer[]`),
    sourceBranch: text('source_branch'),
    targetBranch: text('target_branch'),
    onDefaultBranch: boolean('on_default_branch'),
    webUrl: text('web_url'),
    origin: recordOrigin('origin').notNull(),
    // The zone merged_at was written in (minutes east of UTC), so an export gives the instant as recorded.
    mergedAtOffset: smallint('merged_at_offset'),
    mergeCommitSha: text('merge_commit_sha'),
    // Where the origin states them (git history, the API's commits list): the MR's own commits.
    commitCount: integer('commit_count'),
    authors: jsonb('authors').$type<Signature[]>(),
  },
  (t) => [
    uniqueIndex('merge_requests_natural').on(t.projectId, t.number),
    index('merge_requests_author').on(t.authorId),
    index('merge_requests_merged_at').on(t.mergedAt),
  ],
);

export const issues = pgTable(
  'issues',
  {
    id: id(),
    projectId: ref('project_id').notNull(),
    number: integer('number').notNull(),
    externalId: text('external_id'),
    title: text('title').notNull(),
    state: issueState('state').notNull(),
    authorId: ref('author_id'),
    createdAt: at('created_at'),
    updatedAt: at('updated_at'),
    closedAt: at('closed_at'),
    labels: textList('labels'),
    milestoneId: ref('milestone_id'),
    assigneeIds: idList('assignee_ids'),
    weight: integer('weight'),
    webUrl: text('web_url'),
    origin: recordOrigin('origin').notNull(),
  },
  (t) => [uniqueIndex('issues_natural').on(t.projectId, t.number), index('issues_author').on(t.authorId)],
);

export const comments = pgTable(
  'comments',
  {
    id: id(),
    projectId: ref('project_id').notNull(),
    targetType: targetType('target_type').notNull(),
    // The MR or issue number, or the commit sha.
    targetRef: text('target_ref').notNull(),
    externalId: text('external_id').notNull(),
    authorId: ref('author_id'),
    createdAt: at('created_at').notNull(),
    // System notes ("added 1 commit", label changes) are not human responses.
    system: boolean('system').notNull().default(false),
    body: text('body'),
  },
  (t) => [index('comments_target').on(t.projectId, t.targetType, t.targetRef), index('comments_author').on(t.authorId)],
);

export const reviews = pgTable(
  'reviews',
  {
    id: id(),
    mergeRequestId: ref('merge_request_id').notNull(),
    reviewerId: ref('reviewer_id').notNull(),
    kind: reviewKind('kind').notNull(),
    occurredAt: at('occurred_at').notNull(),
  },
  (t) => [index('reviews_merge_request').on(t.mergeRequestId), index('reviews_reviewer').on(t.reviewerId)],
);

export const labelEvents = pgTable(
  'label_events',
  {
    id: id(),
    projectId: ref('project_id').notNull(),
    targetType: targetType('target_type').notNull(),
    targetRef: text('target_ref').notNull(),
    label: text('label').notNull(),
    action: labelAction('action').notNull(),
    actorId: ref('actor_id'),
    occurredAt: at('occurred_at').notNull(),
  },
  (t) => [index('label_events_target').on(t.projectId, t.targetType, t.targetRef)],
);

export const commits = pgTable(
  'commits',
  {
    id: id(),
    projectId: ref('project_id').notNull(),
    sha: text('sha').notNull(),
    authorName: text('author_name'),
    authorEmail: text('author_email'),
    authoredAt: at('authored_at'),
    committerName: text('committer_name'),
    committerEmail: text('committer_email'),
    committedAt: at('committed_at'),
    coAuthors: jsonb('co_authors').$type<Signature[]>().notNull().default(sql`'[]'::jsonb`),
    authorId: ref('author_id'),
    // The merged MR this commit arrived with, where known: its number in this project, its row in any.
    mergeRequestNumber: integer('merge_request_number'),
    subject: text('subject'),
    // What git recorded, kept so MRs can be derived again without the repository: zones as written
    // (`+0200`, or an impossible `+51800`), parents, and the whole message.
    authoredZone: text('authored_zone'),
    committedZone: text('committed_zone'),
    parents: textList('parents'),
    message: text('message'),
    mergeRequestId: ref('merge_request_id'),
  },
  (t) => [uniqueIndex('commits_natural').on(t.projectId, t.sha), index('commits_merge_request').on(t.projectId, t.mergeRequestNumber)],
);

/**
 * The unified activity stream every KPI and workflow reads: one row per thing a person did.
 * `object_id` is the id of the MR, issue, comment… it concerns (a soft reference: community-channel
 * activities point at objects that have no table).
 */
export const activities = pgTable(
  'activities',
  {
    id: id(),
    kind: activityKind('kind').notNull(),
    personId: ref('person_id').notNull(),
    projectId: ref('project_id'),
    occurredAt: at('occurred_at').notNull(),
    objectType: objectType('object_type'),
    objectId: ref('object_id'),
    // The object's natural key (number, sha, comment id or own key) and its project where that differs
    // from the activity's: exports rebuild the reference from these even when the object has no row.
    objectRef: text('object_ref'),
    objectProjectId: ref('object_project_id'),
    attributes: jsonb('attributes').$type<Record<string, unknown>>(),
  },
  (t) => [
    index('activities_person_time').on(t.personId, t.occurredAt),
    // A source that derives an MR again (the GitLab source, after a change) replaces its activities by object.
    index('activities_object').on(t.objectId),
  ],
);
