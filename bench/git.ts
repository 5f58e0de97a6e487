/**
 * Benchmark: ingest a generated history of 100,000 commits with 25,000 merges through the git source,
 * against our own `git log` read of the same data alone (the same arguments, output read to the end
 * and not kept), on PGlite (file-backed) and PostgreSQL. Then sync 100 new commits incrementally.
 *
 *   npm run bench -- git [--commits N] [--merges N] [--engine pglite|postgres|both]
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { inspectRepository, logArguments, readLog } from '../src/sources/git/fetch.ts';
import { createHistoryRepository } from '../src/sources/git/testing/history.ts';

const { values } = parseArgs({
  options: {
    commits: { type: 'string', default: '100000' },
    merges: { type: 'string', default: '25000' },
    engine: { type: 'string', default: 'both' },
    'database-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
  strict: false,
});
const commits = Number(values.commits);
const merges = Number(values.merges);
const cached = join(tmpdir(), 'tributary-bench', `history-${commits}-${merges}`);
if (!existsSync(join(cached, '.git', 'generated-marks'))) {
  rmSync(cached, { recursive: true, force: true });
  const started = performance.now();
  process.stdout.write(`generating ${cached} … `);
  await createHistoryRepository(cached, { seed: 'bench', commits, merges });
  process.stdout.write(`${((performance.now() - started) / 1000).toFixed(1)} s (not timed below)\n`);
}
const state = inspectRepository(cached);
const tips = state.tips.map((tip) => tip.sha);
const lastNumber = Number(spawnSync('git', ['-C', cached, 'log', '-1', '--merges', '--format=%b', 'main'], { encoding: 'utf8' }).stdout.match(/(\d+)\s*$/m)?.[1] ?? merges);

async function gitLogAlone(): Promise<{ seconds: number; bytes: number }> {
  const started = performance.now();
  const child = spawn('git', ['-C', cached, ...logArguments(tips, [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  let bytes = 0;
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) bytes += chunk.length;
  return { seconds: (performance.now() - started) / 1000, bytes };
}

async function gitLogParsed(): Promise<{ seconds: number; commits: number }> {
  const started = performance.now();
  let count = 0;
  for await (const batch of readLog(cached, tips, [])) count += batch.length;
  return { seconds: (performance.now() - started) / 1000, commits: count };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const alone: number[] = [];
const parsed: number[] = [];
let bytes = 0;
let walked = 0;
for (let i = 0; i < 5; i++) {
  const read = await gitLogAlone();
  alone.push(read.seconds);
  bytes = read.bytes;
  const parse = await gitLogParsed();
  parsed.push(parse.seconds);
  walked = parse.commits;
}
const baseline = median(alone);
console.log(`history: ${walked.toLocaleString('en-US')} commits, ${(bytes / 2 ** 20).toFixed(1)} MiB of git log output`);
console.log(`git log read alone:            ${baseline.toFixed(3)} s (median of 5)`);
console.log(`git log read and parsed:       ${median(parsed).toFixed(3)} s (median of 5; not the baseline)`);

const engines = values.engine === 'both' ? ['pglite', 'postgres'] : [String(values.engine)];
for (const engine of engines) {
  const work = mkdtempSync(join(tmpdir(), 'tributary-bench-git-'));
  const repo = join(work, 'repo');
  cpSync(cached, repo, { recursive: true });
  const env: Record<string, string | undefined> = { ...process.env, DATABASE_URL: undefined, TRIBUTARY_DATA_DIR: join(work, 'data') };
  let admin: pg.Client | undefined;
  if (engine === 'postgres') {
    admin = new pg.Client({ connectionString: String(values['database-url']) });
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS tributary_bench_git WITH (FORCE)');
    await admin.query('CREATE DATABASE tributary_bench_git');
    const url = new URL(String(values['database-url']));
    url.pathname = '/tributary_bench_git';
    env.DATABASE_URL = url.toString();
  }
  const step = (...args: string[]) => {
    const child = spawnSync(process.execPath, [new URL('./git-child.ts', import.meta.url).pathname, ...args], {
      env: env as NodeJS.ProcessEnv,
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    if (child.status !== 0) throw new Error(`${engine} ${args[0]} failed:\n${child.stderr}`);
    return JSON.parse(child.stdout.trim().split('\n').pop() as string);
  };
  let added: { peakRss: number };
  let full: { seconds: number; openSeconds: number; peakRss: number; stats: Record<string, number> };
  let incremental: { seconds: number; stats: Record<string, number> };
  try {
    added = step('add', repo, join(work, 'cache'));
    full = step('sync', repo, join(work, 'cache'));
    incremental = step('sync', repo, join(work, 'cache'), '25', String(lastNumber + 1));
  } catch (error) {
    console.log((error as Error).message);
    process.exitCode = 1;
    continue;
  } finally {
    if (admin) {
      await admin.query('DROP DATABASE IF EXISTS tributary_bench_git WITH (FORCE)');
      await admin.end();
    }
    rmSync(work, { recursive: true, force: true });
  }
  const ratio = full.seconds / baseline;
  console.log(`\n${engine}:`);
  console.log(
    `  full ingest:         ${full.seconds.toFixed(3)} s = ${ratio.toFixed(2)}× git log alone (target ≤ 1.3×); ` +
      `${full.stats.commits?.toLocaleString('en-US')} commits, ${full.stats.mergeRequests?.toLocaleString('en-US')} MRs ` +
      `(opening the database before: ${full.openSeconds.toFixed(2)} s)`,
  );
  console.log(`  peak RSS of the sync: ${(full.peakRss / 2 ** 20).toFixed(0)} MiB (target < 300 MiB; creating the database: ${(added.peakRss / 2 ** 20).toFixed(0)} MiB)`);
  console.log(`  incremental sync:    ${incremental.seconds.toFixed(3)} s for ${incremental.stats.commits} new commits (target < 1 s)`);
}
