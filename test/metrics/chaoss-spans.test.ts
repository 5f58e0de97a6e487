import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refreshRollups } from '../../src/metrics/rollups.ts';
import { openTestDatabase } from '../helpers/database.ts';
import { load } from './helpers.ts';

const spans = (db: Awaited<ReturnType<typeof openTestDatabase>>) =>
  db.query<Record<string, unknown>>(
    `SELECT p.key, s.kind, s.project_id = 0 AS no_project, s.class, s.activities, s.first_at, s.last_at
       FROM kpi_activity_spans s JOIN people p ON p.id = s.canonical_id ORDER BY 1, 2, 3`,
  );

test('kpi_activity_spans: first and last activity per person and kind, kept current by an incremental refresh', async () => {
  const db = await openTestDatabase();
  try {
    const activity = (person: string, kind: string, at: string, key: string) => ({
      type: 'activity',
      kind,
      person,
      occurred_at: at,
      project: 'gitlab:acme/app',
      object: { type: 'other', key },
    });
    await load(db, [
      { type: 'project', platform: 'gitlab', path: 'acme/app' },
      { type: 'person', key: 'ann', name: 'Ann' },
      { type: 'person', key: 'ann2', name: 'Ann (work)' },
      activity('ann', 'mr_commented', '2024-01-05T00:00:00Z', 'a'),
      activity('ann', 'mr_commented', '2024-03-05T00:00:00Z', 'b'),
      activity('ann2', 'mr_commented', '2023-12-01T00:00:00Z', 'c'),
    ]);
    assert.equal((await refreshRollups(db)).mode, 'full');
    assert.equal((await spans(db)).length, 2);
    // Ann's second account is merged into hers, and she comments again: one span from 2023-12-01 to 2024-06-01, 4 activities.
    await load(db, [{ type: 'person', key: 'ann2', name: 'Ann (work)', merged_into: 'ann' }, activity('ann', 'mr_commented', '2024-06-01T00:00:00Z', 'd')]);
    assert.equal((await refreshRollups(db)).mode, 'incremental');
    const incremental = await spans(db);
    assert.equal(incremental.length, 1);
    assert.equal(incremental[0]?.activities, 4);
    assert.equal((incremental[0]?.first_at as Date | undefined)?.toISOString(), '2023-12-01T00:00:00.000Z');
    assert.equal((incremental[0]?.last_at as Date | undefined)?.toISOString(), '2024-06-01T00:00:00.000Z');
    await refreshRollups(db, { full: true });
    assert.deepEqual(await spans(db), incremental);
  } finally {
    await db.close();
  }
});
