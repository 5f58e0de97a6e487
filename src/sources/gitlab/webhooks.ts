import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { Database, Session } from '../../db/connection.ts';
import { idText } from '../../db/ids.ts';
import { activityRecordKind, commentKind, ids } from '../../interchange/records.ts';
import { IdentityCollector, personKeyOf } from '../../people/identities.ts';
import {
  deriveIssue,
  deriveMergeRequest,
  emptyRows,
  issuePayload,
  labelEventPayload,
  mergeRequestPayload,
  notePayload,
  parsePayload,
  personOf,
  type Scope,
} from './normalise.ts';
import { issueKey, mergeRequestKey, upsertRecords, writeDerived } from './store-raw.ts';

/**
 * `POST /webhooks/gitlab`: GitLab's webhooks, applied to the tables the API sync writes.
 *
 * A delivery is checked (X-Gitlab-Token, compared in constant time), parsed and validated, stored in
 * webhook_deliveries under its Idempotency-Key (else X-Gitlab-Event-UUID) and answered at once;
 * it is applied afterwards, in order, each in one transaction. A delivery seen before is answered
 * 200 and changes nothing; a malformed one is answered 400 and kept (status 'rejected') for
 * inspection; events Tributary does not use are kept as 'ignored'. Deliveries still pending after a
 * crash are applied when the listener starts again.
 *
 * MR, note, issue and member events are applied. An MR or issue event is laid over the payload the
 * API sync stored (when there is one) and derived again with the stored notes, so both paths write
 * the same rows; the next API sync, seeing `updated_at` moved, replaces them with what the API says.
 *
 * The handler takes a web Request and gives a Response, so the app server (Hono) can mount it:
 * `app.post('/webhooks/gitlab', (c) => webhooks.handle(c.req.raw))`.
 */

const MAX_BODY_BYTES = 5 << 20;
const QUIET_MS = 50;
const MAX_DELAY_MS = 2000;

/** GitLab's dates: ISO 8601 (REST, newer hooks) or `2015-05-17 18:21:36 UTC` (older hooks). */
export function parseGitlabDate(value: string): string | null {
  let text = value.trim();
  const legacy = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) ?(UTC|[+-]\d{2}:?\d{2})$/.exec(text);
  if (legacy) text = `${legacy[1]}T${legacy[2]}${legacy[3] === 'UTC' ? 'Z' : (legacy[3] as string)}`;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

const gitlabDate = z.string().transform((value, context) => {
  const parsed = parseGitlabDate(value);
  if (parsed === null) {
    context.addIssue({ code: 'custom', message: `must be a date-time (ISO 8601 or "YYYY-MM-DD HH:MM:SS UTC"), got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return parsed;
});
const hookUser = z.object({ id: z.number().int(), username: z.string().nullish(), name: z.string().nullish() });
// Some hooks list assignees without their ids (the issue example); `assignee_ids` has them, in order.
const listedUser = z.object({ id: z.number().int().nullish(), username: z.string().nullish(), name: z.string().nullish() });

/** Users listed in a hook, with ids from the parallel id list where the entries lack them; those still without one are left out. */
function withIds(users: readonly z.infer<typeof listedUser>[] | null | undefined, idList: readonly number[] | null | undefined) {
  const list = users ?? [];
  return list.flatMap((u, index) => {
    const id = u.id ?? (idList && idList.length === list.length ? idList[index] : undefined);
    return id === undefined || id === null ? [] : [{ id, username: u.username ?? null, name: u.name ?? null }];
  });
}
const hookProject = z.object({ id: z.number().int(), path_with_namespace: z.string().min(1), web_url: z.string().nullish(), default_branch: z.string().nullish() });
const hookLabel = z.object({ title: z.string() });

const mergeRequestHook = z.object({
  object_kind: z.literal('merge_request'),
  user: hookUser,
  project: hookProject,
  object_attributes: z.object({
    id: z.number().int(),
    iid: z.number().int().positive(),
    target_project_id: z.number().int(),
    title: z.string(),
    state: z.enum(['opened', 'closed', 'merged', 'locked']),
    created_at: gitlabDate,
    updated_at: gitlabDate,
    merged_at: gitlabDate.nullish(),
    closed_at: gitlabDate.nullish(),
    author_id: z.number().int(),
    assignee_ids: z.array(z.number().int()).nullish(),
    reviewer_ids: z.array(z.number().int()).nullish(),
    milestone_id: z.number().int().nullish(),
    draft: z.boolean().nullish(),
    work_in_progress: z.boolean().nullish(),
    source_branch: z.string().nullish(),
    target_branch: z.string().nullish(),
    url: z.string().nullish(),
    action: z.string().nullish(),
  }),
  labels: z.array(hookLabel).nullish(),
  assignees: z.array(listedUser).nullish(),
  reviewers: z.array(listedUser).nullish(),
});

const issueHook = z.object({
  object_kind: z.enum(['issue', 'work_item']),
  user: hookUser,
  project: hookProject,
  object_attributes: z.object({
    id: z.number().int(),
    iid: z.number().int().positive(),
    project_id: z.number().int(),
    title: z.string(),
    state: z.enum(['opened', 'closed']),
    created_at: gitlabDate,
    updated_at: gitlabDate,
    closed_at: gitlabDate.nullish(),
    author_id: z.number().int(),
    assignee_ids: z.array(z.number().int()).nullish(),
    milestone_id: z.number().int().nullish(),
    weight: z.number().int().nullish(),
    url: z.string().nullish(),
    action: z.string().nullish(),
  }),
  labels: z.array(hookLabel).nullish(),
  assignees: z.array(listedUser).nullish(),
});

const noteHook = z.object({
  object_kind: z.literal('note'),
  user: hookUser,
  project: hookProject,
  object_attributes: z.object({
    id: z.number().int(),
    note: z.string(),
    noteable_type: z.string(),
    author_id: z.number().int(),
    created_at: gitlabDate,
    system: z.boolean().nullish(),
    commit_id: z.string().nullish(),
  }),
  merge_request: z.object({ iid: z.number().int().positive() }).nullish(),
  issue: z.object({ iid: z.number().int().positive() }).nullish(),
  commit: z.object({ id: z.string() }).nullish(),
});

const ACCESS_LEVELS: Record<string, number> = { 'Minimal Access': 5, Guest: 10, Planner: 15, Reporter: 20, Developer: 30, Maintainer: 40, Owner: 50 };
const memberHook = z.object({
  event_name: z.enum(['user_add_to_group', 'user_update_for_group', 'user_remove_from_group', 'user_access_request_to_group', 'user_access_request_denied_for_group']),
  created_at: gitlabDate,
  updated_at: gitlabDate,
  group_path: z.string().min(1),
  group_id: z.number().int(),
  user_id: z.number().int(),
  user_username: z.string(),
  user_name: z.string().nullish(),
  group_access: z.string().nullish(),
});

type Handled = { kind: 'merge_request'; hook: z.infer<typeof mergeRequestHook> } | { kind: 'issue'; hook: z.infer<typeof issueHook> } | { kind: 'note'; hook: z.infer<typeof noteHook> } | { kind: 'member'; hook: z.infer<typeof memberHook> } | { kind: 'ignored'; reason: string };

/** What a delivery is, or why it cannot be read (thrown as a message naming the field). */
export function classifyDelivery(event: string | null, body: unknown): Handled {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('the body must be a JSON object');
  const payload = body as Record<string, unknown>;
  const kind = typeof payload.object_kind === 'string' ? payload.object_kind : typeof payload.event_name === 'string' ? payload.event_name : null;
  if (kind === null) throw new Error('object_kind: missing (and no event_name)');
  const check = <T>(schema: z.ZodType<T>): T => {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw new Error(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  };
  if (kind === 'merge_request') return { kind, hook: check(mergeRequestHook) };
  if (kind === 'issue' || kind === 'work_item') {
    // Work items other than issues (tasks, epics) are not issues of ours.
    const type = (payload.object_attributes as { type?: unknown } | undefined)?.type;
    if (kind === 'work_item' && type !== undefined && type !== 'Issue') return { kind: 'ignored', reason: `work item of type ${String(type)}` };
    return { kind: 'issue', hook: check(issueHook) };
  }
  if (kind === 'note') {
    const hook = check(noteHook);
    const type = hook.object_attributes.noteable_type;
    if (type === 'MergeRequest' && !hook.merge_request) throw new Error('merge_request: missing for a note on a merge request');
    if (type === 'Issue' && !hook.issue) throw new Error('issue: missing for a note on an issue');
    if (type === 'Commit' && !hook.commit && !hook.object_attributes.commit_id) throw new Error('commit: missing for a note on a commit');
    if (!['MergeRequest', 'Issue', 'Commit'].includes(type)) return { kind: 'ignored', reason: `a note on a ${type}` };
    return { kind, hook };
  }
  if (typeof payload.event_name === 'string' && payload.event_name.startsWith('user_') && payload.event_name.includes('group')) return { kind: 'member', hook: check(memberHook) };
  return { kind: 'ignored', reason: `${event ?? kind} events are not used` };
}

function sameSecret(given: string, expected: string): boolean {
  // Digests first: equal lengths for timingSafeEqual, and no early exit on a length mismatch.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

export interface WebhookStats {
  accepted: number;
  duplicates: number;
  rejected: number;
  applied: number;
  ignored: number;
  failed: number;
}

export class GitlabWebhooks {
  readonly #db: Database;
  readonly #secret: string;
  #queue: Promise<void> = Promise.resolve();
  readonly stats: WebhookStats = { accepted: 0, duplicates: 0, rejected: 0, applied: 0, ignored: 0, failed: 0 };

  constructor(db: Database, secret: string) {
    if (!secret) throw new Error('a webhook secret token is required (GitLab sends it as X-Gitlab-Token)');
    this.#db = db;
    this.#secret = secret;
  }

  /** How long the last answer took, from the request to the response (ms). */
  lastAnswerMs = 0;
  #lastRequestAt = 0;

  async handle(request: Request): Promise<Response> {
    const started = performance.now();
    this.#lastRequestAt = started;
    const response = await this.#answer(request);
    this.lastAnswerMs = performance.now() - started;
    return response;
  }

  async #answer(request: Request): Promise<Response> {
    if (request.method !== 'POST') return json(405, { error: 'use POST' });
    if (!sameSecret(request.headers.get('x-gitlab-token') ?? '', this.#secret)) return json(401, { error: 'X-Gitlab-Token does not match' });
    const length = Number(request.headers.get('content-length') ?? 0);
    if (length > MAX_BODY_BYTES) return json(413, { error: `the body is over ${MAX_BODY_BYTES} bytes` });
    const text = await request.text();
    if (text.length > MAX_BODY_BYTES) return json(413, { error: `the body is over ${MAX_BODY_BYTES} bytes` });
    const event = request.headers.get('x-gitlab-event');
    const key = request.headers.get('idempotency-key') || request.headers.get('x-gitlab-event-uuid') || `sha256:${createHash('sha256').update(text).digest('hex')}`;

    let problem: string | null = null;
    let handled: Handled | null = null;
    try {
      handled = classifyDelivery(event, JSON.parse(text));
    } catch (error) {
      problem = error instanceof SyntaxError ? `not JSON: ${error.message}` : (error as Error).message;
    }
    const status = problem ? 'rejected' : handled?.kind === 'ignored' ? 'ignored' : 'pending';
    const inserted = await this.#db.query<{ id: bigint }>(
      `INSERT INTO webhook_deliveries (id, delivery_key, event, body, status, error, received_at)
       VALUES ($1::int8, $2, $3, $4, $5, $6, now()) ON CONFLICT (delivery_key) DO NOTHING RETURNING id`,
      [idText('webhook_delivery', key), key, event, text, status, problem ?? (handled?.kind === 'ignored' ? handled.reason : null)],
    );
    if (inserted.length === 0) {
      this.stats.duplicates++;
      return json(200, { status: 'duplicate', delivery: key });
    }
    if (problem) {
      this.stats.rejected++;
      return json(400, { error: problem, delivery: key });
    }
    this.stats.accepted++;
    if (status === 'pending') this.#enqueue(String(inserted[0]?.id));
    else this.stats.ignored++;
    return json(202, { status: status === 'pending' ? 'accepted' : 'ignored', delivery: key });
  }

  /** Applies deliveries stored but not applied (the listener stopped before it got to them). */
  async recover(): Promise<number> {
    // Also readies the statements an answer needs, so that the first delivery is not the slow one.
    await this.#db.query(`SELECT id FROM webhook_deliveries WHERE delivery_key = ''`);
    const pending = await this.#db.query<{ id: bigint }>(`SELECT id FROM webhook_deliveries WHERE status = 'pending' ORDER BY received_at, id`);
    for (const row of pending) this.#enqueue(String(row.id));
    return pending.length;
  }

  /** Resolves when every accepted delivery has been applied. */
  async idle(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.#queue;
      await seen;
    } while (seen !== this.#queue);
  }

  #enqueue(id: string) {
    const queued = performance.now();
    this.#queue = this.#queue.then(() => this.#quietMoment(queued)).then(() => this.#apply(id));
  }

  /**
   * Applying waits for a quiet moment (no request for QUIET_MS), at most MAX_DELAY_MS: the embedded
   * database runs in this thread, one statement at a time, so an answer would otherwise wait behind
   * a delivery being applied. (On PostgreSQL the two do not meet; the wait costs little either way.)
   */
  async #quietMoment(queued: number): Promise<void> {
    for (;;) {
      const now = performance.now();
      const quietFor = now - this.#lastRequestAt;
      if (quietFor >= QUIET_MS || now - queued >= MAX_DELAY_MS) return;
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS - quietFor + 1));
    }
  }

  async #apply(id: string): Promise<void> {
    try {
      await this.#db.transaction(async (tx) => {
        const [row] = await tx.query<{ event: string | null; body: string; status: string }>('SELECT event, body, status FROM webhook_deliveries WHERE id = $1::int8 FOR UPDATE', [id]);
        if (row?.status !== 'pending') return;
        const handled = classifyDelivery(row.event, JSON.parse(row.body));
        await applyDelivery(tx, handled);
        await tx.query(`UPDATE webhook_deliveries SET status = 'applied', applied_at = now() WHERE id = $1::int8`, [id]);
      });
      this.stats.applied++;
    } catch (error) {
      this.stats.failed++;
      await this.#db.query(`UPDATE webhook_deliveries SET status = 'failed', error = $2 WHERE id = $1::int8`, [id, (error as Error).message]).catch(() => {});
    }
  }
}

async function ensureProject(tx: Session, project: z.infer<typeof hookProject>): Promise<Scope> {
  const ref = `gitlab:${project.path_with_namespace}`;
  await tx.query(
    `INSERT INTO projects (id, platform, external_id, path, web_url, default_branch) VALUES ($1::int8, 'gitlab', $2, $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET external_id = coalesce(projects.external_id, EXCLUDED.external_id), default_branch = coalesce(projects.default_branch, EXCLUDED.default_branch)`,
    [ids.project(ref), String(project.id), project.path_with_namespace, project.web_url ?? null, project.default_branch ?? null],
  );
  return { projects: new Map([[project.id, { ref, defaultBranch: project.default_branch ?? null }]]), groups: new Map() };
}

/** The payloads the API sync stored for an MR or issue (under any GitLab source), if it did: looked up by id. */
async function storedPayloads(tx: Session, endpoints: readonly string[], key: string): Promise<Map<string, unknown>> {
  const sources = await tx.query<{ name: string }>(`SELECT name FROM sources WHERE kind = 'gitlab' ORDER BY name`);
  const wanted = sources.flatMap((s) => endpoints.map((endpoint) => idText('raw_record', s.name, endpoint, key)));
  const rows = await tx.query<{ endpoint: string; payload: unknown }>(
    `SELECT DISTINCT ON (endpoint) endpoint, payload FROM raw_records WHERE id = ANY($1::int8[]) ORDER BY endpoint, fetched_at DESC`,
    [wanted],
  );
  return new Map(rows.map((r) => [r.endpoint, r.payload]));
}

async function milestoneOf(tx: Session, milestoneId: number | null | undefined, stored: { milestone?: { id?: number } | null } | undefined) {
  if (!milestoneId) return null;
  if (stored?.milestone?.id === milestoneId) return stored.milestone;
  const [row] = await tx.query<{ title: string; scope: string }>('SELECT title, scope FROM milestones WHERE external_id = $1 LIMIT 1', [String(milestoneId)]);
  return row ? { id: milestoneId, title: row.title, group_id: null, project_id: null, scope: row.scope } : null;
}

/** Whether the stored row is already newer than this event (deliveries can arrive out of order). */
async function newerStored(tx: Session, table: 'merge_requests' | 'issues', id: string, updatedAt: string): Promise<boolean> {
  const [row] = await tx.query<{ newer: boolean }>(`SELECT updated_at > $2::timestamptz AS newer FROM ${table} WHERE id = $1::int8`, [id, updatedAt]);
  return row?.newer ?? false;
}

export async function applyDelivery(tx: Session, handled: Handled): Promise<void> {
  switch (handled.kind) {
    case 'merge_request':
      return applyMergeRequest(tx, handled.hook);
    case 'issue':
      return applyIssue(tx, handled.hook);
    case 'note':
      return applyNote(tx, handled.hook);
    case 'member':
      return applyMember(tx, handled.hook);
    default:
      return;
  }
}

async function applyMergeRequest(tx: Session, hook: z.infer<typeof mergeRequestHook>) {
  const scope = await ensureProject(tx, hook.project);
  const a = hook.object_attributes;
  const project = (scope.projects.get(hook.project.id) as { ref: string }).ref;
  const key = mergeRequestKey(a.target_project_id, a.iid);
  const stored = await storedPayloads(tx, ['merge_requests', 'merge_request_notes', 'merge_request_label_events'], key);
  const base = (stored.get('merge_requests') ?? {}) as Record<string, unknown>;
  const identities = new IdentityCollector();
  const rows = emptyRows();
  const mrId = ids.mergeRequest(project, a.iid);
  if (!(await newerStored(tx, 'merge_requests', mrId, a.updated_at))) {
    const assignees = withIds(hook.assignees, a.assignee_ids);
    const reviewers = withIds(hook.reviewers, a.reviewer_ids);
    const known = [hook.user, ...assignees, ...reviewers];
    const author = (base.author as { id?: number } | undefined)?.id === a.author_id ? base.author : (known.find((u) => u.id === a.author_id) ?? { id: a.author_id });
    const milestone = await milestoneOf(tx, a.milestone_id, base as { milestone?: { id?: number } | null });
    const overlay = {
      ...base,
      id: a.id,
      iid: a.iid,
      project_id: hook.project.id,
      title: a.title,
      state: a.state,
      created_at: a.created_at,
      updated_at: a.updated_at,
      merged_at: a.merged_at ?? (a.state === 'merged' ? ((base.merged_at as string | undefined) ?? a.updated_at) : null),
      closed_at: a.closed_at ?? (a.state === 'closed' ? ((base.closed_at as string | undefined) ?? a.updated_at) : null),
      merge_user: a.state === 'merged' ? (a.action === 'merge' ? hook.user : (base.merge_user ?? base.merged_by ?? null)) : null,
      merged_by: null,
      closed_by: a.state === 'closed' ? (a.action === 'close' ? hook.user : (base.closed_by ?? null)) : null,
      author,
      assignees,
      reviewers,
      labels: (hook.labels ?? []).map((l) => l.title),
      milestone: milestone && 'scope' in milestone ? null : milestone,
      draft: a.draft ?? a.work_in_progress ?? false,
      source_branch: a.source_branch ?? null,
      target_branch: a.target_branch ?? null,
      web_url: a.url ?? null,
      references: { full: `${hook.project.path_with_namespace}!${a.iid}` },
    };
    const mr = parsePayload(mergeRequestPayload, overlay, 'a merge request event');
    const notes = ((stored.get('merge_request_notes') ?? []) as unknown[]).map((n) => parsePayload(notePayload, n, 'a stored note'));
    const events = ((stored.get('merge_request_label_events') ?? []) as unknown[]).map((e) => parsePayload(labelEventPayload, e, 'a stored label event'));
    deriveMergeRequest(scope, identities, mr, notes, events, rows);
    const record = rows.mergeRequests[0];
    if (record && milestone && 'scope' in milestone) {
      record.milestone = milestone.title;
      record.milestone_scope = milestone.scope;
    }
    // Only what the MR's state says is replaced: comments, reviews and label events that webhooks
    // brought since the last API sync are not among the stored notes, and must stay.
    await tx.query(`DELETE FROM activities WHERE object_type = 'merge_request' AND object_id = $1::int8 AND kind IN ('mr_opened', 'mr_merged', 'mr_closed')`, [mrId]);
  }
  // Approvals arrive as actions; the API sync later finds them as system notes, with their own time.
  const approval = a.action === 'approved' || a.action === 'approval' ? 'approved' : a.action === 'unapproved' || a.action === 'unapproval' ? 'unapproved' : null;
  if (approval) {
    const person = personOf(identities, hook.user);
    rows.reviews.push({ type: 'review', project, merge_request: a.iid, reviewer: person, kind: approval, occurred_at: a.updated_at });
    if (approval === 'approved') {
      rows.activities.push({ type: 'activity', kind: 'mr_approved', person, project, occurred_at: a.updated_at, object: { type: 'merge_request', project, number: a.iid }, attributes: null });
    }
  }
  await identities.save(tx);
  await writeDerived(tx, rows);
}

async function applyIssue(tx: Session, hook: z.infer<typeof issueHook>) {
  const scope = await ensureProject(tx, hook.project);
  const a = hook.object_attributes;
  const project = (scope.projects.get(hook.project.id) as { ref: string }).ref;
  if (await newerStored(tx, 'issues', ids.issue(project, a.iid), a.updated_at)) return;
  const stored = await storedPayloads(tx, ['issues', 'issue_notes'], issueKey(a.project_id, a.iid));
  const base = (stored.get('issues') ?? {}) as Record<string, unknown>;
  const assignees = withIds(hook.assignees, a.assignee_ids);
  const known = [hook.user, ...assignees];
  const milestone = await milestoneOf(tx, a.milestone_id, base as { milestone?: { id?: number } | null });
  const overlay = {
    ...base,
    id: a.id,
    iid: a.iid,
    project_id: hook.project.id,
    title: a.title,
    state: a.state,
    created_at: a.created_at,
    updated_at: a.updated_at,
    closed_at: a.closed_at ?? (a.state === 'closed' ? ((base.closed_at as string | undefined) ?? a.updated_at) : null),
    closed_by: a.state === 'closed' ? (a.action === 'close' ? hook.user : (base.closed_by ?? null)) : null,
    author: (base.author as { id?: number } | undefined)?.id === a.author_id ? base.author : (known.find((u) => u.id === a.author_id) ?? { id: a.author_id }),
    assignees,
    labels: (hook.labels ?? []).map((l) => l.title),
    milestone: milestone && 'scope' in milestone ? null : milestone,
    weight: a.weight ?? null,
    web_url: a.url ?? null,
    references: { full: `${hook.project.path_with_namespace}#${a.iid}` },
  };
  const issue = parsePayload(issuePayload, overlay, 'an issue event');
  const notes = ((stored.get('issue_notes') ?? []) as unknown[]).map((n) => parsePayload(notePayload, n, 'a stored note'));
  const identities = new IdentityCollector();
  const rows = emptyRows();
  deriveIssue(scope, identities, issue, notes, rows);
  const record = rows.issues[0];
  if (record && milestone && 'scope' in milestone) {
    record.milestone = milestone.title;
    record.milestone_scope = milestone.scope;
  }
  await identities.save(tx);
  await tx.query(`DELETE FROM activities WHERE object_type = 'issue' AND object_id = $1::int8 AND kind IN ('issue_opened', 'issue_closed')`, [ids.issue(project, a.iid)]);
  await writeDerived(tx, rows);
}

async function applyNote(tx: Session, hook: z.infer<typeof noteHook>) {
  const scope = await ensureProject(tx, hook.project);
  const project = (scope.projects.get(hook.project.id) as { ref: string }).ref;
  const a = hook.object_attributes;
  const identities = new IdentityCollector();
  const author = personOf(identities, hook.user.id === a.author_id ? hook.user : { id: a.author_id });
  const target =
    a.noteable_type === 'MergeRequest'
      ? ({ type: 'merge_request', number: hook.merge_request?.iid as number } as const)
      : a.noteable_type === 'Issue'
        ? ({ type: 'issue', number: hook.issue?.iid as number } as const)
        : ({ type: 'commit', sha: (a.commit_id ?? hook.commit?.id ?? '').toLowerCase() } as const);
  const system = a.system ?? false;
  await identities.save(tx);
  await upsertRecords(tx, commentKind, [{ type: 'comment', project, target, external_id: String(a.id), author, created_at: a.created_at, system, body: a.note }]);
  if (!system && target.type !== 'commit') {
    await upsertRecords(tx, activityRecordKind, [
      {
        type: 'activity',
        kind: target.type === 'merge_request' ? 'mr_commented' : 'issue_commented',
        person: author,
        project,
        occurred_at: a.created_at,
        object: { type: 'comment', project, external_id: String(a.id) },
        attributes: null,
      },
    ]);
  }
}

async function applyMember(tx: Session, hook: z.infer<typeof memberHook>) {
  if (hook.event_name === 'user_access_request_to_group' || hook.event_name === 'user_access_request_denied_for_group') return;
  const identities = new IdentityCollector();
  const person = personOf(identities, { id: hook.user_id, username: hook.user_username, name: hook.user_name });
  await identities.save(tx);
  const personId = ids.person(person);
  const level = hook.group_access ? (ACCESS_LEVELS[hook.group_access] ?? null) : null;
  const day = (iso: string) => iso.slice(0, 10);
  if (hook.event_name === 'user_remove_from_group') {
    await tx.query(
      `UPDATE group_memberships SET valid_to = greatest($3::date, coalesce(valid_from + 1, $3::date))
        WHERE person_id = $1::int8 AND platform = 'gitlab' AND group_path = $2 AND valid_to IS NULL`,
      [personId, hook.group_path, day(hook.updated_at)],
    );
    return;
  }
  const [open] = await tx.query<{ id: bigint }>(`SELECT id FROM group_memberships WHERE person_id = $1::int8 AND platform = 'gitlab' AND group_path = $2 AND valid_to IS NULL`, [
    personId,
    hook.group_path,
  ]);
  if (open) {
    await tx.query('UPDATE group_memberships SET access_level = coalesce($2, access_level) WHERE id = $1', [open.id, level]);
    return;
  }
  // The same id the API sync gives a membership (src/people/roster.ts), so the two meet on one row.
  const from = day(hook.created_at);
  await tx.query(
    `INSERT INTO group_memberships (id, person_id, platform, group_path, access_level, valid_from, source)
     VALUES ($1::int8, $2::int8, 'gitlab', $3, $4, $5::date, 'webhook')
     ON CONFLICT (id) DO UPDATE SET valid_to = NULL, access_level = coalesce(EXCLUDED.access_level, group_memberships.access_level)`,
    [idText('group_membership', 'gitlab', hook.group_path, personKeyOf({ platform: 'gitlab', kind: 'user_id', value: String(hook.user_id) }), from), personId, hook.group_path, level, from],
  );
}

/** A minimal HTTP listener for `POST /webhooks/gitlab` until the app server mounts the handler. */
export async function listenForWebhooks(webhooks: GitlabWebhooks, port: number, host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
  const server = createServer(async (incoming, outgoing) => {
    try {
      const url = new URL(incoming.url ?? '/', `http://${incoming.headers.host ?? 'localhost'}`);
      if (url.pathname !== '/webhooks/gitlab') {
        outgoing.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of incoming) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) {
          outgoing.writeHead(413, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'too large' }));
          return;
        }
        chunks.push(chunk as Buffer);
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === 'string') headers.set(name, value);
      const request = new Request(url, { method: incoming.method ?? 'GET', headers, body: incoming.method === 'POST' ? Buffer.concat(chunks) : null });
      const response = await webhooks.handle(request);
      outgoing.writeHead(response.status, Object.fromEntries(response.headers.entries())).end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      if (!outgoing.headersSent) outgoing.writeHead(500, { 'Content-Type': 'application/json' });
      outgoing.end(JSON.stringify({ error: (error as Error).message }));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address() as AddressInfo;
  return { server, url: `http://${host}:${address.port}/webhooks/gitlab` };
}

