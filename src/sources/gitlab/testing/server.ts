import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Random } from '../../../generator/random.ts';
import type { Issue, LabelEvent, MergeRequest, Milestone, Note, Project, User, World } from './world.ts';

/**
 * A GitLab-compatible HTTP server over a World: the REST endpoints Tributary reads, answering in the
 * shapes of GitLab's documented examples, with offset pagination headers, `RateLimit-*` headers,
 * 429 with `Retry-After` when its quota is spent, token authentication, and faults on demand (429
 * storms, 5xx, slow, dropped and truncated responses). It counts every request it is sent.
 */

export interface Faults {
  /** Fraction of requests answered 429 with Retry-After. */
  rateLimited?: number;
  /** Fraction answered 500, 502 or 503. */
  serverErrors?: number;
  /** Fraction answered late, and how late. */
  slow?: { fraction: number; ms: number };
  /** Fraction whose connection is closed without an answer. */
  dropped?: number;
  /** Fraction whose body is cut off halfway. */
  truncated?: number;
  /** Retry-After on 429 (seconds; default 1). */
  retryAfterSeconds?: number;
}

export interface GitlabServerOptions {
  /** The token clients must send (PRIVATE-TOKEN or Authorization: Bearer); none means any. */
  token?: string;
  faults?: Faults;
  /** A quota like GitLab's: `limit` requests per `windowSeconds`, then 429 until the window resets. */
  quota?: { limit: number; windowSeconds: number };
  /** The largest page the server gives (GitLab: 100); a test lowers it to get more pages. */
  maxPerPage?: number;
  /** Called with the number of requests served so far, before each is answered. */
  onRequest?: (count: number) => void;
  seed?: string;
  /** The instance's own address in `web_url`s, as GitLab's external_url (default https://gitlab.example.com). */
  externalUrl?: string;
}

export interface RequestRecord {
  at: number;
  path: string;
  category: string;
  status: number;
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export class GitlabTestServer {
  readonly world: World;
  readonly options: GitlabServerOptions;
  readonly requests: RequestRecord[] = [];
  #server: Server | null = null;
  #random: Random;
  #quotaStart = Date.now();
  #quotaUsed = 0;
  url = '';

  constructor(world: World, options: GitlabServerOptions = {}) {
    this.world = world;
    this.options = options;
    this.#random = new Random(`gitlab-server/${options.seed ?? 'faults'}`);
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) this.#json(response, 500, { message: String(error) });
        else response.destroy();
      });
    });
    // Clients keep connections alive; a test that stops the server should not wait for them.
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen(port, host, resolve));
    this.#server = server;
    this.url = `http://${host}:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get external(): string {
    return this.options.externalUrl ?? 'https://gitlab.example.com';
  }

  set faults(faults: Faults | undefined) {
    this.options.faults = faults;
  }

  /** Requests of a category (or all), counting retries. */
  count(category?: string): number {
    return category ? this.requests.filter((r) => r.category === category).length : this.requests.length;
  }

  countsByCategory(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.requests) counts[r.category] = (counts[r.category] ?? 0) + 1;
    return counts;
  }

  /** The most requests that arrived within any window of `ms` milliseconds. */
  peakInWindow(ms: number): number {
    let peak = 0;
    let start = 0;
    const times = this.requests.map((r) => r.at).sort((a, b) => a - b);
    for (let end = 0; end < times.length; end++) {
      while ((times[end] as number) - (times[start] as number) >= ms) start++;
      peak = Math.max(peak, end - start + 1);
    }
    return peak;
  }

  resetCounts(): void {
    this.requests.length = 0;
  }

  async #handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const record: RequestRecord = { at: Date.now(), path: url.pathname, category: categoryOf(url.pathname), status: 0 };
    this.requests.push(record);
    this.options.onRequest?.(this.requests.length);
    const respond = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      return this.#json(response, status, body, headers);
    };

    const token = this.options.token;
    if (token) {
      const sent = request.headers['private-token'] ?? /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
      if (sent !== token) return respond(401, { message: '401 Unauthorized' });
    }

    const rateHeaders = this.#quotaHeaders();
    const faults = this.options.faults ?? {};
    const roll = this.#random.next();
    let edge = 0;
    if (roll < (edge += faults.rateLimited ?? 0) || Number(rateHeaders['RateLimit-Remaining'] ?? 1) < 0) {
      const retryAfter = faults.retryAfterSeconds ?? 1;
      rateHeaders['RateLimit-Remaining'] = '0';
      record.status = 429;
      response.writeHead(429, { 'Content-Type': 'text/plain', 'Retry-After': String(retryAfter), 'RateLimit-ResetTime': new Date(Date.now() + retryAfter * 1000).toUTCString(), ...rateHeaders });
      return void response.end('Retry later\n');
    }
    if (roll < (edge += faults.serverErrors ?? 0)) return respond(this.#random.pick([500, 502, 503]), { message: 'Internal Server Error' }, rateHeaders);
    if (roll < (edge += faults.dropped ?? 0)) {
      record.status = -1;
      return void request.socket.destroy();
    }
    const truncate = roll < (edge += faults.truncated ?? 0);
    if (faults.slow && this.#random.chance(faults.slow.fraction)) await new Promise((resolve) => setTimeout(resolve, faults.slow?.ms));

    const routed = this.#route(request.method ?? 'GET', url);
    if (!routed) return respond(404, { message: '404 Not Found' }, rateHeaders);
    if (!Array.isArray(routed.body) || routed.paginate === false) return respond(routed.status ?? 200, routed.body, rateHeaders);
    const paged = this.#page(routed.body, url);
    // Payloads are built for the page only: a list of 50,000 MRs is not rendered to serve 100.
    const items = routed.map ? paged.items.map((item) => (routed.map as (item: unknown) => unknown)(item)) : paged.items;
    const headers = paged.headers;
    if (truncate) {
      const text = JSON.stringify(items);
      record.status = -2;
      response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers, ...rateHeaders });
      response.write(text.slice(0, Math.floor(text.length / 2)));
      return void setTimeout(() => response.destroy(), 5);
    }
    return respond(200, items, { ...headers, ...rateHeaders });
  }

  #quotaHeaders(): Record<string, string> {
    const quota = this.options.quota;
    if (!quota) return {};
    const now = Date.now();
    if (now - this.#quotaStart >= quota.windowSeconds * 1000) {
      this.#quotaStart = now;
      this.#quotaUsed = 0;
    }
    this.#quotaUsed++;
    const reset = Math.ceil((this.#quotaStart + quota.windowSeconds * 1000) / 1000);
    return {
      'RateLimit-Name': 'throttle_authenticated_api',
      'RateLimit-Limit': String(quota.limit),
      'RateLimit-Observed': String(this.#quotaUsed),
      // Negative only inside the server: it means "over the quota"; the header then says 0.
      'RateLimit-Remaining': String(quota.limit - this.#quotaUsed),
      'RateLimit-Reset': String(reset),
    };
  }

  #json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = JSON.stringify(body);
    response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
    response.end(text);
  }

  /** Offset pagination as GitLab does it: page, per_page (default 20, at most 100) and the x-* and Link headers. */
  #page(all: unknown[], url: URL): { items: unknown[]; headers: Record<string, string> } {
    const perPage = Math.min(Math.max(Number(url.searchParams.get('per_page') ?? 20) || 20, 1), this.options.maxPerPage ?? 100);
    const page = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1);
    const items = all.slice((page - 1) * perPage, page * perPage);
    const totalPages = Math.max(1, Math.ceil(all.length / perPage));
    const link = (p: number) => {
      const next = new URL(`${this.url}${url.pathname}${url.search}`);
      next.searchParams.set('page', String(p));
      next.searchParams.set('per_page', String(perPage));
      return next.toString();
    };
    const links = [`<${link(1)}>; rel="first"`];
    if (page > 1) links.push(`<${link(page - 1)}>; rel="prev"`);
    if (page < totalPages) links.push(`<${link(page + 1)}>; rel="next"`);
    const headers: Record<string, string> = {
      'X-Page': String(page),
      'X-Per-Page': String(perPage),
      'X-Next-Page': page < totalPages ? String(page + 1) : '',
      'X-Prev-Page': page > 1 ? String(page - 1) : '',
    };
    // Above 10,000 records GitLab leaves out the totals and the last link.
    if (all.length <= 10_000) {
      headers['X-Total'] = String(all.length);
      headers['X-Total-Pages'] = String(totalPages);
      links.push(`<${link(totalPages)}>; rel="last"`);
    }
    headers.Link = links.join(', ');
    return { items, headers };
  }

  #route(method: string, url: URL): { body: unknown; status?: number; paginate?: boolean; map?: (item: never) => unknown } | null {
    if (method !== 'GET') return null;
    const parts = url.pathname.replace(/^\/api\/v4\//, '').split('/').map(decodeURIComponent);
    const world = this.world;
    const q = url.searchParams;
    const [root, id, sub, iid, leaf] = parts;
    if (root === 'users' && id && parts.length === 2) {
      const user = world.user(Number(id));
      return user ? { body: this.userPayload(user) } : null;
    }
    if (root === 'groups' && id) {
      const group = world.group(id);
      if (!group) return null;
      const groups = world.subtree(group);
      if (!sub) return { body: { id: group.id, name: group.name, path: group.path, full_path: group.fullPath, parent_id: group.parentId, web_url: `${this.external}/groups/${group.fullPath}` } };
      const projects = world.projects.filter((p) => (q.get('include_subgroups') === 'true' || sub !== 'projects' ? groups.has(p.groupId) : p.groupId === group.id));
      const projectIds = new Set(projects.map((p) => p.id));
      if (sub === 'projects') return { body: projects.map((p) => this.projectPayload(p)) };
      if (sub === 'merge_requests') return { body: filterSorted(world.mergeRequests.filter((m) => projectIds.has(m.projectId)), q), map: (m: MergeRequest) => this.mergeRequestPayload(m) };
      if (sub === 'issues') return { body: filterSorted(world.issues.filter((i) => projectIds.has(i.projectId)), q), map: (i: Issue) => this.issuePayload(i) };
      if (sub === 'members') {
        return {
          body: world.members.filter((m) => m.groupId === group.id).map((m) => ({
            ...this.userRef(world.user(m.userId) as User),
            access_level: m.accessLevel,
            created_at: iso(m.createdAt),
            expires_at: null,
            membership_state: 'active',
          })),
        };
      }
      if (sub === 'milestones') return { body: world.milestones.filter((m) => m.groupId === group.id).map((m) => this.milestonePayload(m)) };
      return null;
    }
    if (root === 'projects' && id) {
      const project = world.project(id);
      if (!project) return null;
      if (!sub) return { body: this.projectPayload(project) };
      if (sub === 'milestones') return { body: world.milestones.filter((m) => m.projectId === project.id).map((m) => this.milestonePayload(m)) };
      if (sub === 'releases') return { body: world.releases.filter((r) => r.projectId === project.id).map((r) => ({
        tag_name: r.tagName,
        name: r.name,
        description: '',
        created_at: iso(r.createdAt),
        released_at: iso(r.releasedAt),
        author: this.userRef(world.user(r.authorId) as User),
        milestones: r.milestoneIds.map((mid) => this.milestonePayload(world.milestones.find((m) => m.id === mid) as Milestone)),
      })) };
      if (sub === 'merge_requests') {
        if (!iid) return { body: filterSorted(world.mergeRequests.filter((m) => m.projectId === project.id), q), map: (m: MergeRequest) => this.mergeRequestPayload(m) };
        const mr = world.mergeRequest(project.id, Number(iid));
        if (!mr) return null;
        if (!leaf) return { body: this.mergeRequestPayload(mr) };
        if (leaf === 'notes') return { body: sortNotes(mr.notes, q).map((n) => this.notePayload(n, 'MergeRequest', mr.id, mr.iid, project.id)) };
        if (leaf === 'resource_label_events') return { body: mr.labelEvents.map((e) => this.labelEventPayload(e, 'MergeRequest', mr.id)) };
        if (leaf === 'approvals') {
          const approvers = [...new Set(mr.notes.filter((n) => n.system && n.body === 'approved this merge request').map((n) => n.authorId))];
          return {
            body: { id: mr.id, iid: mr.iid, project_id: project.id, title: mr.title, state: mr.state, approved: approvers.length > 0, approved_by: approvers.map((u) => ({ user: this.userRef(world.user(u) as User) })) },
          };
        }
        return null;
      }
      if (sub === 'issues') {
        if (!iid) return { body: filterSorted(world.issues.filter((i) => i.projectId === project.id), q), map: (i: Issue) => this.issuePayload(i) };
        const issue = world.issue(project.id, Number(iid));
        if (!issue) return null;
        if (!leaf) return { body: this.issuePayload(issue) };
        if (leaf === 'notes') return { body: sortNotes(issue.notes, q).map((n) => this.notePayload(n, 'Issue', issue.id, issue.iid, project.id)) };
        return null;
      }
    }
    return null;
  }

  userRef(user: User) {
    return { id: user.id, username: user.username, name: user.name, state: 'active', locked: false, avatar_url: null, web_url: `${this.external}/${user.username}` };
  }

  userPayload(user: User) {
    return {
      ...this.userRef(user),
      created_at: iso(user.createdAt),
      bio: '',
      bot: user.bot,
      location: null,
      public_email: user.publicEmail ?? '',
      skype: '',
      linkedin: '',
      twitter: '',
      discord: '',
      website_url: '',
      organization: user.organization ?? '',
      job_title: '',
      pronouns: null,
      work_information: null,
      followers: 0,
      following: 0,
      local_time: null,
      is_followed: false,
    };
  }

  projectPayload(project: Project) {
    const path = this.world.projectPath(project);
    const group = this.world.groups.find((g) => g.id === project.groupId);
    return {
      id: project.id,
      description: null,
      name: project.path,
      name_with_namespace: path.replaceAll('/', ' / '),
      path: project.path,
      path_with_namespace: path,
      created_at: iso(project.createdAt),
      default_branch: 'main',
      web_url: `${this.external}/${path}`,
      namespace: { id: group?.id, name: group?.name, path: group?.path, kind: 'group', full_path: group?.fullPath, parent_id: group?.parentId },
      last_activity_at: iso(this.world.now),
    };
  }

  milestonePayload(m: Milestone) {
    return {
      id: m.id,
      iid: m.iid,
      ...(m.projectId !== null ? { project_id: m.projectId } : { group_id: m.groupId }),
      title: m.title,
      description: '',
      state: m.state,
      created_at: iso(m.createdAt),
      updated_at: iso(m.updatedAt),
      due_date: m.dueDate,
      start_date: m.startDate,
      expired: m.state === 'closed',
      web_url: `${this.external}/milestones/${m.id}`,
    };
  }

  mergeRequestPayload(mr: MergeRequest) {
    const world = this.world;
    const project = world.projects.find((p) => p.id === mr.projectId) as Project;
    const path = world.projectPath(project);
    const user = (id: number | null) => (id === null ? null : this.userRef(world.user(id) as User));
    const milestone = mr.milestoneId === null ? null : world.milestones.find((m) => m.id === mr.milestoneId);
    return {
      id: mr.id,
      iid: mr.iid,
      project_id: mr.projectId,
      title: mr.draft ? `Draft: ${mr.title}` : mr.title,
      description: mr.description,
      state: mr.state,
      imported: false,
      imported_from: 'none',
      merged_by: user(mr.mergeUserId),
      merge_user: user(mr.mergeUserId),
      merged_at: iso(mr.mergedAt),
      merge_after: null,
      prepared_at: iso(mr.createdAt),
      closed_by: user(mr.closedById),
      closed_at: iso(mr.closedAt),
      created_at: iso(mr.createdAt),
      updated_at: iso(mr.updatedAt),
      target_branch: 'main',
      source_branch: mr.sourceBranch,
      upvotes: 0,
      downvotes: 0,
      author: user(mr.authorId),
      assignee: user(mr.assigneeIds[0] ?? null),
      assignees: mr.assigneeIds.map(user),
      reviewers: mr.reviewerIds.map(user),
      source_project_id: mr.projectId,
      target_project_id: mr.projectId,
      labels: mr.labels,
      draft: mr.draft,
      work_in_progress: mr.draft,
      milestone: milestone ? this.milestonePayload(milestone) : null,
      merge_when_pipeline_succeeds: false,
      merge_status: 'can_be_merged',
      detailed_merge_status: mr.state === 'opened' ? 'mergeable' : 'not_open',
      sha: mr.mergeCommitSha ?? '8888888888888888888888888888888888888888',
      merge_commit_sha: mr.mergeCommitSha,
      squash_commit_sha: null,
      user_notes_count: mr.notes.filter((n) => !n.system).length,
      discussion_locked: null,
      should_remove_source_branch: true,
      force_remove_source_branch: false,
      allow_collaboration: false,
      allow_maintainer_to_push: false,
      web_url: `${this.external}/${path}/-/merge_requests/${mr.iid}`,
      references: { short: `!${mr.iid}`, relative: `!${mr.iid}`, full: `${path}!${mr.iid}` },
      time_stats: { time_estimate: 0, total_time_spent: 0, human_time_estimate: null, human_total_time_spent: null },
      squash: false,
      task_completion_status: { count: 0, completed_count: 0 },
    };
  }

  issuePayload(issue: Issue) {
    const world = this.world;
    const project = world.projects.find((p) => p.id === issue.projectId) as Project;
    const path = world.projectPath(project);
    const user = (id: number | null) => (id === null ? null : this.userRef(world.user(id) as User));
    const milestone = issue.milestoneId === null ? null : world.milestones.find((m) => m.id === issue.milestoneId);
    return {
      id: issue.id,
      iid: issue.iid,
      project_id: issue.projectId,
      title: issue.title,
      description: '',
      state: issue.state,
      created_at: iso(issue.createdAt),
      updated_at: iso(issue.updatedAt),
      closed_at: iso(issue.closedAt),
      closed_by: user(issue.closedById),
      labels: issue.labels,
      milestone: milestone ? this.milestonePayload(milestone) : null,
      author: user(issue.authorId),
      assignees: issue.assigneeIds.map(user),
      assignee: user(issue.assigneeIds[0] ?? null),
      type: 'ISSUE',
      issue_type: 'issue',
      user_notes_count: issue.notes.filter((n) => !n.system).length,
      upvotes: 0,
      downvotes: 0,
      weight: issue.weight,
      confidential: false,
      web_url: `${this.external}/${path}/-/issues/${issue.iid}`,
      references: { short: `#${issue.iid}`, relative: `#${issue.iid}`, full: `${path}#${issue.iid}` },
    };
  }

  notePayload(note: Note, type: 'MergeRequest' | 'Issue', noteableId: number, noteableIid: number, projectId: number) {
    const author = this.world.user(note.authorId) as User;
    return {
      id: note.id,
      type: null,
      body: note.body,
      attachment: null,
      author: { ...this.userRef(author), created_at: iso(author.createdAt) },
      created_at: iso(note.createdAt),
      updated_at: iso(note.updatedAt),
      system: note.system,
      noteable_id: noteableId,
      noteable_type: type,
      project_id: projectId,
      noteable_iid: noteableIid,
      resolvable: false,
      confidential: false,
      internal: false,
    };
  }

  labelEventPayload(event: LabelEvent, type: 'MergeRequest' | 'Issue', resourceId: number) {
    return {
      id: event.id,
      user: this.userRef(this.world.user(event.userId) as User),
      created_at: iso(event.createdAt),
      resource_type: type,
      resource_id: resourceId,
      label: { id: labelId(event.label), name: event.label, color: '#0033CC', description: '' },
      action: event.action,
    };
  }

  #hookProject(projectId: number) {
    const project = this.world.projects.find((p) => p.id === projectId) as Project;
    const path = this.world.projectPath(project);
    return { id: project.id, name: project.path, path_with_namespace: path, web_url: `${this.external}/${path}`, default_branch: 'main', namespace: path.split('/')[0] };
  }

  #hookUser(id: number) {
    const user = this.world.user(id) as User;
    return { id: user.id, name: user.name, username: user.username, avatar_url: null, email: '[REDACTED]' };
  }

  /** A Merge Request Hook body for an MR as it is now (GitLab's older date format, as in its examples). */
  mergeRequestHook(mr: MergeRequest, action: string, actorId: number) {
    const legacy = (ms: number | null) => (ms === null ? null : `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`);
    return {
      object_kind: 'merge_request',
      event_type: 'merge_request',
      user: this.#hookUser(actorId),
      project: this.#hookProject(mr.projectId),
      object_attributes: {
        id: mr.id,
        iid: mr.iid,
        target_project_id: mr.projectId,
        source_project_id: mr.projectId,
        title: mr.draft ? `Draft: ${mr.title}` : mr.title,
        state: mr.state,
        created_at: legacy(mr.createdAt),
        updated_at: legacy(mr.updatedAt),
        merged_at: legacy(mr.mergedAt),
        closed_at: legacy(mr.closedAt),
        author_id: mr.authorId,
        assignee_ids: mr.assigneeIds,
        reviewer_ids: mr.reviewerIds,
        milestone_id: mr.milestoneId,
        draft: mr.draft,
        work_in_progress: mr.draft,
        source_branch: mr.sourceBranch,
        target_branch: 'main',
        url: `${this.external}/${this.world.projectPath(this.world.projects.find((p) => p.id === mr.projectId) as Project)}/-/merge_requests/${mr.iid}`,
        action,
      },
      labels: mr.labels.map((title) => ({ id: labelId(title), title, color: '#0033CC', type: 'GroupLabel' })),
      assignees: mr.assigneeIds.map((id) => this.#hookUser(id)),
      reviewers: mr.reviewerIds.map((id) => this.#hookUser(id)),
      changes: {},
    };
  }

  /** A Note Hook body for a note on an MR. */
  noteHook(mr: MergeRequest, note: Note) {
    return {
      object_kind: 'note',
      event_type: 'note',
      user: this.#hookUser(note.authorId),
      project_id: mr.projectId,
      project: this.#hookProject(mr.projectId),
      object_attributes: {
        id: note.id,
        note: note.body,
        noteable_type: 'MergeRequest',
        author_id: note.authorId,
        created_at: new Date(note.createdAt).toISOString(),
        updated_at: new Date(note.updatedAt).toISOString(),
        project_id: mr.projectId,
        system: note.system,
        noteable_id: mr.id,
        action: 'create',
      },
      merge_request: { id: mr.id, iid: mr.iid, title: mr.title, state: mr.state, target_project_id: mr.projectId },
    };
  }

  /**
   * Delivers a webhook as GitLab does: POST with X-Gitlab-Event, X-Gitlab-Token, X-Gitlab-Event-UUID,
   * X-Gitlab-Webhook-UUID, X-Gitlab-Instance, Idempotency-Key and a GitLab User-Agent.
   */
  static async deliver(
    url: string,
    delivery: { event: string; body: string | object; token?: string; uuid?: string; idempotencyKey?: string },
  ): Promise<{ status: number; body: string; ms: number }> {
    const started = performance.now();
    const uuid = delivery.uuid ?? crypto.randomUUID();
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': 'GitLab/17.6.0',
      'X-Gitlab-Event': delivery.event,
      'X-Gitlab-Event-UUID': uuid,
      'X-Gitlab-Webhook-UUID': '8b2bc3f1-6b2c-4a0c-9a64-1f4c2d1f0a11',
      'X-Gitlab-Instance': 'https://gitlab.example.com',
      'Idempotency-Key': delivery.idempotencyKey ?? uuid,
    };
    if (delivery.token !== undefined) headers['X-Gitlab-Token'] = delivery.token;
    const response = await fetch(url, { method: 'POST', headers, body: typeof delivery.body === 'string' ? delivery.body : JSON.stringify(delivery.body) });
    const body = await response.text();
    return { status: response.status, body, ms: performance.now() - started };
  }
}

function labelId(name: string): number {
  let h = 7;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) % 100_000;
  return h;
}

function categoryOf(path: string): string {
  const p = path.replace(/^\/api\/v4\//, '');
  if (/^projects\/[^/]+\/merge_requests\/\d+\/notes/.test(p)) return 'mr_notes';
  if (/^projects\/[^/]+\/merge_requests\/\d+\/resource_label_events/.test(p)) return 'mr_label_events';
  if (/^projects\/[^/]+\/merge_requests\/\d+\/approvals/.test(p)) return 'mr_approvals';
  if (/^projects\/[^/]+\/issues\/\d+\/notes/.test(p)) return 'issue_notes';
  if (/^(groups|projects)\/[^/]+\/merge_requests$/.test(p)) return 'merge_requests';
  if (/^(groups|projects)\/[^/]+\/issues$/.test(p)) return 'issues';
  if (/^users\//.test(p)) return 'users';
  if (/^groups\/[^/]+\/members/.test(p)) return 'members';
  if (/^(groups|projects)\/[^/]+\/milestones/.test(p)) return 'milestones';
  if (/^projects\/[^/]+\/releases/.test(p)) return 'releases';
  if (/^groups\/[^/]+\/projects/.test(p)) return 'projects';
  return 'other';
}

/** `state`, `updated_after`/`updated_before` (inclusive), `order_by` created_at|updated_at, `sort` asc|desc, ties by id. */
function filterSorted<T extends { state: string; createdAt: number; updatedAt: number; id: number }>(items: T[], q: URLSearchParams): T[] {
  const state = q.get('state') ?? 'all';
  const after = q.get('updated_after');
  const before = q.get('updated_before');
  const afterMs = after ? Date.parse(after) : null;
  const beforeMs = before ? Date.parse(before) : null;
  const orderBy = q.get('order_by') === 'updated_at' ? 'updatedAt' : 'createdAt';
  const direction = q.get('sort') === 'asc' ? 1 : -1;
  return items
    .filter((i) => (state === 'all' || i.state === state) && (afterMs === null || i.updatedAt >= afterMs) && (beforeMs === null || i.updatedAt <= beforeMs))
    .sort((a, b) => direction * (a[orderBy] - b[orderBy] || a.id - b.id));
}

function sortNotes(notes: Note[], q: URLSearchParams): Note[] {
  const direction = q.get('sort') === 'asc' ? 1 : -1;
  const key = q.get('order_by') === 'updated_at' ? 'updatedAt' : 'createdAt';
  return [...notes].sort((a, b) => direction * (a[key] - b[key] || a.id - b.id));
}
