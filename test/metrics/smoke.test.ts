import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainKpi, runKpi, runKpis } from '../../src/metrics/run.ts';
import { openTestDatabase } from '../helpers/database.ts';
import { kpi, load, values } from './helpers.ts';

const project = 'gitlab:acme/app';
const mr = (number: number, author: string, created: string, merged: string | null, extra: Record<string, unknown> = {}) => ({
  type: 'merge_request',
  project,
  number,
  title: `MR ${number}`,
  state: merged ? 'merged' : 'opened',
  author,
  created_at: created,
  ...(merged ? { merged_at: merged } : {}),
  ...extra,
});

test('uwcc, community merged MRs and OCMA on a hand-made community', async () => {
  const db = await openTestDatabase();
  try {
    await load(db, [
      { type: 'project', platform: 'gitlab', path: 'acme/app' },
      { type: 'person', key: 'ann', name: 'Ann' },
      { type: 'person', key: 'ann2', name: 'Ann (work)', merged_into: 'ann' },
      { type: 'person', key: 'bo', name: 'Bo' },
      { type: 'person', key: 'tea', name: 'Tea' },
      { type: 'person', key: 'bot', name: 'Bot', bot: true },
      { type: 'team_membership', person: 'tea', valid_from: '2020-01-01', source: 'roster' },
      // Bo joins the team on 2024-05-15: his MR opened before counts as community, the one after as team.
      { type: 'team_membership', person: 'bo', valid_from: '2024-05-15', source: 'roster' },
      mr(1, 'ann', '2024-04-20T00:00:00Z', '2024-05-02T00:00:00Z'),
      mr(2, 'ann2', '2024-05-01T00:00:00Z', '2024-05-03T00:00:00Z'),
      mr(3, 'bo', '2024-05-10T00:00:00Z', '2024-05-20T00:00:00Z'),
      mr(4, 'bo', '2024-05-16T00:00:00Z', '2024-05-21T00:00:00Z'),
      mr(5, 'tea', '2024-05-01T00:00:00Z', '2024-05-05T00:00:00Z'),
      mr(6, 'bot', '2024-05-01T00:00:00Z', '2024-05-05T00:00:00Z'),
      mr(7, 'ann', '2024-06-01T00:00:00Z', '2024-06-02T00:00:00Z'),
      // Open community MRs at the end of May: 8 (opened 05-21, 11 days) and 9 (opened 04-01, 61 days), and 10 (closed 06-10).
      mr(8, 'ann', '2024-05-21T00:00:00Z', null),
      mr(9, 'bo', '2024-04-01T00:00:00Z', null),
      { ...mr(10, 'ann', '2024-05-31T00:00:00Z', null), state: 'closed', closed_at: '2024-06-10T00:00:00Z' },
    ]);
    const range = { from: '2024-04', to: '2024-06' };
    assert.deepEqual(values(await kpi(db, 'uwcc', range)), { '2024-04': 0, '2024-05': 2, '2024-06': 1 });
    assert.deepEqual(values(await kpi(db, 'uwcc', { ...range, population: 'team' })), { '2024-04': 0, '2024-05': 2, '2024-06': 0 });
    assert.deepEqual(values(await kpi(db, 'community-merged-mrs', range)), { '2024-04': 0, '2024-05': 3, '2024-06': 1 });
    // End of April: 1 (11 days), 9 (30) → 20.5. End of May: 8 (11), 9 (61), 10 (1) → 11. End of June: 8 (41), 9 (91) → 66.
    assert.deepEqual(values(await kpi(db, 'ocma', range)), { '2024-04': 20.5, '2024-05': 11, '2024-06': 66 });
    const explained = await explainKpi(db, 'uwcc', '2024-05');
    assert.deepEqual(
      explained.rows.map((r) => r.merge_request),
      ['acme/app!1', 'acme/app!2', 'acme/app!3'],
    );
    assert.equal(explained.value?.value, 2);

    // Several at once, as the report asks: each as runKpi gives it, in the order asked, a bad filter kept with its KPI.
    const asked = [
      { id: 'ocma', filters: range },
      { id: 'uwcc', filters: { ...range, projects: ['acme/missing'] } },
      { id: 'community-merged-mrs', filters: range },
      { id: 'uwcc', filters: range },
    ];
    const outcomes = await runKpis(db, asked, { concurrency: 3 });
    assert.deepEqual(
      outcomes.map((o) => o.id),
      asked.map((a) => a.id),
    );
    assert.match(outcomes[1]?.error?.message ?? '', /projects: no project "acme\/missing"/);
    for (const index of [0, 2, 3]) {
      const request = asked[index] as (typeof asked)[number];
      assert.deepEqual(outcomes[index]?.result, await runKpi(db, request.id, request.filters));
    }
  } finally {
    await db.close();
  }
});
