import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { Database } from '../../src/db/connection.ts';
import { generateNdjsonLines } from '../../src/generator/community.ts';
import { importNdjson } from '../../src/interchange/import.ts';
import { ROLLUP_TABLES, refreshRollups, writeClassificationRules } from '../../src/metrics/rollups.ts';
import { mergePeople, setBotOverride, unmergePeople } from '../../src/people/index.ts';
import { openTestDatabase } from '../helpers/database.ts';
import { assertEveryKpiAgrees, load } from './helpers.ts';

const ROLLUPS = [...ROLLUP_TABLES, 'kpi_canonical'];

async function digests(db: Database): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const table of ROLLUPS) {
    const [row] = await db.query<{ rows: unknown; digest: string | null }>(
      `SELECT count(*) AS rows, md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM ${table} t`,
    );
    result[table] = `${Number(row?.rows)} rows, ${row?.digest}`;
  }
  return result;
}

/** After a change: the incremental refresh must leave exactly what a rebuild from the raw tables gives. */
async function assertIncrementalEqualsRebuild(db: Database, change: string, expectedMode: 'incremental' | 'full' = 'incremental') {
  const refreshed = await refreshRollups(db);
  assert.equal(refreshed.mode, expectedMode, `${change}: refreshed ${refreshed.mode} (${refreshed.reason ?? ''})`);
  const incremental = await digests(db);
  await refreshRollups(db, { full: true });
  assert.deepEqual(incremental, await digests(db), `${change}: the incremental refresh differs from a rebuild`);
  assert.equal((await refreshRollups(db)).mode, 'none', `${change}: a rebuild leaves nothing to do`);
}

test('the rollups follow every kind of change incrementally, exactly as a rebuild would', async () => {
  const db = await openTestDatabase();
  try {
    await importNdjson(db, Readable.from(generateNdjsonLines({ seed: 'rollups', mergeRequests: 1200, activities: 6000 })));
    assert.equal((await refreshRollups(db)).mode, 'full');
    assert.equal((await refreshRollups(db)).mode, 'none');

    // The same data again changes nothing, so nothing is queued.
    await importNdjson(db, Readable.from(generateNdjsonLines({ seed: 'rollups', mergeRequests: 1200, activities: 6000 })));
    assert.equal((await refreshRollups(db)).mode, 'none');

    const [someone, other] = await db.query<{ key: string }>(
      `SELECT p.key FROM people p JOIN merge_requests m ON m.author_id = p.id WHERE NOT p.is_bot AND p.merged_into IS NULL
        GROUP BY p.key ORDER BY count(*) DESC, p.key LIMIT 2`,
    );
    assert.ok(someone && other);
    const [project] = await db.query<{ name: string }>(`SELECT platform::text || ':' || path AS name FROM projects ORDER BY path LIMIT 1`);

    await load(db, [
      { type: 'person', key: 'newcomer', name: 'New Comer' },
      { type: 'merge_request', project: project?.name, number: 900001, title: 'First', state: 'merged', author: 'newcomer', created_at: '2026-10-01T10:00:00Z', merged_at: '2026-10-02T10:00:00Z' },
      { type: 'merge_request', project: project?.name, number: 900002, title: 'Second', state: 'opened', author: someone.key, created_at: '2026-10-03T10:00:00Z' },
      { type: 'activity', kind: 'mr_opened', person: 'newcomer', project: project?.name, occurred_at: '2026-10-01T10:00:00Z', object: { type: 'merge_request', number: 900001 } },
    ]);
    await assertIncrementalEqualsRebuild(db, 'new MRs and activities');

    await load(db, [
      { type: 'comment', project: project?.name, target: { type: 'merge_request', number: 900001 }, external_id: 'rollups-1', author: other.key, created_at: '2026-10-01T12:00:00Z', body: 'Thanks!' },
      { type: 'review', project: project?.name, merge_request: 900002, reviewer: other.key, kind: 'approved', occurred_at: '2026-10-04T10:00:00Z' },
    ]);
    await assertIncrementalEqualsRebuild(db, 'a note and a review');

    const merge = await mergePeople(db, 'newcomer', someone.key);
    await assertIncrementalEqualsRebuild(db, 'a merge of two people');
    await unmergePeople(db, { mergeId: merge.id });
    await assertIncrementalEqualsRebuild(db, 'an unmerge');

    await load(db, [{ type: 'team_membership', person: other.key, valid_from: '2025-06-01', valid_to: '2026-01-01', source: 'roster' }]);
    await assertIncrementalEqualsRebuild(db, 'a team membership');

    await load(db, [
      { type: 'organisation', name: 'Rollup Test Ltd', domains: ['rollup.test'], arr: 5000 },
      { type: 'affiliation', person: someone.key, organisation: 'Rollup Test Ltd', valid_from: '2024-01-01', source: 'manual' },
    ]);
    await assertIncrementalEqualsRebuild(db, 'an affiliation');

    await setBotOverride(db, other.key, true);
    await assertIncrementalEqualsRebuild(db, 'a bot override');

    await db.query(`DELETE FROM merge_requests WHERE number = 900002`);
    await db.query(`DELETE FROM activities WHERE person_id = (SELECT id FROM people WHERE key = 'newcomer')`);
    await assertIncrementalEqualsRebuild(db, 'deleted rows');

    await load(db, [{ type: 'milestone', scope: 'acme', title: 'rollups-test', start_date: '2030-01-01', due_date: '2030-01-31' }]);
    await assertIncrementalEqualsRebuild(db, 'a new milestone', 'full');

    await writeClassificationRules(db, { domainRule: true, teamDomains: ['acme.com'] });
    await assertIncrementalEqualsRebuild(db, 'new classification rules', 'full');

    await assertEveryKpiAgrees(db, { from: '2025-11', to: '2026-10' });
    await assertEveryKpiAgrees(db, { from: '2026-01', to: '2026-10', grain: 'quarter', population: 'all' });
  } finally {
    await db.close();
  }
});
