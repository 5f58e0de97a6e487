import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import type { Database, Session } from '../../db/connection.ts';
import { TableLoader } from '../../interchange/import.ts';
import { ids } from '../../interchange/records.ts';
import { IdentityCollector } from '../../people/identities.ts';
import { resolveIdentities } from '../../people/resolve.ts';
import { type SourceContext, type SourceDefinition, SourceError, type StoredSource, type SyncContext, type SyncResult } from '../contract.ts';
import { countCommits, existingCommits, type GitCommit, inspectRepository, isAncestor, mirror, originUrl, readLog } from './fetch.ts';
import { GitNormaliser } from './normalise.ts';
import { RangeWalker } from './ranges.ts';
import { forgetDerived, type KnownMergeRequest, knownMergeRequests, storedCommits } from './store-raw.ts';

/**
 * A repository's history as a source: `tributary sources add git <path-or-url>`. Local paths are read
 * in place; URLs are mirrored (bare, without trees or blobs) under the data directory and fetched on
 * each sync.
 */
export const gitConfig = z.strictObject({
  location: z.string().min(1, 'must name a repository path or URL'),
  projectPath: z
    .string()
    .regex(/^[\w.-]+(\/[\w.-]+)+$/, 'must be a project path like group/name')
    .optional(),
  platform: z.enum(['gitlab', 'github']).optional(),
  /** Where `Merge pull request #N` PRs live when the project itself is on GitLab (a project that moved). */
  githubPath: z.string().optional(),
  /** The default branch, when HEAD does not name it. */
  branch: z.string().optional(),
});
export type GitConfig = z.infer<typeof gitConfig>;

const isUrl = (location: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(location) || /^[\w.-]+@[\w.-]+:/.test(location);

export function projectPathOf(config: GitConfig): string {
  if (config.projectPath) return config.projectPath;
  if (isUrl(config.location)) {
    const path = config.location.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]+\//i, '').replace(/^[\w.-]+@[\w.-]+:/, '');
    return path.replace(/\.git$/, '').replace(/\/+$/, '') || 'repository';
  }
  return basename(resolve(config.location)).replace(/\.git$/, '') || 'repository';
}

export function platformOf(config: GitConfig): 'gitlab' | 'github' {
  if (config.platform) return config.platform;
  return /github/i.test(config.location) ? 'github' : 'gitlab';
}

/** `platform:path` of the project the repository's history belongs to. */
const repositoryProjectOf = (config: GitConfig) => `${platformOf(config)}:${projectPathOf(config)}`;

const NO_LINES = new Int32Array(0);

type GitCursor = {
  defaultBranch: string | null;
  defaultTip: string | null;
  tips: string[];
  projects: string[];
};

function repositoryDir(config: GitConfig, source: { name: string }, context: SourceContext): string {
  if (!isUrl(config.location)) return resolve(config.location);
  return mirror(config.location, join(context.cacheDir, 'git', `${source.name.replace(/[^\w.-]+/g, '_')}.git`), context.warn);
}

export const gitSource: SourceDefinition<GitConfig> = {
  kind: 'git',
  config: gitConfig,
  defaultName: (config) => projectPathOf(config),
  check(config) {
    if (isUrl(config.location)) return { ...config, projectPath: projectPathOf(config), platform: platformOf(config) };
    if (!existsSync(config.location)) throw new SourceError(`location: no such directory ${config.location}`);
    const dir = resolve(config.location);
    inspectRepository(dir, config.branch);
    // A clone knows where it came from: github.com/owner/name is a GitHub project called owner/name.
    const origin = originUrl(dir);
    const fromOrigin = origin && isUrl(origin) ? { ...config, location: origin } : null;
    return {
      ...config,
      location: dir,
      projectPath: config.projectPath ?? (fromOrigin ? projectPathOf(fromOrigin) : projectPathOf(config)),
      platform: config.platform ?? (fromOrigin ? platformOf(fromOrigin) : platformOf(config)),
    };
  },
  async sync(db, source, context) {
    return syncGit(db, source, context);
  },
};

export async function syncGit(db: Database, source: StoredSource<GitConfig>, context: SyncContext): Promise<SyncResult> {
  const config = source.config;
  const dir = repositoryDir(config, source, context);
  const state = inspectRepository(dir, config.branch);
  if (state.shallow) context.warn(`${source.name}: the repository is shallow; merges before its boundary cannot be seen (git fetch --unshallow)`);
  const previous = (context.full ? null : source.cursor) as GitCursor | null;
  const project = repositoryProjectOf(config);

  let exclude: string[] = [];
  let rewalk = false;
  if (previous?.defaultTip) {
    const stillThere = existingCommits(dir, previous.tips);
    if (!stillThere.has(previous.defaultTip) || !state.defaultTip || !isAncestor(dir, previous.defaultTip, state.defaultTip)) {
      // The default branch was rewritten: its old commits may be gone. Walk it all again.
      context.warn(`${source.name}: the history was rewritten since the last sync (${previous.defaultTip.slice(0, 12)} is no longer on ${state.defaultBranch ?? 'the default branch'}); reading it again`);
      rewalk = true;
    } else {
      exclude = [...stillThere];
    }
  } else if (source.cursor) {
    rewalk = true;
  }
  const tips = state.tips.map((tip) => tip.sha);
  const cursor: GitCursor = {
    defaultBranch: state.defaultBranch,
    defaultTip: state.defaultTip,
    tips: [...new Set(tips)],
    projects: previous?.projects ?? (source.cursor as GitCursor | null)?.projects ?? [],
  };
  if (!rewalk && previous && tips.every((tip) => exclude.includes(tip))) {
    return { cursor, stats: { commits: 0, mergeRequests: 0, upToDate: true } };
  }
  if (tips.length === 0) {
    return { cursor, stats: { commits: 0, mergeRequests: 0, empty: true } };
  }

  const started = performance.now();
  let total: number | undefined;
  if (context.progress && context.estimateTotals) {
    void countCommits(dir, tips, exclude).then((count) => {
      total = count;
    });
  }
  return db.transaction(async (tx) => {
    if (rewalk) await forgetDerived(tx, project, cursor.projects);
    const otherTips = state.tips.filter((tip) => tip.sha !== state.defaultTip).map((tip) => tip.sha);
    const result = await normalise(tx, {
      project,
      config,
      defaultBranch: state.defaultBranch,
      walker: new RangeWalker(state.defaultTip, otherTips),
      // Only what this walk merged is looked up: among earlier syncs' MRs, and among MRs a forge wrote
      // (the API's row is the truth for an MR; the history only adds its commits).
      known: (wanted) => knownMergeRequests(tx, wanted, { fromGit: !rewalk && Boolean(previous) }),
      commits: readLog(dir, tips, exclude),
      progress: (commits) => context.progress?.({ items: commits, unit: 'commits', elapsedSeconds: (performance.now() - started) / 1000, total }),
    });
    cursor.projects = [...new Set([...cursor.projects, ...result.projects])].sort();
    // New identities are linked to the people they certainly belong to as they arrive (incremental).
    const resolved = await resolveIdentities(tx, { actor: `sync ${source.name}` });
    result.stats.linkedPeople = Object.values(resolved.links).reduce((sum, n) => sum + n, 0);
    // The cursor moves with the data, in the same transaction: a failed sync resumes where it was.
    await tx.query('UPDATE sources SET cursor = $2::jsonb WHERE id = $1::int8', [String(source.id), JSON.stringify(cursor)]);
    return { cursor, stats: { ...result.stats, rewalked: rewalk, seconds: Number(((performance.now() - started) / 1000).toFixed(3)) } };
  });
}

/** Derives everything from commits already stored, without the repository (after a parser fix, say). */
export async function rederiveGit(db: Database, source: StoredSource<GitConfig>): Promise<SyncResult> {
  const cursor = source.cursor as GitCursor | null;
  if (!cursor) throw new SourceError(`${source.name} has not been synced yet: nothing to derive from`);
  const project = repositoryProjectOf(source.config);
  return db.transaction(async (tx) => {
    // The stored commits are read before the rows derived from them (commits included) are replaced:
    // this holds the whole history in memory, unlike a sync.
    const commits: GitCommit[][] = [];
    for await (const page of storedCommits(tx, project)) commits.push(page);
    await forgetDerived(tx, project, cursor.projects);
    const otherTips = cursor.tips.filter((tip) => tip !== cursor.defaultTip);
    const result = await normalise(tx, {
      project,
      config: source.config,
      defaultBranch: cursor.defaultBranch,
      walker: new RangeWalker(cursor.defaultTip, otherTips),
      known: null,
      commits,
    });
    return { cursor: { ...cursor, projects: [...new Set([...cursor.projects, ...result.projects])].sort() }, stats: result.stats };
  });
}

async function normalise(
  tx: Session,
  input: {
    project: string;
    config: GitConfig;
    defaultBranch: string | null;
    walker: RangeWalker;
    known: ((wanted: { project: string; number: number }[]) => Promise<Map<string, KnownMergeRequest>>) | null;
    commits: AsyncIterable<GitCommit[]> | Iterable<GitCommit[]>;
    progress?: (commits: number) => void;
  },
): Promise<{ projects: string[]; stats: Record<string, number> }> {
  // Only commits not read before reach here, so rows go straight into the indexed tables. On
  // PostgreSQL smaller batches than an import's keep the sync's memory down (460 → 419 MiB peak); on
  // PGlite more, smaller COPYs get its WebAssembly tiered up mid-sync, which costs more (604 → 1054 MiB).
  const loader = new TableLoader(tx, 'append', tx.engine === 'postgres' ? 2 << 20 : 8 << 20);
  const identities = new IdentityCollector();
  const platform = platformOf(input.config);
  const normaliser = new GitNormaliser(
    {
      project: input.project,
      platform,
      githubProject: `github:${input.config.githubPath ?? projectPathOf(input.config)}`,
      defaultBranch: input.defaultBranch,
      identities,
      // Rows carry no input line numbers: the repository is not a file the user wrote.
      write: (table, text) => loader.add(table, text, NO_LINES),
    },
    input.walker,
  );
  for await (const batch of input.commits) {
    await normaliser.add(batch);
    input.progress?.(normaliser.stats.commits);
  }
  await normaliser.finish(input.known ? await input.known(normaliser.mergeRequestKeys()) : new Map());
  await loader.finish(undefined);
  const saved = await identities.save(tx);
  const projects = [...normaliser.projects];
  await tx.query(
    `INSERT INTO projects (id, platform, path, external_id, default_branch)
     SELECT id::int8, platform::platform, path, NULL, CASE WHEN ref = $4 THEN $5 END
       FROM unnest($1::text[], $2::text[], $3::text[], $6::text[]) AS u(id, platform, path, ref)
     ON CONFLICT (id) DO UPDATE SET default_branch = coalesce(EXCLUDED.default_branch, projects.default_branch)`,
    [
      projects.map((ref) => ids.project(ref)),
      projects.map((ref) => ref.slice(0, ref.indexOf(':'))),
      projects.map((ref) => ref.slice(ref.indexOf(':') + 1)),
      input.project,
      input.defaultBranch,
      projects,
    ],
  );
  return { projects, stats: { ...normaliser.stats, newPeople: saved.people, newIdentities: saved.identities } };
}

