/**
 * Benchmark: the dashboard API under load. Starts `tributary serve` (worker included, as users run it) on
 * 127.0.0.1 over the demo community `tributary start` loads, signs in, and drives the routes a dashboard
 * calls (KPI list, KPI series for twelve months, contributors, merge requests) at a steady total rate, the
 * routes in turn, timing each request from when it was due (an open loop, as wrk2 or k6's constant arrival
 * rate do). Target: p95 under 50 ms on every route at 100 requests/s, on PGlite and PostgreSQL. Then
 * autocannon at the same rate for comparison: its rate mode fires each second's quota in a burst.
 *
 *   npm run bench -- server [--engine pglite|postgres|both] [--rate 100] [--seconds 20] [--reload]
 *
 * The loaded databases are kept between runs in the bench cache; --reload loads them again.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { benchCacheDir } from './community-file.ts';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'both' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '20' },
    reload: { type: 'boolean', default: false },
    'database-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
  strict: true,
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const TARGET_P95_MS = 50;
const bin = new URL('../bin/tributary.js', import.meta.url).pathname;
const EMAIL = 'bench@tributary.test';
const PASSWORD = 'bench password, long enough';

function monthsBack(n: number): string {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - n);
  return d.toISOString().slice(0, 7);
}
const from = monthsBack(12);
const to = monthsBack(1);
const ROUTES: Record<string, string> = {
  'KPI list': '/api/v1/kpis',
  'KPI uwcc, 12 months': `/api/v1/kpis/uwcc?from=${from}&to=${to}`,
  'KPI community-merged-mrs, 12 months': `/api/v1/kpis/community-merged-mrs?from=${from}&to=${to}`,
  'KPI time-to-first-review, 12 months': `/api/v1/kpis/time-to-first-review?from=${from}&to=${to}`,
  contributors: '/api/v1/contributors?limit=50',
  'merge requests': '/api/v1/merge-requests?limit=50',
};

function cli(env: NodeJS.ProcessEnv, args: string[], input?: string) {
  const result = spawnSync(process.execPath, [bin, ...args], { env, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'] });
  if (result.status !== 0) throw new Error(`tributary ${args.join(' ')} failed: ${result.stdout}`);
  return result.stdout;
}

async function startServe(env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--insecure-cookies'], { env: { ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const found = /serving on (http:\/\/[^\s]+?) /.exec(seen);
      if (found?.[1]) resolve(found[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${seen}`)));
  });
  child.stdout?.resume();
  return { url, child };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

interface RouteResult {
  name: string;
  latencies: number[];
  errors: number;
}

/** Sends rate × seconds requests at a steady pace, the routes in turn; latencies from each request's due time. */
async function steadyLoad(url: string, names: string[], headers: Record<string, string>): Promise<RouteResult[]> {
  const results = names.map((name) => ({ name, latencies: [] as number[], errors: 0 }));
  const interval = 1000 / rate;
  const total = Math.round(rate * seconds);
  const start = performance.now() + 50;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const result = results[i % names.length] as RouteResult;
    pending.push(
      fetch(`${url}${ROUTES[result.name]}`, { headers }).then(
        async (response) => {
          await response.arrayBuffer();
          result.latencies.push(performance.now() - due);
          if (!response.ok) result.errors++;
        },
        () => {
          result.errors++;
        },
      ),
    );
  }
  await Promise.all(pending);
  for (const result of results) result.latencies.sort((a, b) => a - b);
  return results;
}

/** Prints p50/p95/p99 per route and over all; true when every route's p95 is under the target without errors. */
function printTable(results: RouteResult[]): boolean {
  console.log(`  ${'route'.padEnd(38)} ${'requests'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)}`);
  let met = true;
  const line = (name: string, latencies: number[], errors: number) =>
    console.log(
      `  ${name.padEnd(38)} ${String(latencies.length).padStart(8)} ${percentile(latencies, 50).toFixed(1).padStart(8)} ${percentile(latencies, 95).toFixed(1).padStart(8)} ${percentile(latencies, 99).toFixed(1).padStart(8)} ${String(errors).padStart(7)}`,
    );
  for (const r of results) {
    met &&= percentile(r.latencies, 95) < TARGET_P95_MS && r.errors === 0;
    line(r.name, r.latencies, r.errors);
  }
  line(
    'all',
    results.flatMap((r) => r.latencies).sort((a, b) => a - b),
    results.reduce((n, r) => n + r.errors, 0),
  );
  return met;
}

async function benchEngine(engine: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, TRIBUTARY_SCRYPT_COST: '1024' };
  if (engine === 'pglite') {
    const dir = join(benchCacheDir, 'server-pglite-demo');
    if (values.reload) rmSync(dir, { recursive: true, force: true });
    env.TRIBUTARY_DATA_DIR = dir;
    delete env.DATABASE_URL;
  } else {
    const name = 'tributary_bench_server_demo';
    const admin = new pg.Client({ connectionString: values['database-url'] });
    await admin.connect();
    if (values.reload) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    const [exists] = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rows;
    if (!exists) await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(values['database-url']);
    url.pathname = `/${name}`;
    env.DATABASE_URL = url.toString();
  }
  const started = performance.now();
  const summary = JSON.parse(cli(env, ['start', '--json'])) as { counts: { table: string; rows: number }[] };
  const count = (table: string) => summary.counts.find((c) => c.table === table)?.rows ?? 0;
  console.log(
    `\n${engine}: demo community ready in ${((performance.now() - started) / 1000).toFixed(1)} s: ${count('merge_requests').toLocaleString('en-US')} MRs, ` +
      `${count('activities').toLocaleString('en-US')} activities, ${count('people').toLocaleString('en-US')} people`,
  );
  if (!JSON.parse(cli(env, ['users', 'list', '--json'])).some((u: { email: string }) => u.email === EMAIL)) {
    cli(env, ['users', 'create-admin', '--email', EMAIL, '--name', 'Bench', '--password-stdin'], PASSWORD);
  }

  const { url, child } = await startServe(env);
  try {
    const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: EMAIL, password: PASSWORD }) });
    if (!login.ok) throw new Error(`sign-in failed: ${login.status} ${await login.text()}`);
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const headers = { cookie };
    // One request each first: a route that fails is reported now, not as 2,000 errors.
    for (const [name, path] of Object.entries(ROUTES)) {
      const response = await fetch(`${url}${path}`, { headers });
      if (!response.ok) throw new Error(`${name}: ${path} answered ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
    }

    const names = Object.keys(ROUTES);
    const perRoute = rate / names.length;
    console.log(`${rate} requests/s for ${seconds} s over ${names.length} routes (${perRoute.toFixed(1)}/s each), signed in; target p95 < ${TARGET_P95_MS} ms`);

    // The target, at a steady rate: one request every 1000/rate ms, routes in turn, sent whether or not the
    // ones before have answered (open loop), each timed from when it was due, so a slow answer that delays
    // the next sends counts against the server (no coordinated omission).
    const steady = await steadyLoad(url, names, headers);
    console.log(`steady load (a request every ${(1000 / rate).toFixed(1)} ms, timed from when it was due):`);
    const met = printTable(steady);

    // For comparison, autocannon at the same overall rate: its rate mode sends each connection's quota for
    // the second as fast as it can when the second starts, so the server meets bursts of ~${rate} requests at
    // once each second. Not the target's measure; printed because it shows how the server takes a burst.
    const bursts = await Promise.all(
      names.map(async (name) => {
        const latencies: number[] = [];
        let failures = 0;
        const result = await new Promise<autocannon.Result>((resolve, reject) => {
          const instance = autocannon({ url: `${url}${ROUTES[name]}`, headers, connections: 4, overallRate: perRoute, duration: seconds }, (error, finished) =>
            error ? reject(error) : resolve(finished),
          );
          instance.on('response', (_client, status, _bytes, responseTime) => {
            latencies.push(responseTime);
            if (status >= 400) failures++;
          });
        });
        latencies.sort((a, b) => a - b);
        return { name, latencies, errors: Math.max(failures, result.errors + result.timeouts + result.non2xx) };
      }),
    );
    console.log("autocannon at the same rate (each second's requests sent in a burst as it starts; for comparison):");
    printTable(bursts);
    console.log(`${engine}: ${met ? 'target met' : 'TARGET MISSED'} (steady load: p95 < ${TARGET_P95_MS} ms on every route, no errors)`);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

for (const engine of values.engine === 'both' ? ['pglite', 'postgres'] : [values.engine]) await benchEngine(engine);
