// One engine's KPI benchmark, in a process of its own (see bench/kpi.ts).
import { Readable } from 'node:stream';
import { databaseConfig } from '../src/config.ts';
import { openDatabase, toNumber } from '../src/db/connection.ts';
import { importNdjson, importNdjsonFile } from '../src/interchange/import.ts';
import { KPIS } from '../src/metrics/catalogue.ts';
import { monthlyGrain } from '../src/metrics/kpi.ts';
import { refreshRollups } from '../src/metrics/rollups.ts';
import { kpiConcurrency, runKpi, runKpis } from '../src/metrics/run.ts';

const [file, target] = process.argv.slice(2) as [string, string];

const db = await openDatabase(databaseConfig());
const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(2).padStart(7);
try {
  const [loaded] = await db.query<{ n: unknown }>('SELECT count(*) AS n FROM merge_requests');
  if (toNumber(loaded?.n) === 0) {
    const started = performance.now();
    const stats = await importNdjsonFile(db, file);
    console.log(`  load (import)              ${seconds(started)} s  ${stats.lines.toLocaleString('en-US')} lines`);
  } else {
    console.log(`  load                        kept from an earlier run (${toNumber(loaded?.n).toLocaleString('en-US')} MRs); --reload to load again`);
  }
  // A freshly loaded database gets the full build, timed; a kept one only what changed since (--rebuild to time the build again).
  let started = performance.now();
  const built = await refreshRollups(db, { full: toNumber(loaded?.n) === 0 || process.argv.includes('--rebuild') });
  console.log(`  rollups, ${built.mode === 'full' ? 'full build   ' : `${built.mode.padEnd(13)}`}      ${seconds(started)} s`);
  const [sizes] = await db.query<Record<string, unknown>>(
    `SELECT (SELECT count(*) FROM kpi_merge_requests) AS mrs, (SELECT count(*) FROM kpi_author_months) AS author_months, (SELECT count(*) FROM kpi_activity_months) AS activity_months`,
  );
  console.log(`    rows: ${Object.entries(sizes ?? {}).map(([k, v]) => `${k} ${toNumber(v).toLocaleString('en-US')}`).join(', ')} (${built.mode})`);

  // The twelve complete months before the generator's last day (2026-10-31).
  const filters = { from: '2025-11', to: '2026-10' };
  let total = 0;
  console.log(`  KPIs for ${filters.from} … ${filters.to} (monthly where the KPI allows):`);
  for (const kpi of KPIS) {
    const grain = monthlyGrain(kpi);
    started = performance.now();
    const result = await runKpi(db, kpi.id, { ...filters, grain });
    const elapsed = (performance.now() - started) / 1000;
    total += elapsed;
    const last = result.points.at(-1);
    console.log(
      `    ${kpi.id.padEnd(34)} ${elapsed.toFixed(3).padStart(7)} s  ${result.available ? `${result.points.length} points, last ${last?.period} = ${last?.value}` : `not available: ${result.reason}`}`,
    );
  }
  console.log(`  all KPIs one after another   ${total.toFixed(2).padStart(7)} s  (the sum of the times above)`);
  // As a report or a dashboard gets them: runKpis, several at once over PostgreSQL's pool, one at a time on PGlite.
  const concurrency = kpiConcurrency(db);
  started = performance.now();
  const outcomes = await runKpis(
    db,
    KPIS.map((kpi) => ({ id: kpi.id, filters: { ...filters, grain: monthlyGrain(kpi) } })),
    { concurrency },
  );
  const together = (performance.now() - started) / 1000;
  if (outcomes.some((o) => !o.result)) throw new Error(`runKpis: ${outcomes.filter((o) => !o.result).map((o) => `${o.id}: ${o.error?.message}`).join('; ')}`);
  const verdict = together < Number(target) ? 'ok' : 'OVER TARGET';
  console.log(`  all KPIs together (runKpis, ${concurrency} at a time) ${together.toFixed(2).padStart(7)} s  (target < ${target} s: ${verdict})`);

  // A small sync: 100 new MRs by new and existing people, with their activities, then an incremental refresh.
  const [someone] = await db.query<{ key: string }>(`SELECT key FROM people WHERE NOT is_bot ORDER BY id LIMIT 1`);
  const [project] = await db.query<{ name: string }>(`SELECT platform::text || ':' || path AS name FROM projects ORDER BY id LIMIT 1`);
  const stamp = Date.now();
  const lines: string[] = [];
  for (let i = 0; i < 100; i++) {
    const author = i % 2 === 0 ? someone?.key : `bench-newcomer-${stamp}-${i}`;
    if (i % 2 === 1) lines.push(JSON.stringify({ type: 'person', key: author, name: `Newcomer ${i}` }));
    const at = new Date(Date.UTC(2026, 9, 1 + (i % 28), 12)).toISOString();
    const number = 900_000_000 + (stamp % 1_000_000) * 100 + i;
    lines.push(
      JSON.stringify({ type: 'merge_request', project: project?.name, number, title: `Bench ${i}`, state: 'merged', author, created_at: at, merged_at: at }),
      JSON.stringify({ type: 'activity', kind: 'mr_merged', person: author, project: project?.name, occurred_at: at, object: { type: 'merge_request', number } }),
    );
  }
  await importNdjson(db, Readable.from(lines.map((line) => `${line}\n`)));
  started = performance.now();
  const refreshed = await refreshRollups(db);
  console.log(
    `  incremental refresh after 100 new MRs ${seconds(started)} s  (${refreshed.mode}: ${refreshed.mergeRequests} MRs, ${refreshed.people} people redone)`,
  );
  console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  await db.close();
}
