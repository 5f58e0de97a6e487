import { z } from 'zod';
import type { Database, Session } from '../../db/connection.ts';
import { ids, type MilestoneRecord, milestoneKind } from '../../interchange/records.ts';
import { IdentityCollector } from '../../people/identities.ts';
import { resolveIdentities } from '../../people/resolve.ts';
import { saveUserProfiles, syncGroupMembers } from '../../people/roster.ts';
import type { SourceDefinition, StoredSource, SyncContext, SyncResult } from '../contract.ts';
import { DEFAULT_POLITENESS, GitlabApi, mapLimit, NotFoundError, type Payload, type Politeness } from './fetch.ts';
import {
  deriveIssue,
  deriveMergeRequest,
  emptyRows,
  type IssuePayload,
  issuePayload,
  type LabelEventPayload,
  labelEventPayload,
  type MergeRequestPayload,
  memberPayload,
  mergeRequestPayload,
  milestonePayload,
  milestoneRecord,
  type NotePayload,
  notePayload,
  parsePayload,
  projectPayload,
  projectRefOf,
  releasePayload,
  type Scope,
  userPayload,
  usersNamed,
} from './normalise.ts';
import {
  forgetDerived,
  forgetItems,
  forgetRaw,
  issueKey,
  mergeRequestKey,
  readRaw,
  storedKeys,
  storedUpdatedAt,
  storeRaw,
  upsertRecords,
  writeDerived,
} from './store-raw.ts';

/**
 * A GitLab group (with its subgroups) or project as a source, read through the REST API:
 * `tributary sources add gitlab --group acme` then `tributary sync`. docs/gitlab-source.md explains
 * what is read, the request budget, the cursors and the rate limits.
 */
export const gitlabConfig = z
  .strictObject({
    url: z.url({ message: 'must be the GitLab instance URL, like https://gitlab.com' }).default('https://gitlab.com'),
    group: z.string().min(1, 'must name a group path or id').optional(),
    project: z.string().min(1, 'must name a project path or id').optional(),
    /** The environment variable holding the token (read_api scope). The token itself is never stored. */
    tokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').default('GITLAB_TOKEN'),
    requestsPerMinute: z.number().int().positive().default(DEFAULT_POLITENESS.requestsPerMinute),
    /** The window of the ceiling, 60 s unless a test needs to see it work in less time. */
    ceilingWindowSeconds: z.number().positive().default(DEFAULT_POLITENESS.windowSeconds),
    concurrency: z.number().int().min(1).max(32).default(DEFAULT_POLITENESS.concurrency),
    maxRetries: z.number().int().min(0).max(50).default(DEFAULT_POLITENESS.maxRetries),
    backoffMs: z.number().int().min(0).default(DEFAULT_POLITENESS.backoffMs),
    timeoutMs: z.number().int().positive().default(DEFAULT_POLITENESS.timeoutMs),
    /** How far before the last seen `updated_at` an incremental sync starts again (late writes, clock skew). */
    overlapSeconds: z.number().int().min(0).default(300),
  })
  .refine((c) => Boolean(c.group) !== Boolean(c.project), { message: 'name either a group or a project', path: ['group'] });
export type GitlabConfig = z.infer<typeof gitlabConfig>;

/** Where a walk over changed MRs or issues stands: the `updated_after` it asks with, and the page at that instant. */
interface WalkPosition {
  since: string | null;
  page: number;
  /** True while a walk is under way: a sync that died resumes it rather than starting over. */
  walking: boolean;
}

interface GitlabCursor {
  mergeRequests: WalkPosition;
  issues: WalkPosition;
}

const START: WalkPosition = { since: null, page: 1, walking: false };

export function tokenOf(config: GitlabConfig, env = process.env): string | undefined {
  return env[config.tokenEnv] || undefined;
}

function politenessOf(config: GitlabConfig): Politeness {
  return {
    requestsPerMinute: config.requestsPerMinute,
    windowSeconds: config.ceilingWindowSeconds,
    concurrency: config.concurrency,
    maxRetries: config.maxRetries,
    backoffMs: config.backoffMs,
    timeoutMs: config.timeoutMs,
  };
}

export function apiFor(config: GitlabConfig): GitlabApi {
  return new GitlabApi(config.url, tokenOf(config) ?? '', politenessOf(config));
}

export const gitlabSource: SourceDefinition<GitlabConfig> = {
  kind: 'gitlab',
  config: gitlabConfig,
  defaultName: (config) => config.group ?? config.project ?? 'gitlab',
  async check(config) {
    const api = apiFor({ ...config, maxRetries: Math.min(config.maxRetries, 2) });
    if (config.group) {
      const group = await api.group(config.group);
      return { ...config, group: String(group.full_path ?? config.group) };
    }
    const project = await api.project(config.project as string);
    return { ...config, project: String(project.path_with_namespace ?? config.project) };
  },
  sync: (db, source, context) => syncGitlab(db, source, context),
};

export async function syncGitlab(db: Database, source: StoredSource<GitlabConfig>, context: SyncContext): Promise<SyncResult> {
  const config = source.config;
  const api = apiFor(config);
  const started = performance.now();
  const previous = source.cursor as Partial<GitlabCursor> | null;
  const cursor: GitlabCursor = context.full || !previous ? { mergeRequests: { ...START }, issues: { ...START } } : { mergeRequests: previous.mergeRequests ?? { ...START }, issues: previous.issues ?? { ...START } };
  const stats: Record<string, number> = {};
  const count = (key: string, n = 1) => (stats[key] = (stats[key] ?? 0) + n);

  const scope = await readScope(db, api, source);
  count('projects', scope.projects.size);
  await readMilestones(db, api, source, scope);
  if (config.group) await readMembers(db, api, source, scope);

  const elapsed = () => (performance.now() - started) / 1000;
  const scopeParam = config.group ? { groupId: config.group } : { projectId: config.project as string };
  for (const kind of ['merge_requests', 'issues'] as const) {
    const seen = await walk(db, api, source, scope, cursor, kind, scopeParam, context.full ?? false, count);
    context.progress?.({ items: stats.mergeRequests ?? 0, unit: 'merge requests', elapsedSeconds: elapsed() });
    if (seen) await forgetVanished(db, source, scope, kind, seen, count);
  }

  const resolved = await resolveIdentities(db, { actor: `sync ${source.name}` });
  stats.linkedPeople = Object.values(resolved.links).reduce((sum, n) => sum + n, 0);
  stats.requests = api.gate.sent;
  stats.retries = api.gate.retries;
  stats.seconds = Number(elapsed().toFixed(3));
  return { cursor: cursor as unknown as Record<string, unknown>, stats };
}

async function saveCursor(session: Session, source: StoredSource<GitlabConfig>, cursor: GitlabCursor) {
  await session.query('UPDATE sources SET cursor = $2::jsonb WHERE id = $1::int8', [String(source.id), JSON.stringify(cursor)]);
}

/** The group's projects (subgroups included) or the one project: rows in `projects`, and the id → path map. */
async function readScope(db: Database, api: GitlabApi, source: StoredSource<GitlabConfig>): Promise<Scope> {
  const config = source.config;
  const scope: Scope = { projects: new Map(), groups: new Map() };
  let projects: Payload[];
  if (config.group) {
    const group = await api.group(config.group);
    scope.groups.set(Number(group.id), String(group.full_path));
    projects = await api.groupProjects(config.group);
  } else {
    projects = [await api.project(config.project as string)];
  }
  const parsed = projects.map((p) => parsePayload(projectPayload, p, 'a project'));
  for (const p of parsed) {
    scope.projects.set(p.id, { ref: `gitlab:${p.path_with_namespace}`, defaultBranch: p.default_branch ?? null });
    if (p.namespace && p.namespace.kind !== 'user') scope.groups.set(p.namespace.id, p.namespace.full_path);
  }
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO projects (id, platform, external_id, path, name, web_url, default_branch)
       SELECT id::int8, 'gitlab', external_id, path, name, web_url, default_branch
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(id, external_id, path, name, web_url, default_branch)
       ON CONFLICT (id) DO UPDATE SET external_id = EXCLUDED.external_id, name = EXCLUDED.name, web_url = EXCLUDED.web_url,
         default_branch = coalesce(EXCLUDED.default_branch, projects.default_branch)`,
      [
        parsed.map((p) => (scope.projects.get(p.id) as { ref: string }).ref).map((ref) => ids.project(ref)),
        parsed.map((p) => String(p.id)),
        parsed.map((p) => p.path_with_namespace),
        parsed.map((p) => p.name ?? null),
        parsed.map((p) => p.web_url ?? null),
        parsed.map((p) => p.default_branch ?? null),
      ],
    );
    await storeRaw(tx, source.name, 'projects', projects.map((payload, i) => ({ key: String(parsed[i]?.id), payload })));
  });
  return scope;
}


/** Milestones of the groups and projects, with the release date of the earliest release naming each. */
async function readMilestones(db: Database, api: GitlabApi, source: StoredSource<GitlabConfig>, scope: Scope) {
  const groupMilestones = await mapLimit([...scope.groups.keys()], 4, (id) => api.groupMilestones(id));
  const projectIds = [...scope.projects.keys()];
  const projectMilestones = await mapLimit(projectIds, 4, (id) => api.projectMilestones(id));
  const releases = await mapLimit(projectIds, 4, (id) => api.projectReleases(id));
  const releasedAt = new Map<number, string>();
  releases.forEach((list) => {
    for (const raw of list) {
      const release = parsePayload(releasePayload, raw, 'a release');
      if (!release.released_at) continue;
      for (const m of release.milestones ?? []) {
        const at = new Date(Date.parse(release.released_at)).toISOString();
        const known = releasedAt.get(m.id);
        if (!known || at < known) releasedAt.set(m.id, at);
      }
    }
  });
  const records: MilestoneRecord[] = [];
  const raws: { key: string; payload: unknown }[] = [];
  const fallback = (scope.projects.values().next().value?.ref as string | undefined) ?? 'gitlab:unknown';
  for (const [list, owner] of [...groupMilestones.map((l) => [l, fallback] as const), ...projectMilestones.map((l, i) => [l, scope.projects.get(projectIds[i] as number)?.ref ?? fallback] as const)]) {
    for (const raw of list) {
      const milestone = parsePayload(milestonePayload, raw, 'a milestone');
      records.push(milestoneRecord(scope, milestone, owner, releasedAt.get(milestone.id) ?? null));
      raws.push({ key: String(milestone.id), payload: raw });
    }
  }
  const releaseRaws = releases.flatMap((list, i) => list.map((payload) => ({ key: `${projectIds[i]}:${String(payload.tag_name)}`, payload })));
  await db.transaction(async (tx) => {
    await upsertRecords(tx, milestoneKind, records);
    await storeRaw(tx, source.name, 'milestones', raws);
    await storeRaw(tx, source.name, 'releases', releaseRaws);
  });
}


/** Members of each group with the day they joined: the team, for classifying people as team or community. */
async function readMembers(db: Database, api: GitlabApi, source: StoredSource<GitlabConfig>, scope: Scope) {
  const groups = [...scope.groups.entries()];
  const lists = await mapLimit(groups, 4, ([id]) => api.groupMembers(id));
  await db.transaction(async (tx) => {
    for (const [index, [, path]] of groups.entries()) {
      const raw = lists[index] ?? [];
      const members = raw.map((m) => parsePayload(memberPayload, m, `a member of ${path}`));
      await syncGroupMembers(tx, { platform: 'gitlab', path }, members);
      await storeRaw(tx, source.name, 'group_members', [{ key: path, payload: raw }]);
    }
  });
}

type Kind = 'merge_requests' | 'issues';

/**
 * Walks the MRs or issues changed since the cursor, oldest change first, page by page. Each page is
 * written in one transaction with the cursor's new position, so a sync killed at any point resumes
 * at the page it was on and loses nothing. The position is keyset-like: `updated_after` moves to the
 * newest `updated_at` of each page (inclusive, so that instant is read again and what was stored is
 * skipped), and only when a whole page shares one instant does the page number advance. Changes
 * made while the walk goes on move items to its end, where it finds them.
 *
 * Returns the keys it saw when it listed everything from the start (a full sync), else null.
 */
async function walk(
  db: Database,
  api: GitlabApi,
  source: StoredSource<GitlabConfig>,
  scope: Scope,
  cursor: GitlabCursor,
  kind: Kind,
  scopeParam: { groupId: string } | { projectId: string },
  full: boolean,
  count: (key: string, n?: number) => void,
): Promise<Set<string> | null> {
  const field = kind === 'merge_requests' ? 'mergeRequests' : 'issues';
  let position = cursor[field];
  if (!position.walking) {
    const since = position.since ? new Date(Date.parse(position.since) - source.config.overlapSeconds * 1000).toISOString() : null;
    position = { since, page: 1, walking: true };
  }
  const seen = position.since === null && full ? new Set<string>() : null;
  for (;;) {
    const page = await api.changedPage(kind, scopeParam, position.since, position.page);
    count(kind === 'merge_requests' ? 'mergeRequestPages' : 'issuePages');
    const items = page.items.map((raw) =>
      kind === 'merge_requests' ? parsePayload(mergeRequestPayload, raw, 'a merge request') : parsePayload(issuePayload, raw, 'an issue'),
    );
    const keyOf = (item: MergeRequestPayload | IssuePayload) => (kind === 'merge_requests' ? mergeRequestKey(item.project_id, item.iid) : issueKey(item.project_id, item.iid));
    for (const item of items) seen?.add(keyOf(item));
    const stored = await storedUpdatedAt(db, source.name, kind, items.map(keyOf));
    const changedIndexes = items.flatMap((item, index) => (stored.get(keyOf(item)) === item.updated_at ? [] : [index]));
    // Per-item calls only for what changed: notes (approvals and review requests are among them as
    // system notes), and label events for MRs that carry labels.
    const fetched = await mapLimit(changedIndexes, source.config.concurrency, async (index) => {
      const item = items[index] as MergeRequestPayload | IssuePayload;
      try {
        if (kind === 'issues') return { index, notes: await api.issueNotes(item.project_id, item.iid), labelEvents: [] as Payload[] };
        const [notes, labelEvents] = await Promise.all([
          api.mergeRequestNotes(item.project_id, item.iid),
          item.labels.length > 0 ? api.mergeRequestLabelEvents(item.project_id, item.iid) : Promise.resolve([] as Payload[]),
        ]);
        return { index, notes, labelEvents };
      } catch (error) {
        // Deleted between the list and now: a later listing will not show it (a full sync removes it).
        if (error instanceof NotFoundError) return null;
        throw error;
      }
    });
    const details = fetched.filter((d) => d !== null);
    changedIndexes.splice(0, changedIndexes.length, ...details.map((d) => d.index));
    const parsedNotes = details.map((d) => d.notes.map((n) => parsePayload(notePayload, n, 'a note')));
    const parsedEvents = details.map((d) => d.labelEvents.map((e) => parsePayload(labelEventPayload, e, 'a label event')));
    const userIds = [...new Set(changedIndexes.flatMap((index, i) => usersNamed(items[index] as MergeRequestPayload, parsedNotes[i] ?? [])))];
    const known = await storedKeys(db, source.name, 'users', userIds.map(String));
    const profiles = (await mapLimit(userIds.filter((id) => !known.has(String(id))), source.config.concurrency, (id) => api.user(id)))
      .filter((raw) => raw !== null)
      .map((raw) => ({ raw, profile: parsePayload(userPayload, raw, 'a user') }));

    let newest = position.since === null ? null : Date.parse(position.since);
    for (const item of items) newest = Math.max(newest ?? 0, Date.parse(item.updated_at));
    const more = page.items.length > 0 && page.nextPage !== null;
    const next: WalkPosition = !more
      ? { since: newest === null ? position.since : new Date(newest).toISOString(), page: 1, walking: false }
      : newest !== null && (position.since === null || newest > Date.parse(position.since))
        ? { since: new Date(newest).toISOString(), page: 1, walking: true }
        : { since: position.since, page: position.page + 1, walking: true };

    await db.transaction(async (tx) => {
      if (profiles.length > 0) {
        await saveUserProfiles(tx, profiles.map((p) => ({ ...p.profile, organization: p.profile.organization || null, public_email: p.profile.public_email || null })));
        await storeRaw(tx, source.name, 'users', profiles.map((p) => ({ key: String(p.profile.id), payload: p.raw })));
      }
      const identities = new IdentityCollector();
      const rows = emptyRows();
      const target = kind === 'merge_requests' ? 'merge_request' : 'issue';
      const again: { project: string; number: number }[] = [];
      changedIndexes.forEach((index, i) => {
        const item = items[index] as MergeRequestPayload | IssuePayload;
        // Also what was never synced: a webhook may have written rows for it (an approval at the hook's time).
        again.push({ project: projectRefOf(scope, item.project_id, item.references, kind === 'merge_requests' ? '!' : '#'), number: item.iid });
        if (kind === 'merge_requests') deriveMergeRequest(scope, identities, item as MergeRequestPayload, parsedNotes[i] as NotePayload[], parsedEvents[i] as LabelEventPayload[], rows);
        else deriveIssue(scope, identities, item as IssuePayload, parsedNotes[i] as NotePayload[], rows);
      });
      await identities.save(tx);
      await forgetDerived(tx, target, again);
      await writeDerived(tx, rows);
      const changed = changedIndexes.map((index) => ({ key: keyOf(items[index] as MergeRequestPayload), index }));
      await storeRaw(tx, source.name, kind, changed.map((c) => ({ key: c.key, payload: page.items[c.index] })));
      await storeRaw(tx, source.name, kind === 'merge_requests' ? 'merge_request_notes' : 'issue_notes', changed.map((c, i) => ({ key: c.key, payload: details[i]?.notes ?? [] })));
      if (kind === 'merge_requests') await storeRaw(tx, source.name, 'merge_request_label_events', changed.map((c, i) => ({ key: c.key, payload: details[i]?.labelEvents ?? [] })));
      cursor[kind === 'merge_requests' ? 'mergeRequests' : 'issues'] = next;
      await saveCursor(tx, source, cursor);
    });
    count(kind === 'merge_requests' ? 'mergeRequests' : 'issues', changedIndexes.length);
    count(kind === 'merge_requests' ? 'unchangedMergeRequests' : 'unchangedIssues', items.length - changedIndexes.length);
    count('users', profiles.length);
    position = next;
    if (!next.walking) return seen;
  }
}

/** After a full listing: MRs or issues stored before but no longer listed were deleted in GitLab. */
async function forgetVanished(db: Database, source: StoredSource<GitlabConfig>, scope: Scope, kind: Kind, seen: Set<string>, count: (key: string, n?: number) => void) {
  const stored = await readRaw(db, source.name, kind);
  const gone = [...stored.entries()].filter(([key]) => !seen.has(key));
  if (gone.length === 0) return;
  const items = gone.map(([, payload]) => {
    const p = payload as { project_id: number; iid: number; references?: { full: string } | null };
    return { project: projectRefOf(scope, p.project_id, p.references, kind === 'merge_requests' ? '!' : '#'), number: p.iid };
  });
  await db.transaction(async (tx) => {
    await forgetItems(tx, kind === 'merge_requests' ? 'merge_request' : 'issue', items);
    const keys = gone.map(([key]) => key);
    await forgetRaw(tx, source.name, kind, keys);
    await forgetRaw(tx, source.name, kind === 'merge_requests' ? 'merge_request_notes' : 'issue_notes', keys);
    if (kind === 'merge_requests') await forgetRaw(tx, source.name, 'merge_request_label_events', keys);
  });
  count(kind === 'merge_requests' ? 'deletedMergeRequests' : 'deletedIssues', gone.length);
}

/** Derives every row again from raw_records alone, with no requests (after a fix to normalise.ts, say). */
export async function rederiveGitlab(db: Database, source: StoredSource<GitlabConfig>): Promise<SyncResult> {
  return db.transaction(async (tx) => {
    const projects = await readRaw(tx, source.name, 'projects');
    const scope: Scope = { projects: new Map(), groups: new Map() };
    for (const raw of projects.values()) {
      const p = parsePayload(projectPayload, raw, 'a stored project');
      scope.projects.set(p.id, { ref: `gitlab:${p.path_with_namespace}`, defaultBranch: p.default_branch ?? null });
      if (p.namespace && p.namespace.kind !== 'user') scope.groups.set(p.namespace.id, p.namespace.full_path);
    }
    const stats = { mergeRequests: 0, issues: 0 };
    for (const kind of ['merge_requests', 'issues'] as const) {
      const items = await readRaw(tx, source.name, kind);
      const notes = await readRaw(tx, source.name, kind === 'merge_requests' ? 'merge_request_notes' : 'issue_notes');
      const events = kind === 'merge_requests' ? await readRaw(tx, source.name, 'merge_request_label_events') : new Map<string, unknown>();
      const identities = new IdentityCollector();
      const rows = emptyRows();
      const all: { project: string; number: number }[] = [];
      for (const [key, raw] of items) {
        const itemNotes = ((notes.get(key) ?? []) as unknown[]).map((n) => parsePayload(notePayload, n, 'a stored note'));
        if (kind === 'merge_requests') {
          const mr = parsePayload(mergeRequestPayload, raw, 'a stored merge request');
          all.push({ project: projectRefOf(scope, mr.project_id, mr.references, '!'), number: mr.iid });
          const itemEvents = ((events.get(key) ?? []) as unknown[]).map((e) => parsePayload(labelEventPayload, e, 'a stored label event'));
          deriveMergeRequest(scope, identities, mr, itemNotes, itemEvents, rows);
        } else {
          const issue = parsePayload(issuePayload, raw, 'a stored issue');
          all.push({ project: projectRefOf(scope, issue.project_id, issue.references, '#'), number: issue.iid });
          deriveIssue(scope, identities, issue, itemNotes, rows);
        }
      }
      await identities.save(tx);
      await forgetDerived(tx, kind === 'merge_requests' ? 'merge_request' : 'issue', all);
      await writeDerived(tx, rows);
      stats[kind === 'merge_requests' ? 'mergeRequests' : 'issues'] = items.size;
    }
    return { cursor: source.cursor ?? {}, stats };
  });
}
