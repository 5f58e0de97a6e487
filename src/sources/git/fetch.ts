import { isUtf8 } from 'node:buffer';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SourceError } from '../contract.ts';

/**
 * Reading a repository: one `git log` process streams every commit's metadata (never trees or blobs,
 * so snapshots with missing objects and treeless clones work), children before parents, so the
 * walker in ranges.ts can attribute commits to merges in the same single pass.
 */

/** One commit as git wrote it: the raw material everything else is derived from. */
export interface GitCommit {
  sha: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  /** Seconds since the epoch and the zone exactly as recorded (`+0200`, or nonsense like `+51800`). */
  authorTime: number;
  authorZone: string;
  committerName: string;
  committerEmail: string;
  committerTime: number;
  committerZone: string;
  message: string;
}

const FIELD = '\x1f';
// %x1f between fields; %B (the whole message) last, so a stray separator in a message cannot shift fields.
export const LOG_FORMAT = ['%H', '%P', '%an', '%ae', '%ad', '%cn', '%ce', '%cd', '%B'].join('%x1f');
const CONFIG = ['-c', 'log.showSignature=false', '-c', 'i18n.logOutputEncoding=UTF-8', '-c', 'core.quotePath=false'];

export function logArguments(tips: readonly string[], exclude: readonly string[]): string[] {
  return [
    ...CONFIG,
    'log',
    '--topo-order',
    '-z',
    '--date=raw',
    '--no-color',
    '--no-notes',
    '--no-decorate',
    '--no-mailmap',
    `--format=${LOG_FORMAT}`,
    ...tips,
    ...(exclude.length > 0 ? ['--not', ...exclude] : []),
    '--',
  ];
}

function git(dir: string, args: string[], allowFailure = false, input?: string): { ok: boolean; stdout: string; stderr: string } {
  const result = spawnSync('git', ['-C', dir, ...CONFIG, ...args], { encoding: 'utf8', maxBuffer: 256 << 20, input });
  if (result.error) throw new SourceError(`cannot run git: ${result.error.message}`);
  const ok = result.status === 0;
  if (!ok && !allowFailure) throw new SourceError(`git ${args[0]} failed in ${dir}: ${result.stderr.trim()}`);
  return { ok, stdout: result.stdout, stderr: result.stderr };
}

export interface RepositoryState {
  /** The branch whose first-parent line is "the default branch". */
  defaultBranch: string | null;
  defaultTip: string | null;
  /** Every branch tip to walk, default first, as `ref sha`. */
  tips: { ref: string; sha: string }[];
  shallow: boolean;
}

/** What the repository holds now: its default branch and branch tips. An empty repository has none. */
export function inspectRepository(dir: string, branch?: string | null): RepositoryState {
  if (!existsSync(dir)) throw new SourceError(`no repository at ${dir}`);
  const inside = git(dir, ['rev-parse', '--git-dir'], true);
  if (!inside.ok) throw new SourceError(`${dir} is not a git repository: ${inside.stderr.trim()}`);
  const shallow = git(dir, ['rev-parse', '--is-shallow-repository'], true).stdout.trim() === 'true';
  const refs = git(dir, ['for-each-ref', '--format=%(objectname) %(objecttype) %(refname)', 'refs/heads', 'refs/remotes'])
    .stdout.split('\n')
    .filter(Boolean)
    .map((line) => {
      const [sha, type, ref] = line.split(' ') as [string, string, string];
      return { sha, type, ref };
    })
    .filter((r) => r.type === 'commit' && !r.ref.endsWith('/HEAD'));
  let defaultBranch = branch ?? null;
  if (!defaultBranch) {
    for (const candidate of ['HEAD', 'refs/remotes/origin/HEAD']) {
      const symbolic = git(dir, ['symbolic-ref', '-q', candidate], true);
      if (symbolic.ok && symbolic.stdout.trim()) {
        defaultBranch = symbolic.stdout.trim();
        break;
      }
    }
  }
  let defaultTip: string | null = null;
  if (defaultBranch) {
    const resolved = git(dir, ['rev-parse', '-q', '--verify', `${defaultBranch}^{commit}`], true);
    if (resolved.ok) defaultTip = resolved.stdout.trim();
    else if (branch) throw new SourceError(`branch ${JSON.stringify(branch)} does not exist in ${dir}`);
  }
  const shortName = defaultBranch?.replace(/^refs\/(heads|remotes\/[^/]+)\//, '') ?? null;
  const tips: { ref: string; sha: string }[] = [];
  if (defaultTip && defaultBranch) tips.push({ ref: defaultBranch, sha: defaultTip });
  for (const r of refs) if (r.ref !== defaultBranch) tips.push({ ref: r.ref, sha: r.sha });
  return { defaultBranch: shortName, defaultTip, tips, shallow };
}

/** The URL the repository was cloned from, if it says (`remote.origin.url`). */
export function originUrl(dir: string): string | null {
  const found = git(dir, ['config', '--get', 'remote.origin.url'], true);
  return found.ok && found.stdout.trim() ? found.stdout.trim() : null;
}

/** Which of `shas` still exist as commits (a rewritten history drops them). */
export function existingCommits(dir: string, shas: readonly string[]): Set<string> {
  if (shas.length === 0) return new Set();
  const result = git(dir, ['cat-file', '--batch-check=%(objectname) %(objecttype)'], true, `${shas.join('\n')}\n`);
  const found = new Set<string>();
  for (const line of result.stdout.split('\n')) {
    const [sha, type] = line.split(' ');
    if (sha && type === 'commit') found.add(sha);
  }
  return found;
}

/** `ancestor` is reachable from `descendant`. */
export function isAncestor(dir: string, ancestor: string, descendant: string): boolean {
  return git(dir, ['merge-base', '--is-ancestor', ancestor, descendant], true).ok;
}

/** A URL is cloned once (bare, without trees or blobs) into `cacheDir` and fetched on every sync. */
export function mirror(url: string, cacheDir: string, onWarning: (message: string) => void): string {
  if (existsSync(cacheDir)) {
    const fetched = git(cacheDir, ['fetch', '--prune', '--quiet', 'origin', '+refs/heads/*:refs/heads/*'], true);
    if (!fetched.ok) onWarning(`could not fetch ${url} (using what was fetched before): ${fetched.stderr.trim()}`);
    return cacheDir;
  }
  mkdirSync(dirname(cacheDir), { recursive: true });
  const cloned = spawnSync('git', ['clone', '--quiet', '--bare', '--filter=tree:0', '--no-local', url, cacheDir], { encoding: 'utf8' });
  if (cloned.status !== 0) throw new SourceError(`could not clone ${url}: ${cloned.stderr.trim()}`);
  return cacheDir;
}

const UTF8 = new TextDecoder('utf-8');
const LATIN1 = new TextDecoder('windows-1252');

/** Text that is not valid UTF-8 was almost always written as Latin-1 by an old tool: read it so. */
function decode(bytes: Uint8Array): string {
  return isUtf8(bytes) ? UTF8.decode(bytes) : LATIN1.decode(bytes);
}

function parseDate(raw: string): [number, string] {
  const space = raw.indexOf(' ');
  if (space < 0) return [Number(raw) || 0, '+0000'];
  return [Number(raw.slice(0, space)) || 0, raw.slice(space + 1)];
}

export function parseRecord(text: string): GitCommit {
  const fields: string[] = [];
  let start = 0;
  for (let i = 0; i < 8; i++) {
    const end = text.indexOf(FIELD, start);
    if (end < 0) throw new SourceError(`unexpected git log output near ${JSON.stringify(text.slice(0, 80))}`);
    fields.push(text.slice(start, end));
    start = end + 1;
  }
  const [authorTime, authorZone] = parseDate(fields[4] as string);
  const [committerTime, committerZone] = parseDate(fields[7] as string);
  return {
    sha: fields[0] as string,
    parents: fields[1] ? (fields[1] as string).split(' ') : [],
    authorName: fields[2] as string,
    authorEmail: fields[3] as string,
    authorTime,
    authorZone,
    committerName: fields[5] as string,
    committerEmail: fields[6] as string,
    committerTime,
    committerZone,
    message: text.slice(start),
  };
}

export interface LogStream {
  commits: AsyncGenerator<GitCommit[]>;
  /** Bytes read so far. */
  readonly bytes: number;
}

/**
 * Streams `git log` as batches of commits, children before parents. Memory is one pipe buffer and
 * one batch, whatever the history's size.
 */
export async function* readLog(dir: string, tips: readonly string[], exclude: readonly string[]): AsyncGenerator<GitCommit[]> {
  const child = spawn('git', ['-C', dir, ...logArguments(tips, exclude)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    if (stderr.length < 10_000) stderr += text;
  });
  const closed = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  let carry: Buffer | null = null;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      const buffer: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
      const last = buffer.lastIndexOf(0);
      if (last < 0) {
        carry = buffer;
        continue;
      }
      carry = last + 1 < buffer.length ? buffer.subarray(last + 1) : null;
      const whole = buffer.subarray(0, last);
      const batch: GitCommit[] = [];
      if (isUtf8(whole)) {
        // The common case: the whole chunk is UTF-8, decoded at once.
        for (const record of whole.toString('utf8').split('\0')) batch.push(parseRecord(record));
      } else {
        let start = 0;
        while (start <= whole.length) {
          let end = whole.indexOf(0, start);
          if (end < 0) end = whole.length;
          batch.push(parseRecord(decode(whole.subarray(start, end))));
          start = end + 1;
        }
      }
      yield batch;
    }
    if (carry && carry.length > 0) yield [parseRecord(decode(carry))];
    const code = await closed;
    if (code !== 0) throw new SourceError(`git log failed in ${dir} (exit ${code}): ${stderr.trim()}`);
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

/** How many commits a walk will read: `git rev-list --count`, run beside the walk for a progress bar. */
export function countCommits(dir: string, tips: readonly string[], exclude: readonly string[]): Promise<number | undefined> {
  return new Promise((resolve) => {
    const child = spawn('git', ['-C', dir, 'rev-list', '--count', ...tips, ...(exclude.length > 0 ? ['--not', ...exclude] : []), '--'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => (out += text));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => resolve(code === 0 ? Number(out.trim()) : undefined));
  });
}
