/**
 * KPI query speed: every KPI in the catalogue, twelve months (month grain, or the releases due in them),
 * over synthetic rollups of --mrs N merge requests (default 1,000,000) with as many review requests. The
 * rollup rows are generated in SQL straight into the kpi_* tables, so this times the KPI queries, not a
 * refresh. Spread is deliberately wide (50,000 authors, 1,000 organisations, ten projects, three years).
 * PostgreSQL when DATABASE_URL is set (an empty database), in-memory PGlite otherwise.
 * Targets: all KPIs < 2 s on PostgreSQL, < 5 s on PGlite. --only a,b times those KPIs; --reuse skips generating
 * (the database already holds a previous run's rows).
 */
import { parseArgs } from 'node:util';
import { openDatabase } from '../src/db/connection.ts';
import { KPIS } from '../src/metrics/catalogue.ts';
import type { Period, ResolvedFilters } from '../src/metrics/kpi.ts';
import { authorMonthsSql, ROLLED_UP } from '../src/metrics/rollups.ts';
import { calendarPeriods } from '../src/metrics/run.ts';

const { values: options } = parseArgs({
  options: { mrs: { type: 'string', default: '1000000' }, only: { type: 'string' }, reuse: { type: 'boolean', default: false } },
});
const only = options.only?.split(',');
const mergeRequests = Number(options.mrs);
const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL });
let started = performance.now();
if (!options.reuse) await generate();
console.log(`${mergeRequests} merge requests generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);

async function generate() {
await db.query(`INSERT INTO projects (id, platform, path) SELECT i, 'gitlab', 'g/p' || i FROM generate_series(1, 10) i`);
await db.query(
  `INSERT INTO organisations (id, name, arr, parent_id)
   SELECT 1000 + i, 'org' || i, CASE WHEN i % 3 <> 0 THEN i * 1000 END, CASE WHEN i % 10 = 0 THEN 1001 END FROM generate_series(1, 1000) i`,
);
await db.query(
  `INSERT INTO milestones (id, scope, title, start_date, due_date)
   SELECT 3000 + i, 'g', 'r' || i, DATE '2022-01-01' + i * 30, DATE '2022-01-01' + i * 30 + 29 FROM generate_series(0, 40) i`,
);
// 12 % community, 85 % team, 3 % bots; 80 % merged after 0–19 days, 10 % closed, 10 % open; 60 % affiliated.
await db.query(
  `INSERT INTO kpi_merge_requests (merge_request_id, project_id, author_id, canonical_id, class, organisation_id, contributed_at, created_at, merged_at,
                                   closed_at, state, milestone_id, milestone_inferred, type, labelled_community, ready_at, first_response_at, first_team_review_at, origin)
   SELECT i, 1 + i % 10, i % 50000 + 1, i % 50000 + 1, CASE WHEN i % 100 < 12 THEN 'community' WHEN i % 100 < 97 THEN 'team' ELSE 'bot' END,
          CASE WHEN i % 5 >= 2 THEN 1000 + 1 + (i * 7 % 1000) END, c, c, CASE WHEN i % 10 < 8 THEN c + (i % 20) * interval '1 day' END,
          CASE WHEN i % 10 = 8 THEN c + interval '3 days' END, CASE WHEN i % 10 < 8 THEN 'merged' WHEN i % 10 = 8 THEN 'closed' ELSE 'opened' END,
          3000 + i % 41, i % 2 = 0, (ARRAY['feature', 'bug', 'maintenance', NULL])[i % 4 + 1], false, c, c + (i % 50) * interval '1 hour',
          CASE WHEN i % 10 < 7 THEN c + (i % 50) * interval '1 hour' END, 'api'
     FROM (SELECT i, timestamptz '2022-01-01' + (i::float8 / $1) * interval '1095 days' AS c FROM generate_series(1, $1::int) i) x`,
  [mergeRequests],
);
await db.query(`INSERT INTO kpi_author_months SELECT * FROM (${authorMonthsSql('kpi_merge_requests', 'true')}) x`);
await db.query(
  `INSERT INTO kpi_review_requests (merge_request_id, project_id, reviewer_id, reviewer_canonical_id, reviewer_class, requested_at, responded_at)
   SELECT merge_request_id, project_id, 900000 + merge_request_id % 2000, 900000 + merge_request_id % 2000, 'team', created_at + interval '1 hour',
          CASE WHEN merge_request_id % 4 < 3 THEN created_at + (merge_request_id % 9) * interval '1 day' END
     FROM kpi_merge_requests`,
);
await db.query(`INSERT INTO team_memberships (id, person_id, valid_from, roles, source) SELECT i, 900000 + i, DATE '2022-01-01', '[{"role": "coach"}]', 'roster' FROM generate_series(1, 80) i`);
await db.query('ANALYZE');
}

const projectIds = Array.from({ length: 10 }, (_, i) => BigInt(i + 1));
const months = calendarPeriods('month', '2024-01-01', '2025-01-01');
const releases: Period[] = (
  await db.query<{ title: string; start: string; end: string; id: string }>(
    `SELECT title, start_date::text AS start, (due_date + 1)::text AS end, id::text FROM milestones WHERE due_date >= '2024-01-01' AND due_date < '2025-01-01' ORDER BY due_date`,
  )
).map((r) => ({ key: r.title, start: r.start, end: r.end, milestoneIds: [BigInt(r.id)] }));
let total = 0;
for (const kpi of KPIS.filter((k) => !only || only.includes(k.id))) {
  const grain = kpi.grains.includes('month') ? 'month' : kpi.defaultGrain;
  const filters: ResolvedFilters = {
    projectIds,
    organisationIds: null,
    population: kpi.populations[0] ?? 'community',
    grain,
    periods: grain === 'release' ? releases : months,
    from: '2024-01-01',
    to: '2025-01-01',
  };
  started = performance.now();
  const points = await kpi.series({ session: db, relations: ROLLED_UP, filters, parameters: kpi.parameters ? kpi.parameters.parse({}) : {} });
  const seconds = (performance.now() - started) / 1000;
  total += seconds;
  console.log(`${kpi.id.padEnd(36)} ${seconds.toFixed(3)} s   last value ${JSON.stringify(points.at(-1)?.value)}`);
}
console.log(`all ${KPIS.length} KPIs: ${total.toFixed(2)} s (target < ${process.env.DATABASE_URL ? 2 : 5} s)`);
await db.close();
