import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { Random } from '../../../generator/random.ts';

/**
 * A seeded synthetic repository history in `git fast-import` form: merge requests on branches forked
 * from the default branch and merged back with GitLab-style merge commits (every message form the git
 * source understands, oldest forms first), direct pushes, squash commits, merges of the default branch
 * into feature branches, and MRs merged into a stable branch that is later merged back. No files: git
 * sources never read trees, so every commit has the empty tree.
 *
 * The generator knows what it made, so tests compare the source's findings with `truth`.
 */
export interface HistoryOptions {
  seed?: string;
  /** Total commits, merges included (approximately: the last MR is finished). */
  commits: number;
  /** Merge commits that close an MR. */
  merges: number;
  projectPath?: string;
  startAt?: Date;
}

export interface MergeRequestTruth {
  number: number;
  title: string;
  mergeSha?: string;
  mark: number;
  commits: number;
  authors: string[];
  merger: string;
  targetBranch: string;
  onDefaultBranch: boolean;
}

export interface HistoryTruth {
  commits: number;
  merges: number;
  mergeRequests: MergeRequestTruth[];
  defaultBranch: string;
}

interface Person {
  name: string;
  email: string;
}

const FIRST = ['Ana', 'Bo', 'Chen', 'Dara', 'Emeka', 'Fatima', 'Goran', 'Hiro', 'Ines', 'Jonas', 'Kemal', 'Lea', 'Mateo', 'Nia', 'Olu', 'Priya'];
const LAST = ['Silva', 'Novak', 'Wang', 'Okafor', 'Müller', 'Haddad', 'Ivanova', 'Tanaka', 'García', 'Berg', 'Kaya', 'Dubois', 'Rossi', 'Khan'];
const WORDS = ['cache', 'runner', 'auth', 'docs', 'pipeline', 'token', 'ssh', 'lfs', 'logging', 'config', 'timeout', 'retry', 'metrics'];

function people(random: Random, count: number, domain: (i: number) => string): Person[] {
  return Array.from({ length: count }, (_, i) => {
    const first = FIRST[random.int(0, FIRST.length - 1)]!;
    const last = LAST[random.int(0, LAST.length - 1)]!;
    return { name: `${first} ${last}`, email: `${first.toLowerCase()}.${last.toLowerCase().replace(/[^a-z]/g, '')}${i}@${domain(i)}` };
  });
}

function data(text: string): string {
  return `data ${Buffer.byteLength(text)}\n${text}\n`;
}

/** Lines of a fast-import stream; `truth` is complete once the generator has finished. */
export function* generateHistory(options: HistoryOptions, truth: HistoryTruth): Generator<string> {
  const random = new Random(options.seed ?? 'history');
  const project = options.projectPath ?? 'acme/widget';
  const authors = people(random.fork('authors'), 400, (i) => (i % 3 === 0 ? 'acme.example' : i % 3 === 1 ? 'gmail.com' : `corp${i % 17}.example`));
  const maintainers = people(random.fork('maintainers'), 12, () => 'acme.example');
  let clock = Math.floor((options.startAt ?? new Date('2016-01-04T09:00:00Z')).getTime() / 1000);
  let mark = 0;
  let mainTip = 0;
  let stableTip = 0;
  let number = 0;
  const mergeTarget = options.merges;
  const directShare = Math.max(0, options.commits - options.merges * 4) / Math.max(1, options.commits);
  truth.defaultBranch = 'main';
  truth.commits = 0;
  truth.merges = 0;
  truth.mergeRequests = [];

  // A generator cannot yield from a nested function: commits are queued here and flushed by the loop.
  const pending: string[] = [];
  const byEmail = new Map(authors.map((a) => [a.email, a]));
  const signature = (who: Person, zone = '+0100') => `${who.name} <${who.email}> ${clock} ${zone}`;
  const commit = (author: Person, committer: Person, message: string, parents: number[]): number => {
    clock += random.int(30, 4000);
    mark++;
    truth.commits++;
    let text = `commit refs/heads/generated\nmark :${mark}\nauthor ${signature(author, random.pick(['+0100', '+0200', '-0500', '+0530']))}\ncommitter ${signature(committer)}\n${data(message)}`;
    if (parents[0]) text += `from :${parents[0]}\n`;
    for (const parent of parents.slice(1)) text += `merge :${parent}\n`;
    pending.push(text);
    return mark;
  };

  const referenceStyle = (n: number) => {
    const era = n / mergeTarget;
    if (era < 0.1) return 'github';
    if (era < 0.3) return 'short';
    if (era < 0.55) return 'path';
    return 'url';
  };

  const founder = maintainers[0] as Person;
  mainTip = commit(founder, founder, 'Initial commit\n', []);
  while (truth.merges < mergeTarget || truth.commits < options.commits - 5) {
    if (random.next() < directShare || truth.merges >= mergeTarget) {
      const who = random.pick(maintainers);
      mainTip = commit(who, who, `Update ${random.pick(WORDS)} notes\n`, mainTip ? [mainTip] : []);
      if (truth.merges >= mergeTarget && truth.commits >= options.commits - 5) break;
      continue;
    }
    number++;
    const style = referenceStyle(number);
    const author = random.pick(authors);
    const coAuthor = random.next() < 0.1 ? random.pick(authors) : null;
    const merger = random.pick(maintainers);
    const branch = `${number}-${random.pick(WORDS)}-${random.pick(WORDS)}`;
    const title = `Improve ${random.pick(WORDS)} handling for ${random.pick(WORDS)}`;
    const intoStable = style !== 'github' && stableTip !== 0 && random.next() < 0.03;
    const base = intoStable ? stableTip : mainTip;
    const size = random.int(1, 5);
    let tip = base;
    const mrAuthors = new Set<string>();
    for (let i = 0; i < size; i++) {
      const who = coAuthor && i === size - 1 ? coAuthor : author;
      mrAuthors.add(who.email);
      tip = commit(who, who, `${title} (part ${i + 1})\n\nDetails of the change.\n`, tip ? [tip] : []);
    }
    let commits = size;
    if (!intoStable && random.next() < 0.05 && mainTip) {
      // The author brought the default branch into their branch: a merge that is not an MR.
      tip = commit(author, author, `Merge branch 'main' into ${branch}\n`, [tip, mainTip]);
      commits++;
    }
    const target = intoStable ? '1-0-stable' : 'main';
    let message: string;
    if (style === 'github') {
      message = `Merge pull request #${number} from ${author.email.split('@')[0]}/${branch}\n\n${title}\n`;
    } else {
      const reference =
        style === 'short' ? `!${number}` : style === 'path' ? `${project}!${number}` : `https://gitlab.example.com/${project}/-/merge_requests/${number}`;
      message = `Merge branch '${branch}' into '${target}'\n\n${title}\n\nSee merge request ${reference}\n`;
      if (style === 'url') {
        message += `\nMerged-by: ${merger.name} <${merger.email}>\nApproved-by: ${random.pick(maintainers).name} <x@acme.example>\n`;
        for (const email of mrAuthors) {
          const who = byEmail.get(email)!;
          message += `Co-authored-by: ${who.name} <${who.email}>\n`;
        }
      }
    }
    const generic = { name: 'GitLab', email: 'noreply@gitlab.example.com' };
    const mergeMark = commit(merger, style === 'url' ? generic : merger, message, base ? [base, tip] : [tip]);
    truth.merges++;
    truth.mergeRequests.push({
      number,
      title,
      mark: mergeMark,
      commits,
      authors: [...mrAuthors].reverse(),
      merger: merger.email,
      targetBranch: target,
      onDefaultBranch: !intoStable,
    });
    if (intoStable) {
      stableTip = mergeMark;
      // The stable branch goes back into main (not an MR of its own).
      mainTip = commit(merger, merger, `Merge branch '1-0-stable'\n`, [mainTip, stableTip]);
      // The stable merge's own range is nested inside this merge's range, which has no MR.
    } else {
      mainTip = mergeMark;
      if (number % 500 === 1 && style !== 'github') stableTip = mainTip;
    }
    while (pending.length > 64) yield pending.shift()!;
  }
  yield* pending.splice(0);
  yield `reset refs/heads/main\nfrom :${mainTip}\n\n`;
  if (stableTip) yield `reset refs/heads/1-0-stable\nfrom :${stableTip}\n\n`;
  yield 'reset refs/heads/generated\nfrom 0000000000000000000000000000000000000000\n\n';
}

/** Makes a repository at `dir` (git init + fast-import) and returns what it holds. */
export async function createHistoryRepository(dir: string, options: HistoryOptions): Promise<HistoryTruth> {
  mkdirSync(dir, { recursive: true });
  const init = spawnSync('git', ['init', '-q', '-b', 'main', dir], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`git init failed: ${init.stderr}`);
  const truth: HistoryTruth = { commits: 0, merges: 0, mergeRequests: [], defaultBranch: 'main' };
  const child = spawn('git', ['-C', dir, 'fast-import', '--quiet', '--export-marks=.git/generated-marks'], { stdio: ['pipe', 'inherit', 'inherit'] });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import exited with ${code}`))));
  });
  for (const chunk of generateHistory(options, truth)) {
    if (!child.stdin.write(chunk)) await new Promise((resolve) => child.stdin.once('drain', resolve));
  }
  child.stdin.end();
  await done;
  const marks = spawnSync('cat', [`${dir}/.git/generated-marks`], { encoding: 'utf8', maxBuffer: 1 << 30 }).stdout;
  const shaOfMark = new Map<number, string>();
  for (const line of marks.split('\n')) {
    const [m, sha] = line.split(' ');
    if (m && sha) shaOfMark.set(Number(m.slice(1)), sha);
  }
  for (const mr of truth.mergeRequests) mr.mergeSha = shaOfMark.get(mr.mark);
  return truth;
}

/**
 * Appends `mergeRequests` MRs of three commits and a merge each (four commits per MR) on top of the
 * default branch, numbered after `firstNumber`, for incremental-sync tests and benchmarks.
 */
export function appendMergeRequests(dir: string, mergeRequests: number, firstNumber: number, projectPath = 'acme/widget'): void {
  const tip = spawnSync('git', ['-C', dir, 'rev-parse', 'refs/heads/main'], { encoding: 'utf8' }).stdout.trim();
  let clock = Number(spawnSync('git', ['-C', dir, 'log', '-1', '--format=%ct', tip], { encoding: 'utf8' }).stdout.trim()) + 60;
  let stream = '';
  let mark = 0;
  let main = tip;
  for (let i = 0; i < mergeRequests; i++) {
    const number = firstNumber + i;
    let parent = main;
    for (let c = 1; c <= 3; c++) {
      mark++;
      clock += 60;
      stream += `commit refs/heads/append\nmark :${mark}\nauthor New Person <new${i % 7}@example.org> ${clock} +0000\ncommitter New Person <new${i % 7}@example.org> ${clock} +0000\n${data(`Change ${number} part ${c}\n`)}from ${parent}\n`;
      parent = `:${mark}`;
    }
    mark++;
    clock += 60;
    const message = `Merge branch 'change-${number}' into 'main'\n\nChange ${number}\n\nSee merge request ${projectPath}!${number}\n`;
    stream += `commit refs/heads/main\nmark :${mark}\nauthor Maintainer <maintainer@acme.example> ${clock} +0000\ncommitter Maintainer <maintainer@acme.example> ${clock} +0000\n${data(message)}from ${main}\nmerge ${parent}\n`;
    main = `:${mark}`;
  }
  stream += 'reset refs/heads/append\nfrom 0000000000000000000000000000000000000000\n\n';
  const imported = spawnSync('git', ['-C', dir, 'fast-import', '--quiet', '--force'], { input: stream, encoding: 'utf8' });
  if (imported.status !== 0) throw new Error(`git fast-import failed: ${imported.stderr}`);
}
