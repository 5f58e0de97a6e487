/**
 * Benchmark: every KPI in the catalogue for twelve months over a generated community (default 1,000,000
 * MRs and 10,000,000 activities), on PGlite (file-backed) and PostgreSQL, read from the rollups. Also
 * times what keeps them: the full build after the load, and an incremental refresh after a small sync.
 *
 *   npm run bench -- kpi [--merge-requests N] [--activities N] [--engine pglite|postgres|both] [--reload] [--rebuild]
 *
 * The loaded databases are kept between runs (the load is `npm run bench -- import`'s business); --reload
 * starts again, and --rebuild times the full build of the rollups again on a kept database. Each engine
 * runs in a child process of its own.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { benchCacheDir as cacheDir, communityFile } from './community-file.ts';

const { values } = parseArgs({
  options: {
    'merge-requests': { type: 'string', default: '1000000' },
    activities: { type: 'string', default: '10000000' },
    engine: { type: 'string', default: 'both' },
    seed: { type: 'string', default: 'bench' },
    reload: { type: 'boolean', default: false },
    rebuild: { type: 'boolean', default: false },
    'database-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
  strict: false,
});
const mergeRequests = Number(values['merge-requests']);
const activities = Number(values.activities);
const seed = String(values.seed);

const file = await communityFile(seed, mergeRequests, activities);
console.log(`input: ${mergeRequests.toLocaleString('en-US')} MRs, ${activities.toLocaleString('en-US')} activities (seed ${seed})`);

const engines = values.engine === 'both' ? ['pglite', 'postgres'] : [String(values.engine)];
const targets: Record<string, number> = { pglite: 5, postgres: 2 };
for (const engine of engines) {
  const env = { ...process.env };
  const name = `tributary_bench_kpi_${mergeRequests}_${activities}`;
  if (engine === 'pglite') {
    const dir = join(cacheDir, `kpi-pglite-${seed}-${mergeRequests}-${activities}`);
    if (values.reload) rmSync(dir, { recursive: true, force: true });
    env.TRIBUTARY_DATA_DIR = dir;
    delete env.DATABASE_URL;
  } else {
    const admin = new pg.Client({ connectionString: String(values['database-url']) });
    await admin.connect();
    if (values.reload) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    const [exists] = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rows;
    if (!exists) await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(String(values['database-url']));
    url.pathname = `/${name}`;
    env.DATABASE_URL = url.toString();
  }
  console.log(`\n${engine}:`);
  const child = spawnSync(process.execPath, [new URL('./kpi-child.ts', import.meta.url).pathname, file, String(targets[engine]), ...(values.rebuild ? ['--rebuild'] : [])], {
    env,
    stdio: 'inherit',
  });
  if (child.status !== 0) {
    console.error(`${engine}: failed (exit ${child.status})`);
    process.exitCode = 1;
  }
}
