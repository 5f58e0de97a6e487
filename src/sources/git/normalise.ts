import { COPY_NULL, copyArray, copyJson, copyText } from '../../db/copy-text.ts';
import { idText } from '../../db/ids.ts';
import { isoInstant, zoneMinutes } from '../../db/time.ts';
import {
  type ActivityRecord,
  activityRecordKind,
  FULL_SHA,
  ids,
  type MergeRequestRecord,
  mergeRequestKind,
  type Reference,
  reviewKind,
} from '../../interchange/records.ts';
import { type IdentityCollector, personKeyOf } from '../../people/identities.ts';
import { detach } from '../../util/strings.ts';
import type { GitCommit } from './fetch.ts';
import { isServiceAddress, loginFromNoreply, type MergeRequestReference, parseMessage, type Signature } from './messages.ts';
import type { Range, RangeWalker } from './ranges.ts';
import type { KnownMergeRequest } from './store-raw.ts';

/**
 * Raw commits → the shared model: commit rows (which keep everything git said, so this can run again
 * from the database alone), merged MRs from merge messages and the commit graph, reviews from
 * trailers, identities, and activities for the unified stream.
 */

export interface NormaliseOptions {
  /** `platform:path` of the repository's own project. */
  project: string;
  platform: 'gitlab' | 'github';
  /** Where PRs named by GitHub merge subjects live when the repository's platform is GitLab. */
  githubProject: string;
  defaultBranch: string | null;
  identities: IdentityCollector;
  /** Receives COPY text per table. */
  write(table: 'commits' | 'activities' | 'merge_requests' | 'reviews', text: string): Promise<void> | void;
}

interface MergeRequestDraft {
  project: string;
  reference: MergeRequestReference;
  mergeSha: string;
  mergedAtMs: number;
  offset: number | null;
  merger: Signature;
  approvers: Signature[];
  reviewers: Signature[];
  mainline: boolean;
  range: Range | null;
  /** A squash commit is its own MR: its author and co-authors. */
  squashAuthors: Signature[] | null;
  /** Co-authored-by trailers of the merge commit: GitLab lists the MR's authors there as it knows them. */
  statedAuthors: Signature[];
  position: number;
}

export interface NormaliseStats {
  commits: number;
  merges: number;
  mergeRequests: number;
  duplicateMerges: number;
  renumbered: number;
  /** Merges of MRs a forge (or an import) already wrote: left as the forge has them. */
  fromForge: number;
  frontierPeak: number;
}

// The catalogue's toCopy reports references for the importer to check; a source's rows refer only to
// what it writes itself, so the list is emptied after each use.
const NO_REFS: Reference[] = [];
function copyOf<T>(toCopy: (record: T, refs: Reference[]) => string, record: T): string {
  const text = toCopy(record, NO_REFS);
  NO_REFS.length = 0;
  return text;
}

function instant(seconds: number, zone: string): string {
  const offset = zoneMinutes(zone);
  return isoInstant(seconds * 1000, offset ?? 0);
}

export class GitNormaliser {
  readonly #options: NormaliseOptions;
  readonly #walker: RangeWalker;
  readonly #drafts: MergeRequestDraft[] = [];
  readonly #signatures = new Map<string, Signature>();
  readonly #projectPath: string;
  readonly projects = new Set<string>();
  readonly stats: NormaliseStats = { commits: 0, merges: 0, mergeRequests: 0, duplicateMerges: 0, renumbered: 0, fromForge: 0, frontierPeak: 0 };

  constructor(options: NormaliseOptions, walker: RangeWalker) {
    this.#options = options;
    this.#walker = walker;
    this.#projectPath = options.project.slice(options.project.indexOf(':') + 1);
    this.projects.add(options.project);
  }

  readonly #personOfSignature = new Map<string, string>();

  /** The person key for a signature, recording the identities it shows (once per distinct signature). */
  #person(signature: Signature): string {
    const cacheKey = `${signature.name}\u0000${signature.email}`;
    let key = this.#personOfSignature.get(cacheKey);
    if (key === undefined) {
      key = this.#resolvePerson(signature);
      if (this.#personOfSignature.size > 100_000) this.#personOfSignature.clear();
      this.#personOfSignature.set(cacheKey, key);
    }
    return key;
  }

  #resolvePerson(signature: Signature): string {
    const { identities } = this.#options;
    const email = signature.email.trim();
    if (!email) {
      const name = signature.name.trim() || 'unknown';
      identities.see({ platform: 'git', kind: 'name', value: name, displayName: signature.name });
      return personKeyOf({ platform: 'git', kind: 'name', value: name });
    }
    const noreply = loginFromNoreply(email);
    if (noreply) {
      const account = { platform: noreply.platform, kind: 'username', value: noreply.login } as const;
      identities.see({ ...account, displayName: signature.name });
      identities.see({ platform: 'git', kind: 'email', value: email, displayName: signature.name }, account);
      return personKeyOf(account);
    }
    identities.see({ platform: 'git', kind: 'email', value: email, displayName: signature.name });
    return personKeyOf({ platform: 'git', kind: 'email', value: email });
  }

  #authorKey(signature: Signature): string {
    const key = (signature.email.trim() || signature.name.trim()).toLowerCase();
    if (!this.#signatures.has(key)) this.#signatures.set(key, detachSignature(signature));
    return key;
  }

  #projectOf(reference: MergeRequestReference): string {
    if (reference.platform === 'github') return this.#options.platform === 'github' ? this.#options.project : this.#options.githubProject;
    if (reference.projectPath === null) return this.#options.platform === 'gitlab' ? this.#options.project : `gitlab:${this.#projectPath}`;
    return `gitlab:${reference.projectPath}`;
  }

  async add(commits: readonly GitCommit[]): Promise<void> {
    const { write } = this.#options;
    let commitRows = '';
    let activityRows = '';
    for (const commit of commits) {
      if (!FULL_SHA.test(commit.sha)) continue;
      const isMerge = commit.parents.length > 1;
      const placement = this.#walker.visit(commit.sha, commit.parents);
      const parsed = parseMessage(commit.message, isMerge, this.#options.platform === 'github' ? 'github' : null);
      const author = { name: commit.authorName, email: commit.authorEmail };
      const authorKey = this.#person(author);
      // The forges' service addresses (GitLab <noreply@gitlab.com>) commit merges; they are nobody.
      if (!isServiceAddress(commit.committerEmail)) this.#person({ name: commit.committerName, email: commit.committerEmail });
      const authoredAt = instant(commit.authorTime, commit.authorZone);
      const commitId = ids.commit(this.#options.project, commit.sha);
      const committedAt = instant(commit.committerTime, commit.committerZone);
      this.stats.commits++;
      if (isMerge) this.stats.merges++;

      // The innermost MR this commit arrived with.
      let range = placement.range;
      while (range && !range.mergeRequest) range = range.parent;
      const mergeRequest = range?.mergeRequest as MergeRequestDraft | undefined;

      let draft: MergeRequestDraft | null = null;
      if (parsed.reference) {
        const reference = parsed.reference;
        const committer = { name: commit.committerName, email: commit.committerEmail };
        const merger = parsed.trailers.mergedBy[0] ?? (isServiceAddress(committer.email) || !committer.email ? author : committer);
        draft = {
          project: this.#projectOf(reference),
          reference: {
            ...reference,
            projectPath: reference.projectPath === null ? null : detach(reference.projectPath),
            title: detach(reference.title),
            sourceBranch: reference.sourceBranch === null ? null : detach(reference.sourceBranch),
            targetBranch: reference.targetBranch === null ? null : detach(reference.targetBranch),
            sourceOwner: reference.sourceOwner === null ? null : detach(reference.sourceOwner),
          },
          mergeSha: detach(commit.sha),
          mergedAtMs: commit.committerTime * 1000,
          offset: zoneMinutes(commit.committerZone),
          merger: detachSignature(merger),
          approvers: parsed.trailers.approvedBy.map(detachSignature),
          reviewers: parsed.trailers.reviewedBy.map(detachSignature),
          mainline: placement.mainline,
          range: placement.opens,
          squashAuthors: isMerge ? null : [author, ...parsed.trailers.coAuthoredBy].map(detachSignature),
          statedAuthors: isMerge ? parsed.trailers.coAuthoredBy.map(detachSignature) : [],
          position: placement.position,
        };
        if (placement.opens) placement.opens.mergeRequest = draft;
        this.#drafts.push(draft);
        this.projects.add(draft.project);
      }

      // A merge commit that closes an MR is the merger's act (an mr_merged activity), not authored work.
      const ownMergeRequest = draft ?? mergeRequest ?? null;
      if (!(isMerge && draft)) {
        if (placement.range) placement.range.authors.set(this.#authorKey(author), placement.position);
        activityRows += this.#activity('commit_authored', authorKey, authoredAt, commit.authorTime * 1000, commit.sha, commitId);
        if (!isMerge) {
          for (const coAuthor of parsed.trailers.coAuthoredBy) {
            const key = this.#person(coAuthor);
            if (key !== authorKey) activityRows += this.#activity('commit_co_authored', key, authoredAt, commit.authorTime * 1000, commit.sha, commitId);
          }
        }
      }
      const sameProject = ownMergeRequest && ownMergeRequest.project === this.#options.project;
      commitRows += `${[
        commitId,
        ids.project(this.#options.project),
        commit.sha,
        copyText(commit.authorName),
        copyText(commit.authorEmail),
        authoredAt,
        copyText(commit.committerName),
        copyText(commit.committerEmail),
        committedAt,
        isMerge || parsed.trailers.coAuthoredBy.length === 0 ? '[]' : copyJson(parsed.trailers.coAuthoredBy),
        ids.person(authorKey),
        sameProject ? String(ownMergeRequest.reference.number) : COPY_NULL,
        copyText(parsed.subject),
        copyText(commit.authorZone),
        copyText(commit.committerZone),
        copyArray(commit.parents),
        copyText(commit.message),
        ownMergeRequest ? ids.mergeRequest(ownMergeRequest.project, ownMergeRequest.reference.number) : COPY_NULL,
      ].join('\t')}\n`;
    }
    this.stats.frontierPeak = Math.max(this.stats.frontierPeak, this.#walker.frontier);
    if (commitRows) await write('commits', commitRows);
    if (activityRows) await write('activities', activityRows);
  }

  /**
   * A commit activity's COPY row, written directly (the hot path: one or two per commit). It is the row
   * activityRecordKind.toCopy makes for the same record; a test holds the two together.
   */
  #activity(kind: 'commit_authored' | 'commit_co_authored', person: string, at: string, atMs: number, sha: string, commitId: string): string {
    const project = this.#options.project;
    const id = idText('activity', kind, person, atMs, `commit:${project}:${sha}`);
    return `${id}\t${kind}\t${ids.person(person)}\t${ids.project(project)}\t${at}\tcommit\t${commitId}\t${sha}\t\\N\t\\N\n`;
  }

  /** The (project, number) of every MR this walk found, before duplicates are settled. */
  mergeRequestKeys(): { project: string; number: number }[] {
    return this.#drafts.map((draft) => ({ project: draft.project, number: draft.reference.number }));
  }

  /**
   * After the walk: one row per MR. The same (project, number) merged twice — reverted and merged
   * again, or merged into two branches — is one MR: the default-branch merge wins, then the oldest.
   * Two different MRs under one number (different title and branch: the project's numbering started
   * again, as when a project moved) are both kept; the older moves to `<path>~<n>`, a project for the
   * earlier numbering, so neither is lost.
   */
  async finish(known: ReadonlyMap<string, KnownMergeRequest> = new Map()): Promise<void> {
    this.#walker.totals();
    const groups = new Map<string, MergeRequestDraft[]>();
    for (const draft of this.#drafts) {
      const key = `${draft.project}\u0001${draft.reference.number}`;
      const group = groups.get(key);
      if (group) group.push(draft);
      else groups.set(key, [draft]);
    }
    let rows = '';
    let activities = '';
    let reviews = '';
    const flush = async () => {
      if (rows) await this.#options.write('merge_requests', rows);
      if (reviews) await this.#options.write('reviews', reviews);
      if (activities) await this.#options.write('activities', activities);
      rows = activities = reviews = '';
    };
    for (const [key, group] of groups) {
      // Oldest first (the walk goes from new to old).
      group.sort((a, b) => b.position - a.position);
      const distinct: MergeRequestDraft[][] = [];
      for (const draft of group) {
        const same = distinct.find((list) => sameMergeRequest(list[0] as MergeRequestDraft, draft));
        if (same) same.push(draft);
        else distinct.push([draft]);
      }
      const stored = known.get(key);
      // The newest distinct MR keeps the number; older ones belong to earlier numberings.
      for (let i = 0; i < distinct.length; i++) {
        const merges = distinct[i] as MergeRequestDraft[];
        const chosen = merges.find((d) => d.mainline) ?? (merges[0] as MergeRequestDraft);
        this.stats.duplicateMerges += merges.length - 1;
        let project = chosen.project;
        const epoch = distinct.length - 1 - i;
        if (stored && stored.origin !== 'git') {
          // A forge (or an import) wrote this MR: its row is the truth, the history adds nothing to it.
          this.stats.fromForge++;
          continue;
        }
        if (stored) {
          // Already stored by an earlier sync: the same MR again is a duplicate, another one is renumbered.
          if (sameMergeRequest({ reference: { title: stored.title, sourceBranch: stored.sourceBranch } } as MergeRequestDraft, chosen)) {
            this.stats.duplicateMerges++;
            continue;
          }
          project = `${chosen.project}~${epoch + 1}`;
          this.stats.renumbered++;
        } else if (epoch > 0) {
          project = `${chosen.project}~${epoch}`;
          this.stats.renumbered++;
        }
        this.projects.add(project);
        const out = this.#mergeRequestRows(chosen, project);
        rows += out.row;
        activities += out.activities;
        reviews += out.reviews;
        this.stats.mergeRequests++;
      }
      if (rows.length > 4 << 20) await flush();
    }
    await flush();
  }

  #mergeRequestRows(draft: MergeRequestDraft, project: string): { row: string; activities: string; reviews: string } {
    const { reference } = draft;
    let authors: Signature[];
    let commitCount: number;
    if (draft.squashAuthors) {
      authors = draft.squashAuthors;
      commitCount = 1;
    } else {
      const range = draft.range as Range;
      authors = [...range.authors.entries()].sort((a, b) => b[1] - a[1]).map(([key]) => this.#signatures.get(key) as Signature);
      commitCount = range.commits;
      // GitLab names authors by the e-mail of their account, which may not be the one in their
      // commits (or commits were squashed away): the message's word counts too.
      for (const stated of draft.statedAuthors) {
        if (!authors.some((a) => a.email.toLowerCase() === stated.email.toLowerCase())) authors.push(stated);
      }
    }
    const mergedAt = isoInstant(draft.mergedAtMs, draft.offset ?? 0);
    const merger = this.#person(draft.merger);
    const record: MergeRequestRecord = {
      type: 'merge_request',
      project,
      number: reference.number,
      title: reference.title,
      state: 'merged',
      author: authors[0] ? this.#person(authors[0]) : null,
      merged_at: mergedAt,
      merged_by: merger,
      labels: [],
      draft: false,
      reviewers: [],
      assignees: [],
      linked_issues: [],
      source_branch: reference.sourceOwner ? `${reference.sourceOwner}:${reference.sourceBranch}` : reference.sourceBranch,
      target_branch: reference.targetBranch ?? (draft.mainline ? this.#options.defaultBranch : null),
      on_default_branch: draft.mainline,
      origin: 'git',
      authors,
      commit_count: commitCount,
      merge_commit_sha: draft.mergeSha,
    };
    const row = copyOf(mergeRequestKind.toCopy, record);
    const object = { type: 'merge_request', project, number: reference.number } as const;
    let activities = copyOf(activityRecordKind.toCopy, {
      type: 'activity',
      kind: 'mr_merged',
      person: merger,
      project,
      occurred_at: mergedAt,
      object,
      attributes: null,
    } as ActivityRecord);
    let reviews = '';
    for (const [list, kind, activityKind] of [
      [draft.approvers, 'approved', 'mr_approved'],
      [draft.reviewers, 'reviewed', 'mr_reviewed'],
    ] as const) {
      for (const signature of list) {
        const reviewer = this.#person(signature);
        reviews += copyOf(reviewKind.toCopy, { type: 'review', project, merge_request: reference.number, reviewer, kind, occurred_at: mergedAt });
        activities += copyOf(activityRecordKind.toCopy, {
          type: 'activity',
          kind: activityKind,
          person: reviewer,
          project,
          occurred_at: mergedAt,
          object,
          attributes: null,
        } as ActivityRecord);
      }
    }
    return { row, activities, reviews };
  }
}

const detachSignature = (signature: Signature): Signature => ({ name: detach(signature.name), email: detach(signature.email) });

function sameMergeRequest(a: Pick<MergeRequestDraft, 'reference'>, b: Pick<MergeRequestDraft, 'reference'>): boolean {
  const branchA = a.reference.sourceBranch;
  const branchB = b.reference.sourceBranch;
  if (branchA && branchB) return branchA === branchB || a.reference.title === b.reference.title;
  return a.reference.title === b.reference.title;
}

/** The COPY columns the normaliser writes, per table. */
export const COMMIT_COLUMNS = [
  'id', 'project_id', 'sha', 'author_name', 'author_email', 'authored_at', 'committer_name', 'committer_email',
  'committed_at', 'co_authors', 'author_id', 'merge_request_number', 'subject', 'authored_zone', 'committed_zone',
  'parents', 'message', 'merge_request_id',
] as const;

