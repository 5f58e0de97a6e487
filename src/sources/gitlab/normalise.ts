import { z } from 'zod';
import {
  type ActivityRecord,
  type CommentRecord,
  FULL_SHA,
  type IssueRecord,
  type LabelEventRecord,
  type MergeRequestRecord,
  type MilestoneRecord,
  type ReviewRecord,
} from '../../interchange/records.ts';
import { type IdentityCollector, type IdentitySighting, personKeyOf } from '../../people/identities.ts';
import { SourceError } from '../contract.ts';

/**
 * GitLab payloads → the shared model. Pure functions of what the API (or a webhook) said, so the
 * same payloads always give the same rows with the same ids: a re-sync, a resumed sync and a
 * re-derivation from raw_records all write the same thing.
 *
 * Reviews and approvals come from the MR's system notes, which GitLab writes with a timestamp and an
 * author ("approved this merge request", "requested review from @x"); the approvals endpoint would
 * cost a request per MR and says only who approved, not when. See docs/gitlab-source.md.
 */

export const READY_FOR_REVIEW_LABEL = 'workflow::ready for review';

// Only what is read is checked; the rest of a payload is kept as sent in raw_records.
// Webhooks name some users by id alone (`author_id`): the username is then unknown.
const userRef = z.object({ id: z.number().int(), username: z.string().nullish(), name: z.string().nullish() });
const instant = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'must be a date-time');
export const milestonePayload = z.object({
  id: z.number().int(),
  title: z.string().min(1),
  project_id: z.number().int().nullish(),
  group_id: z.number().int().nullish(),
  start_date: z.string().nullish(),
  due_date: z.string().nullish(),
  state: z.string().nullish(),
});

export const mergeRequestPayload = z.object({
  id: z.number().int(),
  iid: z.number().int().positive(),
  project_id: z.number().int(),
  title: z.string(),
  state: z.enum(['opened', 'closed', 'merged', 'locked']),
  created_at: instant,
  updated_at: instant,
  merged_at: instant.nullish(),
  closed_at: instant.nullish(),
  author: userRef.nullish(),
  merge_user: userRef.nullish(),
  merged_by: userRef.nullish(),
  closed_by: userRef.nullish(),
  assignees: z.array(userRef).nullish(),
  reviewers: z.array(userRef).nullish(),
  labels: z.array(z.string()),
  milestone: milestonePayload.nullish(),
  draft: z.boolean().nullish(),
  work_in_progress: z.boolean().nullish(),
  source_branch: z.string().nullish(),
  target_branch: z.string().nullish(),
  merge_commit_sha: z.string().nullish(),
  squash_commit_sha: z.string().nullish(),
  web_url: z.string().nullish(),
  references: z.object({ full: z.string() }).nullish(),
});
export type MergeRequestPayload = z.infer<typeof mergeRequestPayload>;

export const issuePayload = z.object({
  id: z.number().int(),
  iid: z.number().int().positive(),
  project_id: z.number().int(),
  title: z.string(),
  state: z.enum(['opened', 'closed']),
  created_at: instant,
  updated_at: instant,
  closed_at: instant.nullish(),
  author: userRef.nullish(),
  closed_by: userRef.nullish(),
  assignees: z.array(userRef).nullish(),
  labels: z.array(z.string()),
  milestone: milestonePayload.nullish(),
  weight: z.number().int().nullish(),
  web_url: z.string().nullish(),
  references: z.object({ full: z.string() }).nullish(),
});
export type IssuePayload = z.infer<typeof issuePayload>;

export const notePayload = z.object({
  id: z.number().int(),
  body: z.string().nullish(),
  author: userRef,
  created_at: instant,
  system: z.boolean(),
});
export type NotePayload = z.infer<typeof notePayload>;

export const labelEventPayload = z.object({
  id: z.number().int(),
  user: userRef.nullish(),
  created_at: instant,
  label: z.object({ name: z.string() }).nullish(),
  action: z.enum(['add', 'remove']),
});
export type LabelEventPayload = z.infer<typeof labelEventPayload>;

export const userPayload = z.object({
  id: z.number().int(),
  username: z.string(),
  name: z.string().nullish(),
  bot: z.boolean().nullish(),
  public_email: z.string().nullish(),
  organization: z.string().nullish(),
});

export const memberPayload = z.object({
  id: z.number().int(),
  username: z.string(),
  name: z.string().nullish(),
  access_level: z.number().int().nullish(),
  created_at: z.string().nullish(),
});

export const projectPayload = z.object({
  id: z.number().int(),
  path_with_namespace: z.string().min(1),
  name: z.string().nullish(),
  web_url: z.string().nullish(),
  default_branch: z.string().nullish(),
  namespace: z.object({ id: z.number().int(), full_path: z.string(), kind: z.string().nullish() }).nullish(),
});

export const releasePayload = z.object({
  tag_name: z.string(),
  released_at: instant.nullish(),
  milestones: z.array(milestonePayload).nullish(),
});

/** Parses a payload, or fails naming what and which field. */
export function parsePayload<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new SourceError(`GitLab sent ${what} that cannot be read: ${issue?.path.join('.') || 'payload'}: ${issue?.message ?? 'invalid'}`);
}

/** Where ids from payloads lead: project ids to `gitlab:path`, group ids to their full path. */
export interface Scope {
  projects: Map<number, { ref: string; defaultBranch: string | null }>;
  groups: Map<number, string>;
}

export function projectRefOf(scope: Scope, projectId: number, references: { full: string } | null | undefined, separator: '!' | '#'): string {
  const known = scope.projects.get(projectId);
  if (known) return known.ref;
  const full = references?.full;
  if (full?.includes(separator)) return `gitlab:${full.slice(0, full.lastIndexOf(separator))}`;
  throw new SourceError(`GitLab project ${projectId} is not among the source's projects`);
}

/** A GitLab account: its user id is the identity, its username a claim on the same person. */
export function personOf(identities: IdentityCollector, user: { id: number; username?: string | null | undefined; name?: string | null | undefined }): string {
  const account: IdentitySighting = { platform: 'gitlab', kind: 'user_id', value: String(user.id), displayName: user.name ?? null };
  identities.see(account);
  if (user.username) identities.see({ platform: 'gitlab', kind: 'username', value: user.username, displayName: user.name ?? null }, account);
  return personKeyOf(account);
}

const toIso = (value: string) => new Date(Date.parse(value)).toISOString();

export function milestoneScope(scope: Scope, milestone: z.infer<typeof milestonePayload>, fallbackProject: string): string {
  if (milestone.group_id) return scope.groups.get(milestone.group_id) ?? `group:${milestone.group_id}`;
  if (milestone.project_id) {
    const project = scope.projects.get(milestone.project_id)?.ref ?? fallbackProject;
    return project.slice(project.indexOf(':') + 1);
  }
  return fallbackProject.slice(fallbackProject.indexOf(':') + 1);
}

export function milestoneRecord(scope: Scope, milestone: z.infer<typeof milestonePayload>, fallbackProject: string, releasedAt: string | null): MilestoneRecord {
  return {
    type: 'milestone',
    scope: milestoneScope(scope, milestone, fallbackProject),
    title: milestone.title,
    start_date: milestone.start_date?.slice(0, 10) ?? null,
    due_date: milestone.due_date?.slice(0, 10) ?? null,
    released_at: releasedAt,
    state: milestone.state ?? null,
    external_id: String(milestone.id),
  };
}

export interface DerivedRows {
  mergeRequests: MergeRequestRecord[];
  issues: IssueRecord[];
  comments: CommentRecord[];
  reviews: ReviewRecord[];
  labelEvents: LabelEventRecord[];
  activities: ActivityRecord[];
}

export const emptyRows = (): DerivedRows => ({ mergeRequests: [], issues: [], comments: [], reviews: [], labelEvents: [], activities: [] });

const WORK_TYPE = /^type::(.+)$/;
const APPROVED = /^approved this merge request/;
const UNAPPROVED = /^unapproved this merge request/;
const REQUESTED = /^requested review from (.+)$/;
const MARKED_READY = /^marked this merge request as \*\*ready\*\*/;

/** One MR with its notes and label events → its row and everything derived from it. */
export function deriveMergeRequest(
  scope: Scope,
  identities: IdentityCollector,
  mr: MergeRequestPayload,
  notes: readonly NotePayload[],
  labelEvents: readonly LabelEventPayload[],
  out: DerivedRows,
): void {
  const project = projectRefOf(scope, mr.project_id, mr.references, '!');
  const number = mr.iid;
  const object = { type: 'merge_request', project, number } as const;
  const author = mr.author ? personOf(identities, mr.author) : null;
  const activity = (kind: ActivityRecord['kind'], person: string, at: string, target: ActivityRecord['object'] = object) =>
    out.activities.push({ type: 'activity', kind, person, project, occurred_at: toIso(at), object: target, attributes: null });
  const review = (kind: ReviewRecord['kind'], reviewer: string, at: string) =>
    out.reviews.push({ type: 'review', project, merge_request: number, reviewer, kind, occurred_at: toIso(at) });

  if (author) activity('mr_opened', author, mr.created_at);
  const merger = mr.merge_user ?? mr.merged_by;
  if (mr.state === 'merged' && merger && mr.merged_at) activity('mr_merged', personOf(identities, merger), mr.merged_at);
  if (mr.state === 'closed' && mr.closed_at) {
    const closer = mr.closed_by ?? mr.author;
    if (closer) activity('mr_closed', personOf(identities, closer), mr.closed_at);
  }

  let firstReview: number | null = null;
  let markedReady: number | null = null;
  const reviewedBy = new Set<string>();
  const byUsername = new Map([...(mr.reviewers ?? []), ...(mr.assignees ?? [])].map((u) => [(u.username ?? '').toLowerCase(), u]));
  for (const note of notes) {
    const person = personOf(identities, note.author);
    const body = note.body ?? '';
    const at = Date.parse(note.created_at);
    out.comments.push({
      type: 'comment',
      project,
      target: { type: 'merge_request', number },
      external_id: String(note.id),
      author: person,
      created_at: toIso(note.created_at),
      system: note.system,
      body,
    });
    const byOther = note.author.id !== mr.author?.id;
    if (note.system) {
      if (APPROVED.test(body)) {
        review('approved', person, note.created_at);
        activity('mr_approved', person, note.created_at);
        if (byOther) firstReview = Math.min(firstReview ?? at, at);
      } else if (UNAPPROVED.test(body)) {
        review('unapproved', person, note.created_at);
      } else if (MARKED_READY.test(body)) {
        markedReady ??= at;
      } else {
        const requested = REQUESTED.exec(body);
        for (const name of requested?.[1]?.match(/@[\w.-]+/g) ?? []) {
          const user = byUsername.get(name.slice(1).toLowerCase());
          if (user) review('review_requested', personOf(identities, user), note.created_at);
        }
      }
      continue;
    }
    activity('mr_commented', person, note.created_at, { type: 'comment', project, external_id: String(note.id) });
    if (byOther) {
      firstReview = Math.min(firstReview ?? at, at);
      // A person's first comment on someone else's MR is their review of it.
      if (!reviewedBy.has(person)) {
        reviewedBy.add(person);
        review('reviewed', person, note.created_at);
        activity('mr_reviewed', person, note.created_at);
      }
    }
  }

  let labelledReady: number | null = null;
  for (const event of labelEvents) {
    if (!event.label) continue; // a label deleted since
    out.labelEvents.push({
      type: 'label_event',
      project,
      target: { type: 'merge_request', number },
      label: event.label.name,
      action: event.action,
      actor: event.user ? personOf(identities, event.user) : null,
      occurred_at: toIso(event.created_at),
    });
    if (event.label.name === READY_FOR_REVIEW_LABEL && event.action === 'add') labelledReady = Math.min(labelledReady ?? Infinity, Date.parse(event.created_at));
  }

  const draft = Boolean(mr.draft ?? mr.work_in_progress);
  // Ready: the ready-for-review label, else the draft flag lifted, else opened ready.
  const ready = labelledReady ?? markedReady ?? (draft ? null : Date.parse(mr.created_at));
  const sha = mr.merge_commit_sha ?? mr.squash_commit_sha ?? null;
  const workType = mr.labels.map((l) => WORK_TYPE.exec(l)?.[1]).find(Boolean) ?? null;
  const defaultBranch = scope.projects.get(mr.project_id)?.defaultBranch ?? null;
  out.mergeRequests.push({
    type: 'merge_request',
    project,
    number,
    title: mr.title,
    state: mr.state,
    author,
    created_at: toIso(mr.created_at),
    updated_at: toIso(mr.updated_at),
    merged_at: mr.merged_at ? toIso(mr.merged_at) : null,
    closed_at: mr.closed_at ? toIso(mr.closed_at) : null,
    merged_by: merger ? personOf(identities, merger) : null,
    labels: mr.labels,
    milestone: mr.milestone?.title ?? null,
    milestone_scope: mr.milestone ? milestoneScope(scope, mr.milestone, project) : null,
    work_type: workType ?? null,
    draft,
    ready_for_review_at: ready === null ? null : new Date(ready).toISOString(),
    first_review_at: firstReview === null ? null : new Date(firstReview).toISOString(),
    reviewers: (mr.reviewers ?? []).map((u) => personOf(identities, u)),
    assignees: (mr.assignees ?? []).map((u) => personOf(identities, u)),
    linked_issues: [],
    source_branch: mr.source_branch ?? null,
    target_branch: mr.target_branch ?? null,
    on_default_branch: defaultBranch && mr.target_branch ? mr.target_branch === defaultBranch : null,
    web_url: mr.web_url ?? null,
    external_id: String(mr.id),
    origin: 'api',
    authors: null,
    commit_count: null,
    merge_commit_sha: sha && FULL_SHA.test(sha) ? sha : null,
  });
}

/** One issue with its notes → its row, comments and activities. */
export function deriveIssue(scope: Scope, identities: IdentityCollector, issue: IssuePayload, notes: readonly NotePayload[], out: DerivedRows): void {
  const project = projectRefOf(scope, issue.project_id, issue.references, '#');
  const number = issue.iid;
  const object = { type: 'issue', project, number } as const;
  const author = issue.author ? personOf(identities, issue.author) : null;
  const activity = (kind: ActivityRecord['kind'], person: string, at: string, target: ActivityRecord['object'] = object) =>
    out.activities.push({ type: 'activity', kind, person, project, occurred_at: toIso(at), object: target, attributes: null });
  if (author) activity('issue_opened', author, issue.created_at);
  if (issue.state === 'closed' && issue.closed_at) {
    const closer = issue.closed_by ?? issue.author;
    if (closer) activity('issue_closed', personOf(identities, closer), issue.closed_at);
  }
  for (const note of notes) {
    const person = personOf(identities, note.author);
    out.comments.push({
      type: 'comment',
      project,
      target: { type: 'issue', number },
      external_id: String(note.id),
      author: person,
      created_at: toIso(note.created_at),
      system: note.system,
      body: note.body ?? '',
    });
    if (!note.system) activity('issue_commented', person, note.created_at, { type: 'comment', project, external_id: String(note.id) });
  }
  out.issues.push({
    type: 'issue',
    project,
    number,
    title: issue.title,
    state: issue.state,
    author,
    created_at: toIso(issue.created_at),
    updated_at: toIso(issue.updated_at),
    closed_at: issue.closed_at ? toIso(issue.closed_at) : null,
    labels: issue.labels,
    milestone: issue.milestone?.title ?? null,
    milestone_scope: issue.milestone ? milestoneScope(scope, issue.milestone, project) : null,
    assignees: (issue.assignees ?? []).map((u) => personOf(identities, u)),
    weight: issue.weight ?? null,
    web_url: issue.web_url ?? null,
    external_id: String(issue.id),
    origin: 'api',
  });
}

/** Users an MR or issue payload names, for fetching their profiles (bot flag, public e-mail, organisation). */
export function usersNamed(payload: MergeRequestPayload | IssuePayload, notes: readonly NotePayload[]): number[] {
  const ids = new Set<number>();
  const add = (u: { id: number } | null | undefined) => u && ids.add(u.id);
  add(payload.author);
  add(payload.closed_by);
  if ('merge_user' in payload) {
    add(payload.merge_user);
    add(payload.merged_by);
    for (const u of payload.reviewers ?? []) add(u);
  }
  for (const u of payload.assignees ?? []) add(u);
  for (const n of notes) add(n.author);
  return [...ids];
}
