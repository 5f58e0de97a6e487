import type { Session } from '../../db/connection.ts';
import { ids } from '../../interchange/records.ts';
import type { GitCommit } from './fetch.ts';

/**
 * For git, the raw record is the commit itself: the commits table keeps every field `git log` gave
 * (signatures, seconds and zone as written, parents, the whole message), so MRs, reviews and
 * activities can be derived again from the database alone, with no repository at hand.
 */

/** Deletes everything a source derived from git for these projects, before a history is walked again. */
export async function forgetDerived(session: Session, repositoryProject: string, projects: readonly string[]): Promise<void> {
  const projectIds = [...new Set([repositoryProject, ...projects])].map((ref) => ids.project(ref));
  const repository = ids.project(repositoryProject);
  await session.query(
    `DELETE FROM activities a USING merge_requests m
      WHERE m.project_id = ANY($1::int8[]) AND m.origin = 'git' AND a.object_type = 'merge_request' AND a.object_id = m.id`,
    [projectIds],
  );
  await session.query(
    `DELETE FROM reviews r USING merge_requests m WHERE m.project_id = ANY($1::int8[]) AND m.origin = 'git' AND r.merge_request_id = m.id`,
    [projectIds],
  );
  await session.query(`DELETE FROM merge_requests WHERE project_id = ANY($1::int8[]) AND origin = 'git'`, [projectIds]);
  await session.query(
    `DELETE FROM activities WHERE project_id = $1::int8 AND object_type = 'commit' AND kind IN ('commit_authored', 'commit_co_authored')`,
    [repository],
  );
  await session.query('DELETE FROM commits WHERE project_id = $1::int8', [repository]);
}

/** What earlier syncs stored under these (project, number) pairs, to tell a merge seen again from a reused number. */
export interface KnownMergeRequest {
  title: string;
  sourceBranch: string | null;
  /** 'git' when an earlier sync of this source wrote it; 'api' or 'import' when a forge or a file did. */
  origin: string;
}

/**
 * The MRs already stored under the (project, number) pairs a walk found: those of earlier git syncs
 * (when `fromGit`), and always those a forge or an import wrote, which the git source leaves alone.
 */
export async function knownMergeRequests(
  session: Session,
  wanted: readonly { project: string; number: number }[],
  options: { fromGit: boolean } = { fromGit: true },
): Promise<Map<string, KnownMergeRequest>> {
  const known = new Map<string, KnownMergeRequest>();
  if (wanted.length === 0) return known;
  const rows = await session.query<{ platform: string; path: string; number: number; title: string; source_branch: string | null; origin: string }>(
    `SELECT p.platform, p.path, m.number, m.title, m.source_branch, m.origin::text AS origin
       FROM merge_requests m JOIN projects p ON p.id = m.project_id
      WHERE m.id = ANY($1::int8[]) AND (m.origin <> 'git' OR $2::boolean)`,
    [wanted.map((w) => ids.mergeRequest(w.project, w.number)), options.fromGit],
  );
  for (const row of rows) {
    const branch = row.source_branch?.includes(':') ? row.source_branch.slice(row.source_branch.indexOf(':') + 1) : row.source_branch;
    known.set(`${row.platform}:${row.path}\u0001${row.number}`, { title: row.title, sourceBranch: branch, origin: row.origin });
  }
  return known;
}

/**
 * The stored commits of a project, children before parents (as `git log --topo-order` would give
 * them), for deriving everything again. Reads in pages; the ordering needs every sha and its parents
 * in memory (about 100 bytes a commit), not the messages.
 */
export async function* storedCommits(session: Session, project: string): AsyncGenerator<GitCommit[]> {
  const projectId = ids.project(project);
  const graph = await session.query<{ sha: string; parents: string[] }>('SELECT sha, parents FROM commits WHERE project_id = $1::int8', [projectId]);
  const children = new Map<string, number>();
  for (const { parents } of graph) for (const parent of parents) children.set(parent, (children.get(parent) ?? 0) + 1);
  const parentsOf = new Map(graph.map((row) => [row.sha, row.parents]));
  // Kahn's algorithm from the tips: a commit is ready once all its children are out.
  const ready = graph.filter((row) => !children.has(row.sha)).map((row) => row.sha);
  const order: string[] = [];
  while (ready.length > 0) {
    const sha = ready.pop() as string;
    order.push(sha);
    for (const parent of parentsOf.get(sha) ?? []) {
      const left = (children.get(parent) ?? 1) - 1;
      if (left === 0) {
        children.delete(parent);
        if (parentsOf.has(parent)) ready.push(parent);
      } else children.set(parent, left);
    }
  }
  for (let start = 0; start < order.length; start += 5000) {
    const page = order.slice(start, start + 5000);
    const rows = await session.query<{
      sha: string;
      parents: string[];
      author_name: string | null;
      author_email: string | null;
      authored_at: Date | null;
      authored_zone: string | null;
      committer_name: string | null;
      committer_email: string | null;
      committed_at: Date | null;
      committed_zone: string | null;
      message: string | null;
      subject: string | null;
    }>(
      `SELECT c.sha, c.parents, c.author_name, c.author_email, c.authored_at, c.authored_zone, c.committer_name,
              c.committer_email, c.committed_at, c.committed_zone, c.message, c.subject
         FROM unnest($2::text[]) WITH ORDINALITY AS wanted(sha, position)
         JOIN commits c ON c.project_id = $1::int8 AND c.sha = wanted.sha
        ORDER BY wanted.position`,
      [projectId, page],
    );
    yield rows.map((row) => ({
      sha: row.sha,
      parents: row.parents,
      authorName: row.author_name ?? '',
      authorEmail: row.author_email ?? '',
      authorTime: Math.round((row.authored_at?.getTime() ?? 0) / 1000),
      authorZone: row.authored_zone ?? '+0000',
      committerName: row.committer_name ?? '',
      committerEmail: row.committer_email ?? '',
      committerTime: Math.round((row.committed_at?.getTime() ?? 0) / 1000),
      committerZone: row.committed_zone ?? '+0000',
      message: row.message ?? row.subject ?? '',
    }));
  }
}
