import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '../../src/db/connection.ts';
import { addSource, type SyncOutcome, syncSources } from '../../src/sources/registry.ts';
import { sharedPath } from './database.ts';

export function git(dir: string, args: string[], input?: string | Buffer): string {
  const result = spawnSync('git', ['-C', dir, ...args], {
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_DATE: '', GIT_COMMITTER_DATE: '' },
  });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

export function scratchDir(prefix = 'tributary-git-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function emptyRepository(): string {
  const dir = join(scratchDir(), 'repo');
  spawnSync('git', ['init', '-q', '-b', 'main', dir]);
  return dir;
}

/** Writes a commit object exactly as given (any bytes, any zone) and returns its sha. */
export function rawCommit(
  dir: string,
  parts: { parents?: string[]; author: string; committer: string; message: string | Buffer; tree?: string },
): string {
  const tree = parts.tree ?? git(dir, ['hash-object', '-t', 'tree', '-w', '--stdin'], '').trim();
  const header = [`tree ${tree}`, ...(parts.parents ?? []).map((p) => `parent ${p}`), `author ${parts.author}`, `committer ${parts.committer}`, '', ''].join('\n');
  const body = Buffer.concat([Buffer.from(header, 'utf8'), Buffer.isBuffer(parts.message) ? parts.message : Buffer.from(parts.message, 'utf8')]);
  return git(dir, ['hash-object', '-t', 'commit', '-w', '--literally', '--stdin'], body).trim();
}

let clock = 1_600_000_000;
/** A plain commit with a readable signature; `when` defaults to a clock that moves forward. */
export function commit(dir: string, message: string, parents: string[], who = 'Ada Lovelace <ada@example.com>', zone = '+0100'): string {
  clock += 60;
  return rawCommit(dir, { parents, author: `${who} ${clock} ${zone}`, committer: `${who} ${clock} ${zone}`, message });
}

export function setBranch(dir: string, branch: string, sha: string) {
  git(dir, ['update-ref', `refs/heads/${branch}`, sha]);
}

/** Adds a git source for `dir` and syncs it; returns the one outcome (throws if it failed). */
export async function addAndSync(
  db: Database,
  location: string,
  config: Record<string, unknown> = {},
  warnings: string[] = [],
): Promise<{ name: string; sync(full?: boolean): Promise<SyncOutcome> }> {
  const context = { cacheDir: scratchDir('tributary-cache-'), warn: (message: string) => warnings.push(message) };
  const row = await addSource(db, 'git', { location, projectPath: 'acme/widget', ...config }, context);
  const sync = async (full = false) => {
    const [outcome] = await syncSources(db, row.name, { ...context, full });
    if (!outcome?.ok) throw new Error(`sync failed: ${outcome?.error}`);
    return outcome;
  };
  return { name: row.name, sync };
}

/** A shared real history loaded into a scratch repository, or a reason to skip. */
export function sharedHistory(name: string): { dir: string; skip: false } | { dir: undefined; skip: string } {
  const found = sharedPath(`fixtures/git/${name}.fi.gz`);
  if (found.skip) return { dir: undefined, skip: found.skip };
  const dir = join(scratchDir(), name);
  spawnSync('git', ['init', '-q', '-b', 'main', dir]);
  const loaded = spawnSync('sh', ['-c', `zcat "${found.path}" | git -C "${dir}" fast-import --quiet`]);
  if (loaded.status !== 0) throw new Error(`could not load ${found.path}: ${loaded.stderr}`);
  return { dir, skip: false };
}
