/**
 * Benchmark: load a generated community (default 1,000,000 MRs and 10,000,000 activities) through
 * `tributary import` into an empty database, on PGlite (file-backed, as users run it) and on
 * PostgreSQL. Generation is not timed. Each load runs in a child process so its peak RSS is its own.
 *
 *   npm run bench -- import [--merge-requests N] [--activities N] [--engine pglite|postgres|both]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { communityFile } from './community-file.ts';

const { values } = parseArgs({
  options: {
    'merge-requests': { type: 'string', default: '1000000' },
    activities: { type: 'string', default: '10000000' },
    engine: { type: 'string', default: 'both' },
    seed: { type: 'string', default: 'bench' },
    'database-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
  strict: false,
});
const mergeRequests = Number(values['merge-requests']);
const activities = Number(values.activities);
const seed = String(values.seed);

const file = await communityFile(seed, mergeRequests, activities);
const size = statSync(file).size;
console.log(`input: ${mergeRequests.toLocaleString('en-US')} MRs, ${activities.toLocaleString('en-US')} activities, ${(size / 2 ** 20).toFixed(0)} MiB`);

const engines = values.engine === 'both' ? ['pglite', 'postgres'] : [String(values.engine)];
const targets = { pglite: 60, postgres: 30 } as Record<string, number>;
for (const engine of engines) {
  const env = { ...process.env };
  let cleanup = async () => {};
  if (engine === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-pglite-'));
    env.TRIBUTARY_DATA_DIR = dir;
    delete env.DATABASE_URL;
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const admin = new pg.Client({ connectionString: String(values['database-url']) });
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS tributary_bench WITH (FORCE)');
    await admin.query('CREATE DATABASE tributary_bench');
    await admin.end();
    const url = new URL(String(values['database-url']));
    url.pathname = '/tributary_bench';
    env.DATABASE_URL = url.toString();
    cleanup = async () => {
      const admin = new pg.Client({ connectionString: String(values['database-url']) });
      await admin.connect();
      await admin.query('DROP DATABASE IF EXISTS tributary_bench WITH (FORCE)');
      await admin.end();
    };
  }
  const child = spawnSync(process.execPath, [new URL('./import-child.ts', import.meta.url).pathname, file], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await cleanup();
  if (child.status !== 0) {
    console.error(`${engine}: the import failed (exit ${child.status})\n${child.stdout}`);
    process.exitCode = 1;
    continue;
  }
  const result = JSON.parse(child.stdout) as { seconds: number; rows: number; peakRssMiB: number; tables: { table: string; rows: number }[] };
  const target = targets[engine] ?? Infinity;
  const verdict = result.seconds < target && result.peakRssMiB < 1024 ? 'ok' : 'OVER TARGET';
  console.log(
    `${engine.padEnd(8)} ${result.seconds.toFixed(1).padStart(6)} s  ${Math.round(result.rows / result.seconds).toLocaleString('en-US').padStart(9)} rows/s  ` +
      `${result.rows.toLocaleString('en-US')} rows  peak RSS ${result.peakRssMiB.toFixed(0)} MiB  (target < ${target} s, < 1024 MiB: ${verdict})`,
  );
}
