import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainKpi } from '../../src/metrics/run.ts';
import { openTestDatabase } from '../helpers/database.ts';
import { kpi, load, values } from './helpers.ts';

const project = 'gitlab:acme/app';
const mr = (number: number, author: string, created: string, extra: Record<string, unknown> = {}) => ({
  type: 'merge_request',
  project,
  number,
  title: `MR ${number}`,
  state: 'opened',
  author,
  created_at: created,
  ...extra,
});
let note = 0;
const comment = (number: number, author: string, at: string) => {
  note += 1;
  return { type: 'comment', project, target: { type: 'merge_request', number }, external_id: `n${note}`, created_at: at, author };
};

test('time to first review', async () => {
  const db = await openTestDatabase();
  try {
    await load(db, [
      { type: 'project', platform: 'gitlab', path: 'acme/app' },
      { type: 'person', key: 'ann', name: 'Ann' },
      { type: 'person', key: 'bo', name: 'Bo' },
      { type: 'person', key: 'tea', name: 'Tea' },
      { type: 'person', key: 'bot', name: 'Bot', bot: true },
      { type: 'team_membership', person: 'tea', valid_from: '2020-01-01', source: 'roster' },
      // Ready in May: #1 6 h; #2 a draft tea commented on before it was ready: 0 h; #3 reviewed after 48 h (ann's own
      // note and the bot's do not count); #4 only a community note: unreviewed. #5 ready in April, answered after 24 h.
      mr(1, 'ann', '2024-05-01T10:00:00Z'),
      comment(1, 'tea', '2024-05-01T16:00:00Z'),
      mr(2, 'ann', '2024-05-02T00:00:00Z', { draft: true, ready_for_review_at: '2024-05-03T00:00:00Z' }),
      comment(2, 'tea', '2024-05-02T12:00:00Z'),
      mr(3, 'ann', '2024-05-10T00:00:00Z'),
      comment(3, 'ann', '2024-05-10T01:00:00Z'),
      comment(3, 'bot', '2024-05-10T02:00:00Z'),
      { type: 'review', project, merge_request: 3, reviewer: 'tea', kind: 'reviewed', occurred_at: '2024-05-12T00:00:00Z' },
      mr(4, 'ann', '2024-05-20T00:00:00Z'),
      comment(4, 'bo', '2024-05-20T05:00:00Z'),
      mr(5, 'ann', '2024-04-30T00:00:00Z'),
      comment(5, 'tea', '2024-05-01T00:00:00Z'),
    ]);
    // May: [0, 6, 48] → 6; April: [24]; June: nothing ready.
    const result = await kpi(db, 'time-to-first-review', { from: '2024-04', to: '2024-06' });
    assert.deepEqual(values(result), { '2024-04': 24, '2024-05': 6, '2024-06': null });
    assert.deepEqual(result.points[1]?.values, { reviewed: 3, unreviewed: 1 });
    const explained = await explainKpi(db, 'time-to-first-review', '2024-05');
    assert.deepEqual(
      explained.rows.map((r) => [r.merge_request, r.hours === null ? null : Number(r.hours)]),
      [
        ['acme/app!1', 6],
        ['acme/app!2', 0],
        ['acme/app!3', 48],
        ['acme/app!4', null],
      ],
    );
  } finally {
    await db.close();
  }
});
