import { Random } from '../../../generator/random.ts';

/**
 * The state of a GitLab-compatible test server: a group with a subgroup, projects, users (some bots),
 * group members, milestones and releases, merge requests with notes (human and system) and label
 * events, issues with notes. Seeded, so the same options always give the same world; `change()`
 * moves it on as a real instance would (new notes, closed and reopened MRs, label changes, deleted
 * notes, new MRs and issues), every change stamping `updated_at` with the world's clock.
 */

export interface WorldOptions {
  seed: string;
  projects?: number;
  mergeRequests?: number;
  issues?: number;
  users?: number;
  /** Average human notes per MR (system notes come on top). */
  notesPerMergeRequest?: number;
}

export interface User {
  id: number;
  username: string;
  name: string;
  bot: boolean;
  publicEmail: string | null;
  organization: string | null;
  createdAt: number;
}

export interface Group {
  id: number;
  path: string;
  fullPath: string;
  name: string;
  parentId: number | null;
}

export interface Project {
  id: number;
  path: string;
  groupId: number;
  createdAt: number;
}

export interface Milestone {
  id: number;
  iid: number;
  title: string;
  projectId: number | null;
  groupId: number | null;
  startDate: string;
  dueDate: string;
  state: 'active' | 'closed';
  createdAt: number;
  updatedAt: number;
}

export interface Release {
  projectId: number;
  tagName: string;
  name: string;
  createdAt: number;
  releasedAt: number;
  authorId: number;
  milestoneIds: number[];
}

export interface Note {
  id: number;
  authorId: number;
  body: string;
  system: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface LabelEvent {
  id: number;
  userId: number;
  createdAt: number;
  label: string;
  action: 'add' | 'remove';
}

export interface MergeRequest {
  id: number;
  iid: number;
  projectId: number;
  title: string;
  description: string;
  state: 'opened' | 'closed' | 'merged';
  authorId: number;
  assigneeIds: number[];
  reviewerIds: number[];
  labels: string[];
  milestoneId: number | null;
  draft: boolean;
  createdAt: number;
  updatedAt: number;
  mergedAt: number | null;
  mergeUserId: number | null;
  closedAt: number | null;
  closedById: number | null;
  sourceBranch: string;
  mergeCommitSha: string | null;
  notes: Note[];
  labelEvents: LabelEvent[];
}

export interface Issue {
  id: number;
  iid: number;
  projectId: number;
  title: string;
  state: 'opened' | 'closed';
  authorId: number;
  assigneeIds: number[];
  labels: string[];
  milestoneId: number | null;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  closedById: number | null;
  weight: number | null;
  notes: Note[];
}

export interface Member {
  userId: number;
  groupId: number;
  accessLevel: number;
  createdAt: number;
}

export const READY_LABEL = 'workflow::ready for review';
export const COMMUNITY_LABEL = 'Community contribution';
const OTHER_LABELS = ['type::feature', 'type::bug', 'type::maintenance', 'workflow::in review', 'backend', 'frontend', 'documentation', 'priority::2'];

const DAY = 86_400_000;
const START = Date.parse('2024-01-01T00:00:00.000Z');
const WORDS = ['fix', 'add', 'update', 'remove', 'refactor', 'cache', 'pipeline', 'runner', 'label', 'search', 'api', 'docs', 'merge', 'widget', 'review', 'sidebar'];
const FIRST = ['Ada', 'Ben', 'Chloé', 'Dmitri', 'Emeka', 'Fatima', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kemal', 'Lena', 'Mateo', 'Nora', 'Olu', 'Priya'];
const LAST = ['Okafor', 'Schmidt', 'Tanaka', 'Silva', 'Novak', 'Haddad', 'Larsen', 'Moreau', 'Kowalski', 'Rossi', 'Nguyen', 'Walsh'];
const ORGS = ['Acme Corp', 'Globex', 'Initech', 'Umbrella', 'Hooli'];

export class World {
  readonly options: Required<WorldOptions>;
  readonly groups: Group[] = [];
  readonly projects: Project[] = [];
  readonly users: User[] = [];
  readonly members: Member[] = [];
  readonly milestones: Milestone[] = [];
  readonly releases: Release[] = [];
  readonly mergeRequests: MergeRequest[] = [];
  readonly issues: Issue[] = [];
  /** The world's clock (ms): every change happens at a later instant than everything before it. */
  now: number;
  #nextId = 1;
  #nextNoteId = 1;
  #nextEventId = 1;
  #iids = new Map<string, number>();
  readonly #random: Random;
  #changes = 0;

  constructor(options: WorldOptions) {
    this.options = { projects: 4, mergeRequests: 200, issues: 60, users: 40, notesPerMergeRequest: 2, ...options };
    this.#random = new Random(`gitlab-world/${options.seed}`);
    const random = this.#random.fork('build');
    const span = 365 * DAY;
    this.now = START + span;
    this.groups.push({ id: 100, path: 'acme', fullPath: 'acme', name: 'Acme', parentId: null });
    this.groups.push({ id: 101, path: 'platform', fullPath: 'acme/platform', name: 'Platform', parentId: 100 });
    for (let i = 0; i < this.options.users; i++) {
      const id = i + 1;
      const first = random.pick(FIRST);
      const last = random.pick(LAST);
      const bot = i % 17 === 16;
      this.users.push({
        id,
        username: bot ? (i % 34 === 33 ? `project_${id}_bot_${random.hex(6)}` : `renovate-bot-${id}`) : `${first.toLowerCase().replace(/[^a-z]/g, '')}.${last.toLowerCase()}${id}`,
        name: bot ? `Bot ${id}` : `${first} ${last}`,
        bot,
        publicEmail: !bot && random.chance(0.4) ? `${first.toLowerCase().replace(/[^a-z]/g, '')}${id}@example.org` : null,
        organization: !bot && random.chance(0.3) ? random.pick(ORGS) : null,
        createdAt: START - random.int(1, 900) * DAY,
      });
    }
    // The first tenth of the users are the team: members of the root group since some day.
    const team = Math.max(2, Math.floor(this.options.users / 10));
    for (let i = 0; i < team; i++) {
      this.members.push({ userId: i + 1, groupId: 100, accessLevel: random.pick([30, 40, 50]), createdAt: START - random.int(0, 400) * DAY });
    }
    for (let i = 0; i < this.options.projects; i++) {
      const groupId = i % 3 === 2 ? 101 : 100;
      this.projects.push({ id: 1000 + i, path: groupId === 100 ? `project-${i}` : `service-${i}`, groupId, createdAt: START - 30 * DAY });
    }
    for (let m = 0; m < 4; m++) {
      this.milestones.push(this.#milestone(`16.${m}`, null, 100, START + m * 90 * DAY));
    }
    for (const project of this.projects) {
      this.milestones.push(this.#milestone(`${project.path}-1.0`, project.id, null, START + 120 * DAY));
      const shipped = this.milestones.filter((ms) => ms.groupId === 100 && Date.parse(ms.dueDate) < START + 200 * DAY).map((ms) => ms.id);
      this.releases.push({
        projectId: project.id,
        tagName: 'v1.0.0',
        name: `${project.path} 1.0`,
        createdAt: START + 150 * DAY,
        releasedAt: START + 150 * DAY,
        authorId: 1,
        milestoneIds: shipped.slice(0, 1),
      });
    }
    const at = (k: number, total: number) => START + Math.floor((span * (k + random.next() * 0.5)) / total);
    for (let k = 0; k < this.options.mergeRequests; k++) this.mergeRequests.push(this.#newMergeRequest(random, at(k, this.options.mergeRequests)));
    for (let k = 0; k < this.options.issues; k++) this.issues.push(this.#newIssue(random, at(k, this.options.issues)));
    // The clock is past everything that happened: a change is always newer than any update before it.
    for (const item of [...this.mergeRequests, ...this.issues]) this.now = Math.max(this.now, item.updatedAt);
  }

  #milestone(title: string, projectId: number | null, groupId: number | null, start: number): Milestone {
    const id = this.#nextId++;
    return {
      id,
      iid: id,
      title,
      projectId,
      groupId,
      startDate: new Date(start).toISOString().slice(0, 10),
      dueDate: new Date(start + 89 * DAY).toISOString().slice(0, 10),
      state: start + 89 * DAY < this.now ? 'closed' : 'active',
      createdAt: start - DAY,
      updatedAt: start - DAY,
    };
  }

  #iid(projectId: number, kind: string): number {
    const key = `${projectId}:${kind}`;
    const next = (this.#iids.get(key) ?? 0) + 1;
    this.#iids.set(key, next);
    return next;
  }

  #author(random: Random): number {
    // Most authors are community members; a Zipf-ish pick makes some prolific.
    // The team (the first users) writes some; the community the most.
    const team = Math.max(2, Math.floor(this.users.length / 10));
    return ((random.zipf(this.users.length, 1.1) + team) % this.users.length) + 1;
  }

  #note(authorId: number, body: string, system: boolean, at: number): Note {
    return { id: this.#nextNoteId++, authorId, body, system, createdAt: at, updatedAt: at };
  }

  #newMergeRequest(random: Random, created: number): MergeRequest {
    const project = random.pick(this.projects);
    const authorId = this.#author(random);
    const team = this.members.map((m) => m.userId).filter((id) => id !== authorId);
    const reviewer = team.length > 0 ? random.pick(team) : authorId;
    const community = !this.members.some((m) => m.userId === authorId);
    const draft = random.chance(0.3);
    const labels = [random.pick(OTHER_LABELS.slice(0, 3))];
    if (community) labels.push(COMMUNITY_LABEL);
    if (random.chance(0.3)) labels.push(random.pick(OTHER_LABELS.slice(3)));
    const milestone = random.chance(0.6) ? random.pick(this.milestones.filter((m) => m.groupId !== null || m.projectId === project.id)) : null;
    const mr: MergeRequest = {
      id: this.#nextId++,
      iid: this.#iid(project.id, 'mr'),
      projectId: project.id,
      title: `${random.pick(WORDS)} ${random.pick(WORDS)} ${random.pick(WORDS)}`,
      description: 'Generated by the test server.',
      state: 'opened',
      authorId,
      assigneeIds: [authorId],
      reviewerIds: [],
      labels: [],
      milestoneId: milestone?.id ?? null,
      draft,
      createdAt: created,
      updatedAt: created,
      mergedAt: null,
      mergeUserId: null,
      closedAt: null,
      closedById: null,
      sourceBranch: `feature-${random.hex(6)}`,
      mergeCommitSha: null,
      notes: [],
      labelEvents: [],
    };
    let t = created;
    const step = () => (t += random.int(60, 3 * DAY / 1000) * 1000);
    for (const label of labels) mr.labelEvents.push({ id: this.#nextEventId++, userId: authorId, createdAt: created, label, action: 'add' });
    mr.labels = [...labels];
    if (draft && random.chance(0.7)) {
      mr.notes.push(this.#note(authorId, 'marked this merge request as **ready**', true, step()));
      mr.draft = false;
    }
    if (!mr.draft && community && random.chance(0.8)) {
      mr.labelEvents.push({ id: this.#nextEventId++, userId: authorId, createdAt: step(), label: READY_LABEL, action: 'add' });
      mr.labels.push(READY_LABEL);
    }
    if (random.chance(0.85)) {
      mr.notes.push(this.#note(authorId, `requested review from @${this.users[reviewer - 1]?.username}`, true, step()));
      mr.reviewerIds = [reviewer];
    }
    const human = random.int(0, this.options.notesPerMergeRequest * 2);
    for (let n = 0; n < human; n++) {
      const by = n % 2 === 0 && mr.reviewerIds.length > 0 ? reviewer : authorId;
      mr.notes.push(this.#note(by, `${random.pick(WORDS)} looks ${random.pick(['good', 'odd', 'fine'])}; ${random.pick(WORDS)}?`, false, step()));
    }
    mr.notes.push(this.#note(authorId, `added ${random.int(1, 4)} commits`, true, step()));
    const fate = random.next();
    if (!mr.draft && fate < 0.6) {
      if (mr.reviewerIds.length > 0) mr.notes.push(this.#note(reviewer, 'approved this merge request', true, step()));
      mr.state = 'merged';
      mr.mergedAt = step();
      mr.mergeUserId = mr.reviewerIds[0] ?? authorId;
      mr.mergeCommitSha = random.hex(40);
    } else if (fate < 0.75) {
      mr.state = 'closed';
      mr.closedAt = step();
      mr.closedById = authorId;
    }
    mr.updatedAt = Math.max(t, created);
    return mr;
  }

  #newIssue(random: Random, created: number): Issue {
    const project = random.pick(this.projects);
    const authorId = this.#author(random);
    const issue: Issue = {
      id: this.#nextId++,
      iid: this.#iid(project.id, 'issue'),
      projectId: project.id,
      title: `${random.pick(WORDS)} is ${random.pick(['broken', 'slow', 'missing'])}`,
      state: 'opened',
      authorId,
      assigneeIds: random.chance(0.5) ? [random.int(1, this.users.length)] : [],
      labels: random.chance(0.5) ? [random.pick(OTHER_LABELS)] : [],
      milestoneId: null,
      createdAt: created,
      updatedAt: created,
      closedAt: null,
      closedById: null,
      weight: random.chance(0.3) ? random.int(1, 5) : null,
      notes: [],
    };
    let t = created;
    for (let n = random.int(0, 3); n > 0; n--) {
      t += random.int(60, 86_400) * 1000;
      issue.notes.push(this.#note(random.int(1, this.users.length), `${random.pick(WORDS)} here too`, false, t));
    }
    if (random.chance(0.5)) {
      t += random.int(60, 86_400) * 1000;
      issue.state = 'closed';
      issue.closedAt = t;
      issue.closedById = issue.assigneeIds[0] ?? authorId;
      issue.notes.push(this.#note(issue.closedById, 'closed', true, t));
    }
    issue.updatedAt = t;
    return issue;
  }

  /** A human note on an MR, now (for webhook tests: the change a Note Hook reports). */
  comment(mr: MergeRequest, userId: number, body: string): Note {
    const note = this.#note(userId, body, false, this.#tick());
    mr.notes.push(note);
    mr.updatedAt = note.createdAt;
    return note;
  }

  /** Closes an open MR, now, with GitLab's system note. */
  close(mr: MergeRequest, userId: number): void {
    const at = this.#tick();
    mr.state = 'closed';
    mr.closedAt = at;
    mr.closedById = userId;
    mr.notes.push(this.#note(userId, 'closed', true, at));
    mr.updatedAt = at;
  }

  /** The next instant of the clock, for a change. */
  #tick(): number {
    this.now += 1000;
    return this.now;
  }

  /**
   * `count` random changes of the kinds real instances see. `kinds` limits them (a test of incremental
   * sync leaves out deletions of MRs, which only a full sync can notice).
   */
  change(count: number, kinds: readonly ChangeKind[] = CHANGE_KINDS): ChangeKind[] {
    const random = this.#random.fork(`change-${this.#changes++}`);
    const done: ChangeKind[] = [];
    for (let i = 0; i < count; i++) {
      const kind = random.pick(kinds);
      const at = this.#tick();
      const mr = random.pick(this.mergeRequests);
      const user = random.int(1, this.users.length);
      switch (kind) {
        case 'note':
          mr.notes.push(this.#note(user, `another thought on ${random.pick(WORDS)}`, false, at));
          break;
        case 'close':
          if (mr.state !== 'opened') continue;
          mr.state = 'closed';
          mr.closedAt = at;
          mr.closedById = user;
          mr.notes.push(this.#note(user, 'closed', true, at));
          break;
        case 'reopen':
          if (mr.state !== 'closed') continue;
          mr.state = 'opened';
          mr.closedAt = null;
          mr.closedById = null;
          mr.notes.push(this.#note(user, 'reopened', true, at));
          break;
        case 'merge':
          if (mr.state !== 'opened') continue;
          mr.notes.push(this.#note(user, 'approved this merge request', true, at));
          mr.state = 'merged';
          mr.mergedAt = at;
          mr.mergeUserId = user;
          mr.mergeCommitSha = random.hex(40);
          mr.draft = false;
          break;
        case 'label': {
          const label = random.pick([READY_LABEL, ...OTHER_LABELS]);
          const action = mr.labels.includes(label) ? 'remove' : 'add';
          mr.labels = action === 'add' ? [...mr.labels, label] : mr.labels.filter((l) => l !== label);
          mr.labelEvents.push({ id: this.#nextEventId++, userId: user, createdAt: at, label, action });
          break;
        }
        case 'delete_note': {
          const human = mr.notes.filter((n) => !n.system);
          if (human.length === 0) continue;
          const gone = random.pick(human);
          mr.notes = mr.notes.filter((n) => n !== gone);
          break;
        }
        case 'new_mr':
          this.mergeRequests.push(this.#newMergeRequest(random, at));
          this.now = Math.max(this.now, (this.mergeRequests.at(-1) as MergeRequest).updatedAt);
          done.push(kind);
          continue;
        case 'issue': {
          if (random.chance(0.5)) {
            this.issues.push(this.#newIssue(random, at));
            this.now = Math.max(this.now, (this.issues.at(-1) as Issue).updatedAt);
            done.push(kind);
            continue;
          }
          const issue = random.pick(this.issues);
          issue.notes.push(this.#note(user, 'a note on the issue', false, at));
          issue.updatedAt = at;
          done.push(kind);
          continue;
        }
        case 'delete_mr': {
          const index = this.mergeRequests.indexOf(mr);
          this.mergeRequests.splice(index, 1);
          done.push(kind);
          continue;
        }
        case 'member': {
          if (this.members.some((m) => m.userId === user)) continue;
          this.members.push({ userId: user, groupId: 100, accessLevel: 30, createdAt: at });
          done.push(kind);
          continue;
        }
      }
      mr.updatedAt = at;
      done.push(kind);
    }
    return done;
  }

  #index: { size: number; version: number; mergeRequests: Map<string, MergeRequest>; issues: Map<string, Issue> } | null = null;

  /** An MR by project and iid, through an index rebuilt after changes. */
  mergeRequest(projectId: number, iid: number): MergeRequest | undefined {
    return this.#indexes().mergeRequests.get(`${projectId}:${iid}`);
  }

  issue(projectId: number, iid: number): Issue | undefined {
    return this.#indexes().issues.get(`${projectId}:${iid}`);
  }

  #indexes() {
    const size = this.mergeRequests.length + this.issues.length;
    if (this.#index?.size !== size || this.#index.version !== this.#changes) {
      this.#index = {
        size,
        version: this.#changes,
        mergeRequests: new Map(this.mergeRequests.map((m) => [`${m.projectId}:${m.iid}`, m])),
        issues: new Map(this.issues.map((i) => [`${i.projectId}:${i.iid}`, i])),
      };
    }
    return this.#index;
  }

  user(id: number): User | undefined {
    return this.users[id - 1];
  }

  group(idOrPath: string): Group | undefined {
    return this.groups.find((g) => String(g.id) === idOrPath || g.fullPath === idOrPath);
  }

  project(idOrPath: string): Project | undefined {
    return this.projects.find((p) => String(p.id) === idOrPath || this.projectPath(p) === idOrPath);
  }

  projectPath(project: Project): string {
    return `${this.groups.find((g) => g.id === project.groupId)?.fullPath}/${project.path}`;
  }

  /** The groups under `group` (itself included). */
  subtree(group: Group): Set<number> {
    const ids = new Set([group.id]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const g of this.groups) if (g.parentId !== null && ids.has(g.parentId) && !ids.has(g.id)) grew = ids.add(g.id).size > 0;
    }
    return ids;
  }
}

export const CHANGE_KINDS = ['note', 'close', 'reopen', 'merge', 'label', 'delete_note', 'new_mr', 'issue', 'member', 'delete_mr'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];
/** Every change an incremental sync can see without a full listing. */
export const INCREMENTAL_CHANGES = CHANGE_KINDS.filter((kind) => kind !== 'delete_mr');
