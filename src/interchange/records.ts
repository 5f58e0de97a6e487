import { z } from 'zod';
import { COPY_NULL, copyArray, copyBoolean, copyJson, copyNullable, copyText } from '../db/copy-text.ts';
import { idText } from '../db/ids.ts';
import { offsetMinutes, zoneOf } from '../db/time.ts';

/**
 * The NDJSON interchange format: one JSON object per line, its `type` naming the record kind.
 * docs/ndjson.md is the reader's guide; this file is the definition. Each kind states its zod schema,
 * its natural key (which gives the row id, see src/db/ids.ts), how it becomes a COPY row, and which
 * other records it refers to, so the importer can check references without knowing the kinds.
 */

const PLATFORMS = ['gitlab', 'github', 'git', 'discord', 'discourse', 'reddit', 'crowdin', 'email', 'other'] as const;

const nonEmpty = z.string().min(1, 'must not be empty');
const dateTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' });
const day = z.iso.date({ message: 'must be a date (YYYY-MM-DD)' });
const positiveInt = z.number().int().positive();
/** A full commit sha: SHA-1, or SHA-256 in repositories that use it. */
export const FULL_SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const fullSha = z.string().regex(FULL_SHA, 'must be a full hex commit sha');

/** `platform:path`, e.g. `gitlab:gitlab-org/gitlab-shell`. */
export const projectRef = z
  .string()
  .regex(
    new RegExp(`^(${PLATFORMS.join('|')}):.+$`),
    `must be "platform:path" with platform one of ${PLATFORMS.join(', ')}`,
  );

/** A person's key, or an object carrying it (exports add name and e-mail for readers; import uses the key). */
export const personRef = z.union([
  nonEmpty,
  z.object({ key: nonEmpty, name: z.string().nullish(), email: z.string().nullish() }),
]);
type PersonRef = z.infer<typeof personRef>;
const personKey = (ref: PersonRef): string => (typeof ref === 'string' ? ref : ref.key);

export const signature = z.object({ name: z.string(), email: z.string() });

/**
 * People and projects are referred to on nearly every line; their few thousand ids are worth
 * remembering rather than hashing again (a bulk load spends measurable time here).
 */
function remembered(table: string): (key: string) => string {
  let known = new Map<string, string>();
  return (key) => {
    let id = known.get(key);
    if (id === undefined) {
      if (known.size >= 200_000) known = new Map();
      id = idText(table, key);
      known.set(key, id);
    }
    return id;
  };
}

// ——— ids of each kind, from natural keys ———
export const ids = {
  project: remembered('project'),
  person: remembered('person'),
  identity: (platform: string, kind: string, value: string) => idText('identity', platform, kind, normaliseIdentity(value)),
  organisation: (name: string) => idText('organisation', name),
  milestone: (scope: string, title: string) => idText('milestone', scope, title),
  mergeRequest: (project: string, number: number) => idText('merge_request', project, number),
  issue: (project: string, number: number) => idText('issue', project, number),
  comment: (project: string, externalId: string) => idText('comment', project, externalId),
  commit: (project: string, sha: string) => idText('commit', project, sha),
} as const;

export function normaliseIdentity(value: string): string {
  return value.trim().toLowerCase();
}

export function splitProjectRef(ref: string): { platform: string; path: string } {
  const colon = ref.indexOf(':');
  return { platform: ref.slice(0, colon), path: ref.slice(colon + 1) };
}

/** A reference from one record to another, checked by the importer once the whole file is read. */
export interface Reference {
  kind: 'person' | 'project' | 'organisation' | 'milestone';
  id: string;
  /** The natural key as written in the file, for the error message. */
  key: string;
  field: string;
}

export interface RecordKind<Shape> {
  type: string;
  table: string;
  /** Columns in COPY order; `id` first. */
  columns: readonly string[];
  schema: z.ZodType<Shape>;
  /** The natural key in words, for messages about duplicates. */
  describe(record: Shape): string;
  /** The COPY text line for this record (ends in '\n'). */
  toCopy(record: Shape, refs: Reference[]): string;
  /** Small kinds are remembered by id while importing so references to them can be checked. */
  referable?: Reference['kind'];
  idOf?(record: Shape): string;
}

const line = (fields: string[]) => `${fields.join('\t')}\n`;

const offsetField = (value: string | null | undefined) => (value ? String(offsetMinutes(value)) : COPY_NULL);
const zoneField = (value: string | null | undefined) => (value ? zoneOf(offsetMinutes(value)) : COPY_NULL);
const time = (value: string | null | undefined) => (value ? copyText(value) : COPY_NULL);
const bool = copyBoolean;

function personField(refs: Reference[], field: string, ref: PersonRef | null | undefined): string {
  if (ref === null || ref === undefined) return COPY_NULL;
  const key = personKey(ref);
  const id = ids.person(key);
  refs.push({ kind: 'person', id, key, field });
  return id;
}

function projectField(refs: Reference[], field: string, ref: string): string {
  const id = ids.project(ref);
  refs.push({ kind: 'project', id, key: ref, field });
  return id;
}

function peopleList(refs: Reference[], field: string, list: readonly PersonRef[] | undefined): string {
  if (!list || list.length === 0) return '{}';
  return copyArray(list.map((ref, index) => personField(refs, `${field}[${index}]`, ref)));
}

function milestoneField(refs: Reference[], project: string, milestone: string | null | undefined, scope: string | null | undefined): string {
  if (!milestone) return COPY_NULL;
  const owner = scope ?? splitProjectRef(project).path;
  const id = ids.milestone(owner, milestone);
  refs.push({ kind: 'milestone', id, key: `${owner} ${milestone}`, field: 'milestone' });
  return id;
}

// ——— the kinds ———

const projectSchema = z.strictObject({
  type: z.literal('project'),
  platform: z.enum(PLATFORMS),
  path: nonEmpty,
  external_id: z.string().nullish(),
  name: z.string().nullish(),
  web_url: z.string().nullish(),
  default_branch: z.string().nullish(),
  monitored: z.boolean().default(true),
});
export const projectKind: RecordKind<z.infer<typeof projectSchema>> = {
  type: 'project',
  table: 'projects',
  columns: ['id', 'platform', 'path', 'external_id', 'name', 'web_url', 'default_branch', 'monitored'],
  schema: projectSchema,
  referable: 'project',
  idOf: (r) => ids.project(`${r.platform}:${r.path}`),
  describe: (r) => `project ${r.platform}:${r.path}`,
  toCopy: (r) =>
    line([
      ids.project(`${r.platform}:${r.path}`),
      r.platform,
      copyText(r.path),
      copyNullable(r.external_id),
      copyNullable(r.name),
      copyNullable(r.web_url),
      copyNullable(r.default_branch),
      bool(r.monitored),
    ]),
};

const personSchema = z.strictObject({
  type: z.literal('person'),
  key: nonEmpty,
  name: z.string().nullish(),
  bot: z.boolean().default(false),
  country: z.string().nullish(),
  timezone: z.string().nullish(),
  merged_into: nonEmpty.nullish(),
});
export const personKind: RecordKind<z.infer<typeof personSchema>> = {
  type: 'person',
  table: 'people',
  columns: ['id', 'key', 'name', 'is_bot', 'country', 'timezone', 'merged_into'],
  schema: personSchema,
  referable: 'person',
  idOf: (r) => ids.person(r.key),
  describe: (r) => `person ${r.key}`,
  toCopy: (r, refs) =>
    line([
      ids.person(r.key),
      copyText(r.key),
      copyNullable(r.name),
      bool(r.bot),
      copyNullable(r.country),
      copyNullable(r.timezone),
      personField(refs, 'merged_into', r.merged_into),
    ]),
};

const identitySchema = z.strictObject({
  type: z.literal('identity'),
  platform: z.enum(PLATFORMS),
  kind: z.enum(['username', 'email', 'user_id', 'name']),
  value: nonEmpty,
  person: personRef,
  verified: z.boolean().default(false),
  display_name: z.string().nullish(),
});
export const identityKind: RecordKind<z.infer<typeof identitySchema>> = {
  type: 'identity',
  table: 'identities',
  columns: ['id', 'platform', 'kind', 'value', 'value_normalised', 'person_id', 'verified', 'display_name'],
  schema: identitySchema,
  describe: (r) => `identity ${r.platform} ${r.kind} ${r.value}`,
  toCopy: (r, refs) =>
    line([
      ids.identity(r.platform, r.kind, r.value),
      r.platform,
      r.kind,
      copyText(r.value),
      copyText(normaliseIdentity(r.value)),
      personField(refs, 'person', r.person),
      bool(r.verified),
      copyNullable(r.display_name),
    ]),
};

const organisationSchema = z.strictObject({
  type: z.literal('organisation'),
  name: nonEmpty,
  domains: z.array(nonEmpty).default([]),
  arr: z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?$/, 'must be a non-negative number')]).nullish(),
  parent: nonEmpty.nullish(),
});
export const organisationKind: RecordKind<z.infer<typeof organisationSchema>> = {
  type: 'organisation',
  table: 'organisations',
  columns: ['id', 'name', 'domains', 'arr', 'parent_id'],
  schema: organisationSchema,
  referable: 'organisation',
  idOf: (r) => ids.organisation(r.name),
  describe: (r) => `organisation ${r.name}`,
  toCopy: (r, refs) => {
    let parent = COPY_NULL;
    if (r.parent) {
      parent = ids.organisation(r.parent);
      refs.push({ kind: 'organisation', id: parent, key: r.parent, field: 'parent' });
    }
    return line([
      ids.organisation(r.name),
      copyText(r.name),
      copyArray(r.domains.map((d) => d.toLowerCase())),
      r.arr === null || r.arr === undefined ? COPY_NULL : String(r.arr),
      parent,
    ]);
  },
};

const validityRefinement = <T extends { valid_from?: string | null | undefined; valid_to?: string | null | undefined }>(r: T) =>
  !r.valid_from || !r.valid_to || r.valid_from < r.valid_to;
const validityMessage = { message: 'must be after valid_from', path: ['valid_to'] };

const affiliationSchema = z
  .strictObject({
    type: z.literal('affiliation'),
    person: personRef,
    organisation: nonEmpty,
    valid_from: day.nullish(),
    valid_to: day.nullish(),
    source: nonEmpty.default('import'),
  })
  .refine(validityRefinement, validityMessage);
export const affiliationKind: RecordKind<z.infer<typeof affiliationSchema>> = {
  type: 'affiliation',
  table: 'affiliations',
  columns: ['id', 'person_id', 'organisation_id', 'valid_from', 'valid_to', 'source'],
  schema: affiliationSchema,
  describe: (r) => `affiliation of ${personKey(r.person)} with ${r.organisation} from ${r.valid_from ?? 'always'}`,
  toCopy: (r, refs) => {
    const organisation = ids.organisation(r.organisation);
    refs.push({ kind: 'organisation', id: organisation, key: r.organisation, field: 'organisation' });
    return line([
      idText('affiliation', personKey(r.person), r.organisation, r.valid_from ?? ''),
      personField(refs, 'person', r.person),
      organisation,
      copyNullable(r.valid_from),
      copyNullable(r.valid_to),
      copyText(r.source),
    ]);
  },
};

const teamMembershipSchema = z
  .strictObject({
    type: z.literal('team_membership'),
    person: personRef,
    valid_from: day.nullish(),
    valid_to: day.nullish(),
    title: z.string().nullish(),
    department: z.string().nullish(),
    roles: z.array(z.strictObject({ role: nonEmpty, specialty: nonEmpty.optional() })).default([]),
    source: nonEmpty.default('import'),
  })
  .refine(validityRefinement, validityMessage);
export const teamMembershipKind: RecordKind<z.infer<typeof teamMembershipSchema>> = {
  type: 'team_membership',
  table: 'team_memberships',
  columns: ['id', 'person_id', 'valid_from', 'valid_to', 'title', 'department', 'roles', 'source'],
  schema: teamMembershipSchema,
  describe: (r) => `team membership of ${personKey(r.person)} from ${r.valid_from ?? 'always'}`,
  toCopy: (r, refs) =>
    line([
      idText('team_membership', personKey(r.person), r.valid_from ?? ''),
      personField(refs, 'person', r.person),
      copyNullable(r.valid_from),
      copyNullable(r.valid_to),
      copyNullable(r.title),
      copyNullable(r.department),
      copyJson(r.roles),
      copyText(r.source),
    ]),
};

const milestoneSchema = z.strictObject({
  type: z.literal('milestone'),
  scope: nonEmpty,
  title: nonEmpty,
  start_date: day.nullish(),
  due_date: day.nullish(),
  released_at: dateTime.nullish(),
  state: z.string().nullish(),
  external_id: z.string().nullish(),
});
export const milestoneKind: RecordKind<z.infer<typeof milestoneSchema>> = {
  type: 'milestone',
  table: 'milestones',
  columns: ['id', 'scope', 'title', 'start_date', 'due_date', 'released_at', 'state', 'external_id'],
  schema: milestoneSchema,
  referable: 'milestone',
  idOf: (r) => ids.milestone(r.scope, r.title),
  describe: (r) => `milestone ${r.scope} ${r.title}`,
  toCopy: (r) =>
    line([
      ids.milestone(r.scope, r.title),
      copyText(r.scope),
      copyText(r.title),
      copyNullable(r.start_date),
      copyNullable(r.due_date),
      time(r.released_at),
      copyNullable(r.state),
      copyNullable(r.external_id),
    ]),
};

const mergeRequestSchema = z.strictObject({
  type: z.literal('merge_request'),
  project: projectRef,
  number: positiveInt,
  title: z.string(),
  state: z.enum(['opened', 'merged', 'closed', 'locked']),
  author: personRef.nullish(),
  created_at: dateTime.nullish(),
  updated_at: dateTime.nullish(),
  merged_at: dateTime.nullish(),
  closed_at: dateTime.nullish(),
  merged_by: personRef.nullish(),
  labels: z.array(z.string()).default([]),
  milestone: nonEmpty.nullish(),
  milestone_scope: nonEmpty.nullish(),
  work_type: z.string().nullish(),
  draft: z.boolean().default(false),
  ready_for_review_at: dateTime.nullish(),
  first_review_at: dateTime.nullish(),
  reviewers: z.array(personRef).default([]),
  assignees: z.array(personRef).default([]),
  linked_issues: z.array(positiveInt).default([]),
  source_branch: z.string().nullish(),
  target_branch: z.string().nullish(),
  on_default_branch: z.boolean().nullish(),
  web_url: z.string().nullish(),
  external_id: z.string().nullish(),
  origin: z.enum(['api', 'git', 'import']).default('import'),
  // The MR's commits as the origin states them (git history, the API); exports derive them from the
  // commits table where the origin did not.
  authors: z.array(signature).nullish(),
  commit_count: z.number().int().nonnegative().nullish(),
  merge_commit_sha: fullSha.nullish(),
});
export const mergeRequestKind: RecordKind<z.infer<typeof mergeRequestSchema>> = {
  type: 'merge_request',
  table: 'merge_requests',
  columns: [
    'id', 'project_id', 'number', 'external_id', 'title', 'state', 'author_id', 'created_at', 'updated_at',
    'merged_at', 'closed_at', 'merged_by_id', 'labels', 'milestone_id', 'type', 'draft', 'ready_for_review_at',
    'first_review_at', 'reviewer_ids', 'assignee_ids', 'linked_issues', 'source_branch', 'target_branch',
    'on_default_branch', 'web_url', 'origin', 'merged_at_offset', 'merge_commit_sha', 'commit_count', 'authors',
  ],
  schema: mergeRequestSchema,
  describe: (r) => `merge request ${r.project}!${r.number}`,
  toCopy: (r, refs) =>
    line([
      ids.mergeRequest(r.project, r.number),
      projectField(refs, 'project', r.project),
      String(r.number),
      copyNullable(r.external_id),
      copyText(r.title),
      r.state,
      personField(refs, 'author', r.author),
      time(r.created_at),
      time(r.updated_at),
      time(r.merged_at),
      time(r.closed_at),
      personField(refs, 'merged_by', r.merged_by),
      copyArray(r.labels),
      milestoneField(refs, r.project, r.milestone, r.milestone_scope),
      copyNullable(r.work_type),
      bool(r.draft),
      time(r.ready_for_review_at),
      time(r.first_review_at),
      peopleList(refs, 'reviewers', r.reviewers),
      peopleList(refs, 'assignees', r.assignees),
      copyArray(r.linked_issues),
      copyNullable(r.source_branch),
      copyNullable(r.target_branch),
      bool(r.on_default_branch),
      copyNullable(r.web_url),
      r.origin,
      offsetField(r.merged_at),
      copyNullable(r.merge_commit_sha),
      // Git history states them (M^1..M^2 and the merge message); for other origins exports derive them
      // from the MR's commits, so keeping them would make a round trip add what was not there.
      r.origin !== 'git' || r.commit_count === null || r.commit_count === undefined ? COPY_NULL : String(r.commit_count),
      r.origin !== 'git' || !r.authors ? COPY_NULL : copyJson(r.authors),
    ]),
};

const issueSchema = z.strictObject({
  type: z.literal('issue'),
  project: projectRef,
  number: positiveInt,
  title: z.string(),
  state: z.enum(['opened', 'closed']),
  author: personRef.nullish(),
  created_at: dateTime.nullish(),
  updated_at: dateTime.nullish(),
  closed_at: dateTime.nullish(),
  labels: z.array(z.string()).default([]),
  milestone: nonEmpty.nullish(),
  milestone_scope: nonEmpty.nullish(),
  assignees: z.array(personRef).default([]),
  weight: z.number().int().nullish(),
  web_url: z.string().nullish(),
  external_id: z.string().nullish(),
  origin: z.enum(['api', 'git', 'import']).default('import'),
});
export const issueKind: RecordKind<z.infer<typeof issueSchema>> = {
  type: 'issue',
  table: 'issues',
  columns: [
    'id', 'project_id', 'number', 'external_id', 'title', 'state', 'author_id', 'created_at', 'updated_at',
    'closed_at', 'labels', 'milestone_id', 'assignee_ids', 'weight', 'web_url', 'origin',
  ],
  schema: issueSchema,
  describe: (r) => `issue ${r.project}#${r.number}`,
  toCopy: (r, refs) =>
    line([
      ids.issue(r.project, r.number),
      projectField(refs, 'project', r.project),
      String(r.number),
      copyNullable(r.external_id),
      copyText(r.title),
      r.state,
      personField(refs, 'author', r.author),
      time(r.created_at),
      time(r.updated_at),
      time(r.closed_at),
      copyArray(r.labels),
      milestoneField(refs, r.project, r.milestone, r.milestone_scope),
      peopleList(refs, 'assignees', r.assignees),
      r.weight === null || r.weight === undefined ? COPY_NULL : String(r.weight),
      copyNullable(r.web_url),
      r.origin,
    ]),
};

const target = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('merge_request'), number: positiveInt }),
  z.strictObject({ type: z.literal('issue'), number: positiveInt }),
  z.strictObject({ type: z.literal('commit'), sha: z.string().regex(/^[0-9a-f]{7,64}$/, 'must be a hex commit sha') }),
]);
const targetRef = (t: z.infer<typeof target>) => (t.type === 'commit' ? t.sha : String(t.number));

const commentSchema = z.strictObject({
  type: z.literal('comment'),
  project: projectRef,
  target,
  external_id: nonEmpty,
  author: personRef.nullish(),
  created_at: dateTime,
  system: z.boolean().default(false),
  body: z.string().nullish(),
});
export const commentKind: RecordKind<z.infer<typeof commentSchema>> = {
  type: 'comment',
  table: 'comments',
  columns: ['id', 'project_id', 'target_type', 'target_ref', 'external_id', 'author_id', 'created_at', 'system', 'body'],
  schema: commentSchema,
  describe: (r) => `comment ${r.external_id} in ${r.project}`,
  toCopy: (r, refs) =>
    line([
      ids.comment(r.project, r.external_id),
      projectField(refs, 'project', r.project),
      r.target.type,
      copyText(targetRef(r.target)),
      copyText(r.external_id),
      personField(refs, 'author', r.author),
      copyText(r.created_at),
      bool(r.system),
      copyNullable(r.body),
    ]),
};

const reviewSchema = z.strictObject({
  type: z.literal('review'),
  project: projectRef,
  merge_request: positiveInt,
  reviewer: personRef,
  kind: z.enum(['review_requested', 'reviewed', 'approved', 'unapproved']),
  occurred_at: dateTime,
});
export const reviewKind: RecordKind<z.infer<typeof reviewSchema>> = {
  type: 'review',
  table: 'reviews',
  columns: ['id', 'merge_request_id', 'reviewer_id', 'kind', 'occurred_at'],
  schema: reviewSchema,
  describe: (r) => `${r.kind} by ${personKey(r.reviewer)} on ${r.project}!${r.merge_request} at ${r.occurred_at}`,
  toCopy: (r, refs) => {
    projectField(refs, 'project', r.project);
    return line([
      idText('review', r.project, r.merge_request, personKey(r.reviewer), r.kind, Date.parse(r.occurred_at)),
      ids.mergeRequest(r.project, r.merge_request),
      personField(refs, 'reviewer', r.reviewer),
      r.kind,
      copyText(r.occurred_at),
    ]);
  },
};

const labelEventSchema = z.strictObject({
  type: z.literal('label_event'),
  project: projectRef,
  target,
  label: nonEmpty,
  action: z.enum(['add', 'remove']),
  actor: personRef.nullish(),
  occurred_at: dateTime,
});
export const labelEventKind: RecordKind<z.infer<typeof labelEventSchema>> = {
  type: 'label_event',
  table: 'label_events',
  columns: ['id', 'project_id', 'target_type', 'target_ref', 'label', 'action', 'actor_id', 'occurred_at'],
  schema: labelEventSchema,
  describe: (r) => `label ${r.action} ${r.label} on ${r.project} ${r.target.type} ${targetRef(r.target)} at ${r.occurred_at}`,
  toCopy: (r, refs) =>
    line([
      idText('label_event', r.project, r.target.type, targetRef(r.target), r.label, r.action, Date.parse(r.occurred_at)),
      projectField(refs, 'project', r.project),
      r.target.type,
      copyText(targetRef(r.target)),
      copyText(r.label),
      r.action,
      personField(refs, 'actor', r.actor),
      copyText(r.occurred_at),
    ]),
};

const commitSchema = z.strictObject({
  type: z.literal('commit'),
  project: projectRef,
  sha: fullSha,
  author_name: z.string().nullish(),
  author_email: z.string().nullish(),
  authored_at: dateTime.nullish(),
  committer_name: z.string().nullish(),
  committer_email: z.string().nullish(),
  committed_at: dateTime.nullish(),
  co_authors: z.array(signature).default([]),
  author: personRef.nullish(),
  merge_request: positiveInt.nullish(),
  subject: z.string().nullish(),
  // The MR's project where it is not the commit's own (a project that moved forges, a security mirror).
  merge_request_project: projectRef.nullish(),
  parents: z.array(fullSha).nullish(),
  message: z.string().nullish(),
  // Zones exactly as git recorded them, where no ISO offset can say it (`+51800`).
  authored_zone: z.string().nullish(),
  committed_zone: z.string().nullish(),
});
export const commitKind: RecordKind<z.infer<typeof commitSchema>> = {
  type: 'commit',
  table: 'commits',
  columns: [
    'id', 'project_id', 'sha', 'author_name', 'author_email', 'authored_at', 'committer_name', 'committer_email',
    'committed_at', 'co_authors', 'author_id', 'merge_request_number', 'subject', 'authored_zone', 'committed_zone',
    'parents', 'message', 'merge_request_id',
  ],
  schema: commitSchema,
  describe: (r) => `commit ${r.project}@${r.sha}`,
  toCopy: (r, refs) =>
    line([
      ids.commit(r.project, r.sha),
      projectField(refs, 'project', r.project),
      r.sha,
      copyNullable(r.author_name),
      copyNullable(r.author_email),
      time(r.authored_at),
      copyNullable(r.committer_name),
      copyNullable(r.committer_email),
      time(r.committed_at),
      copyJson(r.co_authors),
      personField(refs, 'author', r.author),
      r.merge_request === null || r.merge_request === undefined || (r.merge_request_project && r.merge_request_project !== r.project)
        ? COPY_NULL
        : String(r.merge_request),
      copyNullable(r.subject),
      r.authored_zone ? copyText(r.authored_zone) : zoneField(r.authored_at),
      r.committed_zone ? copyText(r.committed_zone) : zoneField(r.committed_at),
      copyArray(r.parents ?? []),
      copyNullable(r.message),
      r.merge_request === null || r.merge_request === undefined ? COPY_NULL : ids.mergeRequest(r.merge_request_project ?? r.project, r.merge_request),
    ]),
};

export const ACTIVITY_KINDS = [
  'mr_opened', 'mr_merged', 'mr_closed', 'mr_reviewed', 'mr_approved', 'mr_commented', 'issue_opened',
  'issue_closed', 'issue_commented', 'commit_authored', 'commit_co_authored', 'chat_message', 'chat_reply',
  'forum_post', 'forum_reply', 'translation', 'event_talk',
] as const;

/** What an activity concerns: a record of ours by its natural key, or anything else by a key of its own. */
const activityObject = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('merge_request'), project: projectRef.optional(), number: positiveInt }),
  z.strictObject({ type: z.literal('issue'), project: projectRef.optional(), number: positiveInt }),
  z.strictObject({ type: z.literal('commit'), project: projectRef.optional(), sha: z.string().regex(/^[0-9a-f]{7,64}$/) }),
  z.strictObject({ type: z.literal('comment'), project: projectRef.optional(), external_id: nonEmpty }),
  z.strictObject({ type: z.enum(['review', 'message', 'other']), key: nonEmpty }),
]);
type ActivityObject = z.infer<typeof activityObject>;

const activitySchema = z
  .strictObject({
    type: z.literal('activity'),
    kind: z.enum(ACTIVITY_KINDS),
    person: personRef,
    project: projectRef.nullish(),
    occurred_at: dateTime,
    object: activityObject.nullish(),
    attributes: z.record(z.string(), z.unknown()).nullish(),
  })
  .refine((r) => !r.object || !('project' in r.object) || r.object.project || r.project, {
    message: 'needs a project (on the activity or on its object)',
    path: ['object', 'project'],
  });

function objectId(object: ActivityObject, activityProject: string | null | undefined): string {
  switch (object.type) {
    case 'merge_request':
      return ids.mergeRequest(object.project ?? activityProject ?? '', object.number);
    case 'issue':
      return ids.issue(object.project ?? activityProject ?? '', object.number);
    case 'commit':
      return ids.commit(object.project ?? activityProject ?? '', object.sha);
    case 'comment':
      return ids.comment(object.project ?? activityProject ?? '', object.external_id);
    default:
      return idText(object.type, object.key);
  }
}

function objectRefOf(object: ActivityObject): string {
  if ('key' in object) return object.key;
  if ('number' in object) return String(object.number);
  if ('sha' in object) return object.sha;
  return object.external_id;
}

function objectKey(object: ActivityObject | null | undefined, activityProject: string | null | undefined): string {
  if (!object) return '';
  if ('key' in object) return `${object.type}:${object.key}`;
  const project = object.project ?? activityProject ?? '';
  if ('number' in object) return `${object.type}:${project}:${object.number}`;
  if ('sha' in object) return `commit:${project}:${object.sha}`;
  return `comment:${project}:${object.external_id}`;
}

export const activityRecordKind: RecordKind<z.infer<typeof activitySchema>> = {
  type: 'activity',
  table: 'activities',
  columns: ['id', 'kind', 'person_id', 'project_id', 'occurred_at', 'object_type', 'object_id', 'object_ref', 'object_project_id', 'attributes'],
  schema: activitySchema,
  describe: (r) => `activity ${r.kind} by ${personKey(r.person)} at ${r.occurred_at} on ${objectKey(r.object, r.project) || 'nothing'}`,
  toCopy: (r, refs) =>
    line([
      // The instant, not its spelling, is part of the key: "…Z" and "…+00:00" are one activity.
      idText('activity', r.kind, personKey(r.person), Date.parse(r.occurred_at), objectKey(r.object, r.project)),
      r.kind,
      personField(refs, 'person', r.person),
      r.project ? projectField(refs, 'project', r.project) : COPY_NULL,
      copyText(r.occurred_at),
      r.object ? r.object.type : COPY_NULL,
      r.object ? objectId(r.object, r.project) : COPY_NULL,
      r.object ? copyText(objectRefOf(r.object)) : COPY_NULL,
      r.object && 'project' in r.object && r.object.project && r.object.project !== r.project ? projectField(refs, 'object.project', r.object.project) : COPY_NULL,
      copyJson(r.attributes),
    ]),
};

const rawRecordSchema = z.strictObject({
  type: z.literal('raw_record'),
  source: nonEmpty,
  endpoint: nonEmpty,
  external_id: nonEmpty,
  payload: z.unknown().refine((v) => v !== undefined, 'is required'),
  fetched_at: dateTime,
});
export const rawRecordKind: RecordKind<z.infer<typeof rawRecordSchema>> = {
  type: 'raw_record',
  table: 'raw_records',
  columns: ['id', 'source', 'endpoint', 'external_id', 'payload', 'fetched_at'],
  schema: rawRecordSchema,
  describe: (r) => `raw record ${r.source} ${r.endpoint} ${r.external_id}`,
  toCopy: (r) =>
    line([
      idText('raw_record', r.source, r.endpoint, r.external_id),
      copyText(r.source),
      copyText(r.endpoint),
      copyText(r.external_id),
      copyJson(r.payload),
      copyText(r.fetched_at),
    ]),
};

/** Every kind, in the order an export writes them: anything referred to comes before what refers to it. */
// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous catalogue; each entry is typed where it is defined.
export const RECORD_KINDS: readonly RecordKind<any>[] = [
  projectKind,
  organisationKind,
  personKind,
  identityKind,
  affiliationKind,
  teamMembershipKind,
  milestoneKind,
  mergeRequestKind,
  issueKind,
  commentKind,
  reviewKind,
  labelEventKind,
  commitKind,
  activityRecordKind,
  rawRecordKind,
];

// biome-ignore lint/suspicious/noExplicitAny: see RECORD_KINDS.
export const KINDS_BY_TYPE: ReadonlyMap<string, RecordKind<any>> = new Map(RECORD_KINDS.map((kind) => [kind.type, kind]));

export type ProjectRecord = z.infer<typeof projectSchema>;
export type PersonRecord = z.infer<typeof personSchema>;
export type IdentityRecord = z.infer<typeof identitySchema>;
export type OrganisationRecord = z.infer<typeof organisationSchema>;
export type AffiliationRecord = z.infer<typeof affiliationSchema>;
export type TeamMembershipRecord = z.infer<typeof teamMembershipSchema>;
export type MilestoneRecord = z.infer<typeof milestoneSchema>;
export type MergeRequestRecord = z.infer<typeof mergeRequestSchema>;
export type IssueRecord = z.infer<typeof issueSchema>;
export type CommentRecord = z.infer<typeof commentSchema>;
export type ReviewRecord = z.infer<typeof reviewSchema>;
export type LabelEventRecord = z.infer<typeof labelEventSchema>;
export type CommitRecord = z.infer<typeof commitSchema>;
export type ActivityRecord = z.infer<typeof activitySchema>;
export type RawRecord = z.infer<typeof rawRecordSchema>;
export type AnyRecord =
  | ProjectRecord | PersonRecord | IdentityRecord | OrganisationRecord | AffiliationRecord | TeamMembershipRecord
  | MilestoneRecord | MergeRequestRecord | IssueRecord | CommentRecord | ReviewRecord | LabelEventRecord
  | CommitRecord | ActivityRecord | RawRecord;
